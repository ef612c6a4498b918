"""``policywatch demo`` as a user runs it: a subprocess, no network, no configuration.

The demo must run the real pipeline, so these tests check what the pipeline left behind (the
kept database, read back through the real CLI) as well as what the demo printed, and they
receive the alert on a loopback webhook when POLICYWATCH_NOTIFY is set.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitor.demo import AI_CLAUSE, OPT_OUT_SENTENCE, SERVICE_SLUG

SUBJECT = "Example Social · Privacy Policy: AI-training clause added"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The user's environment without policywatch settings; temporary files and the default
    data directory inside ``tmp_path`` so the test can see what the demo leaves behind."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
    env["TMPDIR"] = str(tmp_path / "tmp")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["PYTHONIOENCODING"] = "utf-8"
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env.update(extra)
    return env


def _policywatch(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_demo_offline_prints_history_diff_finding_and_alert(tmp_path: Path) -> None:
    # Settings in the user's shell must not leak into the demo: this body limit would make
    # every fetch of the crawl child fail, and this database must stay untouched.
    user_db = tmp_path / "user.db"
    env = _env(
        tmp_path,
        POLICYWATCH_CRAWL_MAX_BODY_BYTES="100",
        POLICYWATCH_SERVICES="linkedin",
        POLICYWATCH_DATABASE_URL=f"sqlite:///{user_db}",
    )
    proc = _policywatch(["demo", "--keep"], env, tmp_path)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr

    # the two crawls
    assert re.search(rf"run 1\s+{SERVICE_SLUG}/privacy-policy\s+new\s.*\n\s+→ version 1,", out)
    assert re.search(
        rf"run 2\s+{SERVICE_SLUG}/privacy-policy\s+changed\s.*\n\s+→ version 2: substantive "
        r"change, \+\d+/-\d+ characters, 2 AI findings",
        out,
    ), out
    # history: two versions, newest first
    history = out.split("== History", 1)[1].split("== Diff", 1)[0]
    assert re.search(r"privacy-policy\s+v2\s+.*substantive\s+\+\d+/-\d+", history), history
    assert re.search(r"privacy-policy\s+v1\s+.*first\s+\+\d+/-0", history), history
    assert history.index(" v2 ") < history.index(" v1 ")
    # the diff, without colour codes when not on a terminal
    diff = out.split("== Diff", 1)[1].split("== AI findings", 1)[0]
    assert re.search(r"\{\+\s*" + re.escape(AI_CLAUSE) + r"\+\}", diff), diff
    assert "[-March 4-]{+September 18+}" in diff
    assert "[-12 Harbour Street, Portsmouth PO1 2AB-]{+40 Canal Walk" in diff
    assert "\x1b[" not in out
    # the finding: kind, category, severity, the clause, signals, why it matters
    findings = out.split("== AI findings", 1)[1].split("== The alert", 1)[0]
    assert "[HIGH] example-social/privacy-policy v2" in findings
    assert "added training-permission" in findings
    assert f"after:  {AI_CLAUSE}" in findings
    assert "signals: verb.train, obj.ai, data.personal" in findings
    assert "why: new clause permits using user data to train" in findings
    assert "opt-out-added opt-out" in findings
    # the alert, as a channel receives it
    alert = out.split("== The alert", 1)[1].split("== Delivery", 1)[0]
    assert f"Subject: {SUBJECT}" in alert
    assert "1. AI-training clause added · severity high · training-permission" in alert
    assert "Before: (none: new clause)" in alert
    assert f"After:  {AI_CLAUSE}" in alert
    assert "Section: Privacy Policy › How we use your data" in alert
    assert "Effective: 2024-09-18" in alert
    assert "Full diff: policywatch diff example-social privacy-policy --from 1 --to 2" in alert
    assert "mailto://" in alert and "slack://" in alert  # the other formats are named
    delivery = out.split("== Delivery", 1)[1].split("== Next steps", 1)[0]
    assert "Nothing was sent: no notification channel is configured." in delivery
    steps = out.split("== Next steps", 1)[1]
    for command in ("policywatch crawl", "POLICYWATCH_NOTIFY=", "docker compose up -d"):
        assert command in steps

    assert not user_db.exists()
    assert not (tmp_path / "data").exists()  # the default database was not created either

    # What the pipeline recorded, read back through the real CLI from the kept directory.
    kept = Path(re.search(r"kept in\s+(\S+)", out).group(1))
    assert kept.parent == tmp_path / "tmp" and (kept / "demo.db").is_file()
    browse_env = _env(tmp_path)
    runs = _policywatch(["--config", str(kept / "demo.toml"), "runs", "--json"], browse_env, kept)
    assert runs.returncode == 0, runs.stderr
    rows = _json_lines(runs.stdout)
    assert [(r["run"], r["status"], r["trigger"]) for r in rows] == [
        (2, "ok", "demo"),
        (1, "ok", "demo"),
    ]
    assert [[o["outcome"] for o in r["outcomes"]] for r in rows] == [["changed"], ["new"]]
    found = _policywatch(
        ["--config", str(kept / "demo.toml"), "findings", "--json"], browse_env, kept
    )
    assert found.returncode == 0, found.stderr
    by_kind = {f["kind"]: f for f in _json_lines(found.stdout)}
    assert set(by_kind) == {"added", "opt-out-added"}
    assert by_kind["added"]["category"] == "training-permission"
    assert by_kind["added"]["severity"] == "high"
    assert by_kind["added"]["after"] == AI_CLAUSE and by_kind["added"]["before"] is None
    assert by_kind["opt-out-added"]["after"] == OPT_OUT_SENTENCE
    # nothing secret in the kept config: it declares the sample service and nothing else
    config = (kept / "demo.toml").read_text(encoding="utf-8")
    assert "notify" not in config and "[[service]]" in config

    # A database that already holds the demo is refused before anything is crawled.
    again = _policywatch(
        ["demo", "--database-url", f"sqlite:///{kept / 'demo.db'}"], _env(tmp_path), tmp_path
    )
    assert again.returncode == 1
    assert "already holds 2 version(s) of the demo document" in again.stderr
    assert "Crawl 1" not in again.stdout


class _Webhook:
    """A loopback endpoint that records what Apprise's json:// plugin posts."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        hook = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.posts.append((self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Webhook:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def webhook():
    with _Webhook() as hook:
        yield hook


def test_demo_sends_the_alert_to_configured_channels_and_masks_them(
    tmp_path: Path, webhook: _Webhook
) -> None:
    password, token, dead_token = "s3cretPassw0rd", "T0kenAbCdEf123456", "DeadT0ken987654"
    good = f"json://demo:{password}@127.0.0.1:{webhook.port}/hooks/{token}"
    dead = f"json://127.0.0.1:{_closed_port()}/hooks/{dead_token}"
    proc = _policywatch(["demo"], _env(tmp_path, POLICYWATCH_NOTIFY=f"{good} {dead}"), tmp_path)
    out, err = proc.stdout, proc.stderr
    # 3: the demo ran, but one channel could not be reached
    assert proc.returncode == 3, out + err

    # The working channel received exactly one message: the alert with the added clause.
    assert len(webhook.posts) == 1
    path, headers, body = webhook.posts[0]
    assert path == f"/hooks/{token}"
    assert headers["Authorization"] == "Basic " + base64.b64encode(
        f"demo:{password}".encode()
    ).decode("ascii")
    payload = json.loads(body)
    assert payload["title"].startswith(SUBJECT)
    assert AI_CLAUSE in payload["message"]
    assert "Before: (none: new clause)" in payload["message"]
    assert "Alert #1 " in payload["message"]

    # The alert shown is the one that was sent, and each channel's result is reported.
    alert = out.split("== The alert", 1)[1].split("== Delivery", 1)[0]
    assert "This is alert #1 of the outbox" in alert
    assert payload["message"].strip() in alert
    delivery = out.split("== Delivery", 1)[1].split("== Next steps", 1)[0]
    assert re.search(r"^ok\s+#1 json://\S+: alert #1 sent$", delivery, re.M), delivery
    assert re.search(r"^FAIL\s+#2 json://127\.0\.0\.1:\d+/\S*: .*refused", delivery, re.M), delivery
    assert "1 of 2 channels failed" in delivery

    # No secret anywhere: not the password, not the path tokens, not the full URLs.
    for secret in (password, token, dead_token, good, dead):
        assert secret not in out and secret not in err

    # Without --keep the temporary directory is gone.
    assert not list((tmp_path / "tmp").glob("policywatch-demo-*"))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_demo_into_a_given_database(tmp_path: Path, db_url: str) -> None:
    """--database-url: the demo's records go to that database (here PostgreSQL), which the
    kept config then browses; the temporary directory holds only the config."""
    proc = _policywatch(["demo", "--keep", "--database-url", db_url], _env(tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(from --database-url)" in proc.stdout
    kept = Path(re.search(r"kept in\s+(\S+)", proc.stdout).group(1))
    assert [p.name for p in kept.iterdir()] == ["demo.toml"]
    history = _policywatch(
        ["--config", str(kept / "demo.toml"), "history", SERVICE_SLUG, "--json"],
        _env(tmp_path),
        kept,
    )
    assert history.returncode == 0, history.stderr
    rows = _json_lines(history.stdout)
    assert [(r["version"], r["change_class"]) for r in rows] == [(2, "substantive"), (1, "first")]
