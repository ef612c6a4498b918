"""Render the difference between two version texts for people: terminal, unified, markdown, HTML.

Pure: strings in, a string out. The CLI's ``diff`` command picks the format (DESIGN.md §5);
alerts use :func:`word_diff_segments` to mark changed words in one clause.

Every format shows *where* a change is, not only what: a policy is 30 pages, so each hunk is
labelled with the nearest heading (and its parent), e.g. ``2. How We Use Your Data › 2.6 AI``.

Safety. Policy text is untrusted input that we print into terminals and HTML pages:

- terminal and unified output replace control characters (ESC and friends), so a policy cannot
  move the cursor, recolour or retitle the user's terminal;
- HTML output escapes every piece of policy text (body, headings, title) and never turns policy
  links into anchors, so ``<script>``, ``onerror=`` or ``javascript:`` URLs stay inert text; the
  page also carries a Content-Security-Policy that forbids scripts altogether;
- markdown output backslash-escapes markdown syntax in the policy text so that it shows as
  written instead of becoming links, images, headings or raw HTML.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from dataclasses import dataclass

from monitor.diff import DELETE, EQUAL, INSERT, TextDiff, diff_lines, diff_texts, word_ops

__all__ = [
    "render_html",
    "render_markdown",
    "render_terminal",
    "render_unified",
    "word_diff_segments",
]


def word_diff_segments(old_clause: str, new_clause: str) -> list[tuple[int, str]]:
    """Word-level ops ``(op, text)`` between two clauses (-1 removed, 0 same, 1 added).

    Joining the 0/-1 texts gives ``old_clause``, the 0/1 texts ``new_clause``. Deterministic.
    """
    return list(word_ops(old_clause, new_clause))


# --------------------------------------------------------------------------------------------
# Display lines and hunks (shared by the word-level renderers)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """One line of a word-level diff, as shown: segments without the line break.

    ``old_no``/``new_no`` are the 1-based line numbers this display line starts at in each text.
    ``changed`` is true when any segment, or the line break itself, was removed or added.
    """

    segments: tuple[tuple[int, str], ...]
    old_no: int
    new_no: int
    changed: bool


def _display_lines(ops: tuple[tuple[int, str], ...], context: int) -> list[_Line]:
    """Split word-level ops into display lines.

    Long unchanged stretches are not split line by line: only the ``context + 1`` lines at each
    end can ever be shown, so the middle is skipped (its line breaks are only counted). That
    keeps rendering a 200 KB policy with a few edits proportional to the edits.
    """
    keep = max(0, context) + 1
    lines: list[_Line] = []
    segments: list[tuple[int, str]] = []
    old_no = new_no = 1
    start_old, start_new = 1, 1
    changed = False

    def feed(op: int, text: str) -> None:
        nonlocal segments, changed, old_no, new_no, start_old, start_new
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if piece:
                segments.append((op, piece))
                if op != EQUAL:
                    changed = True
            if index == len(pieces) - 1:
                break
            # A line break, owned by this op.
            if op != INSERT:
                old_no += 1
            if op != DELETE:
                new_no += 1
            lines.append(_Line(tuple(segments), start_old, start_new, changed or op != EQUAL))
            segments = []
            changed = False
            start_old, start_new = old_no, new_no

    for op, text in ops:
        breaks = text.count("\n") if op == EQUAL else 0
        if breaks <= 2 * keep + 1:
            feed(op, text)
            continue
        head_end = -1
        for _ in range(keep):
            head_end = text.index("\n", head_end + 1)
        tail_start = len(text)
        for _ in range(keep):
            tail_start = text.rindex("\n", 0, tail_start)
        feed(op, text[: head_end + 1])
        # Stands for the skipped lines: never shown (it is beyond any hunk's context), it only
        # tells the line before it where it ends.
        lines.append(_Line((), old_no, new_no, False))
        skipped = text.count("\n", head_end + 1, tail_start + 1)
        old_no += skipped
        new_no += skipped
        start_old, start_new = old_no, new_no
        feed(op, text[tail_start + 1 :])
    if segments:
        lines.append(_Line(tuple(segments), start_old, start_new, changed))
    return lines


def _hunk_ranges(flags: list[bool], context: int) -> list[tuple[int, int]]:
    """[start, end) index ranges covering each changed item with ``context`` items around it."""
    context = max(0, context)
    ranges: list[tuple[int, int]] = []
    for index, is_changed in enumerate(flags):
        if not is_changed:
            continue
        start, end = max(0, index - context), min(len(flags), index + context + 1)
        if ranges and start <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
        else:
            ranges.append((start, end))
    return ranges


# --------------------------------------------------------------------------------------------
# Headings: "where in the policy is this hunk"
# --------------------------------------------------------------------------------------------

_HEADING_RE = re.compile(
    r"^[ \t]*(#{1,6})[ \t]+(.*?)[ \t#]*$"  # ATX: "## Title", possibly indented
    r"|^([ \t]*(?![-*+][ \t])\S[^\n]*+)\n[ \t]*(={3,}|-{3,})[ \t]*$",  # setext: text, ===/---
    re.MULTILINE,
)
_HEADING_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HEADING_LINK_TAIL_RE = re.compile(r"\]\([^)]*\)")
_HEADING_MARKS_RE = re.compile(r"[*_`]|\\(?=[^\w\s])")
_CRUMB_DEPTH = 2
_CRUMB_WIDTH = 100


class _Headings:
    """For each line number of a text, the heading path in force there.

    Headings are ATX (``## Title``, also indented, as OTA nests them in lists) and setext (a
    line underlined with ``===`` or ``---``). One multi-line regular expression finds them all,
    so a 200 KB policy is scanned in C rather than line by line in Python.
    """

    def __init__(self, text: str) -> None:
        self._starts: list[int] = []
        self._paths: list[str] = []
        stack: list[tuple[int, str]] = []
        line_no, position = 1, 0
        for match in _HEADING_RE.finditer(text):
            line_no += text.count("\n", position, match.start())
            position = match.start()
            if match.group(1):
                level, title = len(match.group(1)), match.group(2)
            else:
                level, title = (1 if match.group(4)[0] == "=" else 2), match.group(3)
            title = _clean_heading(title)
            if not title:
                continue
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            self._starts.append(line_no)
            self._paths.append(" › ".join(t for _, t in stack[-_CRUMB_DEPTH:]))

    def at(self, line_no: int) -> str:
        """The heading path in force at ``line_no`` (1-based), or "" before the first heading."""
        position = bisect_right(self._starts, line_no)
        return self._paths[position - 1] if position else ""


def _clean_heading(title: str) -> str:
    """Readable heading text: links reduced to their text, emphasis and stray markup dropped."""
    title = _HEADING_LINK_RE.sub(r"\1", title)
    title = _HEADING_LINK_TAIL_RE.sub("", title)  # "](url)" of a link split across lines
    title = _HEADING_MARKS_RE.sub("", title)
    title = " ".join(title.split()).strip(" -=[]#|")
    if not any(c.isalnum() for c in title):
        return ""
    if len(title) > _CRUMB_WIDTH:
        title = title[: _CRUMB_WIDTH - 1].rstrip() + "…"
    return title


@dataclass(frozen=True)
class _Hunk:
    lines: tuple[_Line, ...]
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    heading: str


def _hunks(text_diff: TextDiff, new: str, context_lines: int) -> list[_Hunk]:
    lines = _display_lines(text_diff.ops, context_lines)
    if not lines:
        return []
    headings = _Headings(new)
    # Where each display line ends, to count how many old/new lines a hunk spans.
    old_after = [line.old_no for line in lines[1:]]
    new_after = [line.new_no for line in lines[1:]]
    last = lines[-1]
    old_after.append(last.old_no + (1 if any(op != INSERT for op, _ in last.segments) else 0))
    new_after.append(last.new_no + (1 if any(op != DELETE for op, _ in last.segments) else 0))
    hunks = []
    for start, end in _hunk_ranges([line.changed for line in lines], context_lines):
        first_changed = next(line for line in lines[start:end] if line.changed)
        old_start, new_start = lines[start].old_no, lines[start].new_no
        hunks.append(
            _Hunk(
                lines=tuple(lines[start:end]),
                old_start=old_start,
                old_count=max(0, old_after[end - 1] - old_start),
                new_start=new_start,
                new_count=max(0, new_after[end - 1] - new_start),
                heading=headings.at(first_changed.new_no),
            )
        )
    return hunks


def _header(old_start: int, old_count: int, new_start: int, new_count: int) -> str:
    return f"@@ -{_range(old_start, old_count)} +{_range(new_start, new_count)} @@"


def _range(start: int, count: int) -> str:
    if count == 1:
        return str(start)
    return f"{start - 1 if count == 0 else start},{count}"


# --------------------------------------------------------------------------------------------
# Terminal
# --------------------------------------------------------------------------------------------

# Control characters a terminal would act on (C0 except tab, DEL, C1) and bidi overrides that
# can make text display in a different order than it reads.
_UNSAFE_TERMINAL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_RESET = "\x1b[0m"
_STYLE_REMOVED = "\x1b[9;31m"  # strike-through red (terminals without strike-through: red)
_STYLE_ADDED = "\x1b[32m"  # green
_STYLE_REMOVED_SPACE = "\x1b[41m"  # red background: a removed space is otherwise invisible
_STYLE_ADDED_SPACE = "\x1b[42m"  # green background
_STYLE_HEADER = "\x1b[36m"  # cyan
_STYLE_HEADING = "\x1b[1m"  # bold


def _visible(text: str) -> str:
    """Make control characters visible as escapes instead of letting the terminal obey them."""
    return _UNSAFE_TERMINAL_RE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def render_terminal(
    old: str,
    new: str,
    *,
    color: bool,
    context_lines: int = 3,
    text_diff: TextDiff | None = None,
) -> str:
    """A word-level diff for a terminal, in hunks headed by their location.

    With ``color`` removed words are red (struck through where the terminal can) and added
    words green; without it they are wrapped as ``[-removed-]`` and ``{+added+}`` (the notation
    of ``git diff --word-diff=plain``), so the output still says exactly what changed when
    copied into an e-mail or read by a screen reader. ``text_diff`` may pass an already computed
    :func:`~monitor.diff.diff_texts` result for the same texts. Returns "" when nothing changed.
    """
    text_diff = text_diff or diff_texts(old, new)
    out: list[str] = []
    for hunk in _hunks(text_diff, new, context_lines):
        header = _header(hunk.old_start, hunk.old_count, hunk.new_start, hunk.new_count)
        heading = _visible(hunk.heading)
        if color:
            out.append(
                f"{_STYLE_HEADER}{header}{_RESET}"
                + (f" {_STYLE_HEADING}{heading}{_RESET}" if heading else "")
            )
        else:
            out.append(header + (f" {heading}" if heading else ""))
        for line in hunk.lines:
            parts = []
            for op, text in line.segments:
                text = _visible(text)
                if op == EQUAL:
                    parts.append(text)
                elif color:
                    if text.strip():
                        style = _STYLE_REMOVED if op == DELETE else _STYLE_ADDED
                    else:
                        style = _STYLE_REMOVED_SPACE if op == DELETE else _STYLE_ADDED_SPACE
                    parts.append(f"{style}{text}{_RESET}")
                else:
                    parts.append(f"[-{text}-]" if op == DELETE else f"{{+{text}+}}")
            out.append("".join(parts))
    return "\n".join(out) + "\n" if out else ""


# --------------------------------------------------------------------------------------------
# Unified
# --------------------------------------------------------------------------------------------


def render_unified(
    old: str,
    new: str,
    *,
    from_label: str,
    to_label: str,
    context_lines: int = 3,
) -> str:
    """A plain unified diff (``diff -u`` format), as ``diff`` prints when its output is piped.

    Hunk headers carry the nearest heading after the ``@@`` like ``git diff`` carries function
    names, which ``patch`` ignores: the output applies with ``patch``. Returns "" when the texts
    are equal. Control characters in labels are made visible; the lines themselves are exact, so
    that the patch stays faithful.
    """
    if old == new:
        return ""
    records = [(op, line) for op, text in diff_lines(old, new) for line in _lines(text)]
    headings = _Headings(new)
    out = [f"--- {_visible(from_label)}\n", f"+++ {_visible(to_label)}\n"]
    old_numbers, new_numbers = [], []
    old_no = new_no = 1
    for op, _ in records:
        old_numbers.append(old_no)
        new_numbers.append(new_no)
        if op != INSERT:
            old_no += 1
        if op != DELETE:
            new_no += 1
    for start, end in _hunk_ranges([op != EQUAL for op, _ in records], context_lines):
        chunk = records[start:end]
        old_count = sum(1 for op, _ in chunk if op != INSERT)
        new_count = sum(1 for op, _ in chunk if op != DELETE)
        first_changed = next(i for i in range(start, end) if records[i][0] != EQUAL)
        heading = _visible(headings.at(new_numbers[first_changed]))
        out.append(
            _header(old_numbers[start], old_count, new_numbers[start], new_count)
            + (f" {heading}" if heading else "")
            + "\n"
        )
        for op, line in chunk:
            prefix = " " if op == EQUAL else ("-" if op == DELETE else "+")
            if line.endswith("\n"):
                out.append(prefix + line)
            else:
                out.append(prefix + line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lines(text: str) -> list[str]:
    """Lines with their "\n" (only "\n" ends a line, as in :func:`monitor.diff.diff_lines`)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

# Markdown syntax in policy text is neutralised so it shows as written: backslash escapes for
# inline markup (understood by CommonMark, GFM and Python-Markdown alike), entities for "<", ">"
# and entity-like "&" (some renderers pass raw HTML through and do not honour "\<").
_MD_SPECIAL_RE = re.compile(r"[\\`*_\[\]#~]")
_MD_ENTITY_LIKE_RE = re.compile(r"&(?=#?\w+;)")
_MD_LINE_START_RE = re.compile(r"^([-+=]|\d+(?=[.)]))")


def _md_escape(text: str) -> str:
    text = _UNSAFE_TERMINAL_RE.sub("\ufffd", text)
    text = _MD_ENTITY_LIKE_RE.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL_RE.sub(lambda m: "\\" + m.group(0), text)


def _md_mark(text: str, mark: str) -> str:
    """Wrap ``text`` in ``mark`` with its outer whitespace outside (markdown requires it)."""
    stripped = text.strip()
    if not stripped:
        return text if mark == "**" else ""
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{mark}{_md_escape(stripped)}{mark}{trail}"


_RULE_ONLY_RE = re.compile(r"[\s=\-_*]*\Z")


def _is_rule(line: _Line) -> bool:
    """An unchanged line of only rule characters (setext underline, ---): no use to a reader."""
    return not line.changed and all(_RULE_ONLY_RE.match(text) for _, text in line.segments)


def _md_line(line: _Line) -> str:
    if _is_rule(line):
        return ""
    parts = []
    for op, text in line.segments:
        if op == EQUAL:
            parts.append(_md_escape(text))
        else:
            parts.append(_md_mark(text, "~~" if op == DELETE else "**"))
    rendered = "".join(parts).strip()
    # A line that starts like a list item, a numbered item or a setext underline stays text.
    return _MD_LINE_START_RE.sub(r"\\\1", rendered)


def _location(hunk: _Hunk) -> str:
    def span(start: int, count: int) -> str:
        if count <= 1:
            return str(start)
        return f"{start}–{start + count - 1}"

    return f"lines {span(hunk.old_start, hunk.old_count)} → {span(hunk.new_start, hunk.new_count)}"


def _summary(text_diff: TextDiff, hunk_count: int) -> str:
    return (
        f"{text_diff.change_class} change · {hunk_count} "
        f"{'place' if hunk_count == 1 else 'places'} · "
        f"+{text_diff.added_chars} / −{text_diff.removed_chars} characters · "
        f"+{text_diff.added_lines} / −{text_diff.removed_lines} lines"
    )


def render_markdown(
    old: str,
    new: str,
    *,
    title: str,
    context_lines: int = 3,
    text_diff: TextDiff | None = None,
) -> str:
    """Markdown with ~~removed~~ and **added** words, one section per hunk, titled by heading.

    Policy text is escaped, so its own markdown (links, emphasis, headings) shows literally and
    cannot clash with the change marks. Each source line becomes its own paragraph.
    """
    text_diff = text_diff or diff_texts(old, new)
    hunks = _hunks(text_diff, new, context_lines)
    out = [f"# {_md_escape(' '.join(title.split()))}", ""]
    if not hunks:
        out += ["No differences.", ""]
        return "\n".join(out)
    out += [f"_{_md_escape(_summary(text_diff, len(hunks)))}_", ""]
    for hunk in hunks:
        heading = hunk.heading or "Beginning of the document"
        out += [f"## {_md_escape(heading)}", "", f"_{_location(hunk)}_", ""]
        for line in hunk.lines:
            rendered = _md_line(line)
            if rendered:
                out += [rendered, ""]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

# Characters HTML forbids or browsers may act on: C0 except tab/LF/CR, DEL, C1, bidi overrides.
_UNSAFE_HTML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
.summary { color: #59636e; margin-top: 0; }
.hunk { border: 1px solid #d1d9e0; border-radius: 6px; margin: 1.5rem 0; }
.hunk h2 { font-size: 1rem; margin: 0; padding: .5rem .75rem; background: #f6f8fa;
           border-bottom: 1px solid #d1d9e0; border-radius: 6px 6px 0 0; }
.where { color: #59636e; font-weight: normal; font-size: .85rem; margin-left: .5rem; }
.line { white-space: pre-wrap; overflow-wrap: anywhere; padding: .15rem .75rem; }
.line.changed { background: #fffbdd; }
del { background: #ffebe9; color: #82071e; text-decoration: line-through; }
ins { background: #dafbe1; color: #116329; text-decoration: none; font-weight: 600; }
.legend { font-size: .85rem; color: #59636e; }
"""


def _h(text: str) -> str:
    """Escape untrusted text for HTML element content and attribute values."""
    return html.escape(_UNSAFE_HTML_RE.sub("\ufffd", text), quote=True)


def render_html(
    old: str,
    new: str,
    *,
    title: str,
    context_lines: int = 3,
    text_diff: TextDiff | None = None,
) -> str:
    """A complete standalone HTML page (inline CSS, no scripts) with <del>/<ins> word changes.

    All policy text, the headings and the title are escaped; policy links are shown as text,
    never as anchors; the Content-Security-Policy forbids scripts and remote loads even if a
    future change forgot to escape something.
    """
    text_diff = text_diff or diff_texts(old, new)
    hunks = _hunks(text_diff, new, context_lines)
    page_title = _h(" ".join(title.split()))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">",
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{page_title}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{page_title}</h1>",
    ]
    if not hunks:
        out.append('<p class="summary">No differences.</p>')
    else:
        out.append(f'<p class="summary">{_h(_summary(text_diff, len(hunks)))}</p>')
        out.append('<p class="legend"><del>removed</del> <ins>added</ins></p>')
    for hunk in hunks:
        heading = hunk.heading or "Beginning of the document"
        out.append('<section class="hunk">')
        out.append(f'<h2>{_h(heading)}<span class="where">{_h(_location(hunk))}</span></h2>')
        for line in hunk.lines:
            parts = []
            for op, text in line.segments:
                if op == EQUAL:
                    parts.append(_h(text))
                elif op == DELETE:
                    parts.append(f"<del>{_h(text)}</del>")
                else:
                    parts.append(f"<ins>{_h(text)}</ins>")
            if not parts or _is_rule(line):
                continue
            css = "line changed" if line.changed else "line"
            out.append(f'<div class="{css}">{"".join(parts)}</div>')
        out.append("</section>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
