"""Alert rendering (monitor.compose): golden files per format, escaping, limits, word marks.

Regenerate the goldens with ``POLICYWATCH_REGEN_GOLDEN=1 pytest tests/unit/test_compose.py``
and read the diff before committing: the goldens are the reviewed look of every message.
"""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from monitor import compose
from monitor.compose import (
    DELETE,
    EQUAL,
    INSERT,
    AlertContent,
    FindingView,
    change_subject,
    diff_excerpt,
    render_html,
    render_slack,
    render_text,
    render_trimmed,
    subject,
    word_segments,
)

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("POLICYWATCH_REGEN_GOLDEN") == "1"

# Modelled on LinkedIn's 2024-09 privacy policy change (section 2).
OLD_CLAUSE = (
    "We use the data that we have about you to provide and personalize our Services, including "
    "with the help of automated systems and inferences we make, so that our Services (including "
    "ads) can be more relevant and useful to you and others."
)
NEW_CLAUSE = (
    "We may use your personal data to improve, develop, and provide products and Services, "
    "develop and train artificial intelligence (AI) models, develop, provide, and personalize "
    "our Services, and gain insights with the help of AI, automated systems, and inferences, so "
    "that our Services can be more relevant and useful to you and others."
)
HOSTILE = (
    'You can opt out in Settings & Privacy <script>alert("x")</script> '
    "<img src=x onerror=alert(1)> <!channel> <https://evil.example|click>."
)
OLD_TEXT = "\n".join(
    [
        "# Privacy Policy",
        "Effective November 3, 2023",
        "## 2. How We Use Your Data",
        OLD_CLAUSE,
        "We collect cookies.",
        "Our ads help you find jobs.",
        "## Contact",
        "Write to us.",
    ]
)
NEW_TEXT = "\n".join(
    [
        "# Privacy Policy",
        "Effective November 3, 2024",
        "## 2. How We Use Your Data",
        NEW_CLAUSE,
        HOSTILE,
        "We collect cookies & similar technologies.",
        "## Contact",
        "Write to us or use the help center.",
    ]
)

WIDENED = FindingView(
    kind="widened",
    category="training",
    severity="high",
    before=OLD_CLAUSE,
    after=NEW_CLAUSE,
    signals=("train-ai-models", "personal-data"),
    heading_path=("Privacy Policy", "2. How We Use Your Data"),
    explanation=(
        "Your personal data may now be used to develop and train AI models; before, it was "
        "used to provide and personalise the Services."
    ),
)
OPT_OUT = FindingView(
    kind="opt-out-added",
    category="opt-out",
    severity="low",
    before=None,
    after=HOSTILE,
    signals=("opt-out",),
    heading_path=("Privacy Policy", "2. How We Use Your Data"),
    explanation="A way to opt out of AI training was added.",
)


def _change(**kw) -> AlertContent:
    items, more = diff_excerpt(OLD_TEXT, NEW_TEXT, exclude=[OLD_CLAUSE, NEW_CLAUSE, HOSTILE])
    base = AlertContent(
        kind="change",
        alert_id=17,
        service="linkedin",
        service_name="LinkedIn",
        document_kind="privacy-policy",
        document_title="Privacy Policy",
        source_url="https://www.linkedin.com/legal/privacy-policy?trk=a&x=<b>",
        detected_at=datetime(2024, 9, 19, 6, 10, 13, tzinfo=UTC),
        change_class="substantive",
        from_version=3,
        to_version=4,
        effective_date="2024-11-03",
        added_chars=812,
        removed_chars=95,
        findings=(OPT_OUT, WIDENED),
        other_changes=items,
        more_changes=more,
    )
    return dataclasses.replace(base, **kw)


def _tracking(kind: str) -> AlertContent:
    return AlertContent(
        kind="tracking",
        alert_id=5 if kind == "broken" else 6,
        service="linkedin",
        service_name="LinkedIn",
        document_kind="privacy-policy",
        document_title="Privacy Policy",
        source_url="https://www.linkedin.com/legal/privacy-policy",
        detected_at=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
        tracking_kind=kind,
        tracking_reason="login-wall" if kind == "broken" else None,
        tracking_detail="HTTP 200 but the page asks to sign in <authwall>"
        if kind == "broken"
        else None,
        failures=5,
    )


SAMPLES = {
    "ai_change": _change(),
    "substantive_change": _change(findings=()),
    "tracking_broken": _tracking("broken"),
    "tracking_resumed": _tracking("resumed"),
}


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"golden {path} missing: run with POLICYWATCH_REGEN_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_plain_text(name):
    _golden(f"{name}.txt", render_text(SAMPLES[name]))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_html(name):
    _golden(f"{name}.html", render_html(SAMPLES[name]))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_slack(name):
    _golden(f"{name}.slack.json", render_slack(SAMPLES[name]).to_json())


@pytest.mark.parametrize("limit", [160, 500, 1000])
def test_golden_short(limit):
    _golden(f"ai_change.short-{limit}.txt", render_trimmed(SAMPLES["ai_change"], limit) + "\n")


def test_golden_slack_fitted_to_one_block():
    """What a slack:// webhook receives: one Block Kit section of at most 3,000 characters."""
    msg = render_slack(SAMPLES["ai_change"], block_limit=3000, total_limit=3000)
    assert len(msg.mrkdwn) <= 3000
    _golden("ai_change.slack-3000.json", msg.to_json())


# ---------------------------------------------------------------------------------------------
# Subjects
# ---------------------------------------------------------------------------------------------


def _f(kind, severity="medium", category="training"):
    return FindingView(kind=kind, category=category, severity=severity, before="a", after="b")


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([_f("added", "high")], "LinkedIn · Privacy Policy: AI-training clause added"),
        ([_f("widened")], "LinkedIn · Privacy Policy: AI-training clause widened"),
        (
            [_f("opt-out-removed", "high", "opt-out")],
            "LinkedIn · Privacy Policy: AI opt-out removed",
        ),
        ([_f("removed", "low")], "LinkedIn · Privacy Policy: AI-training clause removed"),
        ([_f("reworded", "low", "ai-features")], "LinkedIn · Privacy Policy: AI clause reworded"),
        # most severe wins, the others are counted
        (
            [_f("opt-out-added", "low"), _f("added", "high"), _f("reworded", "info")],
            "LinkedIn · Privacy Policy: AI-training clause added (+2 more)",
        ),
        # same severity: the kind that matters most to a user wins
        (
            [_f("narrowed", "high"), _f("opt-out-removed", "high", "opt-out")],
            "LinkedIn · Privacy Policy: AI opt-out removed (+1 more)",
        ),
        ([], "LinkedIn · Privacy Policy changed (substantive)"),
        ([_f("present", "high")], "LinkedIn · Privacy Policy changed (substantive)"),
    ],
)
def test_change_subject(findings, expected):
    assert change_subject("LinkedIn", "Privacy Policy", "substantive", findings) == expected


def test_other_subjects():
    assert subject(SAMPLES["tracking_broken"]) == (
        "LinkedIn · Privacy Policy: tracking broken (login wall)"
    )
    assert subject(SAMPLES["tracking_resumed"]) == "LinkedIn · Privacy Policy: tracking resumed"
    assert change_subject("Meta", "Terms", "links-only", []) == "Meta · Terms changed (links only)"
    # a name with a newline cannot inject a header line
    assert "\n" not in change_subject("Evil\nBcc: x@y", "T", "substantive", [])


# ---------------------------------------------------------------------------------------------
# Escaping: policy text is untrusted
# ---------------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_policy_text_is_inert():
    content = _change(source_url="javascript:alert(1)")
    page = render_html(content)
    parser = _Tags()
    parser.feed(page)
    names = {t for t, _ in parser.tags}
    assert "script" not in names and "img" not in names
    assert not any(k.startswith("on") for _, attrs in parser.tags for k in attrs)
    assert not any(
        v and v.strip().lower().startswith("javascript:")
        for _, attrs in parser.tags
        for v in attrs.values()
    )
    # the text is still there for the reader, as text
    text = "".join(parser.text)
    assert '<script>alert("x")</script>' in text
    assert "<img src=x onerror=alert(1)>" in text
    assert "&lt;script&gt;" in page and "<script" not in page.lower()
    # only http(s) source URLs become links
    assert 'href="javascript' not in page
    good = render_html(_change())
    assert 'href="https://www.linkedin.com/legal/privacy-policy?trk=a&amp;x=&lt;b&gt;"' in good


def test_slack_escapes_control_characters_and_keeps_only_our_link():
    msg = render_slack(_change()).mrkdwn
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in msg
    assert "&lt;!channel&gt;" in msg and "<!channel>" not in msg
    assert "&lt;https://evil.example|click&gt;" in msg
    assert "Settings &amp; Privacy" in msg
    links = re.findall(r"<([^<>]+)>", msg)
    assert links == [
        "https://www.linkedin.com/legal/privacy-policy?trk=a&amp;x=&lt;b&gt;|"
        "https://www.linkedin.com/legal/privacy-policy?trk=a&amp;x=&lt;b&gt;"
    ]


def test_plain_text_keeps_text_verbatim():
    text = render_text(_change())
    assert HOSTILE in text
    # with the word marks taken out, Before/After are exactly the two clauses
    unmark = lambda s: re.sub(r"\[-(.*?)-\]|\{\+(.*?)\+\}", lambda m: m.group(1) or m.group(2), s)  # noqa: E731
    before = re.search(r"^   Before: (.*)$", text.split("2. AI opt-out")[0], re.M).group(1)
    after = re.search(r"^   After:  (.*)$", text.split("2. AI opt-out")[0], re.M).group(1)
    assert unmark(before) == OLD_CLAUSE
    assert unmark(after) == NEW_CLAUSE
    assert after.startswith(
        "We {+may use your personal+} data {+to improve, develop, and+} provide"
    )
    assert before.startswith("We [-use the-] data [-that we have about you to-] provide")


# ---------------------------------------------------------------------------------------------
# Limits and trimming
# ---------------------------------------------------------------------------------------------

HUGE = _change(
    findings=(
        dataclasses.replace(WIDENED, before=OLD_CLAUSE * 30, after=NEW_CLAUSE * 30),
        dataclasses.replace(OPT_OUT, after=HOSTILE * 40),
        dataclasses.replace(WIDENED, kind="added", before=None, after=NEW_CLAUSE * 20),
    )
)


@pytest.mark.parametrize("total", [1000, 3000, 4000, 12000, 40000])
def test_slack_respects_block_and_total_limits(total):
    msg = render_slack(HUGE, total_limit=total)
    assert all(len(b) <= compose.SLACK_BLOCK_LIMIT for b in msg.blocks)
    assert len(msg.mrkdwn) <= total
    # the headline, the footer with the alert number and a pointer instead of silent loss
    assert msg.blocks[0].startswith(
        "*LinkedIn · Privacy Policy: AI-training clause added (+2 more)*"
    )
    assert "Alert #17" in msg.blocks[-1]
    if total < 12000:
        assert (
            "… see full diff: policywatch diff linkedin privacy-policy --from 3 --to 4"
            in msg.mrkdwn
        )
    # formatting markers stay balanced
    for block in msg.blocks:
        assert block.count("[-") == block.count("-]")
        assert block.count("{+") == block.count("+}")


def test_slack_fitted_finding_keeps_changed_words_and_explanation():
    msg = render_slack(_change(), block_limit=3000, total_limit=1500)
    assert len(msg.mrkdwn) <= 1500
    assert (
        "*{+products and Services, develop and train artificial intelligence (AI) models"
        in msg.mrkdwn
    )
    assert "*Why it matters:* Your personal data may now be used" in msg.mrkdwn


@pytest.mark.parametrize("limit", [40, 100, 160, 300, 500, 700, 1000, 1500, 5000])
def test_trimmed_text_fits_and_points_to_full_diff(limit):
    out = render_trimmed(HUGE, limit)
    title = "LinkedIn · Privacy Policy: AI-training clause added (+2 more)"
    pointer = "… see full diff: policywatch diff linkedin privacy-policy --from 3 --to 4"
    assert len(out) <= limit
    if limit >= len(title) + 1 + len(pointer):
        assert out.startswith(title + "\n")
        assert out.endswith("\n" + pointer)
    elif limit >= len(title):
        assert out == title  # what happened beats where to read more
    else:
        assert out == title[: len(out) - 1].rstrip() + "…"
    assert out.count("{+") == out.count("+}") and out.count("[-") == out.count("-]")


def test_trimmed_text_is_complete_when_it_fits():
    full = render_text(SAMPLES["ai_change"])
    assert render_trimmed(SAMPLES["ai_change"], len(full)) == full
    assert "see full diff" not in render_trimmed(SAMPLES["ai_change"], len(full))


def test_tracking_trim_points_to_history():
    out = render_trimmed(SAMPLES["tracking_broken"], 120)
    assert len(out) <= 120
    assert out.endswith("… see details: policywatch history linkedin privacy-policy")


# ---------------------------------------------------------------------------------------------
# Word marks and the diff excerpt
# ---------------------------------------------------------------------------------------------


def _sides(ops):
    old = "".join(t for op, t in ops if op in (EQUAL, DELETE))
    new = "".join(t for op, t in ops if op in (EQUAL, INSERT))
    return old, new


def _sides_ops(ops, wanted):
    return [(op, t) for op, t in ops if op in (EQUAL, wanted)]


def test_word_segments_mark_the_changed_words():
    ops = word_segments(
        "We use publicly available information to help train Google's language models.",
        "We use publicly available information to help train Google's AI models and build "
        "products like Bard.",
    )
    assert ops == [
        (EQUAL, "We use publicly available information to help train Google's "),
        (DELETE, "language"),
        (INSERT, "AI"),
        (EQUAL, " models"),
        (INSERT, " and build products like Bard"),
        (EQUAL, "."),
    ]
    assert compose._text_ops(ops).endswith(
        "Google's [-language-]{+AI+} models {+and build products like Bard+}."
    )


def test_word_segments_fold_small_gaps_into_one_phrase():
    ops = word_segments(OLD_CLAUSE, NEW_CLAUSE)
    text = compose._text_ops(_sides_ops(ops, INSERT))
    # "the", "to" and "," between changes are folded in; "data" and "provide" stay shared
    assert text.startswith(
        "We {+may use your personal+} data {+to improve, develop, and+} provide "
    )
    assert (
        "{+products and Services, develop and train artificial intelligence (AI) models, " in text
    )
    assert _sides(ops) == (OLD_CLAUSE, NEW_CLAUSE)


def test_word_segments_rebuild_both_sides(corpus_dir):
    """On real LinkedIn paragraphs the ops always give back the two texts exactly."""
    folder = corpus_dir / "versions" / "LinkedIn" / "Privacy-Policy"
    old = (folder / "2024-08-01T18-10-11Z.md").read_text(encoding="utf-8")
    new = (folder / "2024-09-19T06-10-13Z.md").read_text(encoding="utf-8")
    old_lines, new_lines = old.splitlines(), new.splitlines()
    pairs = [(a, b) for a, b in zip(old_lines, new_lines, strict=False) if a != b][:40]
    assert pairs, "expected changed paragraphs between these two versions"
    for a, b in pairs:
        assert _sides(word_segments(a, b)) == (a, b)
    items, more = diff_excerpt(old, new, max_items=100)
    assert len(items) > 30 and more == 0
    rendered = [compose._text_ops(i.segments) for i in items]
    assert any("{+" in r and "train artificial intelligence (AI) models" in r for r in rendered)


def test_diff_excerpt_skips_the_finding_clauses():
    items, more = diff_excerpt(OLD_TEXT, NEW_TEXT, exclude=[OLD_CLAUSE, NEW_CLAUSE, HOSTILE])
    text = " | ".join(compose._text_ops(i.segments) for i in items)
    assert "train artificial intelligence" not in text and "opt out" not in text
    assert "We collect cookies {+& similar technologies+}." in text
    assert "Write to us {+or use the help center+}." in text
    assert "Effective November 3, [-2023-]{+2024+}" in text
    assert [i.kind for i in items] == ["changed", "changed", "removed", "changed"]
    assert more == 0
    few, more = diff_excerpt(OLD_TEXT, NEW_TEXT, max_items=2)
    assert len(few) == 2 and more > 0


def test_more_command_for_first_version_and_tracking():
    first = _change(from_version=None, to_version=1)
    assert first.more_command == "policywatch show linkedin privacy-policy --version 1"
    assert SAMPLES["tracking_broken"].more_command == "policywatch history linkedin privacy-policy"
    odd = _change(service="x; rm -rf /")
    assert odd.more_command.startswith("policywatch diff 'x; rm -rf /' privacy-policy")


def test_long_new_clause_is_shown_from_its_start():
    """A clause without word marks (new or removed) is shortened at its end, never its start."""
    msg = render_slack(HUGE, total_limit=3000).mrkdwn
    assert "*After:* We may use your personal data to improve" in msg
    assert "\nNow: We may use your personal data to improve" in render_trimmed(HUGE, 1000)
