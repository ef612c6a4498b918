"""Removing old raw snapshots: the lock around :func:`monitor.store.prune_snapshots`.

Why a module of its own: both ``policywatch db prune`` and the scheduler daemon (after a
cycle, when ``schedule.prune_after_days`` is set) prune, and both must never do it while a
crawl stores or processes snapshots, so both take the crawl's own lease first.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from monitor import store
from monitor.models import utcnow


class PruneBusy(RuntimeError):
    """A crawl holds the lease; the message says whose and what to do."""


def prune_old_snapshots(
    maker: sessionmaker[Session], days: float, *, dry_run: bool = False, wait: float = 0.0
) -> store.PruneReport:
    """Prune snapshots fetched more than ``days`` ago, holding the crawl lease meanwhile
    (waiting up to ``wait`` seconds for a running crawl, then raising :class:`PruneBusy`)."""
    holder = store.wait_for_crawl_lock(maker, timedelta(hours=1), wait)
    if holder is not None:
        raise PruneBusy(
            f"a crawl is running (pid {holder.pid}, since {holder.acquired_at:%Y-%m-%d %H:%M} "
            "UTC); prune when it has finished, or give --wait SECONDS"
        )
    try:
        with maker() as session, session.begin():
            return store.prune_snapshots(session, utcnow() - timedelta(days=days), dry_run=dry_run)
    finally:
        store.release_crawl_lock(maker)
