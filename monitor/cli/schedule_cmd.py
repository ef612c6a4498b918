"""``policywatch schedule`` (the daemon) and ``policywatch status`` (its health check)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import click

from monitor.cli.output import emit_json, iso, when


def _daemon_logging(app) -> None:
    """The daemon logs one line per run at INFO without ``-v``: that is its whole output."""
    level = app.settings.log_level if app.verbose < 2 else "DEBUG"
    logging.getLogger("policywatch").setLevel(level)


def _config_error(exc: Exception):
    from monitor.config import ConfigError

    source = "env POLICYWATCH_SCHEDULE_CRON or the config file's [schedule]"
    return ConfigError(f"{source}: {exc}")


@click.command()
@click.option(
    "--once",
    is_flag=True,
    help="Run one cycle now and exit with the crawl's exit code (for system cron).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="Run every SECONDS instead of the cron schedule (per-service crons are ignored).",
)
@click.option(
    "--stop-timeout",
    type=click.FloatRange(min=0),
    default=20.0,
    show_default=True,
    metavar="SECONDS",
    help="After SIGTERM, how long the crawl child may take to stop before it is killed.",
)
@click.pass_obj
def schedule(app, once: bool, interval: float | None, stop_timeout: float) -> None:
    """Crawl on the configured schedule until stopped (SIGTERM / Ctrl-C).

    The schedule is `schedule.cron` (default every 6 hours, cron in the host's time zone)
    plus per-service `[schedule.services]` overrides, with up to `schedule.jitter` seconds
    of random delay. One crawl at a time; a heartbeat row per cycle for `policywatch status`.
    On start, a run left `running` by a crash is marked interrupted, and if no scheduled run
    started within the last interval, one runs at once.

    Exit code with --once: 0 every document fetched, 3 some failed, 1 the crawl could not
    run; 143 / 130 when stopped by SIGTERM / SIGINT.
    """
    from monitor.health import CronError
    from monitor.scheduler import Scheduler

    if once and interval is not None:
        raise click.UsageError("--once runs a single cycle; --interval does not apply to it")
    _daemon_logging(app)
    try:
        daemon = Scheduler(app.settings, app.engine(), interval=interval, stop_timeout=stop_timeout)
    except CronError as exc:
        raise _config_error(exc) from None
    code = daemon.run_once() if once else daemon.run_forever()
    click.get_current_context().exit(code)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object with every field.")
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="The interval `schedule --interval` runs with (default: from the cron schedule).",
)
@click.pass_obj
def status(app, as_json: bool, interval: float | None) -> None:
    """Last run, next run, failing documents, pending alerts; exit 1 when stale.

    Healthy (exit 0) while the last successful scheduled cycle is younger than twice the
    schedule interval (the gap between the cron expression's next fire times); exit 1
    otherwise, or when the database cannot be read. Usable as a Docker healthcheck.
    """
    from monitor import health, store
    from monitor.scheduler import STOP_DETAIL, local_timezone

    settings = app.settings
    now = datetime.now(UTC)
    if interval is not None:
        period = timedelta(seconds=interval)
    else:
        tz = local_timezone()
        plans = health.plan_jobs(
            settings.schedule.cron,
            dict(settings.schedule.services),
            [s.slug for s in settings.active_services()],
        )
        try:
            period = health.schedule_interval([p.cron for p in plans], now.astimezone(tz), tz)
        except health.CronError as exc:
            raise _config_error(exc) from None
    data = store.read_status(store.session_factory(app.engine(upgrade=False)))
    verdict = health.assess(data.last_ok_cycle.at if data.last_ok_cycle else None, period, now)
    beat = data.last_heartbeat
    stopped = beat is not None and (beat.detail or "").startswith(STOP_DETAIL)
    next_run = None if beat is None or stopped else beat.next_run_at
    pending = data.alerts.get("pending", 0) + data.alerts.get("sending", 0)
    run = data.last_run

    if as_json:
        emit_json(
            [
                {
                    "healthy": verdict.healthy,
                    "reason": verdict.reason,
                    "interval_seconds": period.total_seconds(),
                    "max_age_seconds": verdict.max_age.total_seconds(),
                    "last_successful_cycle_at": iso(verdict.last_ok_at),
                    "last_cycle_at": iso(data.last_cycle.at) if data.last_cycle else None,
                    "last_cycle_ok": data.last_cycle.ok if data.last_cycle else None,
                    "last_heartbeat_at": iso(beat.at) if beat else None,
                    "scheduler": "never-started"
                    if beat is None
                    else ("stopped" if stopped else "running"),
                    "next_run_at": iso(next_run),
                    "last_run": None
                    if run is None
                    else {
                        "run": run.run,
                        "status": run.status,
                        "trigger": run.trigger,
                        "started_at": iso(run.started_at),
                        "finished_at": iso(run.finished_at),
                        "outcomes": run.outcomes,
                        "error": run.error,
                    },
                    "failing_documents": [
                        {
                            "service": f.service,
                            "document": f.document,
                            "consecutive_failures": f.consecutive_failures,
                            "reason": f.reason,
                            "tracking_broken": f.tracking_broken,
                            "last_success_at": iso(f.last_success_at),
                        }
                        for f in data.failing
                    ],
                    "pending_alerts": pending,
                    "failed_alerts": data.alerts.get("failed", 0),
                }
            ]
        )
    else:
        out = [f"health:     {'ok' if verdict.healthy else 'UNHEALTHY'} — {verdict.reason}"]
        if beat is None:
            out.append("scheduler:  never started (no heartbeat)")
        elif stopped:
            how = (beat.detail or "")[len(STOP_DETAIL) :].strip(" ()") or "stopped"
            out.append(f"scheduler:  stopped at {when(beat.at)} ({how})")
        else:
            out.append(f"scheduler:  last heartbeat {when(beat.at)}")
        if run is None:
            out.append("last run:   none")
        else:
            counts = (
                ", ".join(f"{n} {o}" for o, n in sorted(run.outcomes.items())) or "no documents"
            )
            out.append(
                f"last run:   #{run.run} {run.status} ({run.trigger}), started "
                f"{when(run.started_at)}: {counts}"
            )
        overdue = next_run is not None and next_run < now - timedelta(minutes=1)
        out.append(
            f"next run:   {when(next_run)}"
            + (" (overdue)" if overdue else "")
            + (" (scheduler stopped)" if stopped else "")
        )
        out.append(f"failing:    {len(data.failing) or 'none'}")
        for f in data.failing:
            broken = ", tracking broken" if f.tracking_broken else ""
            out.append(
                f"  {f.service}/{f.document}: {f.consecutive_failures} failure(s) in a row "
                f"({f.reason or '?'}){broken}; last success {when(f.last_success_at)}"
            )
        out.append(f"alerts:     {pending} pending, {data.alerts.get('failed', 0)} failed")
        click.echo("\n".join(out))
    click.get_current_context().exit(0 if verdict.healthy else 1)
