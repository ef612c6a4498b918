"""Engine creation and schema migration (Alembic) for SQLite and PostgreSQL.

Why this shape: composition roots call :func:`make_engine` once and pass the engine down
(DESIGN.md §3.6, no module-level globals). SQLite gets WAL, foreign keys and a busy timeout
because the crawl child and the parent write to the same file. The schema only ever comes
from Alembic (DESIGN.md §3.9): :func:`upgrade` runs ``upgrade head`` programmatically, and
:func:`ensure_schema` lets read-only commands say clearly what to run instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.secrets import mask_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class DatabaseError(RuntimeError):
    """The database cannot be reached or is not at the expected schema; message is masked."""


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite parent folders are created so the default path just works."""
    from sqlalchemy import create_engine, event

    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # A new file only (SQLite ignores it once the file has pages): policies are stored
            # as ~100 KB texts, and 16 KB pages write them with a quarter of the page writes
            # (1000 versions: 0.31 -> 0.14 s of CPU, measured).
            cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
            switch_to_wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


#: Page size of a new SQLite database (the default is 4096).
SQLITE_PAGE_SIZE = 16384

#: How long a connection keeps asking to switch a busy SQLite file to WAL (as the busy timeout).
WAL_SWITCH_WAIT = 60.0


def switch_to_wal(cursor, wait: float = WAL_SWITCH_WAIT) -> None:
    """``PRAGMA journal_mode=WAL``, asked again while another connection holds the file.

    Why a loop: SQLite answers this pragma with "database is locked" at once, without calling
    the busy handler, when another process is switching the same file at that moment. That is
    exactly what happens when several commands start together on a new database (the first
    `docker compose up`, a cron job beside a user); the busy timeout covers every other
    statement. Measured: 4 processes released together on a new file, ~2-6% of rounds had one
    fail this way.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def check_connection(engine: Engine) -> None:
    """Fail with a clear, masked message when the database cannot be reached or opened."""
    from sqlalchemy import exc, text

    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except exc.SQLAlchemyError as err:
        raise connection_error(
            engine.url.render_as_string(), engine.dialect.name, getattr(err, "orig", None) or err
        ) from None


def connection_error(url: str, dialect: str, cause: BaseException) -> DatabaseError:
    """The error for a database that cannot be reached or opened; ``url`` gets masked.

    The driver's own first line is kept ("disk I/O error", "unable to open database file",
    "connection refused"): it says what to fix. SQLite has no server, so its advice differs.
    Shared by :func:`check_connection` and the browsing commands' direct PostgreSQL reader
    (:mod:`monitor.browse_queries`), so both say the same thing.
    """
    from monitor.secrets import redact

    lines = str(cause).strip().splitlines()
    detail = redact(lines[0][:200]) if lines else type(cause).__name__
    where = mask_url(url)
    if dialect == "sqlite":
        return DatabaseError(
            f"cannot open the database {where} ({detail}); check that its folder exists, "
            "is writable and its disk is not full (POLICYWATCH_DATABASE_URL)"
        )
    return DatabaseError(
        f"cannot connect to the database {where} ({detail}); check "
        "POLICYWATCH_DATABASE_URL and that the database server is running"
    )


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, read without importing Alembic (start-up cost)."""
    from sqlalchemy import exc, text

    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except exc.DBAPIError:
            return None


_REVISION_RE = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_RE = re.compile(r"^down_revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration, found by reading the migration files (no Alembic import).

    A test checks that it agrees with Alembic's own ScriptDirectory.
    """
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION_RE.search(source), _DOWN_RE.search(source)
        if rev:
            revisions.add(rev.group(1))
        if down:
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise schema upgrades between processes (two commands starting on a fresh
    database must not both create the tables): a PostgreSQL advisory lock, or a lock file
    beside a SQLite database (skipped when its folder is read-only; the upgrade then fails
    with its own clear error)."""
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    try:
        handle = open(f"{database}.migrate-lock", "a")  # noqa: SIM115 - held across the yield
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_LOCK_KEY = 0x706F6C6963  # "polic"


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Run Alembic migrations up to ``revision``; returns (before, after) revisions."""
    from alembic import command

    check_connection(engine)
    before = current_revision(engine)
    with _migration_lock(engine):
        if not (revision == "head" and current_revision(engine) == head_revision()):
            command.upgrade(_alembic_config(engine), revision)
    return before, current_revision(engine)


def ensure_schema(engine: Engine, *, auto_upgrade: bool = True) -> None:
    """Bring the schema to head (default) or explain what to run when it is behind."""
    check_connection(engine)
    if current_revision(engine) == head_revision():
        return
    if auto_upgrade:
        upgrade(engine)
        return
    raise DatabaseError("the database schema is not up to date; run `policywatch db upgrade` first")
