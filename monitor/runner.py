"""Run one crawl: lock, start the child, process its results while it runs, finish the run.

The parent never imports Scrapy. While the child fetches (one core), the parent already
turns stored snapshots into versions (the other core); whatever is left is processed when
the child exits. A child that hangs is killed at ``crawl.timeout``; documents it never
reported get a ``failed`` outcome, so a run always accounts for every document.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from sqlalchemy import select

from monitor import store, tracker
from monitor.config import Settings
from monitor.models import CrawlRun, Document, FetchOutcome
from monitor.secrets import redact

log = logging.getLogger("policywatch.runner")

EXIT_OK, EXIT_ERROR, EXIT_PARTIAL = 0, 1, 3


class CrawlBusy(RuntimeError):
    """Another crawl holds the lock."""


@dataclass
class CrawlResult:
    run_id: int
    status: str
    exit_code: int
    outcomes: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)
    error: str | None = None


def _child_command(settings: Settings, services: list[str]) -> list[str]:
    """The child reads its run id from stdin once the parent has created the run."""
    cmd = [sys.executable, "-m", "monitor.crawl", "--run-id", "-"]
    if settings.config_path:
        cmd += ["--config", settings.config_path]
    return cmd + services


@dataclass
class _Child:
    """A crawl child started ahead of its run, with the file that collects its output."""

    proc: subprocess.Popen
    errlog: IO[bytes]

    def discard(self) -> None:
        """Stop a child that never got its run id (closing stdin ends it; stop if not)."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                _stop(self.proc)
        self.errlog.close()


def _start_child(settings: Settings, services: list[str]) -> _Child:
    """Start the crawl child now, so that it imports Scrapy and reads its configuration
    (about a second) while this process takes the lock and prepares the run."""
    env = dict(os.environ)
    env["POLICYWATCH_DATABASE_URL"] = settings.database_url
    errlog = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _Child.discard
    try:
        proc = subprocess.Popen(
            _child_command(settings, services),
            stdin=subprocess.PIPE,
            stdout=errlog,
            stderr=errlog,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    except BaseException:
        errlog.close()
        raise
    return _Child(proc, errlog)


def run_crawl(
    settings: Settings,
    engine,
    services: list[str] | tuple[str, ...] = (),
    *,
    trigger: str = "cli",
    wait_for_lock: float = 0.0,
    on_child=None,
) -> CrawlResult:
    """Crawl the named services (all active ones when empty) and process the results."""
    from monitor.db import ensure_schema

    ensure_schema(engine)
    maker = store.session_factory(engine)
    selected = settings.select_services(list(services))
    check_selectors(selected)
    names = [s.slug for s in selected]
    ttl = timedelta(seconds=settings.crawl.timeout + 300)
    deadline = time.monotonic() + wait_for_lock
    child = _start_child(settings, names)
    try:
        while (holder := store.acquire_crawl_lock(maker, ttl)) is not None:
            if time.monotonic() >= deadline:
                raise CrawlBusy(
                    f"a crawl is already running (pid {holder.pid}, since "
                    f"{holder.acquired_at:%Y-%m-%d %H:%M} UTC); wait for it to finish"
                )
            time.sleep(1.0)
        try:
            return _run_locked(settings, engine, maker, names, trigger, on_child, child)
        finally:
            store.release_crawl_lock(maker)
    finally:
        child.discard()


def check_selectors(services) -> None:
    """Refuse to start with a selector that is not valid CSS: reported now, with the document
    it belongs to, rather than as a failed fetch for every run."""
    from monitor.config import ConfigError
    from monitor.extract import validate_selector

    for service in services:
        for decl in service.documents:
            if not decl.enabled:
                continue
            for key, selectors in (("select", decl.select), ("remove", decl.remove)):
                for selector in selectors:
                    try:
                        validate_selector(selector)
                    except ValueError as exc:
                        raise ConfigError(
                            f"declaration {decl.key}: {key} selector {selector!r} is not valid "
                            f"CSS ({exc}); fix it in the declaration or your config file"
                        ) from None


def _run_locked(settings, engine, maker, names, trigger, on_child, child) -> CrawlResult:
    from monitor.workers import WorkerPool, worker_count

    decls = [
        decl
        for service in settings.select_services(names)
        for decl in service.documents
        if decl.enabled
    ]
    with WorkerPool(worker_count(settings.crawl.workers, len(decls))) as pool:
        return _run_with_pool(settings, maker, names, trigger, on_child, child, decls, pool)


def _run_with_pool(settings, maker, names, trigger, on_child, child, decls, pool) -> CrawlResult:
    with maker() as session, session.begin():
        store.mark_interrupted_runs(session)
    # a crashed run's stored fetches
    leftovers = tracker.process_pending(maker, settings, mapper=pool.map)
    if leftovers:
        log.info("processed %d fetches left pending by an earlier run", len(leftovers))
    with maker() as session, session.begin():
        run = store.start_run(session, names, trigger)
        expected = {doc.id: key for key, doc in store.ensure_documents(session, decls).items()}
        run_id = run.id

    child_rc, child_error = _run_child(settings, maker, run_id, on_child, child, pool.map)
    tracker.process_pending(maker, settings, run_id, mapper=pool.map)
    with maker() as session, session.begin():
        reported = set(
            session.scalars(select(FetchOutcome.document_id).where(FetchOutcome.run_id == run_id))
        )
        for doc_id in set(expected) - reported:
            doc = session.get(Document, doc_id)
            reason = "crawl-error" if child_rc == EXIT_ERROR else "not-fetched"
            detail = (
                f"{doc.key}: the crawl "
                + (
                    "child failed before fetching it (see the run's note)"
                    if child_rc == EXIT_ERROR
                    else "ended before reaching this document"
                )
                + "; it is tried again on the next run"
            )
            store.add_outcome(
                session,
                run_id=run_id,
                document_id=doc_id,
                outcome="failed",
                reason=reason,
                detail=detail,
            )
            tracker.record_failure(session, settings, doc, reason, detail)
        outcomes = store.run_outcomes(session, run_id)
        failed = [o for o in outcomes if o.outcome == "failed"]
        run = session.get(CrawlRun, run_id)
        if child_rc == EXIT_ERROR and not any(o.outcome != "failed" for o in outcomes):
            status, code = "failed", EXIT_ERROR
        elif failed:
            status, code = "partial", EXIT_PARTIAL
        else:
            status, code = "ok", EXIT_OK
        run.stats = {
            **(run.stats or {}),
            "workers": pool.workers,
            "analysed_in_workers": pool.remote_items,
        }
        store.finish_run(session, run, status, child_error)
        rows = [(o.document.key, o.outcome, o.reason, o.detail) for o in outcomes]
    if settings.notify:
        from monitor.notify import send_pending

        send_pending(maker, settings)
    return CrawlResult(run_id, status, code, rows, child_error)


def _run_child(
    settings, maker, run_id, on_child, child: _Child, mapper: tracker.Mapper = map
) -> tuple[int, str | None]:
    """Hand the waiting child its run id; process stored fetches while it runs; kill it at
    the timeout."""
    proc, errlog = child.proc, child.errlog
    try:
        assert proc.stdin is not None
        proc.stdin.write(f"{run_id}\n".encode())
        proc.stdin.close()
    except OSError:  # it died while starting: its exit code and output say why (below)
        pass
    if on_child is not None:
        on_child(proc)
    with maker() as session, session.begin():
        session.get(CrawlRun, run_id).stats = {"child_pid": proc.pid}
    deadline = time.monotonic() + settings.crawl.timeout
    error = None
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                error = f"crawl child killed after crawl.timeout={settings.crawl.timeout:g}s"
                _stop(proc)
                break
            if not tracker.process_pending(maker, settings, run_id, mapper=mapper):
                time.sleep(0.1)
    except BaseException:
        _stop(proc)
        raise
    rc = proc.wait()
    if rc not in (EXIT_OK, EXIT_PARTIAL) and error is None:
        errlog.seek(0)
        tail = errlog.read()[-2000:].decode("utf-8", "replace").strip().splitlines()
        last = tail[-1] if tail else ""
        error = redact(f"crawl child exited with {rc}: {last}"[:500])
        log.error("%s", error)
        rc = EXIT_ERROR
    return rc, error


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies, so a
    SIGKILLed parent never leaves an orphan crawl writing into the next run's time."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the lease still expires
        pass


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the child's process group, then SIGKILL if it does not go within 10 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
