"""The CLI as a user runs it: subprocesses, a loopback site, a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.config import write_config
from tests.support.pages import AI_CLAUSE, BASE_PARAGRAPHS, policy_page


def pw(args: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"policywatch {args} exited {proc.returncode}: {proc.stderr}")
    return proc


@pytest.fixture
def site(tmp_path, db_url, policy_server):
    cfg = write_config(
        tmp_path / "pw.toml", policy_server.base, {"privacy-policy": "/privacy", "terms": "/terms"}
    )
    env = dict(os.environ, POLICYWATCH_CONFIG=str(cfg), POLICYWATCH_DATABASE_URL=db_url)
    policy_server.set("/privacy", policy_page())
    policy_server.set("/terms", policy_page(title="Terms of Service"))
    return env, policy_server


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_crawl_history_show_diff_changes(site):
    env, server = site
    first = pw(["crawl"], env)
    assert "example/privacy-policy" in first.stdout and "new" in first.stdout
    server.set("/privacy", policy_page(BASE_PARAGRAPHS[:3] + [AI_CLAUSE] + BASE_PARAGRAPHS[3:]))
    second = pw(["crawl", "example", "--json"], env)
    outcomes = {(r["document"], r["outcome"]) for r in jsonl(second.stdout)}
    assert outcomes == {("privacy-policy", "changed"), ("terms", "unchanged")}

    hist = jsonl(pw(["history", "example", "--json"], env).stdout)
    pp = [h for h in hist if h["document"] == "privacy-policy"]
    assert [h["version"] for h in pp] == [2, 1]
    assert [h["change_class"] for h in pp] == ["substantive", "first"]
    for h in hist:
        assert {"service", "document", "version", "fetched_at", "change_class", "technical"} <= set(
            h
        )
        assert h["fetched_at"].endswith("Z")

    table = pw(["history", "example"], env).stdout
    assert all(len(line) <= 80 for line in table.splitlines()), table
    assert "UTC" in table

    shown = pw(["show", "example", "privacy-policy", "--version", "2"], env).stdout
    assert AI_CLAUSE in shown.replace("\n", " ")
    v1 = pw(["show", "example", "privacy-policy", "--version", "1"], env).stdout
    assert "train artificial intelligence" not in v1

    unified = pw(["diff", "example", "privacy-policy"], env).stdout
    assert unified.startswith("---") and "+++" in unified
    assert any(
        line.startswith("+") and "train artificial intelligence" in line
        for line in unified.splitlines()
    )
    html_out = pw(["diff", "example", "privacy-policy", "--format", "html"], env).stdout
    assert "<ins" in html_out and "train artificial intelligence" in html_out
    md = pw(
        ["diff", "example", "privacy-policy", "--format", "markdown", "--from", "1", "--to", "2"],
        env,
    ).stdout
    assert "train artificial intelligence" in md

    changes = jsonl(pw(["changes", "--json"], env).stdout)
    assert len(changes) == 1
    c = changes[0]
    assert (c["service"], c["document"], c["from_version"], c["to_version"], c["change_class"]) == (
        "example",
        "privacy-policy",
        1,
        2,
        "substantive",
    )
    assert c["added_chars"] > 100 and "removed_chars" in c

    runs = jsonl(pw(["runs", "--json"], env).stdout)
    assert len(runs) == 2 and runs[0]["status"] == "ok"
    assert {"run", "started_at", "finished_at", "status", "outcomes"} <= set(runs[0])
    assert {o["outcome"] for o in runs[0]["outcomes"]} == {"changed", "unchanged"}

    services = jsonl(pw(["services", "--json"], env).stdout)
    example = next(s for s in services if s["service"] == "example")
    assert example["name"] == "Example Corp" and example["documents"] == ["privacy-policy", "terms"]


def test_usage_and_handled_errors_have_exit_codes(site):
    env, _server = site
    bad = pw(["history", "nosuch"], env, check=False)
    assert bad.returncode == 1 and "unknown service 'nosuch'" in bad.stderr
    assert bad.stderr.count("\n") == 1
    usage = pw(["diff"], env, check=False)
    assert usage.returncode == 2
    none_yet = pw(["show", "example", "privacy-policy"], env, check=False)
    assert none_yet.returncode == 1 and "policywatch crawl example" in none_yet.stderr


def test_crawl_exit_code_3_when_a_document_fails(site):
    env, server = site
    server.set("/terms", "<html><body><p>oops</p></body></html>")
    proc = pw(["crawl"], env, check=False)
    assert proc.returncode == 3
    assert "example/terms" in proc.stdout and "failed (structure-changed)" in proc.stdout


def test_bad_config_exits_1_with_file_and_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[crawl]\nretry_times = 'x'\n")
    proc = pw(["--config", str(cfg), "services"], dict(os.environ), check=False)
    assert proc.returncode == 1
    assert str(cfg) in proc.stderr and "crawl.retry_times" in proc.stderr


def test_database_password_never_printed(tmp_path):
    env = dict(os.environ, POLICYWATCH_DATABASE_URL="postgresql://pw:Sup3rSecret@127.0.0.1:1/x")
    proc = pw(["history", "linkedin"], env, check=False)
    assert proc.returncode == 1
    assert "Sup3rSecret" not in proc.stderr + proc.stdout
    assert "cannot connect to the database" in proc.stderr


def test_findings_and_clause_timeline_after_an_ai_clause_is_added(site):
    env, server = site
    pw(["crawl"], env)
    assert jsonl(pw(["findings", "--json"], env).stdout) == []
    server.set("/privacy", policy_page(BASE_PARAGRAPHS[:3] + [AI_CLAUSE] + BASE_PARAGRAPHS[3:]))
    pw(["crawl"], env)
    found = jsonl(pw(["findings", "--json"], env).stdout)
    assert len(found) == 1, found
    f = found[0]
    assert (f["service"], f["document"], f["version"]) == ("example", "privacy-policy", 2)
    assert f["kind"] == "added" and f["severity"] == "high"
    assert f["category"] in ("training-permission", "licensing-to-third-parties")
    assert f["before"] is None and "train artificial intelligence" in f["after"]
    assert f["signals"] and all(isinstance(s, str) for s in f["signals"])
    text = pw(["findings", "--service", "example"], env).stdout
    assert "[HIGH]" in text and "policywatch diff example privacy-policy --to 2" in text

    clauses = jsonl(pw(["clauses", "example", "privacy-policy", "--ai", "--json"], env).stdout)
    ai = [c for c in clauses if "train artificial intelligence" in c["clause"]]
    assert len(ai) == 1 and ai[0]["first_seen_version"] == 2 and ai[0]["ai_training"] is True
    assert all("password" not in c["clause"] for c in clauses)  # non-AI clauses filtered out


def test_baseline_findings_of_a_first_version_are_listed_on_request(site):
    env, server = site
    server.set("/privacy", policy_page(BASE_PARAGRAPHS[:2] + [AI_CLAUSE] + BASE_PARAGRAPHS[2:]))
    pw(["crawl"], env)
    assert jsonl(pw(["findings", "--json"], env).stdout) == []  # baseline never alerts/lists
    base = jsonl(pw(["findings", "--baseline", "--json"], env).stdout)
    present = [f for f in base if f["kind"] == "present"]
    assert present and all(f["severity"] == "info" for f in present)
    assert any("train artificial intelligence" in (f["after"] or "") for f in present)
    again = jsonl(pw(["findings", "--baseline", "--json"], env).stdout)
    assert len(again) == len(base)  # computed once, then stored
