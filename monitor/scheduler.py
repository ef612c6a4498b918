"""The scheduler daemon: crawl on a schedule, one crawl at a time, never a run left ``running``.

Why this shape (DESIGN.md §3.4):

- APScheduler 3's ``BlockingScheduler`` with one worker thread, ``max_instances=1`` and
  ``coalesce=True``: a cycle that overruns its slot is skipped, not stacked, and runs missed
  while the process was busy or asleep collapse into one. Each cycle calls
  :func:`monitor.runner.run_crawl`, which runs Scrapy in a child process with a hard timeout
  and holds the database crawl lock, so a manual ``policywatch crawl`` and the daemon never
  crawl at the same time either.
- Per-service cron overrides become extra jobs (one per distinct expression); they share the
  single worker, so they queue instead of overlapping.
- A heartbeat row per cycle (and one at start and stop) is what ``policywatch status`` — the
  Docker healthcheck — judges, with :mod:`monitor.health`.
- SIGTERM / SIGINT: no new cycle starts; the crawl child gets SIGTERM (Scrapy finishes
  cleanly) and SIGKILL after ``stop_timeout``; the runner then accounts for every document
  and finishes the run, which is marked ``interrupted``. A second signal kills the child at
  once. A run left ``running`` by a crash (SIGKILL, power loss) is marked ``interrupted`` at
  the next start.
- At start, when no scheduled run started within the last interval (first deployment, or
  the host was down), one catch-up cycle runs right away; a crash loop never hammers sites,
  because a run that started recently suppresses the catch-up.

Heartbeats are written and the status is read through :mod:`monitor.store`, the only module
that issues SQL.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from monitor import health, store
from monitor.config import Settings
from monitor.models import CrawlRun, utcnow

log = logging.getLogger("policywatch.scheduler")

START_DETAIL = "scheduler started"
STOP_DETAIL = "scheduler stopped"
#: Exit code of ``schedule --once`` when the crawl could not run at all (lock held, error).
EXIT_ERROR = 1


# --- the daemon -------------------------------------------------------------------------------


def local_timezone() -> tzinfo:
    """The zone cron expressions are read in: the host's (``TZ``; UTC in the Docker image)."""
    from tzlocal import get_localzone

    return get_localzone()


@dataclass
class CycleOutcome:
    """What one cycle did, for the log line, the heartbeat and ``--once``'s exit code."""

    ok: bool
    exit_code: int
    run_id: int | None
    summary: str


#: How often the daemon prunes old snapshots when ``schedule.prune_after_days`` is set.
PRUNE_EVERY = 24 * 3600.0


class Scheduler:
    """The ``policywatch schedule`` daemon (construct, then :meth:`run_forever` or
    :meth:`run_once`). Signal handlers are installed only while one of those runs."""

    def __init__(
        self,
        settings: Settings,
        engine,
        *,
        interval: float | None = None,
        stop_timeout: float = 20.0,
        timezone: tzinfo | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.maker = store.session_factory(engine)
        self.fixed_interval = interval
        self.stop_timeout = stop_timeout
        self.tz = timezone or local_timezone()
        active = [s.slug for s in settings.active_services()]
        if interval is not None:
            self.plans: tuple[health.JobPlan, ...] = (
                health.JobPlan("interval", "", tuple(active)),
            )
        else:
            self.plans = health.plan_jobs(
                settings.schedule.cron, dict(settings.schedule.services), active
            )
        self.interval = self._interval()  # validates every cron expression up front
        self._state_lock = threading.Lock()
        self._stopping = threading.Event()
        self._stop_signal: int | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._child = None
        self._child_lock = threading.Lock()
        self._scheduler: Any = None
        self._last_prune: float | None = None  # time.monotonic() of this process's last prune

    # -- schedule arithmetic ----------------------------------------------------------------

    def _interval(self) -> timedelta:
        if self.fixed_interval is not None:
            return timedelta(seconds=self.fixed_interval)
        return health.schedule_interval(
            [p.cron for p in self.plans], datetime.now(self.tz), self.tz
        )

    def _trigger(self, plan: health.JobPlan):
        if self.fixed_interval is not None:
            from apscheduler.triggers.interval import IntervalTrigger

            jitter = health.effective_jitter(self.settings.schedule.jitter, self.interval)
            return IntervalTrigger(
                seconds=self.fixed_interval, timezone=self.tz, jitter=jitter or None
            )
        own = health.cron_interval(plan.cron, datetime.now(self.tz), self.tz)
        jitter = health.effective_jitter(self.settings.schedule.jitter, own)
        return health.cron_trigger(plan.cron, self.tz, jitter)

    def _next_run_at(self) -> datetime | None:
        sched = self._scheduler
        if sched is None or self._stopping.is_set():
            return None
        times = [j.next_run_time for j in sched.get_jobs() if j.next_run_time is not None]
        return min(times) if times else None

    def describe(self) -> str:
        if self.fixed_interval is not None:
            return f"every {self.fixed_interval:g}s"
        return "; ".join(f"{p.cron} ({', '.join(p.services)})" for p in self.plans)

    # -- entry points -------------------------------------------------------------------------

    def run_forever(self) -> int:
        """Run until SIGTERM / SIGINT; returns the process exit code (0 after a clean stop)."""
        from apscheduler.events import (
            EVENT_JOB_ERROR,
            EVENT_JOB_MAX_INSTANCES,
            EVENT_JOB_MISSED,
            EVENT_SCHEDULER_STARTED,
        )
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.blocking import BlockingScheduler

        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # our listener says it better
        with self._signals():
            missed, catch_up = self._startup()
            if self._stopping.is_set():
                self._stopped()
                return 0
            grace = max(int(self.interval.total_seconds()), int(self.settings.crawl.timeout) + 60)
            sched = BlockingScheduler(
                executors={"default": ThreadPoolExecutor(max_workers=1)},
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
                timezone=self.tz,
            )
            now = datetime.now(self.tz)
            for plan in self.plans:
                extra = {"next_run_time": now} if catch_up else {}
                sched.add_job(
                    self._run_job,
                    self._trigger(plan),
                    args=[plan],
                    id=plan.name,
                    name=plan.name,
                    **extra,
                )

            def on_started(_event) -> None:
                next_at = min(j.next_run_time for j in sched.get_jobs())
                note = f"; {missed}" if missed else ""
                note += "; catching up now" if catch_up else ""
                store.add_heartbeat(
                    self.maker,
                    ok=True,
                    detail=f"{START_DETAIL} (pid {os.getpid()}, {self.describe()}){note}",
                    next_run_at=next_at,
                )
                log.info(
                    "scheduler started: %s; next run %s%s",
                    self.describe(),
                    "now" if catch_up else _when(next_at),
                    f" ({missed})" if missed else "",
                )
                if self._stopping.is_set():  # a signal arrived while starting
                    self._shutdown_scheduler()

            sched.add_listener(on_started, EVENT_SCHEDULER_STARTED)
            sched.add_listener(
                self._on_job_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR
            )
            self._scheduler = sched
            if not self._stopping.is_set():
                sched.start()  # blocks until _shutdown_scheduler
            while not self._idle.wait(0.2):
                pass
            self._stopped()
        return 0

    def run_once(self) -> int:
        """One cycle over every active service; returns the crawl's exit code."""
        with self._signals():
            self._mark_interrupted()
            plan = health.JobPlan(
                "once", "", tuple(s.slug for s in self.settings.active_services())
            )
            with self._state_lock:
                if self._stopping.is_set():
                    return 128 + (self._stop_signal or signal.SIGTERM)
                self._idle.clear()
            try:
                outcome = self._cycle(plan)
            finally:
                self._idle.set()
        if self._stop_signal is not None:
            return 128 + self._stop_signal
        return outcome.exit_code

    # -- start and stop --------------------------------------------------------------------------

    def _mark_interrupted(self) -> None:
        with self.maker() as session, session.begin():
            count = store.mark_interrupted_runs(session)
        if count:
            log.warning("%d run(s) left running by an earlier crash marked interrupted", count)

    def _startup(self) -> tuple[str, bool]:
        """Mark crashed runs; detect a missed run; decide whether to catch up now."""
        self._mark_interrupted()
        now = utcnow()
        with self.maker() as session:
            latest = store.latest_heartbeat(session)
            announced = store.latest_heartbeat(session, announced=True)
            last_start = store.last_scheduled_run_start(session)
        missed = ""
        crashed = latest is not None and not (latest.detail or "").startswith(STOP_DETAIL)
        if (
            announced is not None
            and crashed
            and health.missed_run(announced.next_run_at, now, self.interval)
        ):
            missed = (
                f"the run scheduled for {_when(announced.next_run_at)} was missed "
                "(the scheduler was not running)"
            )
            log.warning("%s", missed)
            if self.settings.schedule.alert_on_missed:
                self._alert_missed(announced.next_run_at, missed)
        catch_up = last_start is None or now - last_start >= self.interval
        return missed, catch_up

    def _alert_missed(self, scheduled_at: datetime | None, detail: str) -> None:
        """Queue a tracking-style "missed-run" alert, once the schema and outbox allow it.

        A missed run concerns the schedule, not one document, so it is a ``TrackingEvent``
        without a document, kind ``missed-run``. That needs ``tracking_events.document_id``
        to be nullable and ``monitor.outbox`` to know the kind (its ``TRACKING_SEVERITY``);
        until both hold, the miss is logged and recorded in the start heartbeat only.
        """
        if not self.settings.notify:
            return
        from monitor.models import TrackingEvent

        try:
            from monitor import outbox
        except ImportError:  # pragma: no cover - the outbox ships with the package
            outbox = None
        supported = (
            outbox is not None
            and "missed-run" in getattr(outbox, "TRACKING_SEVERITY", {})
            and TrackingEvent.__table__.c.document_id.nullable
        )
        if not supported:
            log.warning("missed-run alert not queued: the outbox has no schedule alerts yet")
            return
        try:
            with self.maker() as session, session.begin():
                event = TrackingEvent(
                    document_id=None,
                    kind="missed-run",
                    reason="missed-run",
                    detail=detail,
                    at=scheduled_at or utcnow(),
                )
                session.add(event)
                session.flush()
                outbox.enqueue_for_tracking(session, self.settings, event)
        except Exception as exc:  # noqa: BLE001 - a failed alert must not stop the daemon
            log.error("missed-run alert not queued: %s", _safe(exc))

    def _stopped(self) -> None:
        name = signal.Signals(self._stop_signal).name if self._stop_signal else "request"
        try:
            store.add_heartbeat(self.maker, ok=True, detail=f"{STOP_DETAIL} ({name})")
        except Exception as exc:  # noqa: BLE001 - stopping must not fail on a database glitch
            log.error("could not record the stop heartbeat: %s", _safe(exc))
        log.info("scheduler stopped (%s)", name)

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # tests may drive the daemon from a thread; signals stay the caller's
            return
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.request_stop(signum)

    def request_stop(self, signum: int = signal.SIGTERM) -> None:
        """Stop scheduling and stop the crawl in progress; a second call kills the child."""
        with self._state_lock:
            first = not self._stopping.is_set()
            self._stopping.set()
            if self._stop_signal is None:
                self._stop_signal = signum
        name = signal.Signals(signum).name
        if first:
            log.warning("%s: stopping; no new runs, the crawl in progress (if any) ends now", name)
            self._terminate_child()
            if self._scheduler is not None:
                threading.Thread(target=self._shutdown_scheduler, daemon=True).start()
        else:
            log.warning("%s again: killing the crawl child", name)
            self._terminate_child(force=True)

    def _shutdown_scheduler(self) -> None:
        from apscheduler.schedulers import SchedulerNotRunningError

        with suppress(SchedulerNotRunningError):
            self._scheduler.shutdown(wait=False)

    def _on_child(self, proc) -> None:
        with self._child_lock:
            self._child = proc
        if self._stopping.is_set():
            self._terminate_child()

    def _terminate_child(self, force: bool = False) -> None:
        """SIGTERM the crawl child's process group (SIGKILL when forced or after the
        stop timeout). The runner sees the child end and finishes the run itself."""
        with self._child_lock:
            proc = self._child
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL if force else signal.SIGTERM)
        except ProcessLookupError:
            return
        if not force:
            timer = threading.Timer(
                self.stop_timeout, self._terminate_child, kwargs={"force": True}
            )
            timer.daemon = True
            timer.start()

    # -- cycles ------------------------------------------------------------------------------------

    def _on_job_event(self, event) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED

        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.info("%s: the previous cycle is still running; this slot is skipped", event.job_id)
        elif event.code == EVENT_JOB_MISSED:
            detail = (
                f"the {event.job_id} run scheduled for {_when(event.scheduled_run_time)} was "
                "missed (it waited too long behind another crawl)"
            )
            log.warning("%s", detail)
            if self.settings.schedule.alert_on_missed:
                self._alert_missed(event.scheduled_run_time, detail)
        elif event.code == EVENT_JOB_ERROR:  # pragma: no cover - _cycle catches everything
            log.error("%s: cycle failed: %s", event.job_id, _safe(event.exception))

    def _run_job(self, plan: health.JobPlan) -> None:
        with self._state_lock:
            if self._stopping.is_set():
                return
            self._idle.clear()
        try:
            self._cycle(plan)
        finally:
            self._idle.set()

    def _cycle(self, plan: health.JobPlan) -> CycleOutcome:
        """One crawl of ``plan.services`` plus pending alert retries; always a heartbeat."""
        from monitor.runner import EXIT_ERROR as RUN_ERROR
        from monitor.runner import CrawlBusy, run_crawl

        started = time.monotonic()
        result = None
        try:
            result = run_crawl(
                self.settings,
                self.engine,
                plan.services,
                trigger="schedule",
                on_child=self._on_child,
            )
        except CrawlBusy as exc:
            outcome = CycleOutcome(False, RUN_ERROR, None, f"skipped: {exc}")
        except Exception as exc:  # noqa: BLE001 - a cycle never kills the daemon
            log.debug("cycle failed", exc_info=True)
            outcome = CycleOutcome(False, RUN_ERROR, None, f"failed: {_safe(exc)}")
        finally:
            with self._child_lock:
                self._child = None
        if result is None:
            self._retry_alerts()  # the runner did not get to send them
        else:
            outcome = self._judge(result)
        self._prune_if_due()
        elapsed = time.monotonic() - started
        next_at = self._next_run_at()
        line = f"[{plan.name}] {outcome.summary} (took {elapsed:.1f}s"
        line += f"; next run {_when(next_at)})" if next_at is not None else ")"
        (log.info if outcome.ok else log.warning)("%s", line)
        try:
            store.add_heartbeat(
                self.maker,
                ok=outcome.ok,
                run_id=outcome.run_id,
                detail=f"[{plan.name}] {outcome.summary}"[:2000],
                next_run_at=next_at,
            )
        except Exception as exc:  # noqa: BLE001 - the next cycle tries again
            log.error("could not record the heartbeat: %s", _safe(exc))
        return outcome

    def _judge(self, result) -> CycleOutcome:
        """A cycle is successful when the crawl finished and fetched at least one document
        (or had none to fetch): a run where every fetch failed means we watch nothing."""
        status = result.status
        if self._stopping.is_set() and status != "ok":
            name = signal.Signals(self._stop_signal or signal.SIGTERM).name
            with self.maker() as session, session.begin():
                run = session.get(CrawlRun, result.run_id)
                store.finish_run(
                    session,
                    run,
                    "interrupted",
                    f"{(run.error + '; ') if run.error else ''}scheduler stopped ({name}) "
                    "during the run; unfetched documents are tried on the next run",
                )
            status = "interrupted"
        fetched = any(o[1] != "failed" for o in result.outcomes)
        ok = status == "ok" or (status == "partial" and fetched)
        parts = []
        for key, outcome, reason, _detail in sorted(result.outcomes):
            parts.append(f"{key} {outcome}" + (f" ({reason})" if reason else ""))
        summary = f"run {result.run_id} {status}: " + ("; ".join(parts) or "no documents")
        if result.error:
            summary += f" — {result.error}"
        return CycleOutcome(ok, result.exit_code, result.run_id, summary)

    def _prune_if_due(self) -> None:
        """``schedule.prune_after_days``: prune raw snapshots after a cycle, at most once a
        day (the first cycle of a daemon included). Never fatal: a failure is logged and the
        next cycle tries again; a crawl started by hand meanwhile just postpones it."""
        days = self.settings.schedule.prune_after_days
        now = time.monotonic()
        if days <= 0 or self._stopping.is_set():
            return
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        from monitor.retention import PruneBusy, prune_old_snapshots

        try:
            report = prune_old_snapshots(self.maker, days)
        except PruneBusy as exc:
            log.info("snapshots not pruned this cycle: %s", exc)
            return
        except Exception as exc:  # noqa: BLE001 - never kills the daemon
            log.error("pruning old snapshots failed: %s", _safe(exc))
            return
        self._last_prune = now
        if report.snapshots:
            log.info(
                "pruned %d snapshot(s) older than %g days and %d stored bodies (%.1f MB)",
                report.snapshots,
                days,
                report.blobs,
                report.stored_bytes / 1e6,
            )

    def _retry_alerts(self) -> None:
        if not self.settings.notify:
            return
        try:
            from monitor.notify import send_pending

            send_pending(self.maker, self.settings)
        except Exception as exc:  # noqa: BLE001 - alerts stay pending for the next cycle
            log.error("pending alerts not sent: %s", _safe(exc))


def _when(dt: datetime | None) -> str:
    from datetime import UTC

    return "-" if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _safe(exc: BaseException) -> str:
    from monitor.secrets import redact

    return redact(f"{type(exc).__name__}: {exc}")[:300]
