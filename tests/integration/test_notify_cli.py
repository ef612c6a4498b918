"""`policywatch alerts`, `alerts retry` and `notify-test` as a user runs them (subprocess, -vv
so that every debug line is printed): channels appear masked, secrets never appear."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from monitor import notify, outbox
from tests.integration.test_notify_support import (
    HOOK_TOKEN,
    JSON_TOKEN,
    HTTPSink,
    free_port,
    make_settings,
    migrate,
    seed_change,
    sessionmaker_for,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DESIGN_FIELDS = {
    "alert",
    "channel",
    "status",
    "attempts",
    "service",
    "document",
    "subject",
    "created_at",
    "sent_at",
}


def pw(args, env):
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _clean(proc) -> str:
    out = proc.stdout + proc.stderr
    assert HOOK_TOKEN not in out and JSON_TOKEN not in out
    return out


@pytest.fixture
def queued(tmp_path):
    """One alert sent to a working json:// hook, one pending for a Mattermost hook that is down."""
    url = migrate(f"sqlite:///{tmp_path / 'pw.db'}")
    sink = HTTPSink().start()
    dead_port = free_port()
    channels = [sink.json_url(), f"mmost://127.0.0.1:{dead_port}/{HOOK_TOKEN}"]
    settings = make_settings(url, channels)
    maker = sessionmaker_for(url)
    with maker() as session, session.begin():
        outbox.enqueue_for_change(session, settings, seed_change(session))
    report = notify.send_pending(maker, settings)
    assert (report.sent, report.pending) == (1, 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
    env.update(
        POLICYWATCH_DATABASE_URL=url,
        POLICYWATCH_NOTIFY=" ".join(channels),
        PYTHONPATH=REPO,
    )
    yield env, sink, dead_port
    sink.stop()


def test_alerts_list_json_and_table(queued):
    env, sink, dead_port = queued
    proc = pw(["-vv", "alerts", "--json"], env)
    assert proc.returncode == 0, proc.stderr
    _clean(proc)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert all(set(r) >= DESIGN_FIELDS for r in rows)
    by_status = {r["status"]: r for r in rows}
    assert set(by_status) == {"sent", "pending"}
    assert by_status["pending"]["channel"] == f"mmost://127.0.0.1:{dead_port}/****"
    assert by_status["sent"]["channel"] == f"json://127.0.0.1:{sink.port}/…"
    assert by_status["pending"]["attempts"] == 1
    assert by_status["pending"]["sent_at"] is None and by_status["sent"]["sent_at"].endswith("Z")
    assert "Connection" in by_status["pending"]["last_error"]
    assert by_status["sent"]["subject"] == "LinkedIn · Privacy Policy: AI-training clause widened"
    assert (by_status["sent"]["service"], by_status["sent"]["document"]) == (
        "linkedin",
        "privacy-policy",
    )

    only_sent = pw(["alerts", "--status", "sent", "--json"], env)
    assert [json.loads(x)["status"] for x in only_sent.stdout.splitlines()] == ["sent"]

    table = pw(["alerts"], env)
    assert table.returncode == 0
    out = _clean(table)
    assert "pending, next try" in out and f"  mmost://127.0.0.1:{dead_port}/****  " in out
    assert "    LinkedIn · Privacy Policy: AI-training clause widened" in out
    assert "    last error: A Connection error occurred" in out and "Connection refused" in out


def test_alerts_retry_sends_when_the_channel_is_back(queued):
    env, _sink, dead_port = queued
    back = HTTPSink(port=dead_port).start()
    try:
        proc = pw(["-vv", "alerts", "retry"], env)
    finally:
        back.stop()
    out = _clean(proc)
    assert proc.returncode == 0, out
    assert "requeued 1 alert" in proc.stdout and "sent 1, failed 0, pending 0" in proc.stdout
    assert len(back.posts) == 1 and back.posts[0].path == f"/hooks/{HOOK_TOKEN}"
    assert "AI-training clause widened" in back.posts[0].json()["text"]


def test_notify_test_names_the_failing_channel_without_revealing_it(queued):
    env, sink, dead_port = queued
    proc = pw(["-vv", "notify-test"], env)
    out = _clean(proc)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == f"ok    #1 json://127.0.0.1:{sink.port}/…"
    assert lines[1].startswith(f"FAIL  #2 mmost://127.0.0.1:{dead_port}/****: ")
    assert "1 of 2 channels failed" in proc.stderr
    assert "Mattermost" in out  # apprise's debug lines were printed, masked
    assert sink.posts[-1].json()["title"].startswith("Example Service (policywatch test message)")

    as_json = pw(["notify-test", "--json"], env)
    rows = [json.loads(x) for x in as_json.stdout.splitlines()]
    assert [(r["position"], r["ok"]) for r in rows] == [(1, True), (2, False)]


def test_notify_test_without_channels(queued):
    env, *_ = queued
    env = dict(env, POLICYWATCH_NOTIFY="")
    proc = pw(["notify-test"], env)
    assert proc.returncode == 1
    assert "no notification channels configured" in proc.stderr
