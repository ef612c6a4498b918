"""The only module that issues SQL (DESIGN.md §3.6): documents, runs, snapshots, versions,
heartbeats.

Functions take a ``Session`` and never commit unless their name says so; the caller owns the
transaction, which is how the tracker keeps "version + change + findings + alerts" atomic.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor.declarations import DocumentDeclaration
from monitor.models import (
    Alert,
    Blob,
    Change,
    CrawlLock,
    CrawlRun,
    Document,
    FetchOutcome,
    Finding,
    Heartbeat,
    Snapshot,
    Version,
    utcnow,
)

T = TypeVar("T")

RUNNING = "running"
#: Outcomes of a fetch that was used: its snapshot's validators are what the next conditional
#: request sends (``conditional_headers``), which is why ``prune_snapshots`` keeps it.
SUCCESSFUL_OUTCOMES = ("new", "changed", "unchanged")
#: Ids per ``IN (...)`` list: far below SQLite's and PostgreSQL's bound-parameter limits.
_IN_CHUNK = 900


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most :data:`_IN_CHUNK`, for ``IN (...)`` lists."""
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def session_factory(engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- documents -------------------------------------------------------------------------


def ensure_document(session: Session, decl: DocumentDeclaration) -> Document:
    """Get or create the Document row for a declaration, keeping title and URL current."""
    doc = session.scalar(
        select(Document).where(Document.service == decl.service, Document.kind == decl.kind)
    )
    if doc is None:
        doc = Document(service=decl.service, kind=decl.kind, title=decl.title, url=decl.url)
        session.add(doc)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:  # created concurrently by another process
            doc = session.scalars(
                select(Document).where(Document.service == decl.service, Document.kind == decl.kind)
            ).one()
    elif doc.title != decl.title or doc.url != decl.url:
        doc.title, doc.url = decl.title, decl.url
    return doc


def ensure_documents(session: Session, decls: Sequence[DocumentDeclaration]) -> dict[str, Document]:
    """:func:`ensure_document` for many declarations: one query for those that exist (a
    1,000-document config would otherwise cost 1,000 queries before every crawl)."""
    services = sorted({d.service for d in decls})
    existing = {
        (d.service, d.kind): d
        for d in session.scalars(select(Document).where(Document.service.in_(services)))
    }
    missing = [d for d in decls if (d.service, d.kind) not in existing]
    if missing:
        created = [
            Document(service=d.service, kind=d.kind, title=d.title, url=d.url) for d in missing
        ]
        try:
            with session.begin_nested():  # one INSERT for all (a first crawl of many)
                session.add_all(created)
                session.flush()
        except IntegrityError:  # another process created some: one by one, as it allows
            created = [ensure_document(session, d) for d in missing]
        existing.update(((d.service, d.kind), doc) for d, doc in zip(missing, created, strict=True))
    out: dict[str, Document] = {}
    for decl in decls:
        doc = existing[(decl.service, decl.kind)]
        if doc.title != decl.title or doc.url != decl.url:
            doc.title, doc.url = decl.title, decl.url
        out[decl.key] = doc
    session.flush()
    return out


def find_document(session: Session, service: str, kind: str) -> Document | None:
    return session.scalar(
        select(Document).where(Document.service == service, Document.kind == kind)
    )


def documents(session: Session, service: str | None = None) -> list[Document]:
    q = select(Document).order_by(Document.service, Document.kind)
    if service:
        q = q.where(Document.service == service)
    return list(session.scalars(q))


# --- runs ------------------------------------------------------------------------------


def start_run(session: Session, services: Sequence[str], trigger: str = "cli") -> CrawlRun:
    run = CrawlRun(services=",".join(services), trigger=trigger, pid=os.getpid(), status=RUNNING)
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run: CrawlRun, status: str, error: str | None = None) -> None:
    run.status = status
    run.finished_at = utcnow()
    if error:
        run.error = error


def mark_interrupted_runs(session: Session, *, except_run: int | None = None) -> int:
    """Runs left ``running`` by a crash (their process is gone) become ``interrupted``."""
    count = 0
    for run in session.scalars(select(CrawlRun).where(CrawlRun.status == RUNNING)):
        if run.id == except_run:
            continue
        if run.pid and run.pid != os.getpid() and _pid_alive(run.pid):
            continue
        run.status = "interrupted"
        run.finished_at = utcnow()
        run.error = (run.error or "") + "process ended before the run finished"
        count += 1
    return count


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- crawl lock --------------------------------------------------------------------------


@dataclass(frozen=True)
class LockHolder:
    holder: str
    pid: int
    acquired_at: datetime


def acquire_crawl_lock(
    maker: sessionmaker[Session], ttl: timedelta, name: str = "crawl"
) -> LockHolder | None:
    """Take the crawl lease; returns None on success, or who holds it.

    A lease whose process is gone (same host) or whose time ran out is taken over, so a
    SIGKILLed crawl never blocks the next one.
    """
    me = f"{socket.gethostname()}:{os.getpid()}"
    now = utcnow()
    with maker() as session, session.begin():
        row = session.get(CrawlLock, name, with_for_update=True)
        if row is not None:
            same_host = row.holder.split(":", 1)[0] == socket.gethostname()
            stale = row.expires_at < now or (same_host and not _pid_alive(row.pid))
            if not stale and row.pid != os.getpid():
                return LockHolder(row.holder, row.pid, row.acquired_at)
            session.delete(row)
            session.flush()
        session.add(CrawlLock(name=name, holder=me, pid=os.getpid(), expires_at=now + ttl))
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return LockHolder("another process", 0, now)
    return None


def wait_for_crawl_lock(
    maker: sessionmaker[Session], ttl: timedelta, wait: float
) -> LockHolder | None:
    """:func:`acquire_crawl_lock`, asked again every second for up to ``wait`` seconds;
    None once this process holds the lease, else who still held it when the wait ran out."""
    import time

    deadline = time.monotonic() + wait
    while (holder := acquire_crawl_lock(maker, ttl)) is not None:
        if time.monotonic() >= deadline:
            return holder
        time.sleep(1.0)
    return None


def release_crawl_lock(maker: sessionmaker[Session], name: str = "crawl") -> None:
    with maker() as session, session.begin():
        row = session.get(CrawlLock, name)
        if row is not None and row.pid == os.getpid():
            session.delete(row)


# --- snapshots ---------------------------------------------------------------------------


def existing_blobs(session: Session, digests: Iterable[str]) -> set[str]:
    wanted = list(set(digests))
    if not wanted:
        return set()
    return set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(wanted))))


@dataclass(frozen=True)
class FetchRecord:
    """One fetch as the crawl child reports it: a body to keep (a snapshot), or a failure."""

    document_id: int
    http_status: int | None
    url: str = ""
    final_url: str = ""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body: bytes | None = None  # None: nothing to keep (a failure, or 304 Not Modified)
    reason: str | None = None  # set for a failure
    detail: str | None = None


def record_fetches(session: Session, run_id: int, records: Sequence[FetchRecord]) -> None:
    """Store a batch of fetches as pending outcomes, their snapshots and new blobs.

    Why bulk statements instead of ORM objects: this runs in the crawl child, once per page,
    on the same core as the downloads; one INSERT per table per batch (ids of the new
    snapshots come back in parameter order) costs a fraction of the unit of work's per-object
    bookkeeping.
    """
    from sqlalchemy import insert

    digests = {i: sha256_hex(r.body) for i, r in enumerate(records) if r.body is not None}
    known = existing_blobs(session, digests.values())
    blobs = []
    for i, digest in digests.items():
        if digest not in known:
            body = records[i].body
            assert body is not None
            blobs.append(_blob_row(body, digest))
            known.add(digest)
    if blobs:
        session.execute(insert(Blob), blobs)
    now = utcnow()
    snapshot_ids: dict[int, int] = {}
    if digests:
        rows = [
            {
                "document_id": records[i].document_id,
                "run_id": run_id,
                "url": records[i].url,
                "final_url": records[i].final_url,
                "status": records[i].http_status,
                "content_type": records[i].content_type,
                "etag": records[i].etag,
                "last_modified": records[i].last_modified,
                "sha256": digest,
                "fetched_at": now,
            }
            for i, digest in digests.items()
        ]
        ids = session.scalars(
            insert(Snapshot).returning(Snapshot.id, sort_by_parameter_order=True), rows
        ).all()
        snapshot_ids = dict(zip(digests, ids, strict=True))
    session.execute(
        insert(FetchOutcome),
        [
            {
                "run_id": run_id,
                "document_id": r.document_id,
                "outcome": "pending",
                "reason": r.reason,
                "detail": r.detail,
                "http_status": r.http_status,
                "snapshot_id": snapshot_ids.get(i),
                "at": now,
            }
            for i, r in enumerate(records)
        ],
    )


def _blob_row(body: bytes, digest: str) -> dict[str, object]:
    """A raw body row, compressed with :mod:`monitor.codec`'s default (see why there)."""
    from monitor import codec

    name, data = codec.compress(body)
    return {"sha256": digest, "size": len(body), "compression": name, "data": data}


def load_body(session: Session, sha256: str) -> bytes:
    blob = session.get(Blob, sha256)
    if blob is None:
        raise LookupError(f"raw body {sha256[:12]} is missing from the database")
    return blob_bytes(blob)


def blob_bytes(blob: Blob) -> bytes:
    from monitor import codec

    return codec.decompress(blob.compression, blob.data)


def conditional_headers(session: Session, document_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """ETag / Last-Modified of the latest snapshot whose fetch *succeeded*, per document.

    Sites send validators on walls and error pages too; offering a failed page's ETag would
    turn "the wall is still there" (304) into "unchanged". So only a snapshot whose outcome
    was new, changed or unchanged qualifies.
    """
    out: dict[int, dict[str, str]] = {}
    ids = list(document_ids)
    for chunk in _chunks(ids):
        newest = (
            select(func.max(FetchOutcome.id))
            .where(
                FetchOutcome.document_id.in_(chunk),
                FetchOutcome.snapshot_id.is_not(None),
                FetchOutcome.outcome.in_(SUCCESSFUL_OUTCOMES),
            )
            .group_by(FetchOutcome.document_id)
        )
        rows = session.execute(
            select(FetchOutcome.document_id, Snapshot.etag, Snapshot.last_modified)
            .join(Snapshot, FetchOutcome.snapshot_id == Snapshot.id)
            .where(FetchOutcome.id.in_(newest))
        )
        for doc_id, etag, last_modified in rows:
            headers = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            if headers:
                out[doc_id] = headers
    return out


# --- pruning -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PruneReport:
    """What :func:`prune_snapshots` removed (or would remove)."""

    snapshots: int
    blobs: int
    stored_bytes: int  # compressed bytes of the removed bodies


def prune_snapshots(session: Session, before: datetime, *, dry_run: bool = False) -> PruneReport:
    """Remove processed snapshots fetched before ``before`` that nothing needs any more, and the
    bodies no other snapshot shares.

    Why: a page with a CSRF token or a timestamp gives a new raw body at every fetch (~30-40 KB
    compressed), so a year of fetches every six hours of 1000 such pages is ~50 GB, almost all
    of it snapshots whose text equals a version's. Kept, always: the snapshot of every version
    (``reextract`` and "what did the site really serve" need it), each document's newest
    snapshot, the snapshot of its newest successful fetch (its ETag/Last-Modified are what the
    next conditional request sends: an older one could turn a reverted page into a false
    "unchanged"), and anything not yet processed. The fetch outcomes of removed snapshots stay,
    without their snapshot.
    """
    from collections import Counter

    from sqlalchemy import delete, exists, union

    keep = union(
        select(Version.snapshot_id).where(Version.snapshot_id.is_not(None)),
        select(func.max(Snapshot.id)).group_by(Snapshot.document_id),
        select(FetchOutcome.snapshot_id).where(
            FetchOutcome.id.in_(
                select(func.max(FetchOutcome.id))
                .where(
                    FetchOutcome.snapshot_id.is_not(None),
                    FetchOutcome.outcome.in_(SUCCESSFUL_OUTCOMES),
                )
                .group_by(FetchOutcome.document_id)
            )
        ),
    ).subquery()
    rows = session.execute(
        select(Snapshot.id, Snapshot.sha256)
        .where(
            Snapshot.fetched_at < before,
            Snapshot.processed_at.is_not(None),
            Snapshot.id.not_in(select(keep.c[0]).where(keep.c[0].is_not(None))),
        )
        .order_by(Snapshot.id)
    ).all()
    ids = [snapshot_id for snapshot_id, _ in rows]
    # a body goes only when every snapshot that shares it goes
    pruned_refs = Counter(digest for _, digest in rows)
    digests = sorted(pruned_refs)
    all_refs: dict[str, int] = {}
    for chunk in _chunks(digests):
        for digest, count in session.execute(
            select(Snapshot.sha256, func.count())
            .where(Snapshot.sha256.in_(chunk))
            .group_by(Snapshot.sha256)
        ):
            all_refs[digest] = count
    orphaned = [d for d in digests if all_refs.get(d) == pruned_refs[d]]
    stored = 0
    for chunk in _chunks(orphaned):
        stored += session.scalar(
            select(func.coalesce(func.sum(func.length(Blob.data)), 0)).where(Blob.sha256.in_(chunk))
        )
    if not dry_run:
        for chunk in _chunks(ids):
            session.execute(
                update(FetchOutcome)
                .where(FetchOutcome.snapshot_id.in_(chunk))
                .values(snapshot_id=None)
            )
            session.execute(delete(Snapshot).where(Snapshot.id.in_(chunk)))
        for chunk in _chunks(orphaned):
            session.execute(
                delete(Blob).where(
                    Blob.sha256.in_(chunk), ~exists().where(Snapshot.sha256 == Blob.sha256)
                )
            )
    return PruneReport(len(ids), len(orphaned), int(stored))


# --- outcomes ----------------------------------------------------------------------------


def add_outcome(
    session: Session,
    *,
    run_id: int,
    document_id: int,
    outcome: str = "pending",
    reason: str | None = None,
    detail: str | None = None,
    http_status: int | None = None,
    snapshot_id: int | None = None,
) -> FetchOutcome:
    row = FetchOutcome(
        run_id=run_id,
        document_id=document_id,
        outcome=outcome,
        reason=reason,
        detail=detail,
        http_status=http_status,
        snapshot_id=snapshot_id,
    )
    session.add(row)
    return row


def pending_outcome_ids(
    session: Session, run_id: int | None = None, *, after: int = 0, limit: int | None = None
) -> list[int]:
    q = (
        select(FetchOutcome.id)
        .where(FetchOutcome.outcome == "pending", FetchOutcome.id > after)
        .order_by(FetchOutcome.id)
    )
    if run_id is not None:
        q = q.where(FetchOutcome.run_id == run_id)
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


def pending_outcomes(session: Session, ids: Sequence[int]) -> list[FetchOutcome]:
    """Still-pending outcomes with their documents, in id order (one query)."""
    from sqlalchemy.orm import joinedload

    return list(
        session.scalars(
            select(FetchOutcome)
            .options(joinedload(FetchOutcome.document))
            .where(FetchOutcome.id.in_(ids), FetchOutcome.outcome == "pending")
            .order_by(FetchOutcome.id)
        )
    )


def load_snapshots(
    session: Session, ids: Sequence[int], *, with_blobs: bool = True
) -> list[Snapshot]:
    """Snapshots (with their blobs, unless not needed) in one query, so later
    ``session.get`` calls hit the map."""
    from sqlalchemy.orm import joinedload

    if not ids:
        return []
    query = select(Snapshot).where(Snapshot.id.in_(ids))
    if with_blobs:
        query = query.options(joinedload(Snapshot.blob))
    return list(session.scalars(query))


def latest_versions(session: Session, document_ids: Iterable[int]) -> dict[int, Version]:
    """Each document's latest version (text deferred) in one query."""
    ids = list(document_ids)
    if not ids:
        return {}
    newest = (
        select(Version.document_id, func.max(Version.number).label("n"))
        .where(Version.document_id.in_(ids))
        .group_by(Version.document_id)
        .subquery()
    )
    rows = session.scalars(
        select(Version).join(
            newest, (Version.document_id == newest.c.document_id) & (Version.number == newest.c.n)
        )
    )
    return {v.document_id: v for v in rows}


def run_outcomes(session: Session, run_id: int) -> list[FetchOutcome]:
    """A run's outcomes with their documents (every caller names them: loaded in the same
    query, not one query per outcome at the end of a long crawl)."""
    from sqlalchemy.orm import joinedload

    return list(
        session.scalars(
            select(FetchOutcome)
            .where(FetchOutcome.run_id == run_id)
            .options(joinedload(FetchOutcome.document))
            .order_by(FetchOutcome.id)
        )
    )


def runs(session: Session, limit: int = 20) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)))


# --- versions, changes, findings ---------------------------------------------------------


def latest_version(session: Session, document_id: int) -> Version | None:
    return session.scalar(
        select(Version)
        .where(Version.document_id == document_id)
        .order_by(Version.number.desc())
        .limit(1)
    )


def version_by_number(session: Session, document_id: int, number: int) -> Version | None:
    return session.scalar(
        select(Version).where(Version.document_id == document_id, Version.number == number)
    )


def version_at(session: Session, document_id: int, when: datetime) -> Version | None:
    """The version in force at ``when``: the latest fetched at or before it."""
    return session.scalar(
        select(Version)
        .where(Version.document_id == document_id, Version.fetched_at <= when)
        .order_by(Version.number.desc())
        .limit(1)
    )


def add_version(
    session: Session,
    *,
    document: Document,
    previous: Version | None,
    text: str,
    snapshot: Snapshot | None,
    fetched_at: datetime,
    fingerprint: str | None,
    technical: bool = False,
    effective_date: str | None = None,
    flush: bool = True,
    text_sha256: str | None = None,
) -> Version:
    """A new version row; ``flush=False`` leaves the INSERT to the next flush, so that a
    batch's versions go to the database together (link rows through relationships then,
    since the id is not known yet). ``text_sha256``: the text's digest when the caller has
    it already (a worker computed it)."""
    version = Version(
        document_id=document.id,
        number=(previous.number + 1) if previous else 1,
        snapshot_id=snapshot.id if snapshot else None,
        fetched_at=fetched_at,
        text=text,
        text_sha256=text_sha256 or sha256_hex(text.encode("utf-8")),
        fingerprint=fingerprint,
        technical=technical,
        effective_date=effective_date,
    )
    session.add(version)
    if flush:
        session.flush()
    return version


def history(
    session: Session, service: str, kind: str | None = None, limit: int | None = None
) -> list[tuple[Document, Version, Change | None]]:
    """Versions of a service (or one document), newest first, with their change row."""
    q = (
        select(Document, Version, Change)
        .join(Version, Version.document_id == Document.id)
        .outerjoin(Change, Change.to_version_id == Version.id)
        .where(Document.service == service)
        .order_by(Version.fetched_at.desc(), Version.id.desc())
    )
    if kind:
        q = q.where(Document.kind == kind)
    if limit:
        q = q.limit(limit)
    return [tuple(row) for row in session.execute(q)]  # type: ignore[misc]


def changes_since(
    session: Session, since: datetime | None = None, service: str | None = None, limit: int = 200
) -> list[tuple[Change, Document, Version | None, Version]]:
    from sqlalchemy.orm import aliased

    v_from, v_to = aliased(Version), aliased(Version)
    q = (
        select(Change, Document, v_from, v_to)
        .join(Document, Change.document_id == Document.id)
        .outerjoin(v_from, Change.from_version_id == v_from.id)
        .join(v_to, Change.to_version_id == v_to.id)
        .where(Change.from_version_id.is_not(None))
        .order_by(Change.detected_at.desc(), Change.id.desc())
        .limit(limit)
    )
    if since:
        q = q.where(Change.detected_at >= since)
    if service:
        q = q.where(Document.service == service)
    return [tuple(r) for r in session.execute(q)]  # type: ignore[misc]


def findings(
    session: Session,
    *,
    service: str | None = None,
    since: datetime | None = None,
    include_baseline: bool = False,
    limit: int = 500,
) -> list[tuple[Finding, Change, Document, Version]]:
    q = (
        select(Finding, Change, Document, Version)
        .join(Change, Finding.change_id == Change.id)
        .join(Document, Change.document_id == Document.id)
        .join(Version, Change.to_version_id == Version.id)
        .order_by(Change.detected_at.desc(), Finding.id)
        .limit(limit)
    )
    if service:
        q = q.where(Document.service == service)
    if since:
        q = q.where(Change.detected_at >= since)
    if not include_baseline:
        q = q.where(Finding.kind != "present")
    return [tuple(r) for r in session.execute(q)]  # type: ignore[misc]


def pending_baselines(session: Session, service: str | None = None) -> list[Change]:
    q = select(Change).where(Change.baseline_pending.is_(True)).order_by(Change.id)
    if service:
        q = q.join(Document, Change.document_id == Document.id).where(Document.service == service)
    return list(session.scalars(q))


def version_texts(session: Session, document_id: int) -> list[tuple[int, str]]:
    """(number, text) of every version of a document, oldest first (for clause timelines)."""
    rows = session.execute(
        select(Version.number, Version.text)
        .where(Version.document_id == document_id)
        .order_by(Version.number)
    )
    return [(n, t) for n, t in rows]


def earlier_texts(session: Session, document_id: int, *, before: int, limit: int) -> list[str]:
    """Texts of up to ``limit`` versions numbered below ``before``, newest first."""
    return list(
        session.scalars(
            select(Version.text)
            .where(Version.document_id == document_id, Version.number < before)
            .order_by(Version.number.desc())
            .limit(limit)
        )
    )


def version_dates(session: Session, document_id: int) -> dict[int, datetime]:
    rows = session.execute(
        select(Version.number, Version.fetched_at).where(Version.document_id == document_id)
    )
    return {n: at for n, at in rows}


def count_versions(session: Session, document_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Version).where(Version.document_id == document_id)
        )
        or 0
    )


def mark_snapshot_processed(session: Session, snapshot_id: int) -> None:
    session.execute(
        update(Snapshot).where(Snapshot.id == snapshot_id).values(processed_at=utcnow())
    )


# --- heartbeats and status ---------------------------------------------------------------


def add_heartbeat(
    maker,
    *,
    ok: bool,
    detail: str,
    run_id: int | None = None,
    next_run_at: datetime | None = None,
    at: datetime | None = None,
) -> None:
    with maker() as session, session.begin():
        session.add(
            Heartbeat(
                at=at or utcnow(), run_id=run_id, ok=ok, next_run_at=next_run_at, detail=detail
            )
        )


def latest_heartbeat(session: Session, *, announced: bool = False) -> Heartbeat | None:
    """The newest heartbeat; ``announced``: the newest that announced its next run."""
    conditions = (Heartbeat.next_run_at.is_not(None),) if announced else ()
    return _latest_heartbeat(session, *conditions)


def _latest_heartbeat(session: Session, *conditions) -> Heartbeat | None:
    return session.scalar(
        select(Heartbeat).where(*conditions).order_by(Heartbeat.id.desc()).limit(1)
    )


def last_scheduled_run_start(session: Session) -> datetime | None:
    return session.scalar(
        select(CrawlRun.started_at)
        .where(CrawlRun.trigger == "schedule")
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class FailingDocument:
    service: str
    document: str
    consecutive_failures: int
    reason: str | None
    detail: str | None
    tracking_broken: bool
    last_success_at: datetime | None


@dataclass(frozen=True)
class RunSummary:
    run: int
    status: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    outcomes: dict[str, int]
    error: str | None


@dataclass(frozen=True)
class StatusData:
    """What ``policywatch status`` reports, read in one session."""

    last_heartbeat: Heartbeat | None
    last_cycle: Heartbeat | None
    last_ok_cycle: Heartbeat | None
    last_run: RunSummary | None
    failing: list[FailingDocument] = field(default_factory=list)
    alerts: dict[str, int] = field(default_factory=dict)


def read_status(maker) -> StatusData:
    with maker() as session:
        latest = _latest_heartbeat(session)
        cycle = _latest_heartbeat(
            session, or_(Heartbeat.run_id.is_not(None), Heartbeat.ok.is_(False))
        )
        ok_cycle = _latest_heartbeat(session, Heartbeat.run_id.is_not(None), Heartbeat.ok.is_(True))
        run = session.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
        summary = None
        if run is not None:
            counts: dict[str, int] = {}
            for o in run_outcomes(session, run.id):
                counts[o.outcome] = counts.get(o.outcome, 0) + 1
            summary = RunSummary(
                run.id, run.status, run.trigger, run.started_at, run.finished_at, counts, run.error
            )
        failing = [
            FailingDocument(
                d.service,
                d.kind,
                d.consecutive_failures,
                d.last_failure_reason,
                d.last_failure_detail,
                d.tracking_broken,
                d.last_success_at,
            )
            for d in session.scalars(
                select(Document)
                .where(or_(Document.consecutive_failures > 0, Document.tracking_broken.is_(True)))
                .order_by(Document.service, Document.kind)
            )
        ]
        alerts = dict(
            session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()
        )
    return StatusData(latest, cycle, ok_cycle, summary, failing, alerts)
