"""monitor.health: cron translation, schedule intervals, job planning and the health verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor import health

NOW = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize(
    "field, expected",
    [
        ("*", "*"),
        ("?", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("fri-sun", "sun,fri,sat"),
        ("0,6", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1-5/2", "mon,wed,fri"),
        ("0-6", "*"),
    ],
)
def test_crontab_weekdays_become_names_with_sunday_as_zero(field, expected):
    assert health.crontab_day_of_week(field) == expected


@pytest.mark.parametrize("field", ["8", "x", "5-1", "*/0"])
def test_bad_weekday_fields_are_refused_with_the_field_named(field):
    with pytest.raises(health.CronError, match="weekday field"):
        health.crontab_day_of_week(field)


def test_cron_sunday_means_sunday_not_monday():
    trigger = health.cron_trigger("0 9 * * 0", UTC)
    fire = trigger.get_next_fire_time(None, NOW)
    assert fire.strftime("%A %H:%M") == "Sunday 09:00"
    assert fire.date().isoformat() == "2026-11-29"


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("0 */6 * * *", timedelta(hours=6)),
        ("*/15 * * * *", timedelta(minutes=15)),
        ("30 2 * * *", timedelta(days=1)),
        # weekdays only: the weekend gap counts, so Sunday never looks stale
        ("0 9 * * 1-5", timedelta(days=3)),
        ("0 8,20 * * *", timedelta(hours=12)),
    ],
)
def test_interval_is_the_longest_gap_between_upcoming_fire_times(expr, expected):
    assert health.cron_interval(expr, NOW, UTC) == expected


def test_interval_follows_the_time_zone_across_daylight_saving():
    paris = ZoneInfo("Europe/Paris")
    # 2027-03-28 is the spring-forward day in Paris: one day is 23 hours long
    before = datetime(2027, 3, 20, 12, 0, tzinfo=paris)
    assert health.cron_interval("0 3 * * *", before, paris) == timedelta(hours=24)


def test_bad_cron_expressions_raise_cron_error():
    with pytest.raises(health.CronError, match="5 fields"):
        health.cron_trigger("0 */6 * *", UTC)
    with pytest.raises(health.CronError):
        health.cron_trigger("61 * * * *", UTC)


def test_jitter_is_capped_at_a_tenth_of_the_interval():
    assert health.effective_jitter(600, timedelta(hours=6)) == 600
    assert health.effective_jitter(600, timedelta(minutes=15)) == 90
    assert health.effective_jitter(600, timedelta(seconds=3)) == 0
    assert health.effective_jitter(0, timedelta(hours=6)) == 0


def test_plan_groups_services_by_cron_and_keeps_the_default_job_first():
    plans = health.plan_jobs(
        "0 */6 * * *",
        {"linkedin": "0 * * * *", "reddit": "0 * * * *", "meta": "0 0 * * *"},
        ["linkedin", "meta", "google", "discord", "reddit"],
    )
    assert plans[0] == health.JobPlan("default", "0 */6 * * *", ("google", "discord"))
    assert {p.cron: p.services for p in plans[1:]} == {
        "0 * * * *": ("linkedin", "reddit"),
        "0 0 * * *": ("meta",),
    }


def test_plan_without_default_services_has_no_default_job():
    plans = health.plan_jobs("0 */6 * * *", {"example": "*/5 * * * *"}, ["example"])
    assert [p.name for p in plans] == ["services:example"]


def test_schedule_interval_is_set_by_the_most_frequent_job():
    assert health.schedule_interval(["0 */6 * * *", "0 * * * *"], NOW, UTC) == timedelta(hours=1)
    with pytest.raises(health.CronError, match="no scheduled job"):
        health.schedule_interval([], NOW, UTC)


def test_assess_is_healthy_up_to_twice_the_interval():
    interval = timedelta(hours=6)
    fresh = health.assess(NOW - timedelta(hours=7), interval, NOW)
    assert fresh.healthy and fresh.max_age == timedelta(hours=12)
    assert "7h ago" in fresh.reason and "12h" in fresh.reason
    edge = health.assess(NOW - timedelta(hours=12), interval, NOW)
    assert edge.healthy
    stale = health.assess(NOW - timedelta(hours=12, seconds=1), interval, NOW)
    assert not stale.healthy
    assert stale.reason.startswith("stale:")
    assert stale.age == timedelta(hours=12, seconds=1)


def test_assess_without_any_successful_cycle_is_unhealthy():
    verdict = health.assess(None, timedelta(hours=6), NOW)
    assert not verdict.healthy
    assert "no successful scheduled cycle" in verdict.reason


def test_missed_run_needs_more_than_the_grace():
    interval = timedelta(hours=6)  # grace: 36 minutes
    assert not health.missed_run(None, NOW, interval)
    assert not health.missed_run(NOW - timedelta(minutes=30), NOW, interval)
    assert health.missed_run(NOW - timedelta(minutes=40), NOW, interval)
    # short intervals still get a minute of grace
    assert not health.missed_run(NOW - timedelta(seconds=50), NOW, timedelta(seconds=3))


@pytest.mark.parametrize(
    "seconds, text",
    [(5, "5s"), (125, "2m 5s"), (900, "15m"), (3 * 3600 + 60, "3h 1m"), (3 * 86400, "3d")],
)
def test_format_duration(seconds, text):
    assert health.format_duration(timedelta(seconds=seconds)) == text
