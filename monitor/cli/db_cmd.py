"""``policywatch db upgrade`` (apply Alembic migrations) and ``policywatch db prune``."""

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


@db.command()
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=1),
    default=30,
    show_default=True,
    help="Only snapshots fetched more than this many days ago.",
)
@click.option("--dry-run", is_flag=True, help="Report what would be removed; change nothing.")
@click.option(
    "--wait",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds to wait when a crawl is running.",
)
@click.pass_obj
def prune(app, days: float, dry_run: bool, wait: float) -> None:
    """Remove old raw snapshots that no version needs (and bodies nothing shares).

    Kept: the snapshot of every version, each document's newest snapshot and the one of its
    newest successful fetch, and anything not processed yet. Fetch outcomes stay. A SQLite
    file keeps its size (the space is reused); run VACUUM to shrink it.
    """
    from monitor import store
    from monitor.retention import PruneBusy, prune_old_snapshots

    try:
        report = prune_old_snapshots(
            store.session_factory(app.engine()), days, dry_run=dry_run, wait=wait
        )
    except PruneBusy as exc:
        raise click.ClickException(str(exc)) from None
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"{verb} {report.snapshots} snapshot(s) older than {days:g} days and "
        f"{report.blobs} stored bod{'y' if report.blobs == 1 else 'ies'} "
        f"({report.stored_bytes / 1e6:.1f} MB)"
    )
