"""Real deliveries over loopback: e-mail to aiosmtpd, Apprise json:// and Mattermost webhooks.

Each test queues an alert through the outbox exactly as the tracker does (same transaction as
the Change), then runs the sender and reads what the server received.
"""

from __future__ import annotations

import logging
import re

import pytest

from monitor import notify, outbox
from monitor.models import Alert
from tests.integration.test_notify_support import (
    AI_OPT_OUT,
    AI_WIDENED,
    HOOK_TOKEN,
    HOSTILE,
    JSON_TOKEN,
    NEW_CLAUSE,
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

SECRETS = (SMTP_PASSWORD, HOOK_TOKEN, JSON_TOKEN)


@pytest.fixture
def smtp_sink():
    sink = SMTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def http_sink():
    sink = HTTPSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def sqlite_url(tmp_path):
    """Channel formats do not depend on the database: SQLite only here (the outbox tests run
    on PostgreSQL too)."""
    return migrate(f"sqlite:///{tmp_path / 'pw.db'}")


def _queue_change(url, settings, findings=None):
    maker = sessionmaker_for(url)
    with maker() as session, session.begin():
        change = seed_change(session, findings=findings)
        alerts = outbox.enqueue_for_change(session, settings, change)
        ids = [a.id for a in alerts] if alerts else []
    with maker() as session:
        ids = [a.id for a in session.query(Alert).order_by(Alert.id)]
    return maker, ids


def _no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_email_has_plain_and_html_parts_with_the_added_clause(sqlite_url, smtp_sink, caplog):
    caplog.set_level(logging.DEBUG)
    settings = make_settings(sqlite_url, [smtp_sink.url()])
    maker, ids = _queue_change(sqlite_url, settings, findings=[AI_WIDENED, AI_OPT_OUT])
    assert len(ids) == 1

    report = notify.send_pending(maker, settings)

    assert (report.sent, report.failed, report.pending, report.errors) == (1, 0, 0, [])
    assert len(smtp_sink.messages) == 1 and smtp_sink.auth_ok == 1
    msg = smtp_sink.messages[0]
    assert msg["Subject"] == "LinkedIn · Privacy Policy: AI-training clause widened (+1 more)"
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = smtp_sink.parts()
    flat_plain = " ".join(plain.split())
    # the added clause, with its changed words marked, in both parts
    assert "{+may use your personal+} data {+to develop and train artificial intelligence" in (
        flat_plain
    )
    assert "develop and train artificial intelligence (AI) models" in html
    assert '<ins style="' in html and "may use your personal" in html
    assert "Why it matters: Your personal data may now be used to train AI models." in flat_plain
    assert "policywatch diff linkedin privacy-policy --from 1 --to 2" in flat_plain
    assert f"Alert #{ids[0]}" in flat_plain and f"Alert #{ids[0]}" in html
    # hostile policy text: readable in the plain part, inert in the HTML part
    assert HOSTILE in flat_plain
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;" in html
    with maker() as session:
        alert = session.get(Alert, ids[0])
        assert (alert.status, alert.attempts, alert.last_error) == ("sent", 1, None)
        assert alert.sent_at is not None
    _no_secret(caplog.text)


def test_json_webhook_receives_the_full_plain_text(sqlite_url, http_sink, caplog):
    caplog.set_level(logging.DEBUG)
    settings = make_settings(sqlite_url, [http_sink.json_url()])
    maker, ids = _queue_change(sqlite_url, settings)

    report = notify.send_pending(maker, settings)

    assert report.sent == 1 and report.errors == []
    assert len(http_sink.posts) == 1
    post = http_sink.posts[0]
    assert post.path == f"/hook/{JSON_TOKEN}"
    payload = post.json()
    assert payload["title"] == "LinkedIn · Privacy Policy: AI-training clause widened"
    message = payload["message"]
    assert "AI FINDINGS (1)" in message
    flat = " ".join(message.split())
    assert "{+may use your personal+} data {+to develop and train artificial intelligence" in flat
    assert f"Alert #{ids[0]}" in message
    assert re.search(r"^Source: +https://www\.linkedin\.com/legal/privacy-policy$", message, re.M)
    _no_secret(caplog.text)


def test_mattermost_webhook_gets_slack_mrkdwn(sqlite_url, http_sink, caplog):
    """Apprise's Mattermost plugin posts Slack-compatible JSON to a host we choose."""
    caplog.set_level(logging.DEBUG)
    settings = make_settings(sqlite_url, [http_sink.mattermost_url()])
    maker, ids = _queue_change(sqlite_url, settings, findings=[AI_WIDENED, AI_OPT_OUT])

    report = notify.send_pending(maker, settings)

    assert report.sent == 1, report.errors
    post = http_sink.posts[0]
    assert post.path == f"/hooks/{HOOK_TOKEN}"
    text = post.json()["text"]
    assert len(text) <= 4000
    assert text.startswith("*LinkedIn · Privacy Policy: AI-training clause widened (+1 more)*")
    assert (
        "*{+may use your personal+}* data *{+to develop and train artificial intelligence" in text
    )
    assert NEW_CLAUSE.split(" (AI)")[0].split("develop and ")[-1] in text
    # Slack escaping of the hostile clause; the only link is ours
    assert '&lt;script&gt;alert("pw")&lt;/script&gt;' in text and "<script" not in text
    assert re.findall(r"<(https?://[^|>]+)\|", text) == [
        "https://www.linkedin.com/legal/privacy-policy"
    ]
    assert f"Alert #{ids[0]}" in text
    # Apprise logs the webhook URL (with the token) at debug level: it must come out masked
    assert "Mattermost" in caplog.text
    _no_secret(caplog.text)


def test_tracking_alert_to_json(sqlite_url, http_sink):
    settings = make_settings(sqlite_url, [http_sink.json_url()])
    maker = sessionmaker_for(sqlite_url)
    with maker() as session, session.begin():
        event = seed_tracking(session, "broken")
        outbox.enqueue_for_tracking(session, settings, event)

    assert notify.send_pending(maker, settings).sent == 1
    payload = http_sink.posts[0].json()
    assert payload["title"] == "LinkedIn · Privacy Policy: tracking broken (login wall)"
    assert "5 fetches in a row failed (login wall)" in payload["message"]
    assert "nothing was recorded as deleted" in payload["message"]


def test_failed_webhook_keeps_alert_pending_with_masked_error(sqlite_url, caplog):
    caplog.set_level(logging.DEBUG)
    sink = HTTPSink(status=500).start()
    try:
        settings = make_settings(sqlite_url, [sink.mattermost_url(), sink.json_url()])
        maker, ids = _queue_change(sqlite_url, settings)
        report = notify.send_pending(maker, settings)
    finally:
        sink.stop()
    assert (report.sent, report.failed, report.pending) == (0, 0, 2)
    assert len(report.errors) == 2
    with maker() as session:
        rows = session.query(Alert).order_by(Alert.id).all()
    for row in rows:
        assert row.status == "pending" and row.attempts == 1
        assert "500" in row.last_error or "Internal Server Error" in row.last_error
        _no_secret(row.last_error)
        _no_secret(row.channel_label)
    assert rows[0].channel_label == f"mmost://127.0.0.1:{sink.port}/****"
    assert rows[1].channel_label == f"json://127.0.0.1:{sink.port}/…"
    _no_secret(" ".join(report.errors))
    _no_secret(caplog.text)


def test_notify_test_reports_each_channel_without_secrets(sqlite_url, smtp_sink, http_sink, caplog):
    from monitor.config import Channel

    caplog.set_level(logging.DEBUG)
    dead = free_port()
    settings = make_settings(
        sqlite_url,
        [
            Channel(url=smtp_sink.url()),
            Channel(url=http_sink.mattermost_url(), tags=("ai",)),
            Channel(url=f"mmost://127.0.0.1:{dead}/{HOOK_TOKEN}x", tags=("tracking",)),
            Channel(url="notaplugin://user:" + SMTP_PASSWORD + "@example.com/"),
        ],
    )

    results = notify.notify_test(settings)

    assert [ok for _label, ok, _err in results] == [True, True, False, False]
    assert results[0][0] == f"mailto://ale…:****@127.0.0.1:{smtp_sink.port}/…"
    assert "Connection" in results[2][2] or "refused" in results[2][2]
    assert "not a valid Apprise URL" in results[3][2]
    for label, _ok, err in results:
        _no_secret(label + err)
    assert len(smtp_sink.messages) == 1
    assert "policywatch test message" in smtp_sink.messages[0]["Subject"]
    assert len(http_sink.posts) == 1
    _no_secret(caplog.text)

    # --tag: the channels an alert with that tag reaches (untagged ones take everything)
    only_ai = notify.notify_test(settings, "ai")
    assert [label for label, _ok, _e in only_ai] == [results[i][0] for i in (0, 1, 3)]
    assert len(smtp_sink.messages) == 2 and len(http_sink.posts) == 2
