"""extract_text / region_fingerprint: output format, selectors, real snapshots, stability, contract.

Golden cases are small hand-written pages whose expected text is spelled out in full, so any
change of the output format shows up here first. The corpus tests run every real snapshot in
../shared/corpus/snapshots with the selector the manifest (or, where it has none, the OTA
declaration) gives, and check content we know is in each page.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from monitor.extract import (
    EXTRACTOR_VERSION,
    Extraction,
    ExtractionFailed,
    RangeSelector,
    extract,
    extract_text,
    find_effective_date,
    parse_selector,
    region_fingerprint,
    validate_selector,
)
from monitor.normalise import normalise_text

URL = "https://www.example.com/legal/privacy"


def text_of(html: str, *, select=("main",), remove=(), url=URL, min_length=1) -> str:
    return extract_text(
        html.encode("utf-8"), url=url, select=select, remove=remove, min_length=min_length
    )


def page(main: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Privacy</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><main>{main}</main><footer>Footer</footer></body></html>"
    )


# ---------------------------------------------------------------------------------------------
# Golden output
# ---------------------------------------------------------------------------------------------


def test_headings_paragraphs_and_inline_markup():
    html = page(
        "<h1>Privacy   Policy</h1><p>We <b>collect</b> <i>data</i>\n   when you\tuse it.</p>"
        "<h2>Sharing</h2><p>With <span>partners</span><sup>1</sup>.</p><h6>Small</h6>"
    )
    assert text_of(html) == (
        "# Privacy Policy\n\nWe collect data when you use it.\n\n## Sharing\n\n"
        "With partners1.\n\n###### Small\n"
    )


def test_nested_and_ordered_lists():
    html = page(
        "<ul><li>One</li><li>Two<ul><li>Two a</li><li>Two b<ol><li>deep</li></ol></li></ul></li>"
        "<li><p>Para one</p><p>Para two</p></li></ul>"
        "<ol start='3'><li>three</li><li value='7'>seven</li><li>eight</li></ol>"
    )
    assert text_of(html) == textwrap.dedent(
        """\
        - One
        - Two
          - Two a
          - Two b
            1. deep
        - Para one
          Para two

        3. three
        7. seven
        8. eight
        """
    )


def test_tables_data_and_layout():
    html = page(
        "<table><caption>Retention</caption><thead><tr><th>Data</th><th>Kept</th></tr></thead>"
        "<tbody><tr><td>Chats</td><td><p>18 months</p><p>or less | shorter</p></td></tr>"
        "<tr><td></td><td>n/a</td></tr></tbody></table>"
        "<table role='presentation'><tr><td><p>Layout one</p></td><td><p>Layout two</p></td></tr>"
        "</table>"
        "<table><tr><td>Single column layout</td></tr><tr><td>Second row</td></tr></table>"
    )
    assert text_of(html) == (
        "Retention\n\n| Data | Kept |\n| Chats | 18 months or less \\| shorter |\n| | n/a |\n\n"
        "Layout one\n\nLayout two\n\nSingle column layout\n\nSecond row\n"
    )


def test_links_are_inline_and_normalised():
    html = (
        "<html><head><base href='https://www.example.com/legal/'></head><body><main><p>"
        "See <a href='terms?utm_source=nav&amp;b=2&amp;a=1&amp;fbclid=XyZ#section-3'>the terms</a>, "
        "<a href='mailto:privacy@example.com'>mail us</a>, "
        "<a href='javascript:void(0)'>open menu</a>, <a href='#top'>back to top</a>, "
        "<a href='https://cdn.example.net/x.pdf?X-Amz-Signature=abc&amp;X-Amz-Date=20261129'>PDF"
        "</a>, <a href='/icon'><img src='i.png' alt='icon'></a>and <a>an anchor</a>.</p></main>"
        "</body></html>"
    )
    assert text_of(html) == (
        "See [the terms](https://www.example.com/legal/terms?a=1&b=2#section-3), "
        "[mail us](mailto:privacy@example.com), open menu, back to top, "
        "[PDF](https://cdn.example.net/x.pdf), and an anchor.\n"
    )


def test_link_churn_gives_identical_text_and_fingerprint():
    """Tracking ids, session ids and signed CDN parameters change on every fetch."""
    template = page(
        "<p>Read our <a href='https://www.example.com/cookies?{q1}'>cookie policy</a> and see "
        "<a href='https://scontent.xx.fbcdn.net/v/t39/policy.png?{q2}'>the chart</a>.</p>" * 20
    )
    one = template.format(
        q1="utm_source=mail&amp;utm_campaign=a1&amp;hl=en&amp;jsessionid=111",
        q2="_nc_cat=1&amp;_nc_sid=aa&amp;oh=00_AB1&amp;oe=6600AAAA",
    ).encode()
    two = template.format(
        q1="hl=en&amp;utm_source=web&amp;fbclid=IwAR3&amp;jsessionid=222",
        q2="_nc_cat=9&amp;_nc_sid=bb&amp;oh=00_CD2&amp;oe=6700BBBB",
    ).encode()
    assert one != two
    kw = {"url": URL, "select": ["main"]}
    assert extract_text(one, **kw) == extract_text(two, **kw)
    assert region_fingerprint(one, **kw) == region_fingerprint(two, **kw)
    assert "[cookie policy](https://www.example.com/cookies?hl=en)" in extract_text(one, **kw)


def test_dropped_elements():
    html = page(
        "<p>Kept<script>var secret = 1;</script><style>p{color:red}</style><noscript>Enable JS"
        "</noscript><template><p>tpl</p></template><svg><title>icon</title></svg>"
        "<img src='a.png' alt='ALT TEXT'><input type='hidden' name='csrf' value='TOKEN'>"
        "<input type='text' value='typed'><button>Click me</button><select><option>Opt</option>"
        "</select><textarea>typed text</textarea><iframe src='x'>frame text</iframe> text.</p>"
    )
    assert text_of(html) == "Kept text.\n"


def test_hidden_elements_dropped_but_collapsed_content_kept():
    html = page(
        "<div hidden>Hidden attribute.</div><div aria-hidden='true'>Decorative.</div>"
        "<p style='color: red; DISPLAY : none'>Display none.</p>"
        "<details><summary>What are zippies?</summary><p>Collapsed answer.</p></details>"
        "<h3><button aria-expanded='false' aria-controls='a1'>Accordion question?</button></h3>"
        "<div id='a1' hidden>Accordion answer, collapsed.</div>"
        "<div id='a2' aria-hidden='true'>Panel two.</div>"
        "<button aria-expanded='false' aria-controls='a2'>Second toggle</button>"
        "<p hidden='until-found'>Found by search.</p><p>Visible.</p>"
    )
    assert text_of(html) == (
        "What are zippies?\n\nCollapsed answer.\n\n### Accordion question?\n\n"
        "Accordion answer, collapsed.\n\nPanel two.\n\nSecond toggle\n\nFound by search.\n\n"
        "Visible.\n"
    )


def test_google_help_centre_zippies_are_kept():
    """support.google.com answers sit under <a class="zippy"> toggles, collapsed by CSS."""
    html = page(
        "<h3 id='general'>General</h3><a class='zippy' id='gemini_apps' name='gemini_apps'>What "
        "are Gemini Apps?</a><div><div class='zippy-content'><p>The Gemini Apps include only:</p>"
        "<ul><li>The Gemini web app.</li></ul></div></div>"
    )
    assert text_of(html) == (
        "### General\n\nWhat are Gemini Apps?\n\nThe Gemini Apps include only:\n\n"
        "- The Gemini web app.\n"
    )


def test_line_breaks_pre_details_roles_and_cards():
    html = page(
        "<p>Meta Platforms Ireland Limited<br>Merrion Road<br><br>Dublin 4</p>"
        "<pre>  code   line\n\tindented</pre>"
        "<div role='heading' aria-level='3'>ARIA heading</div>"
        "<div role='list'><div role='listitem'>role item 1</div><div role='listitem'>role item 2"
        "</div></div><a href='/card'><div><h4>Card title</h4><p>Card body</p></div></a>"
    )
    assert text_of(html) == (
        "Meta Platforms Ireland Limited\nMerrion Road\nDublin 4\n\n  code line\n    indented\n\n"
        "### ARIA heading\n\n- role item 1\n- role item 2\n\n#### Card title\n\nCard body\n"
    )


def test_unicode_whitespace_and_quotes():
    html = page(
        "<p>nbsp\u00a0here, zero\u200bwidth, soft\u00adhyphen, thin\u2009space, “curly” ’ and "
        '"straight" \' quotes, e\u0301 composed.</p>'
    )
    assert text_of(html) == (
        'nbsp here, zerowidth, softhyphen, thin space, “curly” ’ and "straight" \' quotes, '
        "é composed.\n"
    )


def test_output_ends_with_exactly_one_newline_and_is_a_normalise_text_fixpoint():
    for html in (page("<p>a</p>"), page("<ul><li>x</li></ul>\n\n\n"), page("<pre>x\n\n\n</pre>")):
        out = text_of(html)
        assert out.endswith("\n") and not out.endswith("\n\n")
        assert normalise_text(out) == out


# ---------------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------------


def test_select_keeps_all_matches_in_document_order_once():
    html = (
        "<body><div class='b'>B first</div><div class='a'>A second<div class='b'>B nested</div>"
        "</div><p class='c'>C third</p></body>"
    )
    assert (
        text_of(html, select=[".c", ".a", ".b"]) == "B first\n\nA second\n\nB nested\n\nC third\n"
    )


def test_remove_inside_the_selection_including_contextual_selectors():
    html = (
        "<body><div class='promo'>Outside promo stays out</div><main><p>Keep.</p>"
        "<div class='promo'>Sale! <input name='csrf' value='x'></div><span class='sr-only'>Skip"
        "</span><p>Also keep.</p><div class='banner__image-container'><p>caption</p></div></main>"
        "</body>"
    )
    out = text_of(
        html, select=["main"], remove=[".promo", "main .sr-only", ".banner__image-container"]
    )
    assert out == "Keep.\n\nAlso keep.\n"


def test_no_select_means_the_whole_body():
    assert (
        text_of(
            "<html><head><title>T</title></head><body><p>All of it.</p></body></html>", select=()
        )
        == "All of it.\n"
    )


def test_range_selectors():
    html = (
        "<body><div id='before'>Before.</div><div role='main'><p>Intro.</p><div>"
        "<p>Terms body.</p><div role='separator'></div><p>After separator.</p></div></div>"
        "<p>Outside.</p></body>"
    )
    assert text_of(html, select=['range:[role="main"]..[role="separator"]']) == (
        "Intro.\n\nTerms body.\n"
    )
    assert text_of(html, select=['range:startAfter=#before..endBefore=[role="separator"]']) == (
        "Intro.\n\nTerms body.\n"
    )
    # range in remove: from the separator to the end of the page
    assert text_of(html, select=['[role="main"]'], remove=['range:[role="separator"]..body']) == (
        "Intro.\n\nTerms body.\n"
    )
    with pytest.raises(ExtractionFailed) as info:
        text_of(html, select=["range:#nothing..[role='separator']"])
    assert info.value.reason == "structure-changed"


def test_parse_and_validate_selectors():
    assert parse_selector("main") == "main"
    assert parse_selector('range:[role="main"]..[role="separator"]') == RangeSelector(
        '[role="main"]', True, '[role="separator"]', True
    )
    assert parse_selector("range: startAfter=h1 .. endBefore=.footer-links") == RangeSelector(
        "h1", False, ".footer-links", False
    )
    for bad in ("", "div[", "range:main", "p::before", "range:..x"):
        with pytest.raises(ValueError):
            validate_selector(bad)


@pytest.mark.parametrize(
    "css",
    [
        "main",
        ".cc",
        "#content",
        '[role="article"]',
        "div[role=article]",
        "main .sr-only",
        ".callout > svg",
        "img[src$='.svg']",
        ".document-3OCpS5",
        "a[href*='facebook.com']",
        "[class~=_9nrb_9nrd]",
        "div > p",
        "a:not([href])",
        "ul li a",
        '[lang|="en"]',
        "[href^='https://']",
        "h2, h3",
        "#component-container",
        ".zippy",
    ],
)
def test_fast_selector_compilation_matches_cssselect(corpus_dir, css):
    """The attribute-axis XPath used for speed selects exactly what cssselect selects."""
    from lxml import etree

    from monitor import extract as module

    fast = etree.XPath(module._selector_xpath(css))
    reference = etree.XPath(module._css_to_xpath(css))
    for rel in (
        "snapshots/Google/Privacy-Policy/2021-05-30T16-01-58Z.html",
        "snapshots/Discord/Terms-of-Service/2021-05-30T16-01-11Z.html",
        "snapshots/Reddit/Privacy-Policy/2021-04-30T12-47-49Z.html",
    ):
        root = etree.fromstring((corpus_dir / rel).read_bytes(), etree.HTMLParser(encoding="utf-8"))
        assert fast(root) == reference(root), (css, rel)


# ---------------------------------------------------------------------------------------------
# Real snapshots
# ---------------------------------------------------------------------------------------------

# Selectors for the snapshots whose manifest entry has no selector_hint, from the OTA
# declarations in corpus/declarations (and SOURCES.md).
DECLARED = {
    "Meta AI": (['range:[role="main"]..[role="separator"]'], []),
    "ChatGPT": (["main"], ['select[name="Locale Select"]', "main .sr-only"]),
    "LinkedIn": (
        ["#component-container"],
        [".callout > svg", ".expandable-section__header", ".banner__image-container"],
    ),
    "Facebook": (["#root"], ["img", ".bh", ".bk"]),
}
# Phrases we know each page states (read from the snapshots).
PHRASES = {
    ("Google Generative AI Services", "gemini"): ["Gemini Apps Privacy Notice", "Keep Activity"],
    ("Google Generative AI Services", "privacy"): [
        "# Google Privacy Policy",
        "help train Google's AI models",
    ],
    ("Meta AI", None): ["Meta AIs Terms of Service (EU)", "Meta Platforms Ireland Limited"],
    ("ChatGPT", None): [
        "# How your data is used to improve model performance",
        "we may use your content to train our models",
    ],
    ("LinkedIn", None): ["# प्राइवेसी पॉलिसी", "LinkedIn का मिशन"],
    ("Facebook", None): ["# प्राइवेसी पॉलिसी", "Meta"],
    ("Discord", "Privacy Policy"): ["# DISCORD PRIVACY POLICY", "June 23, 2020"],
    ("Discord", "Terms of Service"): ["BINDING ARBITRATION PROVISION"],
    ("Reddit", "Privacy Policy"): ["# Reddit Privacy Policy"],
    ("Reddit", "Terms of Service"): ["# Reddit User Agreement"],
    ("Google", None): ["Effective 4 February 2021"],
}


def selectors_for(entry: dict) -> tuple[list[str], list[str]]:
    hint = entry.get("selector_hint")
    if not hint:
        return DECLARED[entry["service"]]
    match = re.fullmatch(r"(.*?)(?: \(remove (.*)\))?", hint)
    assert match
    remove = [r.strip() for r in match.group(2).split(", ")] if match.group(2) else []
    return [match.group(1)], remove


def phrases_for(entry: dict) -> list[str]:
    service, terms = entry["service"], entry["terms_type"]
    doc = entry.get("source_document") or ""
    for (s, key), phrases in PHRASES.items():
        if s == service and (key is None or key == terms or doc.startswith(key or "~")):
            return phrases
    raise AssertionError(f"no known phrase for {service} / {terms} / {doc}")


def snapshot_entries(corpus_dir: Path) -> list[dict]:
    return json.loads((corpus_dir / "snapshots/manifest.json").read_text())


@pytest.fixture(scope="module")
def snapshots(corpus_dir):
    """(entry, body, select, remove, text) for every real snapshot."""
    out = []
    for entry in snapshot_entries(corpus_dir):
        body = (corpus_dir.parent / entry["path"]).read_bytes()
        select, remove = selectors_for(entry)
        text = extract_text(
            body,
            url=entry["source_url"],
            content_type="text/html; charset=utf-8",
            select=select,
            remove=remove,
        )
        out.append((entry, body, select, remove, text))
    return out


def test_every_real_snapshot_extracts_with_known_content(snapshots):
    assert len(snapshots) == 32
    for entry, body, _select, _remove, text in snapshots:
        name = entry["path"]
        assert 3000 < len(text) < len(body), name
        for phrase in phrases_for(entry):
            assert phrase in text, (name, phrase)
        assert text.endswith("\n") and not text.endswith("\n\n"), name
        assert "<" not in text[:200] and "{" not in text[:200], name  # no markup or script leaked


def test_real_snapshots_match_open_terms_archive_wording(snapshots, corpus_dir):
    """OTA's recorded versions were extracted from these very snapshots: our words match."""

    def words(text: str) -> list[str]:
        text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
        text = re.sub(r"\]\([^)]*\)", "]", text)
        text = text.replace("<br>", " ").replace("<br", " ")  # OTA artefact in a few places
        text = re.sub(r"(?m)^\s*(?:[-*]|\d+\.)\s+", "", text)  # list markers ("*" vs "1.")
        return re.findall(r"\w+", text)

    def grams(seq: list[str]) -> list[tuple[str, ...]]:
        return [tuple(seq[i : i + 4]) for i in range(len(seq) - 3)]

    compared = 0
    for entry, _body, _select, _remove, text in snapshots:
        produced = entry.get("produced_corpus_versions")
        if not produced:
            continue
        ota = set(grams(words((corpus_dir.parent / produced[0]).read_text(encoding="utf-8"))))
        mine = grams(words(text))
        # (OTA's version of this document combines two pages, so containment, not equality)
        contained = sum(1 for g in mine if g in ota) / len(mine)
        assert contained > 0.97, (entry["path"], contained)
        compared += 1
    assert compared >= 12


def test_hindi_text_survives(snapshots):
    for entry, _body, _s, _r, text in snapshots:
        if entry["lang"] == "hi":
            devanagari = sum(1 for ch in text if "\u0900" <= ch <= "\u097f")
            assert devanagari > 20000, entry["path"]
            assert "\ufffd" not in text and "à¤" not in text


def test_html_only_churn_gives_identical_text(snapshots):
    """Pairs where only the HTML around the text changed (per OTA, checked by reading)."""
    by_path = {
        e["path"].rsplit("/", 1)[1]: t
        for e, _b, _s, _r, t in snapshots
        if e["service"] in ("LinkedIn", "Meta AI", "ChatGPT", "Discord")
    }
    pairs = [
        ("2025-05-07T16-32-18Z.html", "2025-06-01T22-01-35Z.html"),  # LinkedIn (hi)
        ("2026-04-21T10-32-37Z.html", "2026-05-05T22-32-28Z.html"),  # Meta AI
    ]
    chatgpt = sorted(k for k in by_path if "how-your-data" in k)
    pairs += [(chatgpt[0], chatgpt[1]), (chatgpt[1], chatgpt[2])]
    for a, b in pairs:
        assert by_path[a] == by_path[b], (a, b)


def test_real_changes_give_different_text_and_fingerprint(corpus_dir):
    """Gemini Apps Privacy Hub, 2026-03-26: a new AI-training clause (imported chats)."""
    base = corpus_dir / "snapshots/Google-Generative-AI-Services/Privacy-Policy"
    before = (base / "2026-03-20T23-31-54Z__gemini-answer-13594961.html").read_bytes()
    after = (base / "2026-03-26T23-32-15Z__gemini-answer-13594961.html").read_bytes()
    kw = {"url": "https://support.google.com/gemini/answer/13594961?hl=en", "select": [".cc"]}
    old, new = extract(before, **kw), extract(after, **kw)
    assert old.fingerprint != new.fingerprint and old.text != new.text
    clause = "that you import from other AI platforms is saved in your Activity"
    assert clause in new.text and clause not in old.text
    assert "including training generative AI models" in new.text.split(clause, 1)[1][:300]


# ---------------------------------------------------------------------------------------------
# Stability and the fingerprint contract
# ---------------------------------------------------------------------------------------------


def test_extraction_is_stable(snapshots):
    for _entry, body, select, remove, text in snapshots[::3]:
        again = extract(
            body,
            url=_entry["source_url"],
            content_type="text/html; charset=utf-8",
            select=select,
            remove=remove,
        )
        assert again.text == text
        assert normalise_text(text) == text


def test_output_does_not_depend_on_hash_seed(corpus_dir):
    """Byte-identical output across processes (set/dict order must never leak into text)."""
    script = (
        "import hashlib, sys\n"
        "from monitor.extract import extract\n"
        "body = open(sys.argv[1], 'rb').read()\n"
        "r = extract(body, url='https://discord.com/terms', select=['.document-3OCpS5'])\n"
        "print(hashlib.sha256(r.text.encode()).hexdigest(), r.fingerprint)\n"
    )
    path = corpus_dir / "snapshots/Discord/Terms-of-Service/2021-05-30T16-01-11Z.html"
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script, str(path)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_fingerprint_matches_extract_and_is_versioned(snapshots):
    for entry, body, select, remove, _text in snapshots[::4]:
        kw = {"content_type": "text/html; charset=utf-8", "select": select, "remove": remove}
        fp = region_fingerprint(body, url=entry["source_url"], **kw)
        assert fp == extract(body, url=entry["source_url"], **kw).fingerprint
        assert re.fullmatch(r"[0-9a-f]{40}", fp)
        assert region_fingerprint(body, url="https://elsewhere.example/", **kw) != fp
        assert (
            region_fingerprint(body, url=entry["source_url"], **{**kw, "remove": [*remove, "p"]})
            != fp
        )
    assert EXTRACTOR_VERSION


def _noisy_page(*, csrf: str, stamp: str, promo: str, body_extra: str = "") -> bytes:
    policy = "".join(
        f"<h2>Section {i}</h2><p>We use your data to provide the service, paragraph {i}. "
        f"<a href='/help/{i}?trk=public_post&amp;lang=en'>Learn more</a>.</p>"
        for i in range(1, 30)
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<meta name='csrf-token' content='{csrf}'><title>Privacy</title>"
        f"<script>window.__STATE__ = {{ts: '{stamp}', nonce: '{csrf}'}};</script></head><body>"
        f"<header><nav><a href='/?session={csrf}'>Home</a> Rendered at {stamp}</nav></header>"
        f"<div class='promo'><form><input type='hidden' name='csrf' value='{csrf}'></form>{promo}"
        "</div>"
        f"<main><div class='ad-slot' data-ts='{stamp}'>Ad {stamp}</div>{policy}{body_extra}"
        f"<input type='hidden' name='form_token' value='{csrf}'>"
        f"<script>track('{stamp}')</script></main>"
        f"<footer>Generated {stamp} · request {csrf}</footer></body></html>"
    ).encode()


def test_fingerprint_contract_noise_versus_real_edits():
    kw = {"url": URL, "select": ["main"], "remove": [".ad-slot"]}
    one = _noisy_page(csrf="a1b2c3", stamp="2026-11-29T10:00:00Z", promo="Sale ends today!")
    two = _noisy_page(csrf="z9y8x7", stamp="2026-11-29T16:30:05Z", promo="New: dark mode")
    assert one != two
    # noise outside the selection, CSRF tokens in inputs, scripts and removed elements:
    assert region_fingerprint(one, **kw) == region_fingerprint(two, **kw)
    assert extract_text(one, **kw) == extract_text(two, **kw)
    # a real edit of the policy text changes both
    edited = _noisy_page(
        csrf="a1b2c3",
        stamp="2026-11-29T10:00:00Z",
        promo="Sale ends today!",
        body_extra="<p>We may use your content to train AI models.</p>",
    )
    assert region_fingerprint(edited, **kw) != region_fingerprint(one, **kw)
    assert "train AI models" in extract_text(edited, **kw)
    assert extract_text(edited, **kw) != extract_text(one, **kw)
    # a link target edit too (links are part of the text)
    moved = one.replace(b"/help/7?", b"/help/77?")
    assert region_fingerprint(moved, **kw) != region_fingerprint(one, **kw)
    assert extract_text(moved, **kw) != extract_text(one, **kw)


def test_fingerprint_contract_on_real_pages_with_noise(snapshots):
    """Noise injected outside the selection of real pages leaves fingerprint and text as is."""
    for entry, body, select, remove, text in snapshots[::5]:
        noisy = body.replace(b"<body", b"<div class='x-noise'>csrf 91823 at 10:00:01</div><body", 1)
        if noisy == body:
            continue
        kw = {"content_type": "text/html; charset=utf-8", "select": select, "remove": remove}
        url = entry["source_url"]
        assert region_fingerprint(noisy, url=url, **kw) == region_fingerprint(body, url=url, **kw)
        assert extract_text(noisy, url=url, **kw) == text


# ---------------------------------------------------------------------------------------------
# Effective dates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# Terms\n\nEffective: September 29, 2025\n\nLast Updated: August 29, 2025",
            dt.date(2025, 9, 29),
        ),
        (
            "#### Last Updated: August 29, 2025\n\n#### Effective: September 29, 2025",
            dt.date(2025, 9, 29),
        ),
        ("Effective 4 February 2021 | [Archived versions](https://x)", dt.date(2021, 2, 4)),
        ("**Effective as of** January 1, 2024.", dt.date(2024, 1, 1)),
        ("Effective Date: 6 March 2024", dt.date(2024, 3, 6)),
        ("Effective: Jan 06, 2026. Last Revised: Jan 06, 2026.", dt.date(2026, 1, 6)),
        ("### **Last updated:** March 20, 2026", dt.date(2026, 3, 20)),
        ("Updated: 13 March 2026", dt.date(2026, 3, 13)),
        ("Last modified: May 7, 2020.", dt.date(2020, 5, 7)),
        ("Last Updated: July 2026", dt.date(2026, 7, 1)),
        ("[Effective August 21, 2026](https://www.linkedin.com/help)", dt.date(2026, 8, 21)),
        ("Effective Date\n  Effective May 13, 2026", dt.date(2026, 5, 13)),
        ("Version effective 2025-11-03.", dt.date(2025, 11, 3)),
        ("These terms become effective when you accept them.", None),
        ("We updated our policy to explain more.", None),
        ("Effective February 30, 2024", None),
    ],
)
def test_find_effective_date(text, expected):
    assert find_effective_date(text) == expected


def test_find_effective_date_on_real_texts(snapshots):
    dates = {}
    for entry, _b, _s, _r, text in snapshots:
        dates.setdefault(entry["service"] + "/" + entry["terms_type"], set()).add(
            find_effective_date(text)
        )
    assert dt.date(2020, 6, 23) in dates["Discord/Privacy Policy"]
    assert dt.date(2020, 5, 7) in dates["Discord/Terms of Service"]
    assert dt.date(2020, 1, 10) in dates["Reddit/Privacy Policy"]
    assert dt.date(2018, 9, 24) in dates["Reddit/Terms of Service"]
    assert dates["Google/Privacy Policy"] == {dt.date(2021, 2, 4)}
    assert dt.date(2026, 5, 13) in dates["Meta AI/Terms of Service"]
    assert dt.date(2025, 4, 28) in dates["ChatGPT/Privacy Policy"]


def test_extraction_value_objects():
    result = extract(page("<p>" + "text " * 60 + "</p>").encode(), url=URL, select=["main"])
    assert isinstance(result, Extraction)
    with pytest.raises(AttributeError):
        result.text = "x"  # frozen
    exc = ExtractionFailed("too-short", "line one\nline two")
    assert exc.message == "line one line two" and exc.reason == "too-short"
    import pickle

    assert pickle.loads(pickle.dumps(exc)).reason == "too-short"


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [300, 1500])
def test_deeply_nested_pages_keep_all_their_text(depth):
    """libxml2 stops at 256 levels by default and drops the rest of the page silently; the
    extractor re-parses without that limit, and the renderer copes with the recursion."""
    nested = "<div><span>" * (depth // 2) + "<p>deep text</p>" + "</span></div>" * (depth // 2)
    out = text_of(page("<p>before</p>" + nested + "<p>after</p>"))
    assert out == "before\n\ndeep text\n\nafter\n"
    assert sys.getrecursionlimit() < 10_000  # restored


def test_nesting_beyond_the_parser_limit_fails_instead_of_losing_text():
    nested = "<div>" * 3000 + "<p>deep text</p>" + "</div>" * 3000
    with pytest.raises(ExtractionFailed) as info:
        text_of(page("<p>before</p>" + nested))
    assert info.value.reason == "truncated" and "2048" in info.value.message


def test_nul_bytes_are_ignored_like_browsers_do():
    body = page("<p>" + "data\x00 policy " * 30 + "</p>").encode()
    assert text_of(body.decode()).startswith("data policy data policy")


def test_huge_flat_page_is_linear():
    paragraphs = "".join(f"<p>Paragraph {i} of the policy text.</p>" for i in range(20000))
    out = text_of(page(paragraphs))
    assert out.count("\n\n") == 19999 and out.endswith("Paragraph 19999 of the policy text.\n")
