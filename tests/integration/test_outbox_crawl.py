"""End to end through `policywatch crawl`: a loopback policy page gains an AI-training clause,
the alert goes to a loopback SMTP server that is down, then back; a page that fails five runs in
a row gives one "tracking broken" alert and one "tracking resumed" alert.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.integration.test_notify_support import SMTP_PASSWORD, SMTPSink
from tests.support.config import write_config
from tests.support.pages import AI_CLAUSE, BASE_PARAGRAPHS, policy_page

pytestmark = pytest.mark.slow
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pw(args, env):
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert SMTP_PASSWORD not in proc.stdout + proc.stderr
    return proc


def alerts(env):
    proc = pw(["alerts", "--json", "--limit", "0"], env)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


@pytest.fixture
def site(tmp_path, db_url, policy_server):
    smtp = SMTPSink()  # port reserved, server not running yet
    cfg = write_config(tmp_path / "pw.toml", policy_server.base, {"privacy-policy": "/privacy"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
    env.update(
        PYTHONPATH=REPO,
        POLICYWATCH_CONFIG=str(cfg),
        POLICYWATCH_DATABASE_URL=db_url,
        POLICYWATCH_NOTIFY=smtp.url(),
        POLICYWATCH_ALERTS_BACKOFF_SECONDS="0",  # the next run retries at once
        POLICYWATCH_ALERTS_TRACKING_FAILURES="5",
    )
    policy_server.set("/privacy", policy_page())
    yield env, policy_server, smtp
    smtp.stop()


def test_smtp_down_during_crawl_then_delivered_exactly_once(site):
    env, server, smtp = site
    assert pw(["crawl"], env).returncode == 0  # first version: never an alert
    assert alerts(env) == []

    server.set("/privacy", policy_page(BASE_PARAGRAPHS[:2] + [AI_CLAUSE] + BASE_PARAGRAPHS[2:]))
    changed = pw(["crawl"], env)
    assert changed.returncode == 0, changed.stderr
    [pending] = alerts(env)
    assert pending["status"] == "pending" and pending["attempts"] == 1
    assert pending["subject"] == "Example Corp · Privacy Policy: AI-training clause added"
    assert "Connection refused" in pending["last_error"]

    smtp.start()
    assert pw(["crawl"], env).returncode == 0  # nothing changed; the outbox is retried
    [sent] = alerts(env)
    assert (sent["status"], sent["attempts"]) == ("sent", 2)
    assert len(smtp.messages) == 1
    plain, html = smtp.parts()
    flat = " ".join(plain.split())
    assert " ".join(AI_CLAUSE.split()) in flat
    assert "develop and train artificial intelligence (AI) models" in html
    assert "policywatch diff example privacy-policy --from 1 --to 2" in flat
    assert f"Alert #{sent['alert']}" in flat

    assert pw(["crawl"], env).returncode == 0
    assert len(smtp.messages) == 1  # exactly once


def test_five_failed_runs_give_one_broken_and_one_resumed_alert(site):
    env, server, smtp = site
    smtp.start()
    assert pw(["crawl"], env).returncode == 0
    server.routes.pop("/privacy")  # 404 from now on
    for _ in range(6):
        pw(["crawl"], env)
    rows = alerts(env)
    assert [r["subject"] for r in rows] == [
        "Example Corp · Privacy Policy: tracking broken (page not found)"
    ]
    server.set("/privacy", policy_page())
    assert pw(["crawl"], env).returncode == 0
    pw(["crawl"], env)
    subjects = sorted(r["subject"] for r in alerts(env))
    assert subjects == [
        "Example Corp · Privacy Policy: tracking broken (page not found)",
        "Example Corp · Privacy Policy: tracking resumed",
    ]
    assert [m["Subject"] for m in smtp.messages] == [
        "Example Corp · Privacy Policy: tracking broken (page not found)",
        "Example Corp · Privacy Policy: tracking resumed",
    ]
    plain, _html = smtp.parts(0)
    assert "5 fetches in a row failed (page not found)" in " ".join(plain.split())
