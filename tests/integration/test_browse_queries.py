"""The ORM-free read path of the browsing commands (monitor.browse_queries).

It must return what ``store.history`` returns, through the engine and through the direct
drivers (sqlite3, psycopg), and fall back to the engine whenever the direct path does not
apply, so upgrades and error messages stay the usual ones.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from monitor import browse_queries as bq
from monitor import store
from monitor.db import head_revision, make_engine, upgrade
from monitor.models import Change, Document, Version

T0 = datetime(2024, 9, 18, 10, 0, 5, 123456, tzinfo=UTC)


def _fill(engine) -> None:
    """Two services; a technical version; a version without a change row; equal timestamps."""
    with Session(engine) as s:
        pp = Document(service="example", kind="privacy-policy", title="P", url="https://x/p")
        terms = Document(service="example", kind="terms", title="T", url="https://x/t")
        other = Document(service="other", kind="faq", title="F", url="https://x/f")
        s.add_all([pp, terms, other])
        s.flush()

        def version(doc, n, at, text, **kw):
            v = Version(
                document_id=doc.id, number=n, fetched_at=at, text=text, text_sha256=f"{doc.id}{n}"
            )
            for key, value in kw.items():
                setattr(v, key, value)
            s.add(v)
            s.flush()
            return v

        def change(doc, old, new, cls, added, removed, **kw):
            s.add(
                Change(
                    document_id=doc.id,
                    from_version_id=old.id if old else None,
                    to_version_id=new.id,
                    change_class=cls,
                    added_chars=added,
                    removed_chars=removed,
                    detected_at=T0,
                    **kw,
                )
            )

        v1 = version(pp, 1, T0, "Hello. " * 10)
        change(pp, None, v1, "first", 70, 0)
        v2 = version(pp, 2, T0 + timedelta(days=3), "Hello AI. " * 10, effective_date="2024-09-20")
        change(pp, v1, v2, "substantive", 31, 7)
        # stored from a non-UTC datetime: read back as the same instant in UTC
        at3 = (T0 + timedelta(days=9)).astimezone(timezone(timedelta(hours=-5)))
        v3 = version(pp, 3, at3, "Hello  AI. " * 10, technical=True)
        change(pp, v2, v3, "formatting", 0, 0, technical=True)
        # no change row (older databases): the text's length in characters, not bytes
        version(terms, 1, T0 + timedelta(days=1), "Conditions générales ✓ 🚀 " * 3)
        w1 = version(other, 1, T0, "x" * 50)
        change(other, None, w1, "first", 50, 0)
        w2 = version(other, 2, T0, "y" * 50)  # same instant: newest id first
        change(other, w1, w2, "links-only", 5, 5)
        s.commit()


@pytest.fixture
def filled(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    _fill(engine)
    yield db_url, engine
    engine.dispose()


def _from_store(engine, service, kind=None, limit=None) -> list[tuple]:
    with Session(engine) as s:
        rows = store.history(s, service, kind, limit)
        return [
            (
                d.service,
                d.kind,
                v.number,
                v.fetched_at,
                v.technical,
                v.effective_date,
                ch.change_class if ch else "first",
                ch.added_chars if ch else len(v.text),
                ch.removed_chars if ch else 0,
            )
            for d, v, ch in rows
        ]


def _from_reader(reader, service, kind=None, limit=None) -> list[tuple]:
    return [
        (
            r.service,
            r.kind,
            r.number,
            r.fetched_at,
            r.technical,
            r.effective_date,
            r.change_class if r.has_change else "first",
            r.added_chars if r.has_change else r.text_length,
            r.removed_chars if r.has_change else 0,
        )
        for r in bq.history(reader, service, kind, limit)
    ]


QUERIES = [
    ("example", None, None),
    ("example", "privacy-policy", None),
    ("example", "terms", None),
    ("example", None, 2),
    ("other", None, None),
    ("other", None, 1),
    ("example", "nosuch", None),
    ("nosuch", None, None),
]


def test_history_rows_match_the_store_on_both_readers(filled):
    db_url, engine = filled
    direct = bq.open_reader(db_url, lambda: pytest.fail("the engine is not needed"))
    expected = bq.SQLiteReader if db_url.startswith("sqlite") else bq.PsycopgReader
    assert isinstance(direct, expected)
    readers = [bq.EngineReader(engine), direct]
    for reader in readers:
        for service, kind, limit in QUERIES:
            got = _from_reader(reader, service, kind, limit)
            assert got == _from_store(engine, service, kind, limit), (reader, service, kind)
        rows = bq.history(reader, "example")
        assert all(r.fetched_at.tzinfo is UTC for r in rows)
        assert [type(r.technical) for r in rows] == [bool] * len(rows)
        terms = bq.history(reader, "example", "terms")[0]
        assert not terms.has_change and terms.text_length == len("Conditions générales ✓ 🚀 " * 3)
        assert [r.number for r in bq.history(reader, "other")] == [2, 1]
        reader.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////data/pw.db", "/data/pw.db"),
        ("sqlite+pysqlite:////data/pw.db", "/data/pw.db"),
        ("sqlite:////data/my%20db.db", "/data/my db.db"),
        ("sqlite:///rel/pw.db", os.path.abspath("rel/pw.db")),
        ("sqlite:////data/pw.db?timeout=5", None),
        ("sqlite:///file:pw.db?mode=ro&uri=true", None),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite+aiosqlite:////data/pw.db", None),
        ("postgresql://u:p@h/db", None),
    ],
)
def test_sqlite_file_reads_urls_like_sqlalchemy(url, expected):
    assert bq.sqlite_file(url) == expected


PG_URLS = [
    "postgresql://pw@127.0.0.1:5432/policywatch",
    "postgresql://pw:s3cret@db.example.org/policywatch",
    "postgresql+psycopg://p%40w:se%3Ac%2Fret:x@h-1.local:6543/my%20db",
    "postgres://pw@127.0.0.1/",
    "postgresql://localhost",
    "postgresql:///policywatch",
    "postgresql://@host/db",
    "postgresql://pw:@host/db",
]


@pytest.mark.parametrize("url", PG_URLS)
def test_postgresql_connect_args_are_sqlalchemys(url):
    from sqlalchemy.engine import make_url

    from monitor.db import normalise_url

    engine = make_engine(url)
    _args, sqlalchemy_params = engine.dialect.create_connect_args(make_url(normalise_url(url)))
    sqlalchemy_params.pop("context", None)
    assert bq.postgresql_connect_args(url) == sqlalchemy_params
    engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://pw@h/db?sslmode=require",
        "postgresql://pw@h1:5432,h2:5432/db",
        "postgresql://pw@[::1]:5432/db",
        "postgresql://pw:a/b@h/db",
        "postgresql://pw:a@b@h/db",
        "postgresql+asyncpg://pw@h/db",
        "sqlite:////data/pw.db",
    ],
)
def test_unusual_postgresql_urls_take_the_engine_path(url):
    assert bq.postgresql_connect_args(url) is None


def test_unreachable_postgresql_reads_like_the_engine_error():
    from monitor.db import DatabaseError, check_connection

    url = "postgresql://policywatch:s3cretpw@127.0.0.1:1/policywatch"
    with pytest.raises(DatabaseError) as direct:
        bq.open_postgresql_at_head(url)
    engine = make_engine(url)
    with pytest.raises(DatabaseError) as usual:
        check_connection(engine)
    engine.dispose()
    assert str(direct.value) == str(usual.value)
    assert "s3cretpw" not in str(direct.value) and ":****@127.0.0.1:1" in str(direct.value)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_direct_postgresql_reader_only_at_head(db_url):
    assert bq.open_postgresql_at_head(db_url) is None  # empty database: no alembic_version
    engine = make_engine(db_url)
    upgrade(engine)
    reader = bq.open_postgresql_at_head(db_url)
    assert isinstance(reader, bq.PsycopgReader)
    assert reader.rows("SELECT version_num FROM alembic_version", {}) == [(head_revision(),)]
    assert reader.rows("SELECT :a + :b", {"a": 1, "b": 2}) == [(3,)]
    reader.close()
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0000_older'")
    assert bq.open_postgresql_at_head(db_url) is None
    engine.dispose()


def test_direct_sqlite_reader_only_for_an_existing_file_at_head(tmp_path):
    missing = tmp_path / "missing.db"
    assert bq.open_sqlite_at_head(f"sqlite:///{missing}") is None
    assert not missing.exists()  # never creates the file

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert bq.open_sqlite_at_head(f"sqlite:///{empty}") is None  # no alembic_version

    behind = tmp_path / "behind.db"
    with sqlite3.connect(behind) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('0000_older')")
    assert bq.open_sqlite_at_head(f"sqlite:///{behind}") is None

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database " * 100)
    assert bq.open_sqlite_at_head(f"sqlite:///{garbage}") is None

    at_head = tmp_path / "head.db"
    engine = make_engine(f"sqlite:///{at_head}")
    upgrade(engine)
    engine.dispose()
    reader = bq.open_sqlite_at_head(f"sqlite:///{at_head}")
    assert isinstance(reader, bq.SQLiteReader)
    assert reader.rows("SELECT version_num FROM alembic_version", {}) == [(head_revision(),)]
    reader.close()


def test_open_reader_builds_the_engine_only_when_needed(tmp_path):
    at_head = tmp_path / "head.db"
    engine = make_engine(f"sqlite:///{at_head}")
    upgrade(engine)
    calls = []

    def factory():
        calls.append(1)
        return engine

    reader = bq.open_reader(f"sqlite:///{at_head}", factory)
    assert isinstance(reader, bq.SQLiteReader) and calls == []
    reader.close()
    reader = bq.open_reader(f"sqlite:///{tmp_path / 'new.db'}", factory)
    assert isinstance(reader, bq.EngineReader) and calls == [1]
    engine.dispose()


def _cli(args, env):
    """Run the CLI in a child and report whether SQLAlchemy was imported."""
    code = (
        "import sys\n"
        "import monitor.cli\n"
        "def leave(code):\n"  # the CLI leaves with os._exit; report first
        "    raise SystemExit(code)\n"
        "monitor.cli._leave = leave\n"
        "try:\n"
        f"    monitor.cli.main({args!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print('SQLALCHEMY' if 'sqlalchemy' in sys.modules else 'NO-SQLALCHEMY', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


def _env(tmp_path, db_url):
    cfg = tmp_path / "pw.toml"
    cfg.write_text(
        '[[service]]\nslug = "example"\nname = "Example"\n'
        '[[service.document]]\nkind = "privacy-policy"\nurl = "https://x/p"\n'
        '[[service.document]]\nkind = "terms"\nurl = "https://x/t"\n'
    )
    return dict(os.environ, POLICYWATCH_CONFIG=str(cfg), POLICYWATCH_DATABASE_URL=db_url)


def test_history_at_head_does_not_import_sqlalchemy(filled, tmp_path):
    db_url, _engine = filled
    proc = _cli(["history", "example", "--limit", "2"], _env(tmp_path, db_url))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "NO-SQLALCHEMY"
    assert "privacy-policy          v3" in proc.stdout and "formatting (techni" in proc.stdout


def test_history_on_a_fresh_sqlite_file_still_creates_the_schema(tmp_path):
    db = tmp_path / "fresh" / "pw.db"
    proc = _cli(["history", "example"], _env(tmp_path, f"sqlite:///{db}"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "no versions of example yet; run `policywatch crawl example`\n"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),
        )


def test_sqlite_errors_are_one_masked_line():
    from monitor.cli.errors import describe

    message, code = describe(sqlite3.OperationalError("database is locked"))
    assert code == 1 and message.startswith("database error: database is locked; check")
    message, code = describe(sqlite3.DatabaseError("file is not a database"))
    assert code == 1 and message == "database error (DatabaseError); run with -vv for details"


def test_psycopg_errors_are_one_masked_line():
    import psycopg

    from monitor.cli.errors import describe

    message, code = describe(psycopg.OperationalError("server closed the connection\nmore"))
    assert code == 1 and message.startswith("database error: server closed the connection; check")
    message, code = describe(psycopg.errors.UndefinedTable("relation does not exist"))
    assert code == 1 and message == "database error (UndefinedTable); run with -vv for details"
