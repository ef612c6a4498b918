"""Outages and crashes (issue 6, item 2): the CLI as a user runs it, things breaking under it.

Every test drives ``python -m monitor crawl`` as a subprocess against a loopback site and a real
database, breaks something (the database is unreachable, read-only, full, or its connections are
killed; the crawl child or the CLI process is SIGKILLed at a known point; two crawls start at
once), then checks what is left: a clear one-line error and exit code, no half-written or bogus
version, no run stuck ``running`` once the next crawl has started, no alert lost or sent twice,
and a next crawl that gets everything right.

Known points instead of sleeps: routes are :class:`tests.support.hostile.Gate` objects that hold
a request until the test opens them, so "the child is mid-fetch" is an event, not a guess.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from monitor import store
from monitor.db import make_engine, upgrade
from monitor.models import Alert, CrawlLock, CrawlRun, Document, FetchOutcome, Snapshot, Version
from tests.integration.test_notify_support import HTTPSink
from tests.support import hostile as H
from tests.support.config import write_config
from tests.support.pages import AI_CLAUSE, policy_page

pytestmark = pytest.mark.slow

V1 = policy_page()
V2 = policy_page(H.with_ai_clause())  # the same policy with an AI-training clause added


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture
def sink():
    s = HTTPSink().start()
    yield s
    s.stop()


@pytest.fixture
def pg_url(pg_available):
    """A fresh PostgreSQL database (for PostgreSQL-only behaviour); skips when unreachable."""
    from tests.conftest import PG_ADMIN_URL, _drop_pg_database, _new_pg_database

    if not pg_available:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name, url = _new_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture
def processes():
    """Background CLI processes (and pids) a test starts; whatever is left is killed after."""
    started: list[H.CliProcess] = []
    pids: list[int] = []

    class Procs:
        def start(self, args, env, log_path) -> H.CliProcess:
            p = H.CliProcess(args, env, log_path)
            started.append(p)
            return p

        def track(self, pid: int) -> int:
            pids.append(pid)
            return pid

    yield Procs()
    for p in started:
        with contextlib.suppress(OSError):
            os.kill(p.pid, signal.SIGCONT)
        p.kill()
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGCONT)
        H.kill_pid(pid)


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A small tmpfs at ``path`` (needs root and mount rights); skips the test otherwise."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root (used to simulate read-only and full disks)")
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def site_config(tmp_path, server, kinds, *, sink=None, timeout=10.0, per_domain=4) -> Path:
    extra = [
        "[alerts]",
        "tracking_failures = 2",
        "backoff_seconds = 1.0",
    ]
    if sink is not None:
        extra.insert(0, f'notify = ["json://127.0.0.1:{sink.port}/hook"]')
    cfg = write_config(
        tmp_path / "pw.toml",
        server.base,
        {k: f"/d/{k}" for k in kinds},
        timeout=timeout,
        extra="\n".join(extra),
    )
    cfg.write_text(
        cfg.read_text().replace("[crawl]\n", f"[crawl]\nconcurrent_per_domain = {per_domain}\n", 1)
    )
    return cfg


class Db:
    """Read what a crawl left behind (a fresh engine each time: other processes write)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _session(self):
        engine = make_engine(self.url)
        return engine, store.session_factory(engine)()

    def read(self, fn):
        engine, session = self._session()
        try:
            with session:
                return fn(session)
        finally:
            engine.dispose()

    def versions(self) -> dict[str, list[str]]:
        def q(s):
            out: dict[str, list[str]] = {}
            rows = s.execute(
                select(Document.kind, Version.number, Version.text)
                .join(Version, Version.document_id == Document.id)
                .order_by(Document.kind, Version.number)
            )
            for kind, number, text_ in rows:
                out.setdefault(kind, []).append(text_)
                assert number == len(out[kind]), f"{kind}: version numbers not 1..n"
            return out

        return self.read(q)

    def runs(self) -> list[tuple[int, str]]:
        return self.read(
            lambda s: [(r.id, r.status) for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))]
        )

    def run_errors(self) -> list[str | None]:
        return self.read(
            lambda s: [r.error for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))]
        )

    def alerts(self) -> list[tuple[str, str, int]]:
        """(document kind, status, attempts) of every alert, oldest first."""

        def q(s):
            rows = s.execute(
                select(Document.kind, Alert.status, Alert.attempts, Alert.change_id)
                .join(Document, Alert.document_id == Document.id)
                .order_by(Alert.id)
            )
            return [(k, st, n) for k, st, n, _c in rows]

        return self.read(q)

    def stored(self, kind: str) -> bool:
        """A fetch of ``kind`` was committed by the crawl child (pending or processed)."""

        def q(s):
            return s.scalar(
                select(FetchOutcome.id)
                .join(Document, FetchOutcome.document_id == Document.id)
                .where(Document.kind == kind)
                .limit(1)
            )

        return self.read(q) is not None

    def consistent(self) -> None:
        """No run left running, no fetch left pending, no lock left behind."""

        def q(s):
            assert s.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all() == []
            pending = s.scalars(select(FetchOutcome).where(FetchOutcome.outcome == "pending"))
            assert pending.all() == []
            assert s.scalars(select(CrawlLock)).all() == []

        self.read(q)


def migrated(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """The command failed with exit 1 and a single ``policywatch: …`` line on stderr."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("policywatch: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# --------------------------------------------------------------------------------------------
# Database unavailable at start
# --------------------------------------------------------------------------------------------

DB_PASSWORD = "Db-S3cret-pw-4711"


def test_postgresql_unreachable_at_start_is_one_clear_line_and_exit_1(tmp_path, policy_server):
    from tests.integration.test_notify_support import free_port

    policy_server.set("/d/policy", V1)
    cfg = site_config(tmp_path, policy_server, ["policy"])
    url = f"postgresql://policywatch:{DB_PASSWORD}@127.0.0.1:{free_port()}/policywatch"
    env = H.cli_env(cfg, url)
    for args in (["crawl"], ["crawl", "--wait", "5"], ["runs"], ["status"], ["history", "example"]):
        proc = H.cli(args, env, timeout=60)
        line = one_line_error(proc, "cannot connect to the database", "127.0.0.1")
        assert DB_PASSWORD not in proc.stdout + proc.stderr, args
        assert ":****@127.0.0.1" in line
    # nothing was fetched: the crawl never started a child
    assert policy_server.requests == []


def test_sqlite_in_a_read_only_directory_fails_cleanly_and_recovers(tmp_path, policy_server, sink):
    policy_server.set("/d/policy", V1)
    cfg = site_config(tmp_path, policy_server, ["policy"], sink=sink)
    with tmpfs(tmp_path / "disk", "16m") as disk:
        url = f"sqlite:///{disk / 'pw.db'}"
        env = H.cli_env(cfg, url)
        # a database that cannot even be created
        remount(disk, "ro")
        proc = H.cli(["crawl"], env)
        one_line_error(proc, "pw.db")
        assert list(disk.iterdir()) == [] and policy_server.requests == []

        # an existing database whose directory turned read-only between two crawls
        remount(disk, "rw")
        assert H.cli(["crawl"], env).returncode == 0
        policy_server.set("/d/policy", V2)
        remount(disk, "ro")
        before = sorted(p.name for p in disk.iterdir())
        fetched = policy_server.hits("/d/policy")
        proc = H.cli(["crawl"], env)
        one_line_error(proc, "pw.db")
        assert sorted(p.name for p in disk.iterdir()) == before
        assert policy_server.hits("/d/policy") == fetched  # failed before fetching anything

        remount(disk, "rw")
        db = Db(url)
        assert db.versions() == {"policy": [db.versions()["policy"][0]]}
        assert [s for _i, s in db.runs()] == ["ok"]
        proc = H.cli(["crawl", "--json"], env)
        assert proc.returncode == 0, proc.stderr
        assert '"outcome": "changed"' in proc.stdout
        assert len(db.versions()["policy"]) == 2
        assert db.alerts() == [("policy", "sent", 1)] and len(sink.posts) == 1
        db.consistent()


# --------------------------------------------------------------------------------------------
# Database lost mid-run (PostgreSQL: the server kills our connections)
# --------------------------------------------------------------------------------------------


def _terminate_backends(url: str) -> int:
    """pg_terminate_backend for every connection to ``url``'s database (from an admin link)."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return sum(1 for (ok,) in rows if ok)


@pytest.mark.postgres
def test_postgresql_connections_killed_mid_run_record_no_bogus_version(
    tmp_path, pg_url, policy_server, sink, processes
):
    url = migrated(pg_url)
    db = Db(url)
    cfg = site_config(tmp_path, policy_server, ["fast", "slow"], sink=sink)
    env = H.cli_env(cfg, url)
    policy_server.set("/d/fast", V1)
    policy_server.set("/d/slow", V1)
    assert H.cli(["crawl"], env).returncode == 0
    base = db.versions()

    # the next crawl sees the AI clause on both pages; the database goes away while it runs
    gate = H.Gate(V2)
    policy_server.set("/d/fast", V2)
    policy_server.set("/d/slow", gate)
    crawl = processes.start(["crawl"], env, tmp_path / "crawl.log")
    H.wait_until("the slow fetch", gate.arrived.is_set)
    H.wait_until("the fast fetch stored", lambda: len(db.runs()) == 2 and db.stored("fast"))
    killed = _terminate_backends(url)
    assert killed >= 1  # the crawl's own connections (parent and child) were there
    gate.open()
    stop = threading.Event()

    def keep_killing() -> None:  # hit the processing and the run's end too
        while not stop.wait(0.15):
            _terminate_backends(url)

    killer = threading.Thread(target=keep_killing, daemon=True)
    killer.start()
    time.sleep(1.5)
    stop.set()
    killer.join()
    rc = crawl.wait()
    output = crawl.output()
    assert rc in (0, 1, 3), output
    if rc == 1:  # the run could not even be closed: one clear last line, and no secret
        last = [line for line in output.splitlines() if line.strip()][-1]
        assert last.startswith("policywatch: database error"), output

    # whatever happened, no version is bogus: each is the old or the new text, never twice
    after = db.versions()
    for kind in ("fast", "slow"):
        assert after[kind][0] == base[kind][0] and len(after[kind]) <= 2
        assert all(AI_CLAUSE in t for t in after[kind][1:])

    # the next crawl recovers everything, exactly once
    proc = H.cli(["crawl"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    final = db.versions()
    assert {k: len(v) for k, v in final.items()} == {"fast": 2, "slow": 2}
    assert all(AI_CLAUSE in v[1] and AI_CLAUSE not in v[0] for v in final.values())
    assert "running" not in [s for _i, s in db.runs()]
    # one AI alert per document, each sent once (a broken run may leave it for the next one)
    alerts = db.alerts()
    assert sorted(k for k, _s, _n in alerts) == ["fast", "slow"]
    interrupted = sum(1 for _k, s, _n in alerts if s == "sending")
    if interrupted:
        # the database went away between a delivery and its record (one timing in ~60 runs):
        # the alert keeps its claim until the lease runs out, then goes again, saying so
        from datetime import timedelta

        from monitor.config import load_settings
        from monitor.models import utcnow
        from monitor.notify import send_pending

        engine = make_engine(url)
        try:
            report = send_pending(
                engine, load_settings(cfg, env=env), now=utcnow() + timedelta(hours=1)
            )
        finally:
            engine.dispose()
        assert report.sent == interrupted
        alerts = db.alerts()
    assert all(s == "sent" for _k, s, _n in alerts), alerts
    # a message goes twice only when its first delivery was never recorded, and then with the
    # same alert number (the message tells the reader that a repeated number is a re-delivery)
    numbers = [int(m) for p in sink.posts for m in re.findall(rb"Alert #(\d+)", p.body)[:1]]
    assert len(numbers) == len(sink.posts) == 2 + interrupted
    assert len(set(numbers)) == 2
    db.consistent()


@pytest.mark.postgres
def test_a_stored_fetch_survives_a_database_outage_while_it_is_processed(
    tmp_path, pg_url, policy_server, sink, processes
):
    """The crawl child stored the page; the parent loses its database connection exactly while
    turning it into a version (held on a table lock, then terminated — every time it comes
    back while the lock holds). The stored fetch must not be thrown away: once the database is
    back it becomes the version (from *that* snapshot), with its one AI alert, and a database
    outage is not a failure of the document."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    url = migrated(pg_url)
    name = url.rsplit("/", 1)[1]
    db = Db(url)
    cfg = site_config(tmp_path, policy_server, ["policy"], sink=sink)
    env = H.cli_env(cfg, url)
    policy_server.set("/d/policy", V1)
    assert H.cli(["crawl"], env).returncode == 0

    policy_server.set("/d/policy", V2)
    locker = psycopg.connect(url)
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
    try:
        locker.execute("LOCK TABLE changes IN ACCESS EXCLUSIVE MODE")  # holds until rollback
        crawl = processes.start(["crawl"], env, tmp_path / "crawl.log")
        terminated = 0
        deadline = time.monotonic() + 120
        while crawl.proc.poll() is None and time.monotonic() < deadline:
            rows = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                "AND wait_event_type = 'Lock' AND pid <> %s",
                (name, locker.info.backend_pid),
            ).fetchall()
            for (pid,) in rows:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                terminated += 1
            time.sleep(0.05)
        crawl.wait()
    finally:
        locker.rollback()
        locker.close()
        admin.close()
    assert terminated >= 1, crawl.output()
    if crawl.proc.returncode == 1:  # the outage ended the run: one clear line at the end
        last = [line for line in crawl.output().splitlines() if line.strip()][-1]
        assert last.startswith("policywatch: database error"), crawl.output()

    proc = H.cli(["crawl"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    def facts(s):
        doc = s.scalar(select(Document))
        second = s.scalar(select(Version).where(Version.number == 2))
        snap_run = s.get(Snapshot, second.snapshot_id).run_id if second else None
        reasons = [o.reason for o in s.scalars(select(FetchOutcome).order_by(FetchOutcome.id))]
        return doc.consecutive_failures, snap_run, reasons

    failures, snap_run, reasons = db.read(facts)
    assert len(db.versions()["policy"]) == 2
    assert db.alerts() == [("policy", "sent", 1)] and len(sink.posts) == 1
    assert "internal-error" not in reasons
    assert failures == 0
    assert snap_run == 2  # the version comes from the fetch the outage interrupted


# --------------------------------------------------------------------------------------------
# SIGKILL of the crawl child and of the CLI process
# --------------------------------------------------------------------------------------------


def test_sigkill_of_the_crawl_child_mid_fetch(tmp_path, policy_server, sink, processes):
    """The child dies while one page is in flight: what it stored counts, the rest is a
    ``crawl-error`` for this run, and the next crawl fetches it — one version each."""
    url = migrated(f"sqlite:///{tmp_path / 'pw.db'}")
    db = Db(url)
    cfg = site_config(tmp_path, policy_server, ["fast", "slow"], sink=sink)
    env = H.cli_env(cfg, url)
    gate = H.Gate(V1)
    policy_server.set("/d/fast", V1)
    policy_server.set("/d/slow", gate)
    crawl = processes.start(["crawl"], env, tmp_path / "crawl.log")
    child = processes.track(crawl.crawl_child())
    H.wait_until("the slow fetch", gate.arrived.is_set)
    H.wait_until("the fast fetch stored", lambda: db.stored("fast"))
    os.kill(child, signal.SIGKILL)
    rc = crawl.wait()
    gate.open()
    output = crawl.output()
    assert rc == 3, output  # partial: one document fetched, one lost with the child
    assert "example/fast" in output and "new" in output
    assert "example/slow" in output and "crawl-error" in output
    assert db.runs() == [(1, "partial")]
    assert "exited with -9" in (db.run_errors()[0] or "")
    assert {k: len(v) for k, v in db.versions().items()} == {"fast": 1}

    proc = H.cli(["crawl", "--json"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {k: len(v) for k, v in db.versions().items()} == {"fast": 1, "slow": 1}
    assert db.runs() == [(1, "partial"), (2, "ok")]
    assert db.alerts() == [] and sink.posts == []
    db.consistent()


def test_sigkill_of_the_cli_mid_fetch_leaves_no_orphan_to_write_stale_pages_later(
    tmp_path, db_url, policy_server, sink, processes
):
    """The CLI process (the crawl's parent) is killed while its child waits for a page. The
    next crawl must find the run ``interrupted`` — and the orphaned child must not live on to
    store that old page *after* newer crawls: processed later, it would read as the policy
    reverting (a false "AI clause removed" alert, then "added" again)."""
    url = migrated(db_url)
    db = Db(url)
    # a download timeout longer than the test: the old request completes, it does not time out
    cfg = site_config(tmp_path, policy_server, ["fast", "slow"], sink=sink, timeout=120.0)
    env = H.cli_env(cfg, url)
    gate = H.Gate(V1)
    policy_server.set("/d/fast", V1)
    policy_server.set("/d/slow", gate)
    crawl = processes.start(["crawl"], env, tmp_path / "crawl1.log")
    child = processes.track(crawl.crawl_child())
    H.wait_until("the slow fetch", gate.arrived.is_set)
    H.wait_until("the fast fetch stored", lambda: db.stored("fast"))
    crawl.proc.kill()
    crawl.wait()
    orphan_stopped = H.pid_gone(child, timeout=10)

    # the site changes; the next crawl runs while the old request is still open
    policy_server.set("/d/slow", V2)
    proc = H.cli(["crawl"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [s for _i, s in db.runs()] == ["interrupted", "ok"]
    assert "process ended before the run finished" in (db.run_errors()[0] or "")
    # the old request finally answers (an orphan would store V1 now), then one more crawl
    gate.open()
    H.pid_gone(child, timeout=30)
    proc = H.cli(["crawl"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    versions = db.versions()
    assert {k: len(v) for k, v in versions.items()} == {"fast": 1, "slow": 1}, versions
    assert AI_CLAUSE in versions["slow"][0]
    assert db.alerts() == [] and sink.posts == []
    assert orphan_stopped, "the crawl child outlived its killed parent"
    db.consistent()


def _lock_for_writes(url: str):
    """Open a connection that blocks the tracker's writes until closed (SQLite: a reserved
    write lock; PostgreSQL: an exclusive lock on ``versions``)."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.split("///", 1)[1], timeout=30, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return conn
    import psycopg

    conn = psycopg.connect(url)
    conn.execute("LOCK TABLE versions IN ACCESS EXCLUSIVE MODE")
    return conn


def test_sigkill_of_the_cli_mid_processing_loses_and_duplicates_nothing(
    tmp_path, db_url, policy_server, sink, processes
):
    """Every page gained the AI clause. The child stores all fetches, then the parent is
    killed inside its processing transaction (held there by a lock). The next crawl processes
    the stored fetches: one version and one AI alert per document, sent once."""
    url = migrated(db_url)
    db = Db(url)
    kinds = [f"doc-{i}" for i in range(6)]
    cfg = site_config(tmp_path, policy_server, kinds, sink=sink)
    env = H.cli_env(cfg, url)
    for k in kinds:
        policy_server.set(f"/d/{k}", V1)
    assert H.cli(["crawl"], env).returncode == 0
    for k in kinds:
        policy_server.set(f"/d/{k}", V2)

    crawl = processes.start(["crawl"], env, tmp_path / "crawl.log")
    child = processes.track(crawl.crawl_child())
    H.wait_until("the run to record its child", lambda: len(db.runs()) == 2)
    os.kill(crawl.pid, signal.SIGSTOP)
    assert H.pid_gone(child, timeout=90), "the child did not finish while its parent slept"

    def pending(s):
        return len(s.scalars(select(FetchOutcome).where(FetchOutcome.outcome == "pending")).all())

    assert db.read(pending) == len(kinds)
    lock = _lock_for_writes(url)
    try:
        os.kill(crawl.pid, signal.SIGCONT)
        time.sleep(1.5)  # the parent polls every 0.1 s: it is now stuck inside its transaction
        crawl.proc.kill()
        crawl.wait()
    finally:
        lock.rollback() if hasattr(lock, "rollback") else None
        lock.close()
    assert db.read(pending) == len(kinds)  # nothing half-committed

    proc = H.cli(["crawl"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    versions = db.versions()
    assert {k: len(v) for k, v in versions.items()} == {k: 2 for k in kinds}
    assert all(AI_CLAUSE in v[1] for v in versions.values())
    assert [s for _i, s in db.runs()] == ["ok", "interrupted", "ok"]
    alerts = db.alerts()
    assert sorted(k for k, _s, _n in alerts) == kinds
    assert all((s, n) == ("sent", 1) for _k, s, n in alerts)
    assert len(sink.posts) == len(kinds)
    db.consistent()


# --------------------------------------------------------------------------------------------
# Two crawls at once
# --------------------------------------------------------------------------------------------


def test_two_crawls_at_once_one_refuses_one_waits_nothing_twice(
    tmp_path, db_url, policy_server, sink, processes
):
    url = migrated(db_url)
    db = Db(url)
    cfg = site_config(tmp_path, policy_server, ["policy"], sink=sink)
    env = H.cli_env(cfg, url)
    policy_server.set("/d/policy", V1)
    assert H.cli(["crawl"], env).returncode == 0

    gate = H.Gate(V2)  # the page gains the AI clause; the first crawl holds it open
    policy_server.set("/d/policy", gate)
    first = processes.start(["crawl"], env, tmp_path / "first.log")
    H.wait_until("the first crawl's fetch", gate.arrived.is_set)

    refused = H.cli(["crawl"], env)
    line = one_line_error(refused, "a crawl is already running", f"pid {first.pid}")
    assert "wait" in line
    # the refused command had started its crawl child ahead: it must be gone with it
    # (this test's crawl children are the ones reading this test's config file)
    crawl_children = [
        p
        for p in psutil.process_iter(["cmdline"])
        if "monitor.crawl" in (line := " ".join(p.info["cmdline"] or [])) and str(cfg) in line
    ]
    assert [p.ppid() for p in crawl_children] == [first.pid]
    waiting = processes.start(["crawl", "--wait", "120"], env, tmp_path / "waiting.log")
    time.sleep(2.0)
    assert waiting.proc.poll() is None, waiting.output()  # still waiting for the lock
    assert gate.count == 1  # ...without fetching anything

    gate.open()
    assert first.wait() == 0, first.output()
    assert waiting.wait() == 0, waiting.output()
    assert "changed" in first.output() and "unchanged" in waiting.output()
    assert len(db.versions()["policy"]) == 2
    assert [s for _i, s in db.runs()] == ["ok", "ok", "ok"]  # the refused crawl left no run
    assert db.alerts() == [("policy", "sent", 1)] and len(sink.posts) == 1
    db.consistent()


def test_crawls_started_together_on_a_fresh_database(tmp_path, db_url, policy_server, processes):
    """The first `docker compose up` with two services, or a cron job and a user: several
    commands start on an empty database. One must create the schema; the others must wait for
    it (and then for the crawl lock), not die. The test lines the commands up on a lock first, so
    they reach the empty schema at the same moment every time."""
    db = Db(db_url)
    cfg = site_config(tmp_path, policy_server, ["policy"])
    env = H.cli_env(cfg, db_url)
    policy_server.set("/d/policy", V1)
    with _starting_line(db_url) as all_waiting:
        crawls = [
            processes.start(["crawl", "--wait", "120"], env, tmp_path / f"crawl{i}.log")
            for i in range(3)
        ]
        all_waiting([c.pid for c in crawls])
    codes = [c.wait() for c in crawls]
    outputs = "\n".join(c.output() for c in crawls)
    assert codes == [0, 0, 0], outputs
    assert len(db.versions()["policy"]) == 1
    assert [s for _i, s in db.runs()] == ["ok", "ok", "ok"]


@contextlib.contextmanager
def _starting_line(url: str):
    """Hold every new connection at its first statement until the block ends.

    PostgreSQL: an empty ``alembic_version`` table (what Alembic creates first anyway) locked
    exclusively, so each command waits on reading the schema revision. SQLite: the new file
    locked exclusively in rollback-journal mode, so each command waits on switching to WAL.
    Yields a function that waits until the given command processes are held there.
    """
    if url.startswith("sqlite"):
        import sqlite3

        import psutil

        path = url.split("///", 1)[1]
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")

        def opened(pid: int) -> bool:
            try:
                return any(f.path == path for f in psutil.Process(pid).open_files())
            except psutil.Error:
                return False

        def held(pids: list[int]) -> None:  # each has the file open: it waits on the lock
            H.wait_until("every command at the database", lambda: all(map(opened, pids)), 60)
            time.sleep(0.5)

        try:
            yield held
        finally:
            conn.rollback()
            conn.close()
        return
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    name = url.rsplit("/", 1)[1]
    conn = psycopg.connect(url)
    conn.execute(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    conn.commit()
    conn.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")

    def held(pids: list[int]) -> None:
        n = len(pids)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            H.wait_until(
                f"{n} commands waiting",
                lambda: (
                    admin.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                        "AND wait_event_type = 'Lock'",
                        (name,),
                    ).fetchone()[0]
                    >= n
                ),
                timeout=60,
            )

    try:
        yield held
    finally:
        conn.rollback()
        conn.close()


# --------------------------------------------------------------------------------------------
# Disk full (SQLite on a small tmpfs)
# --------------------------------------------------------------------------------------------


def _fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; returns the filler file (delete it to free the space)."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError:
                break
        while True:  # the last partial block
            try:
                f.write(b"\0" * 512)
            except OSError:
                break
    return filler


def _integrity(url: str) -> str:
    import sqlite3

    with contextlib.closing(sqlite3.connect(url.split("///", 1)[1])) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_disk_full_on_sqlite_fails_cleanly_and_the_next_crawl_recovers(
    tmp_path, policy_server, sink, processes
):
    cfg = site_config(tmp_path, policy_server, ["policy"], sink=sink)
    with tmpfs(tmp_path / "disk", "8m") as disk:
        url = migrated(f"sqlite:///{disk / 'pw.db'}")
        db = Db(url)
        env = H.cli_env(cfg, url)
        policy_server.set("/d/policy", V1)
        assert H.cli(["crawl"], env).returncode == 0
        base = db.versions()

        # full before the crawl starts
        policy_server.set("/d/policy", V2)
        filler = _fill(disk)
        proc = H.cli(["crawl"], env)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        last = [line for line in proc.stderr.splitlines() if line.strip()][-1]
        assert last.startswith("policywatch: "), proc.stderr
        filler.unlink()
        assert db.versions() == base and _integrity(url) == "ok"

        # full while the child is fetching: its snapshot cannot be written
        gate = H.Gate(V2)
        policy_server.set("/d/policy", gate)
        crawl = processes.start(["crawl"], env, tmp_path / "crawl.log")
        H.wait_until("the fetch", gate.arrived.is_set)
        filler = _fill(disk)
        gate.open()
        rc = crawl.wait()
        assert rc in (1, 3), crawl.output()
        filler.unlink()
        assert db.versions() == base and _integrity(url) == "ok"

        # space again: the change is recorded once, alerted once
        policy_server.set("/d/policy", V2)
        proc = H.cli(["crawl"], env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        versions = db.versions()["policy"]
        assert len(versions) == 2 and AI_CLAUSE in versions[1]
        assert "running" not in [s for _i, s in db.runs()]
        assert db.alerts() == [("policy", "sent", 1)] and len(sink.posts) == 1
        assert _integrity(url) == "ok"
        db.consistent()


def test_sqlite_start_errors_name_their_cause(tmp_path, policy_server):
    """A user who sees this line must learn what to fix: the disk is full, the directory is
    read-only. SQLite says so ("disk I/O error", "unable to open database file"); the line
    must keep it (masked like every message)."""
    policy_server.set("/d/policy", V1)
    cfg = site_config(tmp_path, policy_server, ["policy"])
    with tmpfs(tmp_path / "vol", "8m") as disk:
        url = f"sqlite:///{disk / 'pw.db'}"
        env = H.cli_env(cfg, url)
        assert H.cli(["crawl"], env).returncode == 0
        filler = _fill(disk)
        full = one_line_error(H.cli(["crawl"], env))
        filler.unlink()
        remount(disk, "ro")
        fresh = one_line_error(H.cli(["crawl"], H.cli_env(cfg, f"sqlite:///{disk / 'new.db'}")))
        remount(disk, "rw")
    assert "disk I/O error" in full or "disk is full" in full, full
    assert "server is running" not in full, full
    assert "unable to open" in fresh and "server is running" not in fresh, fresh
