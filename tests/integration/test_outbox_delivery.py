"""The outbox on real databases (SQLite file and PostgreSQL): what is queued, for whom, and
how it is delivered when the mail server is down, comes back, or the sender is killed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from monitor import notify, outbox
from monitor.config import Channel
from monitor.models import Alert
from tests.integration.test_notify_support import (
    AI_OPT_OUT,
    AI_WIDENED,
    PRESENT,
    SMTP_PASSWORD,
    HTTPSink,
    SMTPSink,
    free_port,
    make_settings,
    migrate,
    seed_change,
    seed_tracking,
    sessionmaker_for,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def database(db_url):
    """tests/conftest.py's fresh SQLite file / PostgreSQL database, migrated."""
    return migrate(db_url)


def _alerts(maker):
    with maker() as session:
        return session.scalars(select(Alert).order_by(Alert.id)).all()


def _queue(maker, settings, **change_kw):
    with maker() as session, session.begin():
        change = seed_change(session, **change_kw)
        created = outbox.enqueue_for_change(session, settings, change)
        return change.id, [a.dedup_key for a in created]


# ---------------------------------------------------------------------------------------------
# What is queued
# ---------------------------------------------------------------------------------------------

CASES = {
    # name: (seed kwargs, {alert_on: alerts expected})
    "ai finding": (
        {"findings": [AI_WIDENED]},
        {"ai": 1, "substantive": 1, "all": 1},
    ),
    "substantive, no finding": ({"findings": []}, {"ai": 0, "substantive": 1, "all": 1}),
    "links only": (
        {"findings": [], "change_class": "links-only"},
        {"ai": 0, "substantive": 0, "all": 1},
    ),
    "date only": (
        {"findings": [], "change_class": "date-only"},
        {"ai": 0, "substantive": 0, "all": 1},
    ),
    "first version with an AI clause": (
        {"findings": [PRESENT], "first": True},
        {"ai": 0, "substantive": 0, "all": 0},
    ),
    "technical re-extraction": (
        {"findings": [AI_WIDENED], "technical": True},
        {"ai": 0, "substantive": 0, "all": 0},
    ),
}


@pytest.mark.parametrize("alert_on", ["ai", "substantive", "all"])
def test_alert_on_decides_what_is_queued(database, alert_on):
    maker = sessionmaker_for(database)
    settings = make_settings(database, ["json://127.0.0.1:9/"], alert_on=alert_on)
    got = {}
    for name, (kw, _expected) in CASES.items():
        _cid, keys = _queue(maker, settings, **kw)
        got[name] = len(keys)
    assert got == {name: expected[alert_on] for name, (_kw, expected) in CASES.items()}
    assert len(_alerts(maker)) == sum(got.values())


def test_queued_alert_row(database):
    maker = sessionmaker_for(database)
    url = f"mailto://alerts:{SMTP_PASSWORD}@127.0.0.1:2525?mode=insecure&to=r@example.com"
    settings = make_settings(database, [url])
    change_id, keys = _queue(maker, settings, findings=[AI_OPT_OUT, AI_WIDENED])
    [alert] = _alerts(maker)
    assert keys == [f"change:{change_id}:{outbox.channel_id(url)}"]
    assert alert.dedup_key == keys[0]
    assert alert.status == "pending" and alert.attempts == 0 and alert.next_attempt_at is None
    assert alert.subject == "LinkedIn · Privacy Policy: AI-training clause widened (+1 more)"
    assert alert.severity == "high"
    assert alert.channel_label == "mailto://ale…:****@127.0.0.1:2525/…"
    assert SMTP_PASSWORD not in alert.channel_label + alert.channel_id + alert.dedup_key
    assert alert.tags == sorted(
        [
            "ai",
            "change",
            "class:substantive",
            "document:linkedin/privacy-policy",
            "finding:opt-out-added",
            "finding:widened",
            "service:linkedin",
            "severity:high",
        ]
    )


def test_enqueue_twice_keeps_one_row_and_the_database_enforces_it(database):
    maker = sessionmaker_for(database)
    settings = make_settings(database, ["json://127.0.0.1:9/a", "json://127.0.0.1:9/a"])
    with maker() as session, session.begin():
        change = seed_change(session)
        first = outbox.enqueue_for_change(session, settings, change)
        again = outbox.enqueue_for_change(session, settings, change)  # same transaction
        change_id = change.id
    assert len(first) == 1 and again == []  # the URL listed twice is one channel
    with maker() as session, session.begin():  # a later transaction (a rerun)
        from monitor.models import Change

        assert outbox.enqueue_for_change(session, settings, session.get(Change, change_id)) == []
    assert len(_alerts(maker)) == 1
    # and if some code path skipped the check, the unique key refuses the copy
    with maker() as session, pytest.raises(IntegrityError), session.begin():
        row = _alerts(maker)[0]
        session.add(Alert(dedup_key=row.dedup_key, channel_id=row.channel_id, channel_label="x"))


def test_tag_routing(database):
    maker = sessionmaker_for(database)
    email = Channel(url="mailto://a:b@127.0.0.1:2525?to=r@example.com")  # untagged: everything
    slack = Channel(url="slack://T1234ABCD/B1234ABCD/abcdefghijklmnopqrstuvwx", tags=("ai",))
    pager = Channel(url="json://127.0.0.1:9/pager", tags=("severity:high",))
    meta = Channel(url="json://127.0.0.1:9/meta", tags=("service:meta",))
    ops = Channel(url="json://127.0.0.1:9/ops", tags=("tracking:broken",))
    settings = make_settings(database, [email, slack, pager, meta, ops], alert_on="all")
    ids = {
        outbox.channel_id(c.url): n
        for n, c in zip(
            ["email", "slack", "pager", "meta", "ops"],
            [email, slack, pager, meta, ops],
            strict=True,
        )
    }

    def receivers(alerts):
        return sorted(ids[a.channel_id] for a in alerts)

    with maker() as session, session.begin():
        high = outbox.enqueue_for_change(session, settings, seed_change(session))
        low = outbox.enqueue_for_change(
            session, settings, seed_change(session, findings=[AI_OPT_OUT])
        )
        plain = outbox.enqueue_for_change(
            session, settings, seed_change(session, findings=[], change_class="links-only")
        )
        on_meta = outbox.enqueue_for_change(
            session, settings, seed_change(session, service="meta", findings=[])
        )
        broken = outbox.enqueue_for_tracking(session, settings, seed_tracking(session, "broken"))
        resumed = outbox.enqueue_for_tracking(session, settings, seed_tracking(session, "resumed"))
        got = [receivers(x) for x in (high, low, plain, on_meta, broken, resumed)]
    assert got == [
        ["email", "pager", "slack"],
        ["email", "slack"],
        ["email"],
        ["email", "meta"],
        ["email", "ops"],
        ["email"],
    ]


# ---------------------------------------------------------------------------------------------
# Delivery: server down, back, retries, give up
# ---------------------------------------------------------------------------------------------


def test_smtp_down_then_back_delivers_exactly_once(database, caplog):
    caplog.set_level(logging.DEBUG)
    maker = sessionmaker_for(database)
    smtp = SMTPSink()  # port chosen, server not started yet
    settings = make_settings(database, [smtp.url()], backoff_seconds=60)
    _queue(maker, settings)

    down = notify.send_pending(maker, settings, now=T0)

    assert (down.sent, down.failed, down.pending) == (0, 0, 1)
    [alert] = _alerts(maker)
    assert alert.status == "pending" and alert.attempts == 1
    assert "Connection refused" in alert.last_error or "Connection error" in alert.last_error
    assert alert.next_attempt_at == T0 + timedelta(seconds=60)
    assert SMTP_PASSWORD not in alert.last_error + " ".join(down.errors) + caplog.text

    smtp.start()
    try:
        # not due yet: the backoff is respected even though the server is back
        early = notify.send_pending(maker, settings, now=T0 + timedelta(seconds=30))
        assert (early.sent, early.pending) == (0, 1) and smtp.messages == []

        back = notify.send_pending(maker, settings, now=T0 + timedelta(seconds=61))
        assert (back.sent, back.failed, back.pending, back.errors) == (1, 0, 0, [])
        assert len(smtp.messages) == 1
        again = notify.send_pending(maker, settings, now=T0 + timedelta(days=3))
        assert again.sent == 0 and len(smtp.messages) == 1  # exactly once
    finally:
        smtp.stop()
    [alert] = _alerts(maker)
    assert (alert.status, alert.attempts, alert.last_error) == ("sent", 2, None)
    assert alert.sent_at == T0 + timedelta(seconds=61)
    plain, html = smtp.parts()
    assert "develop and train artificial intelligence (AI) models" in plain
    assert "develop and train artificial intelligence (AI) models" in html


def test_backoff_doubles_then_gives_up_and_retry_requeues(database):
    maker = sessionmaker_for(database)
    dead = f"json://127.0.0.1:{free_port()}/hook"
    settings = make_settings(database, [dead], max_attempts=3, backoff_seconds=10)
    _queue(maker, settings)

    now = T0
    waits = []
    for _ in range(3):
        report = notify.send_pending(maker, settings, now=now)
        [alert] = _alerts(maker)
        if alert.next_attempt_at:
            waits.append((alert.next_attempt_at - now).total_seconds())
            now = alert.next_attempt_at
    assert waits == [10, 20]  # doubled each time
    assert report.failed == 1 and report.pending == 0
    assert "gave up after 3 attempts" in report.errors[0]
    assert (alert.status, alert.attempts, alert.next_attempt_at) == ("failed", 3, None)
    assert notify.send_pending(maker, settings, now=now + timedelta(days=30)).failed == 0

    rows = None
    with maker() as session:
        rows = outbox.list_alerts(session, status="failed")
    assert [(r["alert"], r["status"], r["attempts"]) for r in rows] == [(alert.id, "failed", 3)]
    assert rows[0]["last_error"] and rows[0]["channel"].startswith("json://127.0.0.1:")

    # `alerts retry`: requeue, then the channel works again
    sink = HTTPSink().start()
    try:
        live = make_settings(database, [dead.replace(dead.split("/")[2], f"127.0.0.1:{sink.port}")])
        with maker() as session, session.begin():
            assert outbox.requeue(session) == 1
        [alert] = _alerts(maker)
        assert (alert.status, alert.attempts) == ("pending", 0)
        # the URL changed (other port), so the old alert's channel is no longer configured:
        # it stays pending and is reported, never failed by a shell without the channel
        report = notify.send_pending(maker, live, now=now)
        assert report.sent == 0 and report.pending == 1
        assert "is not in the current configuration; left pending" in report.errors[0]
    finally:
        sink.stop()


# ---------------------------------------------------------------------------------------------
# Crashes: killed between the send and the commit
# ---------------------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime
    from monitor import notify
    from tests.integration.test_notify_support import make_settings, sessionmaker_for

    url, channel, when, where = sys.argv[1:5]
    settings = make_settings(url, [channel])
    real_deliver = notify.deliver

    def deliver_then_die(*args, **kwargs):
        if where == "before-send":
            os._exit(17)           # claimed and committed, nothing sent
        result = real_deliver(*args, **kwargs)
        os._exit(17)               # sent, result never recorded

    notify.deliver = deliver_then_die
    notify.send_pending(sessionmaker_for(url), settings, now=datetime.fromisoformat(when))
    sys.exit(0)                    # unreachable when an alert was due
    """
)


def _run_child(database, channel, where):
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, database, channel, T0.isoformat(), where],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 17, proc.stderr[-2000:]
    assert SMTP_PASSWORD not in proc.stdout + proc.stderr


def test_killed_after_send_before_commit_is_sent_again_with_the_same_alert_number(database):
    maker = sessionmaker_for(database)
    smtp = SMTPSink().start()
    try:
        settings = make_settings(database, [smtp.url()])
        _queue(maker, settings)
        [queued] = _alerts(maker)

        _run_child(database, smtp.url(), "after-send")

        assert len(smtp.messages) == 1  # it left...
        [alert] = _alerts(maker)
        assert (alert.status, alert.attempts) == ("sending", 1)  # ...but was never recorded
        lease = timedelta(seconds=notify.lease_seconds(settings))
        # within the lease another run leaves it alone (the first sender may still be busy)
        assert notify.send_pending(maker, settings, now=T0 + lease / 2).sent == 0
        # after the lease: not lost, sent again (at-least-once)
        report = notify.send_pending(maker, settings, now=T0 + lease + timedelta(seconds=1))
        assert report.sent == 1
        assert len(smtp.messages) == 2
    finally:
        smtp.stop()
    [alert] = _alerts(maker)
    assert (alert.status, alert.attempts) == ("sent", 2)
    assert "interrupted" in alert.last_error
    marks = [f"Alert #{queued.id}" in " ".join(smtp.parts(i)[0].split()) for i in (0, 1)]
    assert marks == [True, True]  # the duplicate is recognisable
    assert smtp.messages[0]["Subject"] == smtp.messages[1]["Subject"]


def test_killed_after_claim_before_send_is_delivered_once(database):
    maker = sessionmaker_for(database)
    smtp = SMTPSink().start()
    try:
        settings = make_settings(database, [smtp.url()])
        _queue(maker, settings)
        _run_child(database, smtp.url(), "before-send")
        assert smtp.messages == []
        [alert] = _alerts(maker)
        assert alert.status == "sending"
        lease = timedelta(seconds=notify.lease_seconds(settings))
        report = notify.send_pending(maker, settings, now=T0 + lease + timedelta(seconds=1))
        assert report.sent == 1 and len(smtp.messages) == 1
    finally:
        smtp.stop()


def test_two_senders_claim_an_alert_once(database):
    """A second sender started while the first holds the claim does not send it again."""
    maker = sessionmaker_for(database)
    sink = HTTPSink().start()
    try:
        settings = make_settings(database, [sink.json_url()])
        _queue(maker, settings)
        _queue(maker, settings, findings=[AI_OPT_OUT])
        inner: list = []
        started: list = []
        real_deliver = notify.deliver

        def deliver_and_race(*args, **kwargs):
            if not started:  # while alert 1 is 'sending', a second run starts
                started.append(True)
                inner.append(notify.send_pending(maker, settings, now=T0))
            return real_deliver(*args, **kwargs)

        notify.deliver = deliver_and_race
        try:
            outer = notify.send_pending(maker, settings, now=T0)
        finally:
            notify.deliver = real_deliver
    finally:
        sink.stop()
    # the nested run could only take alert 2; the outer run skipped it once claimed
    assert inner[0].sent == 1 and outer.sent == 1
    assert len(sink.posts) == 2
    assert sorted(p.json()["title"] for p in sink.posts) == [
        "LinkedIn · Privacy Policy: AI opt-out added",
        "LinkedIn · Privacy Policy: AI-training clause widened",
    ]
    assert all(a.status == "sent" for a in _alerts(maker))
