"""``policywatch db upgrade``: apply Alembic migrations."""

from __future__ import annotations

import click


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@click.pass_obj
def upgrade(app) -> None:
    """Create or upgrade the schema to the latest migration."""
    from monitor.db import make_engine
    from monitor.db import upgrade as run_upgrade
    from monitor.secrets import mask_url

    engine = make_engine(app.settings.database_url)
    before, after = run_upgrade(engine)
    where = mask_url(app.settings.database_url)
    if before == after:
        click.echo(f"database {where} is up to date (revision {after})")
    else:
        click.echo(f"database {where} upgraded from {before or 'empty'} to {after}")
