"""``policywatch db prune``: old raw snapshots go, everything a version or the next crawl needs
stays, on SQLite and PostgreSQL.

The history is built through the real store and tracker (stored fetches, then processed), then
backdated, so each kept or removed snapshot is there for the reason the rule names.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from monitor import store
from monitor.config import load_settings
from monitor.db import ensure_schema, make_engine
from monitor.models import Blob, FetchOutcome, Snapshot, Version, utcnow
from monitor.tracker import process_pending
from tests.support import hostile as H
from tests.support.config import write_config
from tests.support.pages import AI_CLAUSE, BASE_PARAGRAPHS, policy_page
from tests.support.rows import hold_crawl_lock, release_crawl_locks, stored_run

V1 = policy_page(csrf="a")
V1_NOISE = policy_page(csrf="b")  # same text as V1, another body
V2 = policy_page(BASE_PARAGRAPHS + [AI_CLAUSE], csrf="c")
V2_NOISE = policy_page(BASE_PARAGRAPHS + [AI_CLAUSE], csrf="d")


def _history(tmp_path, db_url):
    """One document's fetches, oldest first; returns (settings, maker, {label: snapshot id})."""
    cfg = write_config(tmp_path / "pw.toml", "http://127.0.0.1:9", db_url=db_url)
    settings = load_settings(cfg, env={})
    engine = make_engine(db_url)
    ensure_schema(engine)
    maker = store.session_factory(engine)
    decl = settings.declarations["example"].documents[0]
    steps = [
        ("v1", V1),  # new: version 1
        ("noise-1", V1_NOISE),  # unchanged
        ("noise-1-again", V1_NOISE),  # unchanged, the same body (one stored body for both)
        ("v2", V2),  # changed: version 2
        ("noise-2", V2_NOISE),  # unchanged; its body comes back below
        ("wall-1", H.LOGIN_WALL),  # failed
        ("noise-2-again", V2_NOISE),  # unchanged: the newest successful fetch
        ("wall-2", H.LOGIN_WALL),  # failed: the newest snapshot; the same body as wall-1
    ]
    ids: dict[str, int] = {}
    for label, page in steps:
        run_id = stored_run(maker, decl, [page], etag=f'"{label}"')
        process_pending(maker, settings, run_id)
        with maker() as s:
            ids[label] = s.scalar(select(func.max(Snapshot.id)))
    return engine, maker, ids


def _backdate(maker, days: float) -> None:
    with maker() as s, s.begin():
        s.execute(update(Snapshot).values(fetched_at=utcnow() - timedelta(days=days)))


def _state(maker):
    with maker() as s:
        snapshots = set(s.scalars(select(Snapshot.id)))
        blobs = set(s.scalars(select(Blob.sha256)))
        outcomes = s.execute(select(FetchOutcome.outcome, FetchOutcome.snapshot_id)).all()
        versions = [(v.number, v.snapshot_id, v.text) for v in s.scalars(select(Version))]
    return snapshots, blobs, outcomes, versions


def test_prune_keeps_what_versions_and_the_next_crawl_need(tmp_path, db_url):
    engine, maker, ids = _history(tmp_path, db_url)
    _backdate(maker, 60)
    with maker() as s, s.begin():  # one more fetch, stored but not processed yet
        s.execute(update(Snapshot).where(Snapshot.id == ids["noise-1"]).values(processed_at=None))
    before = _state(maker)
    assert len(before[0]) == 8 and len(before[3]) == 2

    with maker() as s, s.begin():  # a dry run reports and changes nothing
        dry = store.prune_snapshots(s, utcnow() - timedelta(days=30), dry_run=True)
    assert _state(maker) == before

    with maker() as s, s.begin():
        report = store.prune_snapshots(s, utcnow() - timedelta(days=30))
    assert report == dry
    snapshots, blobs, outcomes, versions = _state(maker)
    kept = {
        ids["v1"],  # version 1's
        ids["v2"],  # version 2's
        ids["noise-2-again"],  # the newest successful fetch: its ETag is the next request's
        ids["wall-2"],  # the newest snapshot
        ids["noise-1"],  # not processed
    }
    assert snapshots == kept
    assert report.snapshots == 3  # noise-1-again, noise-2, wall-1
    # noise-1's body is still used by the unprocessed snapshot, noise-2's by noise-2-again,
    # wall-1's by wall-2: no body went, only rows
    assert report.blobs == 0 and blobs == before[1]
    assert versions == before[3]  # every version and its snapshot
    assert len(outcomes) == len(before[2])  # every fetch outcome stays...
    assert sum(1 for _o, sid in outcomes if sid is None) == 3  # ...three without a snapshot
    with maker() as s:
        doc_id = s.scalar(select(Snapshot.document_id).limit(1))
        assert store.conditional_headers(s, [doc_id])[doc_id]["If-None-Match"] == (
            '"noise-2-again"'
        )

    # once the unprocessed one is processed and older, its own body goes with it
    with maker() as s, s.begin():
        s.execute(
            update(Snapshot).where(Snapshot.id == ids["noise-1"]).values(processed_at=utcnow())
        )
    with maker() as s, s.begin():
        again = store.prune_snapshots(s, utcnow() - timedelta(days=30))
    assert (again.snapshots, again.blobs) == (1, 1) and again.stored_bytes > 0
    assert _state(maker)[0] == kept - {ids["noise-1"]}
    engine.dispose()


def test_recent_snapshots_are_never_pruned(tmp_path, db_url):
    engine, maker, _ids = _history(tmp_path, db_url)
    before = _state(maker)
    with maker() as s, s.begin():
        report = store.prune_snapshots(s, utcnow() - timedelta(days=30))
    assert report == store.PruneReport(0, 0, 0)
    assert _state(maker) == before
    engine.dispose()


@pytest.mark.slow
def test_prune_command_reports_and_refuses_during_a_crawl(tmp_path):
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    engine, maker, _ids = _history(tmp_path, url)
    _backdate(maker, 60)
    env = H.cli_env(tmp_path / "pw.toml", url)

    dry = H.cli(["db", "prune", "--dry-run"], env)
    assert dry.returncode == 0, dry.stderr
    # noise-1 and noise-1-again share their body: both go, and the body with them
    assert dry.stdout.startswith("would remove 4 snapshot(s) older than 30 days and 1 stored")
    assert len(_state(maker)[0]) == 8

    # a crawl holds the lease: prune says so and touches nothing
    hold_crawl_lock(maker, os.getppid())
    busy = H.cli(["db", "prune"], env)
    assert busy.returncode == 1 and "a crawl is running" in busy.stderr
    assert len(_state(maker)[0]) == 8
    release_crawl_locks(maker)

    done = H.cli(["db", "prune", "--older-than", "30"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("removed 4 snapshot(s) older than 30 days and 1 stored body")
    assert len(_state(maker)[0]) == 4
    engine.dispose()


def test_prune_after_days_is_validated(tmp_path):
    from monitor.config import ConfigError

    cfg = tmp_path / "pw.toml"
    cfg.write_text("[schedule]\nprune_after_days = 90\n")
    assert load_settings(cfg, env={}).schedule.prune_after_days == 90
    assert load_settings(None, env={}).schedule.prune_after_days == 0  # never, by default
    env = {"POLICYWATCH_SCHEDULE_PRUNE_AFTER_DAYS": "45"}
    assert load_settings(None, env=env).schedule.prune_after_days == 45
    cfg.write_text("[schedule]\nprune_after_days = 0.5\n")
    with pytest.raises(ConfigError, match="prune_after_days.*at least 1 day"):
        load_settings(cfg, env={})


def test_the_daemon_prunes_after_a_cycle_at_most_once_a_day(tmp_path, db_url):
    """``schedule.prune_after_days``: the first cycle prunes; the next one, the same day,
    leaves newly old snapshots for tomorrow."""
    from dataclasses import replace

    from monitor.scheduler import Scheduler

    engine, maker, ids = _history(tmp_path, db_url)
    _backdate(maker, 60)
    settings = load_settings(tmp_path / "pw.toml", env={})
    settings = replace(settings, schedule=replace(settings.schedule, prune_after_days=30))
    daemon = Scheduler(settings, engine)
    daemon.run_once()  # the page's host is unreachable: a failed fetch, then the prune
    assert len(_state(maker)[0]) == 4

    with maker() as s, s.begin():  # more snapshots become prunable...
        s.execute(update(Snapshot).where(Snapshot.id == ids["v2"]).values(fetched_at=utcnow()))
        s.execute(update(Version).values(snapshot_id=None))
    daemon.run_once()
    assert len(_state(maker)[0]) == 4  # ...but not today
    engine.dispose()
