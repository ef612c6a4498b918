"""The built-in declarations (monitor/declarations/*.toml) are complete, well-formed and sane.

These are data, so the tests check the data against what it must say: the five platforms, the
documents SOURCES.md lists, https URLs, locale pins, robots overrides only where the evidence
says a host closes itself to generic agents, and minimum lengths that sit well below every real
recorded version of the document (so a real page never fails) yet far above an error page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from monitor.declarations import SLUG_RE, DocumentDeclaration, load_builtin

SERVICES = {"linkedin", "meta", "google", "discord", "reddit"}

# The document kinds that count as "the terms" of each platform.
TERMS_KINDS = {"terms-of-service", "user-agreement", "facebook-terms"}

# Pages that say how user data is used for AI, per platform (issue 2, item 3). Every one must be
# declared; at least one per platform must be enabled so it is tracked by default.
AI_PAGES = {
    "linkedin": {"genai-faq", "genai-opt-out-help", "privacy-notice-eu", "user-agreement"},
    "meta": {
        "genai-privacy",
        "meta-ai-terms",
        "meta-ai-terms-eu",
        "meta-ai-terms-uk",
        "meta-ai-terms-br",
        "meta-ai-disclosures",
    },
    "google": {"gemini-privacy-hub", "genai-opt-out-help", "genai-additional-terms"},
    "discord": {"developer-policy", "privacy-controls-help", "safety-moderation"},
    "reddit": {"public-content-policy", "data-api-terms", "user-agreement"},
}

# Registrable domains whose robots.txt closes the whole site to generic agents (SOURCES.md,
# DESIGN.md §3.10). Only documents on these may carry ignore_robots_txt, plus documents whose
# reason names the closed canonical host they redirect to (Reddit's privacy policy).
CLOSED_DOMAINS = {"linkedin.com", "facebook.com", "instagram.com", "reddit.com"}
OPEN_SERVICES = {"google", "discord"}

# Built-in document -> the corpus versions of that same page: (service dir, document dir, marker).
# With a marker, only the text from the marker on belongs to the document (the corpus combines
# the Google ToS with the generative-AI additional terms).
CORPUS_VERSIONS = {
    "linkedin/privacy-policy": ("LinkedIn", "Privacy-Policy", None),
    "linkedin/privacy-notice-eu": ("LinkedIn", "European-Regional-Privacy-Notice", None),
    "linkedin/user-agreement": ("LinkedIn", "User-Agreement", None),
    "meta/privacy-policy": ("Facebook", "Privacy-Policy", None),
    "meta/facebook-terms": ("Facebook", "Terms-of-Service", None),
    "meta/instagram-privacy-policy": ("Instagram", "Privacy-Policy", None),
    "meta/instagram-terms": ("Instagram", "Terms-of-Service", None),
    "meta/meta-ai-terms-eu": ("Meta-AI", "Terms-of-Service", None),
    "google/privacy-policy": ("Google", "Privacy-Policy", None),
    "google/terms-of-service": ("Google", "Terms-of-Service", None),
    "google/genai-additional-terms": (
        "Google-Generative-AI-Services",
        "Terms-of-Service",
        "Generative AI Additional Terms of Service\n",
    ),
    "google/genai-prohibited-use-policy": (
        "Google-Generative-AI-Services",
        "Acceptable-Use-Policy",
        None,
    ),
    "discord/privacy-policy": ("Discord", "Privacy-Policy", None),
    "discord/terms-of-service": ("Discord", "Terms-of-Service", None),
    "reddit/privacy-policy": ("Reddit", "Privacy-Policy", None),
    "reddit/user-agreement": ("Reddit", "Terms-of-Service", None),
}

# An enabled document must demand more text than any error, login or challenge page yields
# inside the selected element.
MIN_LENGTH_FLOOR = 500


@pytest.fixture(scope="module")
def builtin():
    return load_builtin()


def all_docs(builtin) -> list[DocumentDeclaration]:
    return [d for s in builtin.values() for d in s.documents]


def registrable(host: str) -> str:
    return ".".join(host.split(".")[-2:])


def test_loads_all_five_services(builtin):
    assert set(builtin) == SERVICES
    for slug, service in builtin.items():
        assert service.slug == slug
        assert service.builtin is True
        assert service.name and service.name != slug
        assert len(service.documents) >= 3, slug


def test_every_document_is_well_formed(builtin):
    for doc in all_docs(builtin):
        assert SLUG_RE.match(doc.kind), doc.key
        assert doc.title.strip(), doc.key
        assert doc.url.startswith("https://"), doc.key
        assert urlsplit(doc.url).hostname, doc.key
        assert doc.note.strip(), f"{doc.key}: every built-in says why it matters"
        if doc.enabled:
            assert doc.select, f"{doc.key}: an enabled document needs a selector"
            assert doc.min_length >= MIN_LENGTH_FLOOR, doc.key


def test_every_platform_has_policy_terms_and_an_ai_page(builtin):
    for slug, service in builtin.items():
        kinds = {d.kind: d for d in service.documents}
        assert "privacy-policy" in kinds and kinds["privacy-policy"].enabled, slug
        terms = [k for k in kinds if k in TERMS_KINDS and kinds[k].enabled]
        assert terms, f"{slug}: no enabled terms document"
        missing = AI_PAGES[slug] - set(kinds)
        assert not missing, f"{slug}: AI pages not declared: {sorted(missing)}"
        assert any(kinds[k].enabled for k in AI_PAGES[slug]), f"{slug}: no AI page enabled"


def test_robots_override_has_a_reason_and_only_where_a_host_is_closed(builtin):
    overridden = 0
    for doc in all_docs(builtin):
        if not doc.ignore_robots_txt:
            assert not doc.robots_reason, f"{doc.key}: reason without override"
            continue
        overridden += 1
        assert doc.service not in OPEN_SERVICES, f"{doc.key}: host allows crawling"
        assert len(doc.robots_reason) > 60, doc.key
        assert "robots.txt" in doc.robots_reason and "DESIGN.md" in doc.robots_reason, doc.key
        host = urlsplit(doc.url).hostname or ""
        named_closed_host = any(f"www.{d}" in doc.robots_reason for d in CLOSED_DOMAINS)
        assert registrable(host) in CLOSED_DOMAINS or named_closed_host, doc.key
    # LinkedIn's and Meta's legal pages cannot be fetched without it (DESIGN.md §3.10).
    assert overridden >= 10
    for key in ("linkedin/privacy-policy", "meta/privacy-policy", "reddit/privacy-policy"):
        service, kind = key.split("/")
        assert builtin[service].document(kind).ignore_robots_txt, key


def test_google_urls_pin_language_and_region(builtin):
    for doc in builtin["google"].documents:
        parts = urlsplit(doc.url)
        query = parse_qs(parts.query)
        if parts.hostname == "policies.google.com":
            # One default for every policies.google.com page: the US English text.
            assert query.get("hl") == ["en-US"] and query.get("gl") == ["US"], doc.key
        elif parts.hostname == "support.google.com":
            # Help articles have a language parameter only (as OTA fetches them).
            assert query.get("hl") == ["en"], doc.key


def test_meta_printable_policy_pins_locale(builtin):
    doc = builtin["meta"].document("privacy-policy")
    assert parse_qs(urlsplit(doc.url).query).get("locale") == ["en_US"]


def test_no_duplicate_urls(builtin):
    seen: dict[str, str] = {}
    for doc in all_docs(builtin):
        assert doc.url not in seen, f"{doc.key} and {seen.get(doc.url)} share {doc.url}"
        seen[doc.url] = doc.key


def test_js_marks_follow_the_evidence(builtin):
    # OTA renders every Meta page with JavaScript; the Reddit help centre serves a bot
    # challenge; LinkedIn, Google, Discord and the redditinc.com pages are server-rendered.
    for doc in builtin["meta"].documents:
        assert doc.needs_js, doc.key
    for doc in builtin["reddit"].documents:
        on_help_centre = urlsplit(doc.url).hostname == "support.reddithelp.com"
        assert doc.needs_js is on_help_centre, doc.key
    for slug in ("linkedin", "google", "discord"):
        for doc in builtin[slug].documents:
            assert not doc.needs_js, doc.key


def test_forms_and_login_pages_are_declared_but_not_crawled(builtin):
    for doc in all_docs(builtin):
        path = urlsplit(doc.url).path
        if "/contact/" in path or "/ask/" in path or "/mypreferences/" in path:
            assert not doc.enabled, doc.key


def _strip_to_page(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path.rstrip('/')}"


def _sources_rows(text: str) -> dict[str, dict[str, str]]:
    """{service slug: {kind: url cell}} from SOURCES.md's per-platform tables."""
    rows: dict[str, dict[str, str]] = {}
    service = None
    for line in text.splitlines():
        heading = re.match(r"^## .*\(`([a-z0-9-]+)`", line)
        if heading:
            service = heading.group(1)
            rows[service] = {}
            continue
        row = re.match(r"^\| `([a-z0-9-]+)` \| ([^|]+) \|", line)
        if row and service:
            rows[service][row.group(1)] = row.group(2)
    return rows


def test_every_source_page_is_declared_with_its_url(builtin, corpus_dir: Path):
    sources = corpus_dir.parent / "SOURCES.md"
    if not sources.is_file():
        pytest.skip(f"{sources} not found")
    rows = _sources_rows(sources.read_text(encoding="utf-8"))
    assert set(rows) == SERVICES
    for slug, kinds in rows.items():
        assert len(kinds) >= 5, slug
        for kind, cell in kinds.items():
            doc = builtin[slug].document(kind)
            assert doc is not None, f"SOURCES.md lists {slug}/{kind}; not declared"
            listed = {_strip_to_page(u) for u in re.findall(r"https://[^\s)]+", cell)}
            assert _strip_to_page(doc.url) in listed, f"{doc.key}: {doc.url} not in {cell}"


def _real_version_lengths(corpus_dir: Path, service: str, document: str, marker: str | None):
    manifest = json.loads((corpus_dir / "versions" / "manifest.json").read_text("utf-8"))
    lengths = []
    for entry in manifest:
        if not entry["path"].startswith(f"corpus/versions/{service}/{document}/"):
            continue
        # Failed captures and OTA's own re-extractions are not versions of the document.
        if entry["degenerate"] or entry["change_kind"] == "technical-upgrade":
            continue
        text = (corpus_dir.parent / entry["path"]).read_text(encoding="utf-8")
        if marker is not None:
            at = text.find(marker)
            assert at >= 0, f"{entry['path']}: marker {marker!r} missing"
            text = text[at:]
        lengths.append(len(text))
    return lengths


@pytest.mark.parametrize("key", sorted(CORPUS_VERSIONS))
def test_min_length_well_below_every_real_version(builtin, corpus_dir: Path, key: str):
    service, kind = key.split("/")
    doc = builtin[service].document(kind)
    assert doc is not None, key
    lengths = _real_version_lengths(corpus_dir, *CORPUS_VERSIONS[key])
    assert len(lengths) >= 2, f"{key}: too few corpus versions to judge"
    shortest = min(lengths)
    # Corpus versions are OTA markdown (link targets included); our text may be shorter, so
    # "well below" means at most half of the shortest real version.
    assert doc.min_length * 2 <= shortest, (
        f"{key}: min_length {doc.min_length}, shortest {shortest}"
    )
