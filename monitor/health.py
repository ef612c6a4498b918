"""Is the scheduler doing its job? Pure decisions from heartbeat times and the schedule.

Why a separate, pure module: ``policywatch status`` is a Docker healthcheck, so its verdict
must be easy to reason about and to test without a clock, a database or a daemon. Everything
here takes values (datetimes, cron strings, a time zone) and returns values; the CLI and the
scheduler read the clock and the database and pass them in.

The rule: healthy while the last *successful* scheduled cycle is younger than twice the
schedule interval. One slow or failed cycle is tolerated; two missed in a row are not.

Cron strings follow crontab (``minute hour day month weekday``, 0 or 7 = Sunday). APScheduler
3 numbers weekdays from Monday, so weekday fields are translated to names before they reach
it (``1-5`` becomes ``mon,tue,wed,thu,fri``), never passed through as numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

#: crontab weekday numbers (0 and 7 are Sunday) → names, which mean the same in APScheduler.
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DOW_INDEX = {name: i for i, name in enumerate(_DOW_NAMES[:7])}
#: How many future fire times are compared to find a cron expression's longest gap.
_INTERVAL_SAMPLES = 12
#: Jitter never exceeds this fraction of the interval, so it cannot reorder or swallow runs.
JITTER_FRACTION = 0.1


class CronError(ValueError):
    """A cron expression APScheduler cannot use; the message says which field and why."""


@dataclass(frozen=True)
class JobPlan:
    """One scheduler job: a cron expression and the services it crawls."""

    name: str
    cron: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class Health:
    """The verdict of :func:`assess`, with the figures that explain it."""

    healthy: bool
    reason: str
    last_ok_at: datetime | None
    age: timedelta | None
    max_age: timedelta


# --- cron ---------------------------------------------------------------------------------


def crontab_day_of_week(field: str) -> str:
    """Translate a crontab weekday field into APScheduler's names (``*`` stays ``*``).

    Numbers, names, ranges (``1-5``, ``mon-fri``), lists and steps (``*/2``, ``1-5/2``) are
    expanded to an explicit list of day names, because APScheduler 3 counts from Monday.
    """
    field = field.strip().lower()
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = _int(step_text, field) if step_text else 1
        if step < 1:
            raise CronError(f"weekday field {field!r}: step must be >= 1")
        if base in ("*", "?"):
            lo, hi = 0, 6
        elif "-" in base:
            a, b = base.split("-", 1)
            lo, hi = _dow(a, field), _dow(b, field)
            if hi == 0 and b.strip() in ("7", "sun") and lo > 0:
                hi = 7  # "5-7" / "fri-sun": up to Sunday
            if lo > hi:
                raise CronError(f"weekday field {field!r}: range {base!r} runs backwards")
        else:
            lo = hi = _dow(base, field)
            if step_text:
                hi = 6
        days.update(d % 7 for d in range(lo, hi + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_DOW_NAMES[d] for d in sorted(days))


def _dow(token: str, field: str) -> int:
    token = token.strip()
    if token in _DOW_INDEX:
        return _DOW_INDEX[token]
    value = _int(token, field)
    if not 0 <= value <= 7:
        raise CronError(f"weekday field {field!r}: {value} is not a weekday (0-7, 0 = Sunday)")
    return 0 if value == 7 else value


def _int(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CronError(f"weekday field {field!r}: {text!r} is not a number or day name") from None


def cron_trigger(expr: str, timezone: tzinfo, jitter: int | None = None) -> Any:
    """An APScheduler ``CronTrigger`` for a crontab expression, in ``timezone``."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise CronError(f"{expr!r}: expected 5 fields (minute hour day month weekday)")
    minute, hour, day, month, dow = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day="*" if day == "?" else day,
            month=month,
            day_of_week=crontab_day_of_week(dow),
            timezone=timezone,
            jitter=jitter or None,
        )
    except ValueError as exc:
        raise CronError(f"{expr!r}: {exc}") from None


def cron_interval(expr: str, now: datetime, timezone: tzinfo) -> timedelta:
    """The schedule interval of a cron expression: the gap between its next two fire times.

    For irregular expressions (weekdays only, a few hours a day) the longest of the next
    few gaps is used, so a quiet weekend never looks like a dead daemon.
    """
    trigger = cron_trigger(expr, timezone)
    fires: list[datetime] = []
    previous = None
    current = now
    while len(fires) < _INTERVAL_SAMPLES:
        fire = trigger.get_next_fire_time(previous, current)
        if fire is None:
            break
        fires.append(fire)
        previous = fire
        current = fire + timedelta(microseconds=1)
    if len(fires) < 2:
        raise CronError(f"{expr!r} fires fewer than twice; a schedule must repeat")
    return max(b - a for a, b in zip(fires, fires[1:], strict=False))


def effective_jitter(configured: int, interval: timedelta) -> int:
    """Seconds of random delay per run: the configured jitter, at most a tenth of the
    interval (a 10-minute jitter on a 3-second test schedule would swallow every run)."""
    return max(0, min(int(configured), int(interval.total_seconds() * JITTER_FRACTION)))


def plan_jobs(
    default_cron: str, overrides: Mapping[str, str], active: Sequence[str]
) -> tuple[JobPlan, ...]:
    """Group the active services into jobs: one per distinct cron expression.

    Services without an override share the default job; services that share an override
    share a job too, so two services on the same hourly schedule are crawled in one run.
    """
    by_cron: dict[str, list[str]] = {}
    for slug in active:
        by_cron.setdefault(overrides.get(slug, default_cron), []).append(slug)
    plans = []
    for cron, slugs in by_cron.items():
        name = "default" if cron == default_cron else "services:" + ",".join(slugs)
        plans.append(JobPlan(name=name, cron=cron, services=tuple(slugs)))
    plans.sort(key=lambda p: (p.name != "default", p.name))
    return tuple(plans)


def schedule_interval(crons: Iterable[str], now: datetime, timezone: tzinfo) -> timedelta:
    """The interval health is judged by: the shortest among the jobs' intervals.

    Any successful cycle proves the daemon alive, so the most frequent job sets the pace.
    """
    intervals = [cron_interval(c, now, timezone) for c in crons]
    if not intervals:
        raise CronError("no scheduled job (no active service)")
    return min(intervals)


# --- health ---------------------------------------------------------------------------------


def assess(last_ok_at: datetime | None, interval: timedelta, now: datetime) -> Health:
    """Healthy when the last successful cycle is at most twice the interval old."""
    max_age = 2 * interval
    if last_ok_at is None:
        return Health(
            False,
            "no successful scheduled cycle yet (is `policywatch schedule` running?)",
            None,
            None,
            max_age,
        )
    age = now - last_ok_at
    if age > max_age:
        return Health(
            False,
            f"stale: the last successful cycle was {format_duration(age)} ago, more than "
            f"{format_duration(max_age)} (twice the {format_duration(interval)} interval)",
            last_ok_at,
            age,
            max_age,
        )
    return Health(
        True,
        f"the last successful cycle was {format_duration(age)} ago "
        f"(limit {format_duration(max_age)}, twice the {format_duration(interval)} interval)",
        last_ok_at,
        age,
        max_age,
    )


def missed_run(next_run_at: datetime | None, now: datetime, interval: timedelta) -> bool:
    """Did the scheduler miss the run it announced? Late by more than a tenth of the
    interval (at least a minute), so start-up and jitter never count as missed."""
    if next_run_at is None:
        return False
    grace = max(timedelta(minutes=1), interval * JITTER_FRACTION)
    return now - next_run_at > grace


def format_duration(td: timedelta) -> str:
    """``45s``, ``12m``, ``5h 3m``, ``2d 4h``: short, for one-line messages."""
    seconds = int(max(td.total_seconds(), 0))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m" if not seconds or minutes >= 10 else f"{minutes}m {seconds}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h" + (f" {minutes}m" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days}d" + (f" {hours}h" if hours else "")
