"""monitor.render_diff: terminal, unified, markdown and HTML renderings, and their safety."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from monitor.diff import DELETE, EQUAL, INSERT, diff_texts
from monitor.render_diff import (
    render_html,
    render_markdown,
    render_terminal,
    render_unified,
    word_diff_segments,
)

ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")

OLD = """# Privacy Policy

Effective: March 3, 2024

## 1. Data We Collect

We collect your profile data.

We collect your contacts when you sync them.

## 2. How We Use Data

We use data to provide our Services.

We use data to show you ads.

We keep data for 30 days.

## 3. Sharing

We share data with affiliates.
"""

NEW = (
    OLD.replace("March 3, 2024", "September 18, 2024")
    .replace("to provide our Services.", "to provide our Services and to train AI models.")
    .replace("We keep data for 30 days.\n", "")
)

HOSTILE = (
    "# Terms <script>alert('h1')</script>\n\n"
    "We value <b>privacy</b>.\n\n"
    "Click [here](javascript:alert(document.cookie)) or "
    '<img src=x onerror=alert(1)> or <a href="javascript:alert(2)">there</a>.\n\n'
    "Tracking: ![pixel](https://evil.example/p.gif?x=1) \x1b]0;pwned\x07\x1b[2J done.\n"
)
HOSTILE_NEW = (
    HOSTILE.replace("We value", "We <script>alert('x')</script> value")
    .replace("javascript:alert(document.cookie)", "javascript:alert(1)//")
    .replace("done.", 'done. <iframe src="javascript:alert(3)"></iframe> "quoted" & more')
)


# --------------------------------------------------------------------------- terminal


def test_terminal_plain_marks_changed_words():
    out = render_terminal(OLD, NEW, color=False)
    assert "[-March 3-]{+September 18+}, 2024" in out
    assert "to provide our Services{+ and to train AI models+}." in out
    assert "[-We keep data for 30 days.-]" in out
    assert "\x1b" not in out
    # Unchanged, far-away text is not shown.
    assert "We share data with affiliates." not in render_terminal(
        OLD, NEW, color=False, context_lines=0
    )


def test_terminal_hunk_headers_name_the_nearest_heading():
    out = render_terminal(OLD, NEW, color=False, context_lines=1)
    headers = [line for line in out.splitlines() if line.startswith("@@")]
    assert headers == [
        "@@ -2,3 +2,3 @@ Privacy Policy",
        "@@ -12,3 +12,3 @@ Privacy Policy › 2. How We Use Data",
        "@@ -16,3 +16,2 @@ Privacy Policy › 2. How We Use Data",
    ]
    # With more context the two nearby changes share one hunk.
    merged = [line for line in render_terminal(OLD, NEW, color=False).splitlines() if "@@" in line]
    assert merged == [
        "@@ -1,6 +1,6 @@ Privacy Policy",
        "@@ -10,11 +10,10 @@ Privacy Policy › 2. How We Use Data",
    ]


def test_terminal_colour():
    out = render_terminal(OLD, NEW, color=True)
    assert "\x1b[9;31mMarch 3\x1b[0m" in out
    assert "\x1b[32mSeptember 18\x1b[0m" in out
    assert "[-" not in out and "{+" not in out
    # Without the escape codes it reads like the plain text minus the markers.
    plain = render_terminal(OLD, NEW, color=False)
    stripped = re.sub(r"\[-|-\]|\{\+|\+\}", "", plain)
    assert ANSI_RE.sub("", out) == stripped


def test_terminal_identical_is_empty():
    assert render_terminal(OLD, OLD, color=True) == ""
    assert render_unified(OLD, OLD, from_label="a", to_label="b") == ""


def test_terminal_neutralises_control_characters():
    for color in (False, True):
        out = render_terminal(HOSTILE, HOSTILE_NEW, color=color, context_lines=10)
        # Only our own SGR colour codes may remain; the policy's OSC title and clear-screen not.
        assert "\x07" not in ANSI_RE.sub("", out)
        assert "\x1b" not in ANSI_RE.sub("", out)
        assert "\\x1b]0;pwned\\x07\\x1b[2J" in out


def test_terminal_on_real_linkedin_ai_change(corpus_dir):
    old, new = _real_pair(corpus_dir, "LinkedIn/Privacy-Policy/2024-09-19T06-10-13Z.md")
    out = render_terminal(old, new, color=False)
    assert re.search(
        r"\{\+[^}]*develop and train artificial intelligence \(AI\) models[^}]*\+\}", out
    )
    assert "[-July 31-]{+September 18+}" in out
    headers = [line for line in out.splitlines() if line.startswith("@@ ")]
    assert len(headers) >= 10
    # The AI sentence's hunk is located in its section.
    ai_line = next(i for i, line in enumerate(out.splitlines()) if "train artificial" in line)
    header = [line for line in out.splitlines()[:ai_line] if line.startswith("@@ ")][-1]
    assert header.endswith("2. How We Use Your Data")
    # A word changed inside a long paragraph is shown inside that paragraph, not as two copies.
    assert "non-[-members-]{+Members+} (“Visitors”)" in out


# --------------------------------------------------------------------------- unified


def _apply_patch(tmp_path: Path, old: str, patch_text: str) -> str:
    target = tmp_path / "policy.md"
    target.write_text(old, encoding="utf-8")
    result = subprocess.run(
        ["patch", "--quiet", "--force", str(target)],
        input=patch_text.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target.read_text(encoding="utf-8")


needs_patch = pytest.mark.skipif(shutil.which("patch") is None, reason="GNU patch not installed")


@needs_patch
@pytest.mark.parametrize(
    ("old", "new"),
    [
        (OLD, NEW),
        ("", "A new policy.\n"),
        ("Line one.\nLine two.", "Line one.\nLine 2."),  # no newline at the end
        ("Line one.\nLine two.", "Line one.\nLine two.\n"),  # newline added at the end
        ("Intro.\n" + "Same.\n" * 20 + "End.\n", "Start.\nIntro.\n" + "Same.\n" * 20 + "Fin.\n"),
    ],
)
def test_unified_applies_with_patch(tmp_path, old, new):
    patch_text = render_unified(old, new, from_label="old.md", to_label="new.md")
    assert patch_text.startswith("--- old.md\n+++ new.md\n@@ ")
    assert _apply_patch(tmp_path, old, patch_text) == new


def test_unified_format_details():
    out = render_unified(OLD, NEW, from_label="v1 (2024-03-03)", to_label="v2", context_lines=1)
    assert out.splitlines()[:7] == [
        "--- v1 (2024-03-03)",
        "+++ v2",
        "@@ -2,3 +2,3 @@ Privacy Policy",
        " ",
        "-Effective: March 3, 2024",
        "+Effective: September 18, 2024",
        " ",
    ]
    assert "-We keep data for 30 days.\n" in out
    assert "+We use data to provide our Services and to train AI models.\n" in out


@needs_patch
def test_unified_on_real_pair_applies(corpus_dir, tmp_path):
    old, new = _real_pair(corpus_dir, "Google/Privacy-Policy/2024-05-03T18-36-06Z.md")
    out = render_unified(old, new, from_label="a", to_label="b")
    assert _apply_patch(tmp_path, old, out) == new
    assert "+If you use fitness products and apps we offer" in out


# --------------------------------------------------------------------------- markdown


def test_markdown_marks_and_sections():
    out = render_markdown(OLD, NEW, title="Example Privacy Policy: v1 → v2")
    assert out.startswith("# Example Privacy Policy: v1 → v2\n")
    assert "Effective: ~~March 3~~**September 18**, 2024" in out
    assert "to provide our Services **and to train AI models**." in out
    assert "~~We keep data for 30 days.~~" in out
    assert (
        "## Privacy Policy › 2\\. How We Use Data" in out
        or "## Privacy Policy › 2. How We Use Data" in out
    )
    assert "substantive change" in out


def test_markdown_escapes_policy_markup():
    out = render_markdown(
        HOSTILE, HOSTILE_NEW, title="T <script>alert(9)</script> [x](javascript:y)"
    )
    assert "<script>" not in out and "<img" not in out and "<iframe" not in out
    assert "&lt;script&gt;" in out
    assert "\\[here\\](javascript:" in out
    assert "\\[x\\](javascript:y)" in out  # in the title too
    assert "\x1b" not in out and "\x07" not in out


def test_markdown_renders_safely_with_a_real_markdown_renderer():
    markdown = pytest.importorskip("markdown")
    page = markdown.markdown(render_markdown(HOSTILE, HOSTILE_NEW, title="<b>T</b>"))
    assert "<script" not in page and "<img" not in page and "<iframe" not in page
    parsed = _parse(page)
    assert {tag for tag, _ in parsed.tags} <= {"h1", "h2", "p", "em", "strong"}
    assert all(not attrs for _, attrs in parsed.tags)
    assert "<strong>&lt;script&gt;alert('x')&lt;/script&gt;</strong>" in page
    safe = markdown.markdown(render_markdown(OLD, NEW, title="t"))
    assert "<strong>and to train AI models</strong>" in safe
    assert "<h2>Privacy Policy › 2. How We Use Data</h2>" in safe


# --------------------------------------------------------------------------- HTML

ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "section"}
ALLOWED_TAGS |= {"span", "div", "del", "ins"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    collector.close()
    return collector


def test_html_is_a_standalone_page_with_del_and_ins():
    page = render_html(OLD, NEW, title="Example: v1 → v2")
    assert page.startswith("<!DOCTYPE html>\n<html")
    assert page.rstrip().endswith("</html>")
    assert "<del>March 3</del><ins>September 18</ins>" in page
    assert "<ins> and to train AI models</ins>" in page
    assert "<del>We keep data for 30 days.</del>" in page
    assert "<title>Example: v1 → v2</title>" in page
    assert "Privacy Policy › 2. How We Use Data" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_html_escapes_every_piece_of_policy_text():
    title = "</title><script>alert('t')</script><img src=x onerror=alert(1)>"
    page = render_html(HOSTILE, HOSTILE_NEW, title=title)
    parsed = _parse(page)
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "javascript" not in (value or "").lower(), (tag, name, value)
            assert name in {"lang", "charset", "http-equiv", "content", "name", "class"}, name
    # The hostile markup is there, as text a reader can see.
    text = "".join(parsed.text)
    assert "<script>alert('x')</script>" in text
    assert "<img src=x onerror=alert(1)>" in text
    assert "[here](javascript:alert(" in text
    assert title in text  # the title is shown literally, in <title> and <h1>
    assert "<script" not in page and "<img" not in page and "<iframe" not in page
    assert "\x1b" not in page and "\x07" not in page


def test_html_identical_says_so():
    page = render_html(OLD, OLD, title="Same")
    assert "No differences." in page
    assert "<del>" not in page and "<ins>" not in page


def test_html_and_markdown_on_real_pairs(corpus_dir):
    for relative, phrase in (
        ("LinkedIn/Privacy-Policy/2024-09-19T06-10-13Z.md", "train artificial intelligence"),
        ("Google/Privacy-Policy/2024-05-03T18-36-06Z.md", "fitness products"),
        ("Reddit/Privacy-Policy/2024-05-09T18-41-28Z.md", "support.reddithelp.com"),
    ):
        old, new = _real_pair(corpus_dir, relative)
        text_diff = diff_texts(old, new)
        page = render_html(old, new, title=relative, text_diff=text_diff)
        parsed = _parse(page)
        assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
        inserted = re.findall(r"<ins>(.*?)</ins>", page, flags=re.S)
        assert any(phrase in fragment for fragment in inserted), relative
        markdown_text = render_markdown(old, new, title=relative, text_diff=text_diff)
        assert re.search(r"\*\*[^*]*" + re.escape(phrase.split()[0]), markdown_text), relative
        # Passing the diff in is only a shortcut: the output is the same.
        assert page == render_html(old, new, title=relative)


# --------------------------------------------------------------------------- word segments


def test_word_diff_segments_for_one_clause():
    old = "We may use your posts to improve our services."
    new = "We may use your posts and messages to train our AI models."
    segments = word_diff_segments(old, new)
    assert "".join(t for op, t in segments if op != INSERT) == old
    assert "".join(t for op, t in segments if op != DELETE) == new
    assert segments[0] == (EQUAL, "We may use your posts ")
    assert "".join(t for op, t in segments if op == INSERT).count("messages") == 1
    assert "services" in "".join(t for op, t in segments if op == DELETE)
    assert word_diff_segments(old, old) == [(EQUAL, old)]
    assert word_diff_segments("", new) == [(INSERT, new)]
    assert word_diff_segments(old, "") == [(DELETE, old)]


# --------------------------------------------------------------------------- helpers


def _real_pair(corpus: Path, relative: str) -> tuple[str, str]:
    entries = json.loads((corpus / "versions" / "manifest.json").read_text())
    entry = next(e for e in entries if e["path"] == f"corpus/versions/{relative}")
    shared = corpus.parent
    return (shared / entry["previous_path"]).read_text(), (shared / entry["path"]).read_text()


@pytest.mark.parametrize("context", [0, 1, 2, 3, 5])
def test_hunks_on_a_long_text_agree_with_the_unified_diff(context):
    """Long unchanged stretches are skipped when rendering; the hunks must not notice."""
    paragraphs = [f"Paragraph {i}: we process data for purpose number {i}." for i in range(400)]
    old = "# Policy\n\n" + "\n\n".join(paragraphs) + "\n"
    edited = list(paragraphs)
    for i in (3, 4, 120, 126, 390, 399):
        edited[i] = edited[i].replace("process", "sell")
    new = "# Policy\n\n" + "\n\n".join(edited) + "\n"
    terminal = render_terminal(old, new, color=False, context_lines=context)
    unified = render_unified(old, new, from_label="a", to_label="b", context_lines=context)
    assert [line for line in terminal.splitlines() if line.startswith("@@")] == [
        line for line in unified.splitlines() if line.startswith("@@")
    ]
    # Every shown line is the real line of the new text at that position.
    new_lines = new.split("\n")
    for block in terminal.split("@@ -")[1:]:
        header, *shown = block.rstrip("\n").split("\n")
        start = int(header.split(" +")[1].split(",")[0].split(" ")[0])
        for offset, line in enumerate(shown):
            expected = new_lines[start - 1 + offset] if context or offset == 0 else None
            plain = re.sub(r"\[-[^]]*-\]", "", line).replace("{+", "").replace("+}", "")
            if expected is not None:
                assert plain == expected
