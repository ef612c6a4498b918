"""Run one crawl: lock, start the child, process its results while it runs, finish the run.

The parent never imports Scrapy. While the child fetches, the parent already turns stored
snapshots into versions: extraction, diff and detection run in a pool of worker processes
(``monitor.workers``), the database writes here; whatever is left is processed when the
child exits. A child that hangs is killed at ``crawl.timeout``; documents it never reported
get a ``failed`` outcome, so a run always accounts for every document.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from monitor import store, tracker
from monitor.config import Settings
from monitor.crawl_child import CrawlChild, start_child, stop
from monitor.models import CrawlRun, Document, FetchOutcome
from monitor.secrets import redact
from monitor.workers import WorkerPool, worker_count

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


def run_crawl(
    settings: Settings,
    engine,
    services: list[str] | tuple[str, ...] = (),
    *,
    trigger: str = "cli",
    wait_for_lock: float = 0.0,
    on_child=None,
    child: CrawlChild | None = None,
) -> CrawlResult:
    """Crawl the named services (all active ones when empty) and process the results.

    ``child``: a crawl child the caller started ahead for the same services (see
    ``monitor.crawl_child``); it is used or stopped here, whatever happens.
    """
    try:
        from monitor.db import ensure_schema

        selected = settings.select_services(list(services))
        names = [s.slug for s in selected]
        if child is not None and list(child.services) != names:
            child.discard()
            child = None
        if child is None:
            child = start_child(settings, names)
        ensure_schema(engine)
        maker = store.session_factory(engine)
        check_selectors(selected)
        ttl = timedelta(seconds=settings.crawl.timeout + 300)
        holder = store.wait_for_crawl_lock(maker, ttl, wait_for_lock)
        if holder is not None:
            raise CrawlBusy(
                f"a crawl is already running (pid {holder.pid}, since "
                f"{holder.acquired_at:%Y-%m-%d %H:%M} UTC); wait for it to finish"
            )
        try:
            return _run_locked(settings, engine, maker, names, trigger, on_child, child)
        finally:
            store.release_crawl_lock(maker)
    finally:
        if child is not None:
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
    decls = [
        decl
        for service in settings.select_services(names)
        for decl in service.documents
        if decl.enabled
    ]
    with WorkerPool(worker_count(settings.crawl.workers, len(decls)), start=False) as pool:
        return _run_with_pool(settings, maker, names, trigger, on_child, child, decls, pool)


def _run_with_pool(settings, maker, names, trigger, on_child, child, decls, pool) -> CrawlResult:
    with maker() as session, session.begin():
        store.mark_interrupted_runs(session)
    # a crashed run's stored fetches
    leftovers = tracker.process_pending(maker, settings, mapper=pool.map, pipeline=pool.parallel)
    if leftovers:
        log.info("processed %d fetches left pending by an earlier run", len(leftovers))
    with maker() as session, session.begin():
        run = store.start_run(session, names, trigger)
        expected = {doc.id: key for key, doc in store.ensure_documents(session, decls).items()}
        run_id = run.id

    child_rc, child_error = _run_child(settings, maker, run_id, on_child, child, pool)
    tracker.process_pending(maker, settings, run_id, mapper=pool.map, pipeline=pool.parallel)
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
    settings, maker, run_id, on_child, child: CrawlChild, pool: WorkerPool
) -> tuple[int, str | None]:
    """Hand the waiting child its run id; process stored fetches while it runs; kill it at
    the timeout."""
    proc = child.proc
    child.hand_over(run_id)
    pool.start()  # now: see WorkerPool
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
                stop(proc)
                break
            if not tracker.process_pending(
                maker, settings, run_id, mapper=pool.map, pipeline=pool.parallel
            ):
                time.sleep(0.1)
    except BaseException:
        stop(proc)
        raise
    rc = proc.wait()
    if rc not in (EXIT_OK, EXIT_PARTIAL) and error is None:
        tail = child.output_tail().strip().splitlines()
        last = tail[-1] if tail else ""
        error = redact(f"crawl child exited with {rc}: {last}"[:500])
        log.error("%s", error)
        rc = EXIT_ERROR
    return rc, error
