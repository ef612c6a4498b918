"""Pending fetch outcomes → versions → changes → findings → alerts (DESIGN.md §1, §3.5).

Each pending outcome is processed in its own transaction: the version, its change, the
findings and the outbox rows commit together or not at all, so a crash leaves either the
whole result or a still-pending outcome that the next run picks up.

Why the fingerprint shortcut: most fetches of a policy return a page whose raw bytes differ
(CSRF tokens, timestamps, ads) while the policy is the same. A cheap lxml fingerprint of the
selected region, equal to the one recorded with the latest version, proves the text is
unchanged without running the full extractor (the extractor's contract guarantees it).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from monitor import store
from monitor.analysis import (
    Analysis,
    ChangeAnalysis,
    SnapshotJob,
    analyse_change_job,
    analyse_change_texts,
    analyse_job,
)
from monitor.config import Settings
from monitor.declarations import DocumentDeclaration
from monitor.models import (
    Change,
    Document,
    FetchOutcome,
    Finding,
    Snapshot,
    TrackingEvent,
    Version,
    utcnow,
)

log = logging.getLogger("policywatch.tracker")

#: A text shorter than this share of the previous version is held until a second fetch agrees.
SHRINK_RATIO = 0.5
SHRINK_MIN_PREVIOUS = 2000
#: How many versions before the previous one are consulted for reappearing clauses.
EARLIER_VERSIONS = 10


@dataclass(frozen=True)
class Processed:
    key: str
    outcome: str
    reason: str | None
    detail: str | None


#: Outcomes processed per transaction. Batching keeps the parent's SQL cost per document low;
#: a crash loses at most one uncommitted batch, whose outcomes stay pending for the next run.
BATCH_SIZE = 50
#: Batches handed to the workers ahead of the one being written (see :func:`process_pending`):
#: enough that a write waiting for SQLite's lock does not leave the workers idle.
PIPELINE_DEPTH = 2


#: Runs a pure function over a list: ``map``, or a worker pool's map (``monitor.workers``).
Mapper = Callable[[Callable[[Any], Any], list[Any]], Iterable[Any]]


def process_pending(
    maker: sessionmaker[Session],
    settings: Settings,
    run_id: int | None = None,
    *,
    mapper: Mapper = map,
    pipeline: bool = False,
) -> list[Processed]:
    """Process every pending outcome (of one run, or all); returns what happened to each.

    Outcomes are processed in batches, one transaction each. If anything in a batch raises,
    the batch is rolled back and its outcomes are processed one per transaction (in this
    process), so a single bad snapshot is marked ``internal-error`` instead of blocking every
    later fetch.

    ``pipeline`` (with a worker pool's ``mapper``): the next batch's pages go to the workers
    before this batch is written, so that extraction never waits for the database. Results
    computed against a latest version that has changed since are computed again.
    """
    done: list[Processed] = []
    after = 0
    inflight: deque[_Submitted] = deque()
    ahead = PIPELINE_DEPTH if pipeline else 0
    while True:
        upcoming = None
        with maker() as session:
            ids = store.pending_outcome_ids(session, run_id, after=after, limit=BATCH_SIZE)
            if ids:
                after = ids[-1]
                upcoming = _submit(session, settings, ids, mapper) if pipeline else _Submitted(ids)
                inflight.append(upcoming)
        if upcoming is None and not inflight:
            return done
        if upcoming is None or len(inflight) > ahead:
            # One batch at a time, then look for new fetches again: while a crawl is running
            # the child commits more every fraction of a second, and handing them to the
            # workers before writing the rest keeps the workers busy (draining every batch in
            # flight first left them idle ~40% of the crawl, measured).
            done += _apply_batch(maker, settings, inflight.popleft(), mapper)


@dataclass
class _Submitted:
    """A batch of outcome ids, with the analyses already handed to the workers (if any) and
    the latest version each of them was computed against."""

    ids: list[int]
    basis: dict[int, int | None] = field(default_factory=dict)
    results: Iterable[Analysis] = ()

    def analyses(self) -> dict[int, tuple[int | None, Analysis]]:
        return {
            oid: (self.basis[oid], found)
            for oid, found in zip(self.basis, self.results, strict=True)
        }


def _submit(session: Session, settings: Settings, ids: list[int], mapper: Mapper) -> _Submitted:
    """Read a batch and hand its pages to the workers (results are collected later)."""
    try:
        outcomes = store.pending_outcomes(session, ids)
        latest = store.latest_versions(session, {o.document_id for o in outcomes})
        snapshots = _snapshots_of(session, outcomes)
        todo = _jobs(settings, outcomes, latest, snapshots)
    except Exception as exc:  # noqa: BLE001 - the batch is then prepared when it is applied
        if _database_error(exc):
            raise
        log.exception("reading a batch of fetches ahead failed; it is read again")
        return _Submitted(ids)
    basis = {o.id: (p.id if (p := latest.get(o.document_id)) else None) for o, _ in todo}
    return _Submitted(ids, basis, mapper(analyse_job, [job() for _, job in todo]))


def _apply_batch(
    maker: sessionmaker[Session], settings: Settings, batch: _Submitted, mapper: Mapper
) -> list[Processed]:
    try:
        with maker() as session, session.begin():
            return _process_batch(session, settings, batch.ids, mapper, batch)
    except Exception as exc:  # noqa: BLE001 - isolate the failing outcome, keep the rest
        if _database_error(exc):
            raise  # the database is the problem: leave every fetch pending for later
        log.exception("processing a batch of fetches failed; retrying one by one")
        done: list[Processed] = []
        for oid in batch.ids:
            done += _process_isolated(maker, settings, oid)
        return done


def _database_error(exc: BaseException) -> bool:
    """Errors of the database itself (connection lost, locked, disk full): the stored fetch
    is fine and must stay pending, not be marked as a failed document."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _process_batch(
    session: Session,
    settings: Settings,
    ids: list[int],
    mapper: Mapper = map,
    submitted: _Submitted | None = None,
) -> list[Processed]:
    outcomes = store.pending_outcomes(session, ids)
    latest = store.latest_versions(session, {o.document_id for o in outcomes})
    # pages analysed ahead need no second read of their blob (a blob still needed after all
    # is loaded on its own)
    snapshots = _snapshots_of(session, outcomes, with_blobs=not (submitted and submitted.basis))
    early = submitted.analyses() if submitted is not None else {}
    prepared = _prepare(session, settings, outcomes, latest, snapshots, mapper, early)
    done = []
    for outcome in outcomes:
        process_outcome(session, settings, outcome, latest, snapshots, prepared.get(outcome.id))
        done.append(
            Processed(outcome.document.key, outcome.outcome, outcome.reason, outcome.detail)
        )
    return done


def _snapshots_of(
    session: Session, outcomes: list[FetchOutcome], *, with_blobs: bool = True
) -> dict[int, Snapshot]:
    # Held in a dict: the session's identity map is weak, so without these references each
    # snapshot and blob would be loaded again, one query each.
    ids = [o.snapshot_id for o in outcomes if o.snapshot_id]
    return {snap.id: snap for snap in store.load_snapshots(session, ids, with_blobs=with_blobs)}


def _jobs(
    settings: Settings,
    outcomes: list[FetchOutcome],
    latest: dict[int, Version],
    snapshots: dict[int, Snapshot],
) -> list[tuple[FetchOutcome, Callable[[], SnapshotJob]]]:
    """The pages of a batch to analyse: each document's first stored fetch (a second one
    depends on what the first one becomes, so it is analysed when it is applied). Jobs are
    built on demand: building one reads the page's blob."""
    todo: list[tuple[FetchOutcome, Callable[[], SnapshotJob]]] = []
    seen_docs: set[int] = set()
    for outcome in outcomes:
        doc = outcome.document
        if outcome.snapshot_id is None or doc.id in seen_docs:
            continue
        seen_docs.add(doc.id)
        decl = _declaration(settings, doc)
        snapshot = snapshots.get(outcome.snapshot_id)
        if decl is None or snapshot is None:
            continue
        previous = latest.get(doc.id)
        todo.append((outcome, partial(_snapshot_job, snapshot, decl, previous)))
    return todo


@dataclass(frozen=True)
class Prepared:
    """Everything a stored fetch needs that is pure computation, done before any write."""

    analysis: Analysis
    change: ChangeAnalysis | None = None


def _prepare(
    session: Session,
    settings: Settings,
    outcomes: list[FetchOutcome],
    latest: dict[int, Version],
    snapshots: dict[int, Snapshot],
    mapper: Mapper = map,
    early: dict[int, tuple[int | None, Analysis]] | None = None,
) -> dict[int, Prepared]:
    """Extract, diff and detect for a batch while holding no write lock.

    Why: SQLite has one writer. The batch's transaction takes the write lock at its first
    INSERT and keeps it until commit, so CPU work done between writes stalls the crawl
    child's inserts (measured: child and parent then take turns, one core idle). Reads here
    take no lock; the writes that follow are quick. ``mapper`` runs the pure work (``map``,
    or a process pool's ``map`` to use the other cores). ``early``: analyses computed ahead
    (see :func:`process_pending`), used only if the latest version is still the one they
    were computed against.
    """
    early = early or {}
    found: dict[int, Analysis] = {}
    redo: list[tuple[FetchOutcome, Callable[[], SnapshotJob]]] = []
    todo = _jobs(settings, outcomes, latest, snapshots)
    for outcome, job in todo:
        previous = latest.get(outcome.document_id)
        basis, analysis = early.get(outcome.id, (-1, None))
        if analysis is not None and basis == (previous.id if previous else None):
            found[outcome.id] = analysis
        else:
            redo.append((outcome, job))
    found.update(
        zip([o.id for o, _ in redo], mapper(analyse_job, [job() for _, job in redo]), strict=True)
    )
    changed: list[tuple[int, tuple[str, str, tuple[str, ...]]]] = []
    for outcome, _ in todo:
        previous = latest.get(outcome.document_id)
        text = found[outcome.id].text
        if (
            text is not None
            and previous is not None
            and text != previous.text
            and not _suspicious_shrink(previous.text, text)
        ):
            earlier = _earlier_texts(session, outcome.document_id, previous)
            changed.append((outcome.id, (previous.text, text, earlier)))
    changes = dict(
        zip(
            [oid for oid, _ in changed],
            mapper(analyse_change_job, [a for _, a in changed]),
            strict=True,
        )
    )
    return {oid: Prepared(analysis, changes.get(oid)) for oid, analysis in found.items()}


def _snapshot_job(
    snapshot: Snapshot, decl: DocumentDeclaration, latest: Version | None
) -> SnapshotJob:
    blob = snapshot.blob
    return SnapshotJob(
        data=blob.data,
        compression=blob.compression,
        url=snapshot.final_url or snapshot.url,
        content_type=snapshot.content_type,
        decl=decl,
        latest_fingerprint=latest.fingerprint if latest is not None else None,
    )


def _declaration(settings: Settings, doc: Document) -> DocumentDeclaration | None:
    service = settings.declarations.get(doc.service)
    return service.document(doc.kind) if service else None


def _analyse_snapshot(
    snapshot: Snapshot, decl: DocumentDeclaration, latest: Version | None
) -> Analysis:
    return analyse_job(_snapshot_job(snapshot, decl, latest))


def _process_isolated(
    maker: sessionmaker[Session], settings: Settings, oid: int
) -> list[Processed]:
    try:
        with maker() as session, session.begin():
            return _process_batch(session, settings, [oid])
    except Exception as exc:  # noqa: BLE001 - recorded on the outcome, never silently lost
        if _database_error(exc):
            raise
        log.exception("processing fetch %s failed", oid)
        from monitor.secrets import redact

        with maker() as session, session.begin():
            outcome = session.get(FetchOutcome, oid)
            if outcome is None or outcome.outcome != "pending":
                return []
            detail = redact(
                f"{outcome.document.key}: policywatch could not process this fetch "
                f"({type(exc).__name__}: {exc}); please report it — the previous version stands"
            )[:1000]
            _fail(session, settings, outcome, "internal-error", detail)
            if outcome.snapshot_id:
                store.mark_snapshot_processed(session, outcome.snapshot_id)
            return [Processed(outcome.document.key, "failed", "internal-error", detail)]


def process_outcome(
    session: Session,
    settings: Settings,
    outcome: FetchOutcome,
    latest: dict[int, Version] | None = None,
    snapshots: dict[int, Snapshot] | None = None,
    prepared: Prepared | None = None,
) -> None:
    """Turn one pending outcome into its final state; ``latest`` caches each document's
    latest version across a batch (and is updated when a version is added); ``prepared``
    is what :func:`_prepare` computed for it, if anything."""
    if latest is None:
        latest = store.latest_versions(session, {outcome.document_id})
    doc = outcome.document
    decl = _declaration(settings, doc)
    if decl is None:
        _fail(
            session,
            settings,
            outcome,
            "undeclared",
            f"{doc.key} is no longer declared; its fetch was not processed",
        )
        return
    if outcome.snapshot_id is None:
        if outcome.http_status == 304 and outcome.reason is None:
            outcome.outcome = "unchanged"
            _succeeded(session, settings, doc)
        else:
            _fail(
                session,
                settings,
                outcome,
                outcome.reason or "transient",
                outcome.detail or f"{doc.key}: fetch failed",
            )
        return
    snapshot = (snapshots or {}).get(outcome.snapshot_id) or session.get(
        Snapshot, outcome.snapshot_id
    )
    assert snapshot is not None
    try:
        previous = latest.get(doc.id)
        if prepared is None:
            prepared = Prepared(_analyse_snapshot(snapshot, decl, previous))
        version = apply_analysis(
            session, settings, outcome, doc, snapshot, previous, prepared.analysis, prepared.change
        )
        if version is not None:
            latest[doc.id] = version
    finally:
        snapshot.processed_at = utcnow()


def apply_analysis(
    session: Session,
    settings: Settings,
    outcome: FetchOutcome,
    doc: Document,
    snapshot: Snapshot,
    latest: Version | None,
    found: Analysis,
    change: ChangeAnalysis | None = None,
) -> Version | None:
    """Record what :func:`analyse` found: unchanged, failed, held, or a new version
    (``change``: its diff and findings against ``latest``, when already computed)."""
    snapshot.fingerprint = found.fingerprint
    if found.failure is not None:
        reason, message = found.failure
        _fail(session, settings, outcome, reason, f"{doc.key}: {message}")
        return None
    text = found.text
    if latest is not None and (text is None or text == latest.text):
        if found.fingerprint is not None:
            latest.fingerprint = found.fingerprint
        outcome.outcome = "unchanged"
        outcome.version = latest
        doc.held_text_sha256 = None
        _succeeded(session, settings, doc)
        return None
    assert text is not None
    if latest is not None and _suspicious_shrink(latest.text, text):
        digest = found.text_sha256 or store.sha256_hex(text.encode("utf-8"))
        if doc.held_text_sha256 != digest:
            doc.held_text_sha256 = digest
            _fail(
                session,
                settings,
                outcome,
                "suspicious-shrink",
                f"{doc.key}: the text shrank from {len(latest.text)} to {len(text)} characters; "
                "held as unconfirmed until the next fetch returns the same text "
                "(a half-loaded page must not read as 'policy deleted')",
                count_failure=False,
            )
            return None
    doc.held_text_sha256 = None
    version = store.add_version(
        session,
        document=doc,
        previous=latest,
        text=text,
        snapshot=snapshot,
        fetched_at=snapshot.fetched_at,
        fingerprint=found.fingerprint,
        effective_date=found.effective_date,
        flush=False,
        text_sha256=found.text_sha256,
    )
    record_change(session, settings, doc, latest, version, analysed=change)
    outcome.outcome = "new" if latest is None else "changed"
    outcome.version = version
    _succeeded(session, settings, doc)
    return version


def analyse_change(
    session: Session, document_id: int, previous: Version, new_text: str
) -> ChangeAnalysis:
    """Diff and detect against the previous version (reads earlier versions, writes nothing)."""
    return analyse_change_texts(
        previous.text, new_text, _earlier_texts(session, document_id, previous)
    )


def _earlier_texts(session: Session, document_id: int, previous: Version) -> tuple[str, ...]:
    return tuple(
        store.earlier_texts(session, document_id, before=previous.number, limit=EARLIER_VERSIONS)
    )


def record_change(
    session: Session,
    settings: Settings,
    doc: Document,
    previous,
    version,
    *,
    technical: bool = False,
    analysed: ChangeAnalysis | None = None,
) -> Change:
    """Diff, classify, detect and queue alerts for a new version, in the caller's transaction
    (``analysed``: the diff and findings, when computed before the transaction wrote)."""
    if previous is None:
        change = Change(
            document_id=doc.id,
            to_version=version,
            change_class="first",
            added_chars=len(version.text),
            removed_chars=0,
            technical=technical,
            baseline_pending=True,
        )
        found: tuple = ()
    else:
        if analysed is None:
            analysed = analyse_change(session, doc.id, previous, version.text)
        change = Change(
            document_id=doc.id,
            from_version=previous,
            to_version=version,
            change_class=analysed.change_class,
            added_chars=analysed.added_chars,
            removed_chars=analysed.removed_chars,
            technical=technical,
        )
        found = analysed.findings
    # Rows are linked through relationships and inserted at the batch's flush (one INSERT
    # per table for the batch, not three round trips per version).
    change.findings = finding_rows(None, found)
    session.add(change)
    if settings.notify and not technical:
        from monitor.outbox import enqueue_for_change

        session.flush()  # the outbox rows name the change by id
        enqueue_for_change(session, settings, change)
    return change


def finding_rows(change_id: int | None, found) -> list[Finding]:
    """ORM rows for the pure detector's findings of one change."""
    return [
        Finding(
            change_id=change_id,
            kind=f.kind,
            category=f.category,
            severity=f.severity,
            before=f.before,
            after=f.after,
            signals=list(f.signals),
            heading_path=list(f.heading_path),
            explanation=f.explanation,
        )
        for f in found
    ]


def complete_baselines(session: Session, service: str | None = None) -> int:
    """Compute the pending baseline findings of first versions; returns how many were done."""
    from monitor.findings import baseline_findings

    done = 0
    for change in store.pending_baselines(session, service):
        session.add_all(finding_rows(change.id, baseline_findings(change.to_version.text)))
        change.baseline_pending = False
        done += 1
    return done


def _suspicious_shrink(previous: str, new: str) -> bool:
    return len(previous) >= SHRINK_MIN_PREVIOUS and len(new) < SHRINK_RATIO * len(previous)


def _succeeded(session: Session, settings: Settings, doc: Document) -> None:
    doc.last_success_at = utcnow()
    failures = doc.consecutive_failures
    doc.consecutive_failures = 0
    if doc.tracking_broken:
        doc.tracking_broken = False
        event = TrackingEvent(document_id=doc.id, kind="resumed", failures=failures)
        _track(session, settings, event)


def _fail(
    session: Session,
    settings: Settings,
    outcome: FetchOutcome,
    reason: str,
    detail: str,
    *,
    count_failure: bool = True,
) -> None:
    doc = outcome.document
    outcome.outcome = "failed"
    outcome.reason = reason
    outcome.detail = detail
    if not count_failure:
        return
    record_failure(session, settings, doc, reason, detail)


def record_failure(
    session: Session, settings: Settings, doc: Document, reason: str, detail: str
) -> None:
    """Count a failed fetch; the N-th in a row raises exactly one 'tracking broken' event."""
    doc.consecutive_failures += 1
    doc.last_failure_reason = reason
    doc.last_failure_detail = detail
    if doc.consecutive_failures >= settings.alerts.tracking_failures and not doc.tracking_broken:
        doc.tracking_broken = True
        event = TrackingEvent(
            document_id=doc.id,
            kind="broken",
            reason=reason,
            detail=detail,
            failures=doc.consecutive_failures,
        )
        _track(session, settings, event)


def _track(session: Session, settings: Settings, event: TrackingEvent) -> None:
    session.add(event)
    session.flush()
    log.warning(
        "%s: tracking %s%s",
        event.document.key if event.document else event.document_id,
        event.kind,
        f" ({event.reason})" if event.reason else "",
    )
    if settings.notify:
        from monitor.outbox import enqueue_for_tracking

        enqueue_for_tracking(session, settings, event)


def reextract(
    maker: sessionmaker[Session],
    settings: Settings,
    service: str | None = None,
    kind: str | None = None,
) -> list[tuple[str, str]]:
    """Re-extract each document's latest successful snapshot with the current declaration.

    A differing text becomes a *technical* version (never alerts): the page did not change,
    our reading of it did. Returns (document key, result) pairs.
    """
    from sqlalchemy import select

    from monitor.extract import ExtractionFailed, extract_text, find_effective_date

    results: list[tuple[str, str]] = []
    with maker() as session:
        docs = [d for d in store.documents(session, service) if kind in (None, d.kind)]
    for doc_row in docs:
        with maker() as session, session.begin():
            doc = session.get(Document, doc_row.id)
            svc = settings.declarations.get(doc.service)
            decl = svc.document(doc.kind) if svc else None
            latest = store.latest_version(session, doc.id)
            if decl is None or latest is None:
                results.append((doc.key, "skipped (no declaration or no version)"))
                continue
            snap = session.scalar(
                select(Snapshot)
                .where(Snapshot.document_id == doc.id, Snapshot.processed_at.is_not(None))
                .order_by(Snapshot.id.desc())
                .limit(1)
            )
            if snap is None:
                results.append((doc.key, "skipped (no stored snapshot)"))
                continue
            body = store.load_body(session, snap.sha256)
            try:
                text = extract_text(
                    body,
                    url=snap.final_url,
                    content_type=snap.content_type,
                    select=decl.select,
                    remove=decl.remove,
                    min_length=decl.min_length,
                )
            except ExtractionFailed as exc:
                results.append((doc.key, f"failed: {exc.reason}: {exc.message}"))
                continue
            if text == latest.text:
                results.append((doc.key, "unchanged"))
                continue
            eff = find_effective_date(text)
            version = store.add_version(
                session,
                document=doc,
                text=text,
                snapshot=snap,
                fetched_at=utcnow(),
                fingerprint=None,
                technical=True,
                effective_date=eff.isoformat() if eff else None,
            )
            record_change(session, settings, doc, latest, version, technical=True)
            results.append((doc.key, f"technical version {version.number}"))
    return results
