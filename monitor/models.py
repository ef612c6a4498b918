"""SQLAlchemy 2.x schema, in the vocabulary of DESIGN.md §2.

Why these tables:
- ``blobs`` hold raw bodies once per sha256, compressed (``monitor.codec``): the same page
  fetched every six hours costs one row, and ``reextract`` can rebuild history from what the
  site really served.
- ``snapshots`` are immutable fetch records pointing at a blob; ``processed_at IS NULL`` marks
  the ones the parent has not turned into versions yet (the crawl child only stores these).
- ``versions`` exist only when the extracted text changed; ``changes`` link consecutive
  versions (the first version gets a ``first`` change so history has one row per version).
- ``findings`` are the AI-clause events of a change; ``alerts`` are the outbox, unique per
  (change or tracking event, channel) so a rerun never double-sends.
- ``fetch_outcomes`` record one outcome per document per run, failures included, so a failed
  fetch is never lost and never becomes a version.

The schema is built only through Alembic (migrations/); a test compares it with these models.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false as sa_false

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Document(Base):
    """One tracked text (``service/kind``) and its tracking health."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("service", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_failure_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    tracking_broken: Mapped[bool] = mapped_column(Boolean, default=False)
    # sha256 of a suspiciously shorter text held back until a second fetch confirms it.
    held_text_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    @property
    def key(self) -> str:
        return f"{self.service}/{self.kind}"


class Blob(Base):
    """A raw body, stored once per sha256 and compressed."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    compression: Mapped[str] = mapped_column(String(16), default="zlib")
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CrawlRun(Base):
    """One execution of the crawl for one or more services."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # running | ok | partial | failed | interrupted
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    services: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(String(16), default="cli")
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    stats: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    outcomes: Mapped[list[FetchOutcome]] = relationship(
        back_populates="run", order_by="FetchOutcome.id"
    )


class Snapshot(Base):
    """The raw result of one successful HTTP fetch; immutable."""

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_pending", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    etag: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    document: Mapped[Document] = relationship()
    blob: Mapped[Blob] = relationship()


class Version(Base):
    """Normalised text of a Document; a new row only when the text changed."""

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        # `history SERVICE --limit N`: newest versions of a service's documents first
        Index("ix_versions_doc_fetched", "document_id", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    number: Mapped[int] = mapped_column(Integer)
    # indexed: removing a snapshot (``db prune``) checks that no version refers to it
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("snapshots.id"), nullable=True, index=True
    )
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Deferred: listings of thousands of versions must not load every policy text.
    text: Mapped[str] = mapped_column(Text, deferred=True)
    text_sha256: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    technical: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_date: Mapped[str | None] = mapped_column(String(10), nullable=True)

    document: Mapped[Document] = relationship()


class Change(Base):
    """The diff between two consecutive Versions (``from_version_id`` NULL for the first)."""

    __tablename__ = "changes"
    __table_args__ = (UniqueConstraint("to_version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    from_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"), nullable=True)
    to_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # first | substantive | links-only | formatting | date-only
    change_class: Mapped[str] = mapped_column(String(16))
    added_chars: Mapped[int] = mapped_column(Integer, default=0)
    removed_chars: Mapped[int] = mapped_column(Integer, default=0)
    technical: Mapped[bool] = mapped_column(Boolean, default=False)
    # A first version's baseline ("present") findings are computed on first request
    # (`findings --baseline`): they never alert, and a 1000-document first crawl should not
    # spend ~50 ms per document on them.
    baseline_pending: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )

    document: Mapped[Document] = relationship()
    from_version: Mapped[Version | None] = relationship(foreign_keys=[from_version_id])
    to_version: Mapped[Version] = relationship(foreign_keys=[to_version_id])
    findings: Mapped[list[Finding]] = relationship(back_populates="change", order_by="Finding.id")


class Finding(Base):
    """An AI-related clause event in a Change."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(8))
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)
    signals: Mapped[list] = mapped_column(JSON, default=list)
    heading_path: Mapped[list] = mapped_column(JSON, default=list)
    explanation: Mapped[str] = mapped_column(Text, default="")

    change: Mapped[Change] = relationship(back_populates="findings")


class FetchOutcome(Base):
    """What happened to one document in one run: new, changed, unchanged or failed."""

    __tablename__ = "fetch_outcomes"
    __table_args__ = (Index("ix_fetch_outcomes_doc_run", "document_id", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    # pending (fetched, not processed) | new | changed | unchanged | failed
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # indexed: ``db prune`` finds the outcomes of the snapshots it removes
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("snapshots.id"), nullable=True, index=True
    )
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[CrawlRun] = relationship(back_populates="outcomes")
    document: Mapped[Document] = relationship()
    snapshot: Mapped[Snapshot | None] = relationship()
    version: Mapped[Version | None] = relationship()


class TrackingEvent(Base):
    """A tracking problem or recovery that deserves one alert (``broken`` / ``resumed``)."""

    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship()


class Alert(Base):
    """The outbox: one notification owed to one channel."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("dedup_key"),
        Index("ix_alerts_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "change:<id>:<channel_id>" or "tracking:<id>:<channel_id>"; unique => never two rows.
    dedup_key: Mapped[str] = mapped_column(String(200))
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"), nullable=True)
    tracking_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("tracking_events.id"), nullable=True
    )
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    # sha256 prefix of the channel URL: identifies the channel without storing the secret.
    channel_id: Mapped[str] = mapped_column(String(64))
    channel_label: Mapped[str] = mapped_column(String(200))  # masked, safe to print
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # pending | sending | sent | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(8), default="info")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    change: Mapped[Change | None] = relationship()
    tracking_event: Mapped[TrackingEvent | None] = relationship()
    document: Mapped[Document | None] = relationship()


class Heartbeat(Base):
    """One row per scheduler cycle, so ``status`` can tell whether the daemon is alive."""

    __tablename__ = "heartbeats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class CrawlLock(Base):
    """A single-row lease that keeps two crawls from running at once (SQLite and PostgreSQL)."""

    __tablename__ = "crawl_lock"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
