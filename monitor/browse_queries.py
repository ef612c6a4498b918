"""Read-only queries for the browsing commands, in plain SQL and without the ORM.

Why this module exists beside :mod:`monitor.store` (which owns every write): a user browsing
``policywatch history`` pays for every import before seeing a line. Importing SQLAlchemy Core
costs ~0.25 s and its ORM plus the models ~0.1 s more, while the query itself takes a few
milliseconds. So a browsing command asks :func:`open_reader` for a :class:`Reader`:

- a plain SQLite file that is already at the head migration is read through the standard
  library's ``sqlite3``, and a plain ``postgresql://user:password@host:port/database`` URL
  whose database is at head through ``psycopg`` itself (no SQLAlchemy import at all);
- anything else (an URL with options, a missing file, a schema that is behind, a database
  SQLite cannot open) goes through the usual engine from :mod:`monitor.db`, so schema upgrades
  and the masked error messages stay exactly those of every other command. A PostgreSQL
  server that cannot be reached gets :func:`monitor.db.connection_error`'s usual words.

The SQL is written once with ``:name`` parameters, which both ``sqlite3`` and SQLAlchemy's
``text()`` accept (psycopg gets them as ``%(name)s``), and selects only portable constructs. Values are normalised here
(timestamps to aware UTC, SQLite's 0/1 to bool) so both readers return the same rows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    import sqlite3

    import psycopg
    from sqlalchemy.engine import Engine


class Reader(Protocol):
    """Runs one read-only statement and returns its rows as tuples."""

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class SQLiteReader:
    """A direct ``sqlite3`` connection (opened by :func:`open_sqlite_at_head`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, dict(params)).fetchall()

    def close(self) -> None:
        self._conn.close()


class EngineReader:
    """The same statements through a SQLAlchemy engine (Core only: no ORM import)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        with self._engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), dict(params))]

    def close(self) -> None:
        """Nothing to do: the engine, and its pool, belong to the caller."""


class PsycopgReader:
    """A direct ``psycopg`` connection (opened by :func:`open_postgresql_at_head`)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return self._conn.execute(_pyformat(sql), dict(params)).fetchall()

    def close(self) -> None:
        self._conn.close()


_NAMED_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _pyformat(sql: str) -> str:
    """``:name`` to psycopg's ``%(name)s``; this module's statements hold no '%' nor '::'."""
    return _NAMED_PARAM.sub(r"%(\1)s", sql)


def sqlite_file(url: str) -> str | None:
    """The absolute file path of a plain ``sqlite:///path`` URL, else None.

    Mirrors how SQLAlchemy's pysqlite dialect reads such a URL (percent-decoding, then
    ``os.path.abspath``). URLs with a query string (``?uri=true``, ``?timeout=``), a host,
    another driver or an in-memory database return None and take the engine path.
    """
    from urllib.parse import unquote

    from monitor.db import normalise_url

    url = normalise_url(url)
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            break
    else:
        return None
    if "?" in rest:
        return None
    database = unquote(rest)
    if not database or database == ":memory:":
        return None
    return os.path.abspath(database)


def open_sqlite_at_head(url: str) -> SQLiteReader | None:
    """A :class:`SQLiteReader` when ``url`` is an existing SQLite file at the head revision.

    Returns None whenever anything is unusual (not SQLite, no such file, a schema behind or
    ahead, any SQLite error while checking): the caller then takes the engine path, which
    upgrades or explains exactly as before. Changes nothing: no journal mode, no schema.
    """
    import sqlite3

    from monitor.db import head_revision

    path = sqlite_file(url)
    if path is None or not os.path.isfile(path):
        return None
    conn: sqlite3.Connection | None = None
    try:
        # Same waits as monitor.db.make_engine: a crawl may be writing to the file.
        conn = sqlite3.connect(path, timeout=60)
        conn.execute("PRAGMA busy_timeout=60000")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        if conn is not None:
            conn.close()
        return None
    if row is None or row[0] != head_revision():
        conn.close()
        return None
    return SQLiteReader(conn)


_HOST_PORT = re.compile(r"^([A-Za-z0-9._-]*)(?::(\d+))?$")


def postgresql_connect_args(url: str) -> dict[str, Any] | None:
    """``psycopg.connect`` keywords for a plain PostgreSQL URL, else None.

    Gives what SQLAlchemy's psycopg dialect passes for ``postgresql://user:pw@host:port/db``
    (user, password and database percent-decoded, empty parts left out, the port as a
    number); a test compares the two. URLs with a query string (``?sslmode=``, ``?host=``),
    several hosts, an IPv6 literal, or a '/' or second '@' before the host return None.
    """
    from urllib.parse import unquote

    from monitor.db import normalise_url

    url = normalise_url(url)
    prefix = "postgresql+psycopg://"
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    if "?" in rest or "#" in rest:
        return None
    user = password = ""
    at = rest.find("@")
    if at != -1:
        userinfo, rest = rest[:at], rest[at + 1 :]
        if "/" in userinfo or "@" in rest:
            return None
        user, _, password = userinfo.partition(":")
    hostport, _, database = rest.partition("/")
    match = _HOST_PORT.match(hostport)
    if match is None:
        return None
    host, port = match.groups()
    args: dict[str, Any] = {}
    if host:
        args["host"] = host
    if database:
        args["dbname"] = unquote(database)
    if user:
        args["user"] = unquote(user)
    if password:
        args["password"] = unquote(password)
    if port:
        args["port"] = int(port)
    return args


def open_postgresql_at_head(url: str) -> PsycopgReader | None:
    """A :class:`PsycopgReader` when ``url`` is a plain PostgreSQL URL whose database is at head.

    A server that cannot be reached raises the usual :class:`monitor.db.DatabaseError`
    (trying again through the engine would only double a connect timeout); any other
    oddity returns None and the caller takes the engine path.
    """
    args = postgresql_connect_args(url)
    if args is None:
        return None
    import psycopg

    from monitor.db import connection_error, head_revision, normalise_url

    try:
        # connect_timeout as in monitor.db.make_engine; autocommit: reads need no transaction.
        conn = psycopg.connect(**args, connect_timeout=10, autocommit=True)
    except psycopg.OperationalError as exc:
        from sqlalchemy.engine import make_url  # only on this error path: the usual masked form

        where = make_url(normalise_url(url)).render_as_string()
        raise connection_error(where, "postgresql", exc) from None
    except psycopg.Error:
        return None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.Error:
        conn.close()
        return None
    if row is None or row[0] != head_revision():
        conn.close()
        return None
    return PsycopgReader(conn)


def open_reader(url: str, engine: Callable[[], Engine]) -> Reader:
    """A direct reader when possible, else one on ``engine()`` (built only then)."""
    fast: Reader | None = open_sqlite_at_head(url)
    if fast is None:
        fast = open_postgresql_at_head(url)
    return fast if fast is not None else EngineReader(engine())


def utc(value: datetime | str | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime, as the models' ``UTCDateTime`` gives it.

    SQLite holds the ISO text SQLAlchemy wrote (UTC, no offset), which SQLAlchemy itself
    parses with ``datetime.fromisoformat``; PostgreSQL returns aware datetimes.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- history --------------------------------------------------------------------------------


class HistoryRow(NamedTuple):
    """One version in ``history``, with its change row's figures (None when it has none)."""

    service: str
    kind: str
    number: int
    fetched_at: datetime
    technical: bool
    effective_date: str | None
    has_change: bool
    change_class: str | None
    added_chars: int | None
    removed_chars: int | None
    # Characters of the version's text, read only for a version without a change row (the
    # text is what a first version "added"); None otherwise so listings never load texts.
    text_length: int | None


# The newest versions are picked by id first, then joined to their wide rows: sorting narrow
# rows is cheaper (100,000 versions: 0.29 s instead of 0.39 s on SQLite), and with an index on
# versions (document_id, fetched_at) the pick becomes index-only (--limit 100: 4 ms, not 75).
_HISTORY_SQL = """
WITH picked AS (
  SELECT v.id
  FROM documents d
  JOIN versions v ON v.document_id = d.id
  WHERE d.service = :service{kind}
  ORDER BY v.fetched_at DESC, v.id DESC{limit}
)
SELECT d.service, d.kind, v.number, v.fetched_at, v.technical, v.effective_date,
       ch.id, ch.change_class, ch.added_chars, ch.removed_chars,
       CASE WHEN ch.id IS NULL THEN v.text END
FROM picked
JOIN versions v ON v.id = picked.id
JOIN documents d ON d.id = v.document_id
LEFT OUTER JOIN changes ch ON ch.to_version_id = v.id
ORDER BY v.fetched_at DESC, v.id DESC
"""


def history(
    reader: Reader, service: str, kind: str | None = None, limit: int | None = None
) -> list[HistoryRow]:
    """Versions of a service (or one document), newest first; same rows as ``store.history``."""
    params: dict[str, Any] = {"service": service}
    if kind:
        params["kind"] = kind
    if limit:
        params["limit"] = limit
    sql = _HISTORY_SQL.format(
        kind="\n    AND d.kind = :kind" if kind else "",
        limit="\n  LIMIT :limit" if limit else "",
    )
    return [_history_row(r) for r in reader.rows(sql, params)]


def _history_row(r: Sequence[Any]) -> HistoryRow:
    service, kind, number, fetched_at, technical, effective_date = r[:6]
    change_id, change_class, added, removed, text = r[6:]
    return HistoryRow(
        service=service,
        kind=kind,
        number=number,
        fetched_at=utc(fetched_at),  # type: ignore[arg-type]  # NOT NULL column
        technical=bool(technical),
        effective_date=effective_date,
        has_change=change_id is not None,
        change_class=change_class,
        added_chars=added,
        removed_chars=removed,
        text_length=None if text is None else len(text),
    )
