"""The schema comes only from Alembic; models and migrations must never drift apart."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from monitor.db import current_revision, ensure_schema, head_revision, make_engine, upgrade
from monitor.models import Base


def test_upgrade_head_matches_the_models(db_url):
    engine = make_engine(db_url)
    before, after = upgrade(engine)
    assert before is None and after == head_revision()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
    assert diffs == [], f"models and migrations drift: {diffs}"
    tables = set(inspect(engine).get_table_names())
    assert {
        "documents",
        "snapshots",
        "blobs",
        "versions",
        "changes",
        "findings",
        "alerts",
        "crawl_runs",
        "fetch_outcomes",
        "tracking_events",
        "heartbeats",
    } <= tables
    engine.dispose()


def test_upgrade_is_idempotent_and_ensure_schema_can_refuse(db_url):
    import pytest

    from monitor.db import DatabaseError

    engine = make_engine(db_url)
    with pytest.raises(DatabaseError, match="policywatch db upgrade"):
        ensure_schema(engine, auto_upgrade=False)
    ensure_schema(engine)
    assert current_revision(engine) == head_revision()
    assert upgrade(engine) == (head_revision(), head_revision())
    engine.dispose()


def test_unreachable_database_is_a_clear_masked_error():
    import pytest

    from monitor.db import DatabaseError

    engine = make_engine("postgresql://policywatch:s3cretpw@127.0.0.1:1/policywatch")
    with pytest.raises(DatabaseError) as err:
        ensure_schema(engine)
    msg = str(err.value)
    assert "cannot connect to the database" in msg and "s3cretpw" not in msg
    assert "POLICYWATCH_DATABASE_URL" in msg


def test_upgrade_keeps_existing_data(db_url):
    """A real user's database: filled at revision 0001, then upgraded to head."""
    from sqlalchemy import text

    engine = make_engine(db_url)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO documents (id, service, kind, title, url, created_at, consecutive_failures,"
                " tracking_broken) VALUES (1, 'example', 'privacy-policy', 'P', 'http://x', "
                "CURRENT_TIMESTAMP, 0, false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO versions (id, document_id, number, fetched_at, created_at, text,"
                " text_sha256, technical) VALUES (1, 1, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
                " 'We may train AI.', 'x', false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO changes (id, document_id, to_version_id, detected_at, change_class,"
                " added_chars, removed_chars, technical) VALUES (1, 1, 1, CURRENT_TIMESTAMP, 'first',"
                " 16, 0, false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO findings (id, change_id, kind, category, severity, signals, heading_path,"
                " explanation) VALUES (1, 1, 'present', 'training-permission', 'info', '[]', '[]', '')"
            )
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM findings")).scalar() == 1
        row = conn.execute(text("SELECT change_class, baseline_pending FROM changes")).one()
        assert row[0] == "first" and not row[1]
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_fast_head_revision_agrees_with_alembic():
    from alembic.script import ScriptDirectory

    from monitor.db import MIGRATIONS_DIR

    assert head_revision() == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
