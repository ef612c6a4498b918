"""The only module that issues SQL (DESIGN.md §3.6): documents, runs, snapshots, versions.

Functions take a ``Session`` and never commit unless their name says so; the caller owns the
transaction, which is how the tracker keeps "version + change + findings + alerts" atomic.
"""

from __future__ import annotations

import hashlib
import os
import socket
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor.declarations import DocumentDeclaration
from monitor.models import (
    Blob,
    Change,
    CrawlLock,
    CrawlRun,
    Document,
    FetchOutcome,
    Finding,
    Snapshot,
    Version,
    utcnow,
)

RUNNING = "running"


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


def new_blob(body: bytes, digest: str) -> Blob:
    """A raw body row, zlib level 1: most of the saving of level 6 at a third of the CPU,
    which the crawl child pays per page."""
    return Blob(sha256=digest, size=len(body), data=zlib.compress(body, 1))


def load_body(session: Session, sha256: str) -> bytes:
    blob = session.get(Blob, sha256)
    if blob is None:
        raise LookupError(f"raw body {sha256[:12]} is missing from the database")
    return blob_bytes(blob)


def blob_bytes(blob: Blob) -> bytes:
    return zlib.decompress(blob.data) if blob.compression == "zlib" else blob.data


def conditional_headers(session: Session, document_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """ETag / Last-Modified of the latest snapshot whose fetch *succeeded*, per document.

    Sites send validators on walls and error pages too; offering a failed page's ETag would
    turn "the wall is still there" (304) into "unchanged". So only a snapshot whose outcome
    was new, changed or unchanged qualifies.
    """
    out: dict[int, dict[str, str]] = {}
    for doc_id in document_ids:
        snap = session.scalar(
            select(Snapshot)
            .join(FetchOutcome, FetchOutcome.snapshot_id == Snapshot.id)
            .where(
                FetchOutcome.document_id == doc_id,
                FetchOutcome.outcome.in_(("new", "changed", "unchanged")),
            )
            .order_by(FetchOutcome.id.desc())
            .limit(1)
        )
        if snap is None:
            continue
        headers = {}
        if snap.etag:
            headers["If-None-Match"] = snap.etag
        if snap.last_modified:
            headers["If-Modified-Since"] = snap.last_modified
        if headers:
            out[doc_id] = headers
    return out


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


def load_snapshots(session: Session, ids: Sequence[int]) -> list[Snapshot]:
    """Snapshots with their blobs in one query, so later ``session.get`` calls hit the map."""
    from sqlalchemy.orm import joinedload

    if not ids:
        return []
    return list(
        session.scalars(
            select(Snapshot).options(joinedload(Snapshot.blob)).where(Snapshot.id.in_(ids))
        )
    )


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
    return list(
        session.scalars(
            select(FetchOutcome).where(FetchOutcome.run_id == run_id).order_by(FetchOutcome.id)
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
) -> Version:
    version = Version(
        document_id=document.id,
        number=(previous.number + 1) if previous else 1,
        snapshot_id=snapshot.id if snapshot else None,
        fetched_at=fetched_at,
        text=text,
        text_sha256=sha256_hex(text.encode("utf-8")),
        fingerprint=fingerprint,
        technical=technical,
        effective_date=effective_date,
    )
    session.add(version)
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
