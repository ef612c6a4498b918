"""The demo's sample site and text, checked in-process (fast) against the real extractor,
diff and detector: if a rule change stops the sample change from reading as an added
AI-training clause, this says so precisely, before the slower subprocess tests run."""

from __future__ import annotations

import tomllib
import urllib.error
import urllib.request

import pytest

from monitor.config import load_settings
from monitor.demo import (
    AI_CLAUSE,
    DOCUMENT_KIND,
    OPT_OUT_SENTENCE,
    POLICY_PATH,
    SERVICE_NAME,
    SERVICE_SLUG,
    DemoSite,
    config_toml,
    policy_html,
)


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - loopback
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def test_site_serves_the_version_it_is_told_and_counts_fetches() -> None:
    with DemoSite() as site:
        assert site.base_url.startswith("http://127.0.0.1:") and site.port > 0
        status, ctype, body = _get(site.policy_url)
        assert status == 200 and ctype == "text/html; charset=utf-8"
        assert AI_CLAUSE not in body.decode("utf-8")
        site.serve(2)
        status, _, body = _get(site.policy_url + "?utm_source=x")
        assert status == 200 and AI_CLAUSE in body.decode("utf-8")
        assert site.fetches == 2
        assert _get(site.base_url + "/robots.txt")[2] == b"User-agent: *\nAllow: /\n"
        assert _get(site.base_url + "/nothing-here")[0] == 404
        assert site.fetches == 2  # only policy requests count
    with pytest.raises(ValueError):
        policy_html(3)


def test_sample_change_reads_as_added_training_clause_and_opt_out() -> None:
    from monitor.diff import diff_texts
    from monitor.extract import extract_text, find_effective_date
    from monitor.findings import baseline_findings, findings_for_change

    def text(version: int) -> str:
        return extract_text(
            policy_html(version).encode("utf-8"),
            url="http://127.0.0.1:1" + POLICY_PATH,
            content_type="text/html; charset=utf-8",
            select=["main"],
            remove=[".promo"],
            min_length=1000,
        )

    v1, v2 = text(1), text(2)
    assert "Try Example Social Premium" not in v1  # the .promo banner is removed
    assert baseline_findings(v1) == []  # version 1 has no AI-training clause
    assert str(find_effective_date(v2)) == "2024-09-18"
    assert diff_texts(v1, v2).change_class == "substantive"
    found = findings_for_change(v1, v2)
    assert [(f.kind, f.category, f.severity) for f in found] == [
        ("added", "training-permission", "high"),
        ("opt-out-added", "opt-out", "medium"),
    ]
    assert found[0].after == AI_CLAUSE and found[0].before is None
    assert found[1].after == OPT_OUT_SENTENCE
    # the unrelated edit (postal address) is in the diff but is no finding
    assert "40 Canal Walk" in v2 and "40 Canal Walk" not in v1


def test_config_declares_only_the_sample_service(tmp_path) -> None:
    url = "http://127.0.0.1:8123" + POLICY_PATH
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    path = tmp_path / "demo.toml"
    path.write_text(config_toml(url, db), encoding="utf-8")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert "notify" not in raw  # channels are never written to disk
    settings = load_settings(path, env={})
    assert settings.database_url == db
    assert [s.slug for s in settings.active_services()] == [SERVICE_SLUG]
    service = settings.declarations[SERVICE_SLUG]
    assert service.name == SERVICE_NAME
    doc = service.document(DOCUMENT_KIND)
    assert doc.url == url
    assert settings.crawl.download_delay == 0 and settings.crawl.retry_times == 0
