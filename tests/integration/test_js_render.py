"""Documents declared ``needs_js``: rendered by scrapy-playwright in the system Chromium.

The loopback page ships an empty ``<main>`` and a script that fetches the policy paragraphs
(as JSON) and inserts them after a short delay, like the single-page legal centres that need
rendering. Without the [js] extra or without Chromium the same document fails with the
``needs-js`` reason and nothing is stored as a version.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor import store
from monitor.config import CrawlSettings, load_settings
from monitor.db import make_engine
from monitor.models import Snapshot, Version
from monitor.runner import EXIT_OK, EXIT_PARTIAL, run_crawl
from tests.support.config import write_config
from tests.support.httpserver import Page
from tests.support.pages import AI_CLAUSE, BASE_PARAGRAPHS

CHROMIUM = os.environ.get("POLICYWATCH_CRAWL_CHROMIUM_PATH") or CrawlSettings().chromium_path

SHELL = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Example Privacy Policy</title></head>
<body>
<header><nav><a href="/">Home</a></nav></header>
<main id="app"><p class="loading">Loading…</p></main>
<script>
fetch("/policy.json").then(function (r) { return r.json(); }).then(function (data) {
  setTimeout(function () {
    var main = document.getElementById("app");
    main.textContent = "";
    var h1 = document.createElement("h1");
    h1.textContent = data.title;
    main.appendChild(h1);
    data.paragraphs.forEach(function (text) {
      var p = document.createElement("p");
      p.textContent = text;
      main.appendChild(p);
    });
  }, 200);
});
</script>
</body></html>"""


def _policy_json(paragraphs: list[str]) -> Page:
    body = json.dumps({"title": "Example Privacy Policy", "paragraphs": paragraphs})
    return Page(body, headers={"Content-Type": "application/json"})


def _js_config(path: Path, base: str, db_url: str, chromium: str) -> Path:
    cfg = write_config(path, base, db_url=db_url, timeout=30.0)
    text = cfg.read_text().replace("[crawl]\n", f'[crawl]\nchromium_path = "{chromium}"\n')
    cfg.write_text(text + "needs_js = true\n")  # the last table is the document's
    return cfg


def _skip_without_chromium() -> None:
    if importlib.util.find_spec("scrapy_playwright") is None:
        pytest.skip("scrapy-playwright is not installed (pip install -e '.[js]')")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'pw.db'}"


@pytest.mark.chromium
def test_needs_js_page_is_rendered_and_its_scripted_text_becomes_the_version(
    tmp_path, sqlite_url, policy_server
):
    _skip_without_chromium()
    policy_server.set(
        "/privacy", Page(SHELL, headers={"Content-Type": "text/html", "ETag": '"shell-1"'})
    )
    policy_server.set("/policy.json", _policy_json(BASE_PARAGRAPHS))
    settings = load_settings(
        _js_config(tmp_path / "pw.toml", policy_server.base, sqlite_url, CHROMIUM), env={}
    )
    engine = make_engine(settings.database_url)

    first = run_crawl(settings, engine)
    assert first.exit_code == EXIT_OK, first
    assert [o[1] for o in first.outcomes] == ["new"]
    assert policy_server.hits("/policy.json") == 1  # the browser ran the page's script
    maker = store.session_factory(engine)
    with maker() as s:
        (text,) = [v.text for v in s.scalars(select(Version))]
        raw = store.load_body(s, s.scalars(select(Snapshot)).one().sha256)
    assert "Loading" not in text
    for paragraph in BASE_PARAGRAPHS:
        assert paragraph in text
    assert b"<p>We collect information you give us" in raw  # the rendered DOM is the snapshot

    # the policy gains an AI clause; the shell's HTML (and ETag) stay the same
    policy_server.set("/policy.json", _policy_json(BASE_PARAGRAPHS[:3] + [AI_CLAUSE]))
    second = run_crawl(settings, engine)
    assert [o[1] for o in second.outcomes] == ["changed"], second
    with maker() as s:
        texts = [v.text for v in s.scalars(select(Version).order_by(Version.number))]
    assert "train artificial intelligence" in texts[1]
    # rendered pages are always fetched whole: a 304 has nothing for a browser to render
    shell_requests = [h for p, h in policy_server.requests if p == "/privacy"]
    assert len(shell_requests) == 2
    assert "if-none-match" not in shell_requests[1]
    engine.dispose()


def test_without_rendering_a_needs_js_document_fails_with_a_clear_reason(
    tmp_path, sqlite_url, policy_server
):
    policy_server.set("/privacy", SHELL)
    policy_server.set("/policy.json", _policy_json(BASE_PARAGRAPHS))
    missing = str(tmp_path / "no-chromium-here")
    settings = load_settings(
        _js_config(tmp_path / "pw.toml", policy_server.base, sqlite_url, missing), env={}
    )
    engine = make_engine(settings.database_url)

    result = run_crawl(settings, engine)
    assert result.exit_code == EXIT_PARTIAL
    ((key, outcome, reason, detail),) = result.outcomes
    assert (key, outcome, reason) == ("example/privacy-policy", "failed", "needs-js")
    assert "needs JavaScript rendering: install policywatch[js] and Chromium" in detail
    assert policy_server.hits("/privacy") == 0  # not fetched half-rendered
    with store.session_factory(engine)() as s:
        assert s.scalars(select(Version)).all() == []
    engine.dispose()
