"""How policywatch opens SQLite files: WAL for every process, even when several open a new
file at the same moment; large pages for a new file, an existing file left as it is.

SQLite answers ``PRAGMA journal_mode=WAL`` with "database is locked" at once (the busy
timeout does not apply) while another process is switching the same file. Seen in CI as one of
three `crawl` commands started together on a new database failing; ``monitor.db`` asks again.
The race is narrow, so the test lines processes up on a held lock for many rounds.
"""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time
from pathlib import Path

ROUNDS = 40
PROCESSES = 4


def _opener(jobs, results) -> None:
    """Each round: open the given file through make_engine's connect hook, say so, report."""
    from monitor.db import make_engine

    while (path := jobs.get()) is not None:
        engine = make_engine(f"sqlite:///{path}")
        results.put("waiting")  # the next statement blocks on the held lock
        try:
            with engine.connect() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            results.put(str(mode))
        except Exception as err:  # noqa: BLE001 - reported to the test, which fails on it
            results.put(f"error: {err}")
        finally:
            engine.dispose()


def test_processes_released_together_on_a_new_file_all_open_it(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")  # a forked child would inherit the holder's lock state
    jobs, results = ctx.Queue(), ctx.Queue()
    openers = [ctx.Process(target=_opener, args=(jobs, results)) for _ in range(PROCESSES)]
    for proc in openers:
        proc.start()
    outcomes: list[str] = []
    try:
        for n in range(ROUNDS):
            path = tmp_path / f"new{n}.sqlite"
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            for _ in openers:
                jobs.put(str(path))
            for _ in openers:
                assert results.get(timeout=60) == "waiting"
            time.sleep(0.05)
            holder.rollback()
            holder.close()
            outcomes.extend(results.get(timeout=120) for _ in openers)
    finally:
        for _ in openers:
            jobs.put(None)
        for proc in openers:
            proc.join(30)
    assert len(outcomes) == ROUNDS * PROCESSES
    assert [o for o in outcomes if o != "wal"] == []


def test_a_new_database_gets_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    from sqlalchemy import text

    from monitor.db import SQLITE_PAGE_SIZE, make_engine, upgrade

    new = make_engine(f"sqlite:///{tmp_path / 'new.sqlite'}")
    upgrade(new)
    with new.connect() as conn:
        assert conn.execute(text("PRAGMA page_size")).scalar() == SQLITE_PAGE_SIZE != 4096
    new.dispose()

    old_path = tmp_path / "old.sqlite"
    with sqlite3.connect(old_path) as conn:  # a database made before: 4096-byte pages
        conn.execute("PRAGMA page_size=4096")
        conn.execute("CREATE TABLE kept (x TEXT)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    conn.close()
    old = make_engine(f"sqlite:///{old_path}")
    with old.connect() as conn:
        assert conn.execute(text("PRAGMA page_size")).scalar() == 4096
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT x FROM kept")).scalar() == "still here"
    old.dispose()
