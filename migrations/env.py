"""Alembic environment: uses the engine policywatch passes in (or POLICYWATCH_DATABASE_URL).

``render_as_batch`` is on so ALTERs work on SQLite, which cannot alter most constraints.
"""

from __future__ import annotations

import os

from alembic import context

from monitor.models import Base

config = context.config
target_metadata = Base.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from monitor.config import load_settings
    from monitor.db import make_engine

    url = os.environ.get("POLICYWATCH_DATABASE_URL") or load_settings().database_url
    return make_engine(url)


def _render_item(type_, obj, autogen_context):
    """Render our UTC TypeDecorator as the plain DateTime(timezone=True) it stores."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by copy + DROP + rename; with foreign keys enforced,
            # the DROP fails as soon as another table references rows of it. The pragma only
            # takes effect outside a transaction, hence before begin().
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            render_item=_render_item,
        )
        with connection.begin():
            context.run_migrations()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


run_migrations_online()
