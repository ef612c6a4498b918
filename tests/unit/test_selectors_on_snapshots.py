"""The built-in selectors work on the real HTML in ../shared/corpus/snapshots.

Every mapping below is explicit: which built-in document, which snapshot files of that same page,
and a phrase the policy is known to contain there. With lxml + cssselect alone (no project code)
each `select` must match, the selected text minus `remove` must be longer than the document's
`min_length` and contain the phrase. When monitor/extract.py is present, its extract_text must
accept the same snapshots with the declaration's own select/remove/min_length.

Some corpus snapshots predate the current markup (Discord 2020-21, Reddit's privacy policy
2020-21). For those the test asserts the opposite: the current selector matches nothing there
(a markup change is a failed fetch, never a version), while the selector OTA used in that era
finds the same policy, which proves the snapshot is the page we think it is.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.declarations import DocumentDeclaration, load_builtin

RANGE_PREFIX = "range:"


@dataclass(frozen=True)
class Case:
    key: str  # service/kind of a built-in document
    pattern: str  # glob under corpus/snapshots/, for snapshots of that same page
    phrases: tuple[str, ...]  # text the selection must contain in every one of them


# Snapshots of the very page a built-in document fetches.
SAME_PAGE = [
    # in.linkedin.com serves the Hindi text in the same #component-container; the phrase is
    # "artificial intelligence" in Hindi, from §2's AI-training sentence (since 2024-09-18).
    Case(
        "linkedin/privacy-policy",
        "LinkedIn/Privacy-Policy/*.html",
        ("LinkedIn", "आर्टिफ़िशियल इंटेलिजेंस"),
    ),
    # The printable policy with ?locale=hi_IN; "जेनरेटिव AI" = "generative AI".
    Case("meta/privacy-policy", "Facebook/Privacy-Policy/*.html", ("Meta AI", "जेनरेटिव AI")),
    Case(
        "meta/meta-ai-terms-eu",
        "Meta-AI/Terms-of-Service/*.html",
        ("Meta AIs Terms of Service (EU)", "Meta Platforms Ireland Limited"),
    ),
    Case(
        "google/privacy-policy",
        "Google-Generative-AI-Services/Privacy-Policy/*__privacy.html",
        ("Google Privacy Policy", "AI models", "publicly available"),
    ),
    Case(
        "google/privacy-policy",
        "Google/Privacy-Policy/*.html",
        ("Google Privacy Policy", "publicly available"),
    ),
    Case(
        "google/gemini-privacy-hub",
        "Google-Generative-AI-Services/Privacy-Policy/*__gemini-answer-13594961.html",
        ("Gemini Apps", "Keep Activity", "human reviewers"),
    ),
    Case(
        "reddit/user-agreement",
        "Reddit/Terms-of-Service/*.html",
        ("Reddit User Agreement", "Your Content"),
    ),
]

# Inferred declarations: the snapshot is another page of the same template, so only the
# selector itself is checked (it matches and yields real text).
SAME_TEMPLATE = [
    ("meta/meta-ai-terms", "Meta-AI/Terms-of-Service/*.html"),
    ("meta/meta-ai-terms-uk", "Meta-AI/Terms-of-Service/*.html"),
    ("meta/meta-ai-terms-br", "Meta-AI/Terms-of-Service/*.html"),
    ("meta/meta-ai-disclosures", "Meta-AI/Terms-of-Service/*.html"),
    ("google/terms-of-service", "Google-Generative-AI-Services/Privacy-Policy/*__privacy.html"),
    (
        "google/genai-additional-terms",
        "Google-Generative-AI-Services/Privacy-Policy/*__privacy.html",
    ),
    (
        "google/genai-opt-out-help",
        "Google-Generative-AI-Services/Privacy-Policy/*__gemini-answer-13594961.html",
    ),
    ("reddit/data-api-terms", "Reddit/Terms-of-Service/*.html"),
    ("reddit/developer-terms", "Reddit/Terms-of-Service/*.html"),
]


@dataclass(frozen=True)
class Legacy:
    key: str
    pattern: str
    era_selector: str  # what OTA selected when the snapshot was taken
    phrase: str


OLD_MARKUP = [
    Legacy(
        "discord/privacy-policy",
        "Discord/Privacy-Policy/*.html",
        ".document-3OCpS5",
        "Privacy Policy",
    ),
    Legacy(
        "discord/terms-of-service",
        "Discord/Terms-of-Service/*.html",
        ".document-3OCpS5",
        "Terms of Service",
    ),
    Legacy(
        "reddit/privacy-policy", "Reddit/Privacy-Policy/*.html", "#content", "Reddit Privacy Policy"
    ),
]

# Snapshot pairs whose extracted text OTA found identical (html_only_change, or "same extracted
# text" per the corpus README): our selection must not differ either, or every fetch would alert.
UNCHANGED_PAIRS = [
    (
        "google/privacy-policy",
        "Google-Generative-AI-Services/Privacy-Policy/2026-04-29T10-31-00Z__privacy.html",
        "Google-Generative-AI-Services/Privacy-Policy/2026-05-21T22-32-27Z__privacy.html",
    ),
    (
        "meta/meta-ai-terms-eu",
        "Meta-AI/Terms-of-Service/2026-04-21T10-32-37Z.html",
        "Meta-AI/Terms-of-Service/2026-05-05T22-32-28Z.html",
    ),
    (
        "linkedin/privacy-policy",
        "LinkedIn/Privacy-Policy/2025-05-07T16-32-18Z.html",
        "LinkedIn/Privacy-Policy/2025-06-01T22-01-35Z.html",
    ),
]

# The AI-training change of 2026-05-13 in the EU Meta AI terms must show in the selection.
CHANGED_PAIRS = [
    (
        "meta/meta-ai-terms-eu",
        "Meta-AI/Terms-of-Service/2026-05-05T22-32-28Z.html",
        "Meta-AI/Terms-of-Service/2026-05-13T10-32-30Z.html",
    ),
]


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def builtin():
    return load_builtin()


def declaration(builtin, key: str) -> DocumentDeclaration:
    service, kind = key.split("/")
    doc = builtin[service].document(kind)
    assert doc is not None, f"{key} is not a built-in document"
    return doc


def snapshots(corpus_dir: Path, pattern: str) -> list[Path]:
    found = sorted((corpus_dir / "snapshots").glob(pattern))
    assert found, f"no snapshot matches {pattern}"
    return found


def parse(path: Path):
    import lxml.html

    # The snapshots are UTF-8 without a <meta charset>; decode first so lxml does not guess.
    return lxml.html.document_fromstring(path.read_bytes().decode("utf-8"))


def css(selector: str):
    from lxml.cssselect import CSSSelector

    return CSSSelector(selector)


@dataclass(frozen=True)
class Range:
    """A ``range:<start>..<end>`` selector; each side may carry OTA's key (``startBefore=``,
    ``startAfter=``, ``endBefore=``, ``endAfter=``); the defaults are startBefore / endAfter."""

    start: str
    start_before: bool
    end: str
    end_after: bool


def parse_range(selector: str) -> Range:
    start, sep, end = selector[len(RANGE_PREFIX) :].partition("..")
    start, end = start.strip(), end.strip()
    assert sep and start and end, f"malformed range selector {selector!r}"
    start_before, end_after = True, True
    for key, before in (("startBefore=", True), ("startAfter=", False)):
        if start.startswith(key):
            start, start_before = start[len(key) :].strip(), before
    for key, after in (("endAfter=", True), ("endBefore=", False)):
        if end.startswith(key):
            end, end_after = end[len(key) :].strip(), after
    return Range(start, start_before, end, end_after)


def range_parts(selector: str) -> tuple[str, str]:
    rng = parse_range(selector)
    return rng.start, rng.end


def range_text(root, rng: Range) -> str:
    """Text between the first ``rng.start`` element and the first ``rng.end`` element after it,
    each boundary before or after its element as OTA's keys say, in document order."""
    order = {el: i for i, el in enumerate(root.iter())}
    starts = css(rng.start)(root)
    if not starts:
        return ""
    start = starts[0]
    ends = [e for e in css(rng.end)(root) if order[e] >= order[start]]
    if not ends:
        return ""
    end = ends[0]
    chunks: list[str] = []
    state = {"on": False, "done": False}

    def walk(el) -> None:
        if el is end and not rng.end_after:
            state["done"] = True
        if state["done"]:
            return
        if el is start and rng.start_before:
            state["on"] = True
        if state["on"] and isinstance(el.tag, str) and el.tag not in ("script", "style"):
            chunks.append(el.text or "")
        for child in el:
            walk(child)
            if state["done"]:
                return
            if state["on"]:
                chunks.append(child.tail or "")
        if el is end:
            state["done"] = True
        if el is start and not rng.start_before:
            state["on"] = True

    walk(root)
    return " ".join("".join(chunks).split())


def selected_text(root, doc: DocumentDeclaration) -> str:
    """What the declaration selects, minus what it removes, whitespace collapsed."""
    for selector in doc.remove:
        for el in css(selector)(root):
            el.drop_tree()
    parts = []
    for selector in doc.select:
        if selector.startswith(RANGE_PREFIX):
            parts.append(range_text(root, parse_range(selector)))
        else:
            for el in css(selector)(root):
                for junk in el.xpath(".//script|.//style"):
                    junk.drop_tree()
                parts.append(" ".join(el.text_content().split()))
    return " ".join(p for p in parts if p)


def extract_module():
    if importlib.util.find_spec("monitor.extract") is None:
        return None
    import monitor.extract

    return monitor.extract


def run_extract(module, path: Path, doc: DocumentDeclaration) -> str:
    result = module.extract_text(
        path.read_bytes(),
        url=doc.url,
        content_type="text/html; charset=utf-8",
        select=list(doc.select),
        remove=list(doc.remove),
        min_length=doc.min_length,
    )
    return result if isinstance(result, str) else result.text


def squash(text: str) -> str:
    return " ".join(text.split())


def without_link_targets(text: str) -> str:
    """extract_text renders links as [text](url); keep the text."""
    return re.sub(r"\]\([^)\s]*\)", "]", text)


# --------------------------------------------------------------------------- tests


def test_every_selector_of_every_builtin_is_valid_css(builtin):
    from cssselect import GenericTranslator, SelectorError

    translator = GenericTranslator()
    for service in builtin.values():
        for doc in service.documents:
            for selector in doc.select + doc.remove:
                pieces = range_parts(selector) if selector.startswith(RANGE_PREFIX) else [selector]
                for piece in pieces:
                    try:
                        translator.css_to_xpath(piece)
                    except SelectorError as exc:  # pragma: no cover - the failure message
                        pytest.fail(f"{doc.key}: invalid CSS {piece!r}: {exc}")


def test_every_selector_is_accepted_by_the_extractor(builtin, extract):
    for service in builtin.values():
        for doc in service.documents:
            for selector in doc.select + doc.remove:
                extract.validate_selector(selector)  # raises ValueError with the reason


def test_mappings_name_real_builtin_documents(builtin):
    keys = [c.key for c in SAME_PAGE] + [k for k, _ in SAME_TEMPLATE] + [c.key for c in OLD_MARKUP]
    for key in keys:
        doc = declaration(builtin, key)
        assert doc.enabled, f"{key}: validated selectors belong to enabled documents"


@pytest.mark.parametrize("case", SAME_PAGE, ids=lambda c: f"{c.key}:{c.pattern.split('/')[0]}")
def test_selector_finds_the_policy_on_its_snapshots(builtin, corpus_dir: Path, case: Case):
    doc = declaration(builtin, case.key)
    for path in snapshots(corpus_dir, case.pattern):
        root = parse(path)
        for selector in doc.select:
            if selector.startswith(RANGE_PREFIX):
                for piece in range_parts(selector):
                    assert css(piece)(root), f"{path.name}: {piece!r} matches nothing"
            else:
                assert css(selector)(root), f"{path.name}: {selector!r} matches nothing"
        text = selected_text(root, doc)
        assert len(text) > doc.min_length, f"{path.name}: {len(text)} chars"
        for phrase in case.phrases:
            assert phrase in text, f"{path.name}: {phrase!r} not in the selection"


@pytest.mark.parametrize("key,pattern", SAME_TEMPLATE, ids=[k for k, _ in SAME_TEMPLATE])
def test_inferred_selector_works_on_its_template(builtin, corpus_dir: Path, key, pattern):
    doc = declaration(builtin, key)
    for path in snapshots(corpus_dir, pattern):
        text = selected_text(parse(path), doc)
        assert len(text) > 2000, f"{key} on {path.name}: {len(text)} chars"


def test_range_end_before_and_end_after_agree_on_an_empty_separator(builtin, corpus_dir: Path):
    """meta-ai-disclosures ends before the separator (as OTA declares it), the AI terms end
    after it; the separator has no text, so on the shared template both give the same text."""
    disclosures = declaration(builtin, "meta/meta-ai-disclosures")
    terms = declaration(builtin, "meta/meta-ai-terms-eu")
    assert parse_range(disclosures.select[0]).end_after is False
    assert parse_range(terms.select[0]).end_after is True
    for path in snapshots(corpus_dir, "Meta-AI/Terms-of-Service/*.html"):
        assert selected_text(parse(path), disclosures) == selected_text(parse(path), terms)


@pytest.mark.parametrize("case", OLD_MARKUP, ids=lambda c: c.key)
def test_old_markup_is_a_failure_not_a_version(builtin, corpus_dir: Path, case: Legacy):
    doc = declaration(builtin, case.key)
    for path in snapshots(corpus_dir, case.pattern):
        root = parse(path)
        era = css(case.era_selector)(root)
        assert era and case.phrase in era[0].text_content(), path.name
        assert selected_text(root, doc) == "", f"{path.name}: current selector matched old markup"


def test_range_selection_stops_before_the_footer(builtin, corpus_dir: Path):
    doc = declaration(builtin, "meta/meta-ai-terms-eu")
    for path in snapshots(corpus_dir, "Meta-AI/Terms-of-Service/*.html"):
        text = selected_text(parse(path), doc)
        # The policy ends with its effective date; the language list and site footer follow
        # the separator and must not be part of the document.
        assert "Effective Date" in text[-200:], path.name
        assert "Cookies" not in text[-300:] and "Sign Up" not in text, path.name


def test_removed_chrome_is_gone(builtin, corpus_dir: Path):
    google = declaration(builtin, "google/privacy-policy")
    root = parse(snapshots(corpus_dir, "Google/Privacy-Policy/*.html")[0])
    toc = " ".join(css(".TL2alc")(root)[0].text_content().split())
    assert toc.startswith("Contents")
    text = selected_text(root, google)
    assert toc not in text and "When you use our services" in text

    reddit = declaration(builtin, "reddit/user-agreement")
    root = parse(snapshots(corpus_dir, "Reddit/Terms-of-Service/*.html")[-1])
    menu = " ".join(css(".filter-holder")(root)[0].text_content().split())
    assert "Broadcasting Content Policy" in menu
    assert menu not in selected_text(root, reddit)


def test_discord_current_markup_shape(builtin):
    """The corpus has no post-2022 Discord HTML, so this small hand-written page reproduces
    the structure of today's discord.com legal pages (Webflow .section-rich with an archive link
    and a table of contents of .link-terms anchors) to check what select/remove keep."""
    import lxml.html

    page = """<html><body><header class="nav"><a href="/download">Download</a></header>
    <div class="section-rich">
      <a href="/archive" class="archived-link"><div>Archived Versions</div></a>
      <h1>Example Privacy Policy</h1>
      <a href="#1" class="link-terms"><div>1.</div><div>Who we are</div></a>
      <a href="#2" class="link-terms"><div>2.</div><div>What we collect</div></a>
      <div class="w-richtext"><h2 id="1">Who we are</h2><p>We are an example.</p>
      <h2 id="2">What we collect</h2><p>Machine learning systems may process reports.</p></div>
    </div><footer>Careers</footer></body></html>"""
    doc = declaration(builtin, "discord/privacy-policy")
    text = selected_text(lxml.html.document_fromstring(page), doc)
    assert text.startswith("Example Privacy Policy")
    # The table of contents repeats every heading; once removed, each heading appears once.
    assert text.count("Who we are") == 1 and text.count("What we collect") == 1
    assert "Archived Versions" not in text and "1." not in text
    assert "Download" not in text and "Careers" not in text
    assert "Machine learning systems" in text


@pytest.mark.parametrize("key,old,new", UNCHANGED_PAIRS, ids=[k for k, *_ in UNCHANGED_PAIRS])
def test_html_only_changes_select_the_same_text(builtin, corpus_dir: Path, key, old, new):
    doc = declaration(builtin, key)
    snaps = corpus_dir / "snapshots"
    assert (snaps / old).read_bytes() != (snaps / new).read_bytes()
    assert selected_text(parse(snaps / old), doc) == selected_text(parse(snaps / new), doc)


@pytest.mark.parametrize("key,old,new", CHANGED_PAIRS, ids=[k for k, *_ in CHANGED_PAIRS])
def test_real_changes_show_in_the_selection(builtin, corpus_dir: Path, key, old, new):
    doc = declaration(builtin, key)
    snaps = corpus_dir / "snapshots"
    before = selected_text(parse(snaps / old), doc)
    after = selected_text(parse(snaps / new), doc)
    assert before != after
    assert "Effective May 13, 2026" in after and "Effective May 13, 2026" not in before


def test_manifest_hints_agree_with_the_mapping(corpus_dir: Path):
    """The SAME_PAGE snapshots are the pages the built-ins fetch (modulo locale pins)."""
    manifest = json.loads((corpus_dir / "snapshots" / "manifest.json").read_text("utf-8"))
    by_path = {entry["path"].removeprefix("corpus/snapshots/"): entry for entry in manifest}
    expected_pages = {
        "linkedin/privacy-policy": "linkedin.com/legal/privacy-policy",
        "meta/privacy-policy": "mbasic.facebook.com/privacy/policy/printable/",
        "meta/meta-ai-terms-eu": "www.facebook.com/legal/eu-ai-terms",
        "google/privacy-policy": "policies.google.com/privacy",
        "google/gemini-privacy-hub": "support.google.com/gemini/answer/13594961",
        "reddit/user-agreement": "www.redditinc.com/policies/user-agreement",
    }
    for case in SAME_PAGE:
        for path in snapshots(corpus_dir, case.pattern):
            rel = str(path.relative_to(corpus_dir / "snapshots"))
            assert expected_pages[case.key] in by_path[rel]["source_url"], rel


# ------------------------------------------------------------- with monitor/extract.py


@pytest.fixture(scope="module")
def extract():
    module = extract_module()
    if module is None:
        pytest.skip("monitor/extract.py not written yet")
    return module


@pytest.mark.parametrize("case", SAME_PAGE, ids=lambda c: f"{c.key}:{c.pattern.split('/')[0]}")
def test_extract_text_accepts_the_snapshots(builtin, corpus_dir: Path, extract, case: Case):
    doc = declaration(builtin, case.key)
    for path in snapshots(corpus_dir, case.pattern):
        text = run_extract(extract, path, doc)
        assert len(text) >= doc.min_length, path.name
        flat = squash(text)
        for phrase in case.phrases:
            assert phrase in flat, f"{path.name}: {phrase!r} not in extract_text output"


@pytest.mark.parametrize("key,pattern", SAME_TEMPLATE, ids=[k for k, _ in SAME_TEMPLATE])
def test_extract_text_accepts_inferred_selectors_on_their_template(
    builtin, corpus_dir: Path, extract, key, pattern
):
    doc = declaration(builtin, key)
    for path in snapshots(corpus_dir, pattern):
        assert len(run_extract(extract, path, doc)) >= doc.min_length, path.name


@pytest.mark.parametrize("case", OLD_MARKUP, ids=lambda c: c.key)
def test_extract_text_refuses_old_markup(builtin, corpus_dir: Path, extract, case: Legacy):
    doc = declaration(builtin, case.key)
    for path in snapshots(corpus_dir, case.pattern):
        with pytest.raises(extract.ExtractionFailed):
            run_extract(extract, path, doc)


@pytest.mark.parametrize("key,old,new", UNCHANGED_PAIRS, ids=[k for k, *_ in UNCHANGED_PAIRS])
def test_extract_text_is_stable_across_html_only_changes(
    builtin, corpus_dir: Path, extract, key, old, new
):
    doc = declaration(builtin, key)
    snaps = corpus_dir / "snapshots"
    before = run_extract(extract, snaps / old, doc)
    after = run_extract(extract, snaps / new, doc)
    # Link targets may differ (Google fixed a '{$policyLanguageCode}' placeholder in one href):
    # that is a links-only change for the diff classifier, not a text change. The words must
    # be identical.
    assert without_link_targets(before) == without_link_targets(after)
