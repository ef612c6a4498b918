"""``policywatch schedule`` as a real process: loopback site, SQLite and PostgreSQL, signals.

Each test starts the daemon with ``--interval 3`` (the first cycle runs at once: nothing was
crawled yet), watches the database for heartbeats, and stops it with SIGTERM, as Docker does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor import store
from monitor.db import make_engine, upgrade
from monitor.models import Alert, CrawlLock, CrawlRun, Document, FetchOutcome, Heartbeat, Snapshot
from monitor.models import Version as VersionRow
from tests.support.config import write_config
from tests.support.pages import AI_CLAUSE, BASE_PARAGRAPHS, policy_page
from tests.support.rows import hold_crawl_lock, release_crawl_locks

pytestmark = pytest.mark.slow

WAIT = 90.0  # generous: a cycle is a Python child that imports Scrapy (3-5 s here)


class Daemon:
    """A ``policywatch schedule`` subprocess whose combined output goes to a file."""

    def __init__(self, tmp_path: Path, config: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
        env["POLICYWATCH_CONFIG"] = str(config)
        self.log_path = tmp_path / f"daemon-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "schedule", *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@pytest.fixture
def db(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine, store.session_factory(engine)
    engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path):
    """For scheduler logic that does not depend on the database kind (saves a daemon run)."""
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield url, store.session_factory(engine)
    engine.dispose()


@pytest.fixture
def pg_db(pg_available):
    """PostgreSQL only: the database docker-compose runs, for the daemon-level crash paths."""
    from tests.conftest import PG_ADMIN_URL, _drop_pg_database, _new_pg_database

    if not pg_available:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name, url = _new_pg_database()
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield url, store.session_factory(engine)
    finally:
        engine.dispose()
        _drop_pg_database(name)


@pytest.fixture
def start_daemon(tmp_path):
    """Start daemons; whatever a failing test leaves running is killed afterwards."""
    started: list[Daemon] = []

    def start(config: Path, *args: str) -> Daemon:
        daemon = Daemon(tmp_path, config, *args)
        started.append(daemon)
        return daemon

    yield start
    for d in started:
        d.kill()


def _wait_for(what: str, check: Callable[[], object], daemon: Daemon, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if daemon.proc.poll() is not None:
            pytest.fail(
                f"daemon exited ({daemon.proc.returncode}) waiting for {what}:\n{daemon.output()}"
            )
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}:\n{daemon.output()}")


def _cycles(maker) -> list[Heartbeat]:
    """Heartbeats of cycles (start and stop rows have no run and ok=True)."""
    with maker() as s:
        rows = s.scalars(select(Heartbeat).order_by(Heartbeat.id))
        return [h for h in rows if h.run_id is not None or not h.ok]


def _runs(maker) -> list[CrawlRun]:
    with maker() as s:
        return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def _texts(maker) -> list[str]:
    with maker() as s:
        return [v.text for v in s.scalars(select(VersionRow).order_by(VersionRow.number))]


def _assert_consistent(maker) -> None:
    """No run left running, no fetch left unprocessed, no lock left behind."""
    with maker() as s:
        assert s.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all() == []
        assert s.scalars(select(CrawlRun).where(CrawlRun.finished_at.is_(None))).all() == []
        assert s.scalars(select(FetchOutcome).where(FetchOutcome.outcome == "pending")).all() == []
        assert s.scalars(select(Snapshot).where(Snapshot.processed_at.is_(None))).all() == []
        assert s.scalars(select(CrawlLock)).all() == []
        # every run accounts for the document, exactly once
        for run in s.scalars(select(CrawlRun)):
            assert len(store.run_outcomes(s, run.id)) == 1, run.id


def _child_pid(maker) -> int | None:
    with maker() as s:
        run = s.scalar(
            select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id.desc())
        )
        return (run.stats or {}).get("child_pid") if run else None


def _slow_drip(started: threading.Event):
    """A route that sends its headers, then a byte every 0.2 s for a minute: a fetch in progress."""

    def handler(h) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        started.set()
        try:
            for _ in range(300):
                h.wfile.write(b" ")
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client went away: that is the point

    return handler


def test_two_cycles_then_sigterm_leaves_a_clean_database(
    tmp_path, db, db_url, policy_server, start_daemon
):
    from tests.integration.test_notify_support import HTTPSink

    engine, maker = db
    sink = HTTPSink().start()
    try:
        policy_server.set("/privacy", policy_page())
        cfg = write_config(
            tmp_path / "pw.toml",
            policy_server.base,
            db_url=db_url,
            extra=f'notify = ["{sink.json_url()}"]',
        )
        daemon = start_daemon(cfg, "--interval", "3")
        first = _wait_for("the first cycle", lambda: _cycles(maker), daemon)
        assert first[0].ok and first[0].run_id is not None
        # the page gains an AI-training clause before a later cycle
        policy_server.set(
            "/privacy", policy_page(BASE_PARAGRAPHS[:2] + [AI_CLAUSE] + BASE_PARAGRAPHS[2:])
        )
        _wait_for("a second version", lambda: len(_texts(maker)) == 2, daemon)
        _wait_for("the alert to be sent", lambda: sink.posts, daemon, timeout=30)
        rc = daemon.stop(signal.SIGTERM)
    finally:
        sink.stop()

    output = daemon.output()
    assert rc == 0, output
    _assert_consistent(maker)
    texts = _texts(maker)
    assert "train artificial intelligence" in texts[1]
    assert "train artificial intelligence" not in texts[0]
    runs = _runs(maker)
    assert len(runs) >= 2
    assert {r.trigger for r in runs} == {"schedule"}
    # SIGTERM may land in the middle of a cycle: that last run is closed as interrupted
    assert {r.status for r in runs[:-1]} == {"ok"}
    assert runs[-1].status in ("ok", "interrupted")
    with maker() as s:
        beats = list(s.scalars(select(Heartbeat).order_by(Heartbeat.id)))
        alerts = list(s.scalars(select(Alert)))
    # start row, one row per cycle (each names its run), stop row
    assert beats[0].detail.startswith("scheduler started") and beats[0].next_run_at is not None
    assert beats[-1].detail == "scheduler stopped (SIGTERM)" and beats[-1].next_run_at is None
    cycles = beats[1:-1]
    assert len(cycles) >= 2
    assert [h.run_id for h in cycles] == [r.id for r in runs]
    assert [h.ok for h in cycles] == [r.status == "ok" for r in runs]
    assert all(h.next_run_at is not None for h in cycles[:-1])
    # one alert for the AI clause (none for the first version), delivered once
    assert len(alerts) == 1 and alerts[0].status == "sent"
    assert len(sink.posts) == 1
    assert "AI" in sink.posts[0].json()["title"]
    # one log line per run, with the per-document outcome
    assert f"[interval] run {runs[0].id} ok: example/privacy-policy new" in output
    assert "example/privacy-policy changed" in output
    for run in runs:
        assert output.count(f"] run {run.id} ") == 1, output
    assert "scheduler stopped (SIGTERM)" in output


def test_sigkill_of_the_crawl_child_mid_fetch_then_the_next_cycle_succeeds(
    tmp_path, db, db_url, policy_server, start_daemon
):
    engine, maker = db
    dripping = threading.Event()
    policy_server.set("/privacy", _slow_drip(dripping))
    cfg = write_config(tmp_path / "pw.toml", policy_server.base, db_url=db_url, timeout=60.0)
    daemon = start_daemon(cfg, "--interval", "3")
    child = _wait_for("the crawl child", lambda: _child_pid(maker), daemon)
    _wait_for("the child to be mid-fetch", dripping.is_set, daemon)
    os.kill(child, signal.SIGKILL)
    policy_server.set("/privacy", policy_page())  # the site is fine again for the next cycle

    _wait_for(
        "a successful cycle after the kill", lambda: any(h.ok for h in _cycles(maker)), daemon
    )
    rc = daemon.stop()
    output = daemon.output()
    assert rc == 0, output
    _assert_consistent(maker)

    runs = _runs(maker)
    killed, after = runs[0], runs[1]
    assert killed.status == "failed"
    assert "crawl child exited with -9" in killed.error
    assert after.status == "ok"
    with maker() as s:
        (outcome,) = store.run_outcomes(s, killed.id)
        assert (outcome.outcome, outcome.reason) == ("failed", "crawl-error")
        (outcome,) = store.run_outcomes(s, after.id)
        assert outcome.outcome == "new"
        doc = s.scalars(select(Document)).one()
        assert doc.consecutive_failures == 0 and doc.last_success_at is not None
    cycles = _cycles(maker)
    assert [(h.run_id, h.ok) for h in cycles[:2]] == [(killed.id, False), (after.id, True)]
    assert len(_texts(maker)) == 1
    assert f"run {killed.id} failed: example/privacy-policy failed (crawl-error)" in output


def test_a_crashed_daemon_run_is_marked_interrupted_at_the_next_start(
    tmp_path, pg_db, policy_server, start_daemon
):
    db_url, maker = pg_db
    dripping = threading.Event()
    policy_server.set("/privacy", _slow_drip(dripping))
    cfg = write_config(tmp_path / "pw.toml", policy_server.base, db_url=db_url, timeout=60.0)
    crashed = start_daemon(cfg, "--interval", "3")
    child = _wait_for("the crawl child", lambda: _child_pid(maker), crashed)
    _wait_for("the child to be mid-fetch", dripping.is_set, crashed)
    # a power cut: the daemon and its crawl die at once, nothing gets to clean up
    crashed.kill()
    with contextlib.suppress(ProcessLookupError):  # the child may already be on its way out
        os.killpg(child, signal.SIGKILL)
    assert [r.status for r in _runs(maker)] == ["running"]

    policy_server.set("/privacy", policy_page())
    daemon = start_daemon(cfg, "--interval", "3")
    _wait_for("a successful cycle", lambda: any(h.ok for h in _cycles(maker)), daemon)
    rc = daemon.stop()
    output = daemon.output()
    assert rc == 0, output
    runs = _runs(maker)
    assert runs[0].status == "interrupted"
    assert "process ended before the run finished" in runs[0].error
    assert runs[1].status == "ok"
    assert "1 run(s) left running by an earlier crash marked interrupted" in output
    with maker() as s:
        assert s.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all() == []
        assert s.scalars(select(CrawlLock)).all() == []
    assert len(_texts(maker)) == 1


def test_sigterm_during_a_fetch_stops_the_child_and_closes_the_run_as_interrupted(
    tmp_path, sqlite_db, policy_server, start_daemon
):
    db_url, maker = sqlite_db
    dripping = threading.Event()
    policy_server.set("/privacy", _slow_drip(dripping))
    cfg = write_config(tmp_path / "pw.toml", policy_server.base, db_url=db_url, timeout=60.0)
    daemon = start_daemon(cfg, "--interval", "3", "--stop-timeout", "3")
    child = _wait_for("the crawl child", lambda: _child_pid(maker), daemon)
    _wait_for("the child to be mid-fetch", dripping.is_set, daemon)
    rc = daemon.stop(signal.SIGTERM)
    output = daemon.output()
    assert rc == 0, output
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    _assert_consistent(maker)
    (run,) = _runs(maker)
    assert run.status == "interrupted"
    assert "scheduler stopped (SIGTERM) during the run" in run.error
    with maker() as s:
        (outcome,) = store.run_outcomes(s, run.id)
        assert outcome.outcome == "failed"
        beats = list(s.scalars(select(Heartbeat).order_by(Heartbeat.id)))
    assert [b.detail.split(" (")[0] for b in (beats[0], beats[-1])] == [
        "scheduler started",
        "scheduler stopped",
    ]
    cycle = beats[1]
    assert cycle.run_id == run.id and not cycle.ok and "interrupted" in cycle.detail
    assert _texts(maker) == []
    assert "SIGTERM: stopping" in output


def test_a_crawl_already_running_makes_the_cycle_skip_not_overlap(
    tmp_path, pg_db, policy_server, start_daemon
):
    """At most one crawl at a time, across processes: a manual crawl holds the lock."""
    db_url, maker = pg_db
    policy_server.set("/privacy", policy_page())
    hold_crawl_lock(maker, os.getpid())  # this test process plays the manual `policywatch crawl`
    cfg = write_config(tmp_path / "pw.toml", policy_server.base, db_url=db_url)
    daemon = start_daemon(cfg, "--interval", "3")
    skipped = _wait_for("a skipped cycle", lambda: _cycles(maker), daemon)[0]
    assert not skipped.ok and skipped.run_id is None
    assert skipped.detail.startswith("[interval] skipped: a crawl is already running")
    assert f"(pid {os.getpid()}" in skipped.detail
    assert _runs(maker) == []
    release_crawl_locks(maker)
    _wait_for("a cycle once the lock is free", lambda: any(h.ok for h in _cycles(maker)), daemon)
    assert daemon.stop() == 0, daemon.output()
    assert [r.status for r in _runs(maker)][0] == "ok"
    assert "skipped: a crawl is already running" in daemon.output()


def test_a_run_missed_while_the_daemon_was_down_is_reported_at_start(
    tmp_path, sqlite_db, policy_server, start_daemon
):
    from monitor import outbox
    from monitor.models import utcnow
    from tests.integration.test_notify_support import HTTPSink

    db_url, maker = sqlite_db
    policy_server.set("/privacy", policy_page())
    due = utcnow() - timedelta(hours=2)
    with maker() as s, s.begin():  # the last daemon announced a run two hours ago, then died
        s.add(Heartbeat(at=due - timedelta(hours=6), ok=True, detail="scheduler started (pid 1)"))
        s.add(Heartbeat(at=due - timedelta(hours=6), ok=True, next_run_at=due, detail="cycle"))
    sink = HTTPSink().start()
    try:
        cfg = write_config(
            tmp_path / "pw.toml",
            policy_server.base,
            db_url=db_url,
            extra=f'notify = ["{sink.json_url()}"]',
        )
        daemon = start_daemon(cfg, "--interval", "3")
        _wait_for("a cycle", lambda: any(h.run_id for h in _cycles(maker)), daemon)
        assert daemon.stop() == 0
    finally:
        sink.stop()
    output = daemon.output()
    missed = f"the run scheduled for {due:%Y-%m-%d %H:%M:%S} UTC was missed"
    assert missed in output
    with maker() as s:
        start = s.scalars(
            select(Heartbeat)
            .where(Heartbeat.detail.like("scheduler started (pid%"))
            .order_by(Heartbeat.id.desc())
        ).first()
    assert missed in start.detail and "catching up now" in start.detail
    if "missed-run" in getattr(outbox, "TRACKING_SEVERITY", {}):  # once the outbox has them
        with maker() as s:
            alert = s.scalars(select(Alert).where(Alert.tracking_event_id.is_not(None))).one()
            assert alert.tracking_event.kind == "missed-run"
    else:
        assert "missed-run alert not queued: the outbox has no schedule alerts yet" in output

    # after a clean stop, a restart is not a missed run
    again = start_daemon(cfg, "--interval", "3")
    _wait_for("the restart", lambda: "scheduler started" in again.output(), again)
    assert again.stop() == 0
    assert "was missed" not in again.output()
