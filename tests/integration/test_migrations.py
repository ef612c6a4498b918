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
    assert {"documents", "snapshots", "blobs", "versions", "changes", "findings", "alerts",
            "crawl_runs", "fetch_outcomes", "tracking_events", "heartbeats"} <= tables
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
