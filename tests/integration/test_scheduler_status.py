"""``policywatch status``: what it prints and its exit code (the Docker healthcheck).

Heartbeats and runs are written with the ORM at chosen times, so staleness is tested exactly
without waiting hours. The report's content is checked in-process (click's runner: each
subprocess costs a second of imports); exit codes and error lines also as a subprocess, as
the healthcheck runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import store
from monitor.db import make_engine, upgrade
from monitor.models import Alert, CrawlRun, Document, FetchOutcome, Heartbeat
from tests.support.config import write_config


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _status(config: Path, *args: str, env: dict[str, str] | None = None) -> _Result:
    """``policywatch status`` in-process, with only the given POLICYWATCH_* variables."""
    from click.testing import CliRunner

    from monitor.cli import cli

    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("POLICYWATCH_")}
    clean["POLICYWATCH_CONFIG"] = str(config)
    clean.update(env or {})
    result = CliRunner().invoke(cli, ["status", *args], env=clean, catch_exceptions=False)
    return _Result(result.exit_code, result.stdout, result.stderr)


def _status_process(config: Path, *args: str, env: dict[str, str] | None = None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
    base["POLICYWATCH_CONFIG"] = str(config)
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "monitor", "status", *args],
        capture_output=True,
        text=True,
        env=base,
        timeout=60,
    )


@pytest.fixture
def setup(tmp_path, db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    cfg = write_config(tmp_path / "pw.toml", "http://127.0.0.1:9", db_url=db_url)
    yield cfg, store.session_factory(engine)
    engine.dispose()


def _cycle(maker, at: datetime, *, ok: bool = True, next_run_at: datetime | None = None) -> int:
    """A finished scheduled run with one outcome, and its heartbeat."""
    with maker() as s, s.begin():
        doc = s.query(Document).filter_by(service="example", kind="privacy-policy").one_or_none()
        if doc is None:
            doc = Document(service="example", kind="privacy-policy", title="Privacy Policy")
            s.add(doc)
            s.flush()
        run = CrawlRun(
            started_at=at - timedelta(seconds=30),
            finished_at=at,
            status="ok" if ok else "failed",
            trigger="schedule",
            services="example",
        )
        s.add(run)
        s.flush()
        s.add(
            FetchOutcome(
                run_id=run.id,
                document_id=doc.id,
                outcome="new" if ok else "failed",
                reason=None if ok else "transient",
                at=at,
            )
        )
        s.add(Heartbeat(at=at, run_id=run.id, ok=ok, next_run_at=next_run_at, detail="cycle"))
        return run.id


def test_no_cycle_yet_is_unhealthy(setup):
    cfg, _maker = setup
    result = _status_process(cfg)
    assert result.returncode == 1, result.stderr
    assert "health:     UNHEALTHY — no successful scheduled cycle yet" in result.stdout
    assert "scheduler:  never started" in result.stdout
    assert "last run:   none" in result.stdout


def test_recent_cycle_is_healthy_and_the_report_lists_runs_failures_and_alerts(setup):
    now = datetime.now(UTC)
    cfg, maker = setup
    next_run = now + timedelta(hours=5)
    run_id = _cycle(maker, now - timedelta(minutes=20), next_run_at=next_run)
    with maker() as s, s.begin():
        broken = Document(
            service="linkedin",
            kind="genai-faq",
            title="FAQ",
            consecutive_failures=3,
            last_failure_reason="login-wall",
            tracking_broken=True,
        )
        s.add(broken)
        s.flush()
        for i, status in enumerate(["pending", "pending", "sent", "failed"]):
            s.add(
                Alert(
                    dedup_key=f"tracking:{i}:abc",
                    document_id=broken.id,
                    channel_id="abc",
                    channel_label="json://127.0.0.1/…",
                    status=status,
                )
            )

    result = _status(cfg)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("health:     ok — the last successful cycle was 20m ago")
    assert "twice the 6h interval" in out
    assert f"last run:   #{run_id} ok (schedule)" in out and ": 1 new" in out
    assert f"next run:   {next_run:%Y-%m-%d %H:%M} UTC" in out
    assert "failing:    1" in out
    assert "linkedin/genai-faq: 3 failure(s) in a row (login-wall), tracking broken" in out
    assert "alerts:     2 pending, 1 failed" in out

    data = json.loads(_status(cfg, "--json").stdout)
    assert data["healthy"] is True
    assert data["interval_seconds"] == 6 * 3600
    assert data["max_age_seconds"] == 12 * 3600
    assert data["scheduler"] == "running"
    assert data["last_run"]["run"] == run_id and data["last_run"]["outcomes"] == {"new": 1}
    assert data["next_run_at"] == next_run.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert data["failing_documents"] == [
        {
            "service": "linkedin",
            "document": "genai-faq",
            "consecutive_failures": 3,
            "reason": "login-wall",
            "tracking_broken": True,
            "last_success_at": None,
        }
    ]
    assert (data["pending_alerts"], data["failed_alerts"]) == (2, 1)


def test_stale_when_the_last_successful_cycle_is_older_than_twice_the_interval(setup):
    now = datetime.now(UTC)
    cfg, maker = setup
    _cycle(maker, now - timedelta(hours=13))
    _cycle(maker, now - timedelta(hours=1), ok=False)  # failed cycles do not count

    stale = _status_process(cfg)
    assert stale.returncode == 1
    assert "UNHEALTHY — stale: the last successful cycle was 13h ago, more than 12h" in stale.stdout
    # a daily schedule tolerates 48 hours
    daily = _status(cfg, env={"POLICYWATCH_SCHEDULE_CRON": "30 4 * * *"})
    assert daily.returncode == 0, daily.stdout
    assert "twice the 24h interval" in daily.stdout
    # the interval `schedule --interval` runs with
    assert _status(cfg, "--interval", "3600").returncode == 1
    assert _status(cfg, "--interval", "30000").returncode == 0


def test_per_service_schedules_set_the_pace(tmp_path, setup):
    now = datetime.now(UTC)
    cfg, maker = setup
    cfg.write_text(
        cfg.read_text().replace(
            "[crawl]", '[schedule]\nservices = {example = "*/30 * * * *"}\n\n[crawl]'
        )
    )
    _cycle(maker, now - timedelta(hours=2))
    result = _status(cfg)
    assert result.returncode == 1
    assert "twice the 30m interval" in result.stdout


def test_after_a_stop_the_report_says_so(setup):
    now = datetime.now(UTC)
    cfg, maker = setup
    _cycle(maker, now - timedelta(minutes=5), next_run_at=now + timedelta(hours=6))
    with maker() as s, s.begin():
        s.add(Heartbeat(at=now, ok=True, detail="scheduler stopped (SIGTERM)"))
    result = _status(cfg)
    assert result.returncode == 0
    assert "scheduler:  stopped at" in result.stdout and "(SIGTERM)" in result.stdout
    assert "next run:   - (scheduler stopped)" in result.stdout
    assert json.loads(_status(cfg, "--json").stdout)["scheduler"] == "stopped"


def test_outdated_schema_and_unreachable_database_fail_with_one_line(tmp_path):
    cfg = write_config(tmp_path / "pw.toml", "http://127.0.0.1:9")
    empty = _status_process(
        cfg, env={"POLICYWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    )
    assert empty.returncode == 1
    assert "run `policywatch db upgrade` first" in empty.stderr
    down = _status_process(
        cfg,
        env={"POLICYWATCH_DATABASE_URL": "postgresql://pw:hunter2secret@127.0.0.1:9/policywatch"},
    )
    assert down.returncode == 1
    assert "database" in down.stderr and len(down.stderr.strip().splitlines()) == 1
    assert "hunter2secret" not in down.stderr + down.stdout


def test_bad_cron_is_a_config_error(setup):
    cfg, _maker = setup
    result = _status_process(cfg, env={"POLICYWATCH_SCHEDULE_CRON": "0 */6 * * 9"})
    assert result.returncode == 1
    assert "POLICYWATCH_SCHEDULE_CRON" in result.stderr and "weekday" in result.stderr
