"""Split a normalised policy text into clauses (DESIGN.md §3.7: clauses, not lines).

A real AI change is often a few words inside one long paragraph, so the unit we compare,
classify and report is a clause: a sentence of a paragraph, a list item, a table cell sentence
or a heading. Each clause keeps its heading path because a list item such as "Information shared
on our Products" only means "training data" under its lead-in ("We use the following to train
our models:"); the detector gets that path as context.

Input is the extractor's markdown-like text (``# `` headings, blank-line paragraphs, ``- `` /
``1. `` list items, ``| a | b |`` rows, inline ``[text](url)`` links). Open Terms Archive
markdown (setext ``===`` underlines, 4-space nesting, ``\\.`` escapes, ``<br>`` in table cells)
is accepted too, because the real histories in the test corpus use it.

Pure: no I/O. Only the standard library.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

__all__ = [
    "Clause",
    "Segmentation",
    "segment",
    "segmentation",
    "resegment",
    "clean_inline",
    "split_sentences",
    "comparable",
]


@dataclass(frozen=True)
class Clause:
    """One clause of a document.

    ``text`` has links reduced to their text and whitespace collapsed, so a link-only edit leaves
    it unchanged. ``heading_path`` lists the headings above it (outermost first); for list items
    it also ends with the lead-in sentence and the parent items, and for table cells with the row
    label, because that is the context a reader (and the detector) needs.
    """

    text: str
    heading_path: tuple[str, ...]
    kind: str  # "heading" | "sentence" | "list-item" | "table-row"
    index: int


# --------------------------------------------------------------------------- inline cleaning

_IMAGE = re.compile(r"!\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
_STRONG = re.compile(r"\*\*|__|~~")
_EM_OPEN = re.compile(r"(?<![\w*])[*_](?=[^\s*_])")
_EM_CLOSE = re.compile(r"(?<=[^\s*_])[*_](?![\w*])")
_CODE = re.compile(r"`+")


_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")


def _group1(m: re.Match[str]) -> str:
    return m.group(1)


def _strip_invisible(text: str) -> str:
    # ``in`` per character, not the regex: on a whole 100 KB version it is a fast scan (or no
    # scan at all when the text's width cannot hold the character)
    if any(ch in text for ch in _INVISIBLE):
        text = _INVISIBLE_RE.sub("", text)
    return text.replace("\u00a0", " ")


def clean_inline(text: str) -> str:
    """Reduce markdown inline syntax to plain text: links to their text, no emphasis markers.

    Why: two versions that differ only in a link target or in bold markers say the same thing;
    the clause text must be identical for them.
    """
    return _clean_visible(_strip_invisible(text))


def _clean_visible(text: str) -> str:
    """``clean_inline`` of a text that has no invisible characters left (``segment`` strips
    them from the whole text once, not from each of its thousand pieces)."""
    # each pattern is only tried when the text holds a string it cannot match without
    if "](" in text or "][" in text:
        if "![" in text:
            text = _IMAGE.sub(_group1, text)
        for _ in range(2):  # a link text may itself contain a link
            if "](" in text:
                text = _LINK.sub(_group1, text)
        if "][" in text:
            text = _REF_LINK.sub(_group1, text)
    if "<" in text:
        text = _AUTOLINK.sub(_group1, text)
        text = _TAG.sub(" ", text)
    if "*" in text or "_" in text or "~" in text:
        if "**" in text or "__" in text or "~~" in text:
            text = _STRONG.sub("", text)
        if "*" in text or "_" in text:
            text = _EM_OPEN.sub("", text)
            text = _EM_CLOSE.sub("", text)
    if "`" in text:
        text = _CODE.sub("", text)
    if "\\" in text:
        text = _ESCAPE.sub(_group1, text)
    if "&" in text:
        text = html.unescape(text)
    # collapse whitespace: the same as re.sub(r"\s+", " ", text).strip(), because re's \s is
    # str.isspace (checked for every code point), and several times faster
    return " ".join(text.split())


# --------------------------------------------------------------------------- sentences

# Words that end with a period without ending the sentence (compared lowercased, no period).
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "eg",
        "ie",
        "cf",
        "vs",
        "v",
        "inc",
        "ltd",
        "co",
        "corp",
        "llc",
        "plc",
        "gmbh",
        "s.a",
        "s.a.s",
        "b.v",
        "n.v",
        "no",
        "nos",
        "nr",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "u.s",
        "u.k",
        "u.s.a",
        "e.u",
        "approx",
        "incl",
        "excl",
        "art",
        "arts",
        "sec",
        "secs",
        "para",
        "paras",
        "fig",
        "figs",
        "vol",
        "vols",
        "pp",
        "p",
        "ch",
        "dept",
        "est",
        "govt",
        "al",
        "min",
        "max",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "ca",
        "resp",
        "op",
        "ref",
        "refs",
        "viz",
    ]
)
# A boundary candidate: sentence-final punctuation, optional closers, whitespace, then a
# character that can start a sentence.
_BOUNDARY = re.compile(r"([.!?])([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9¿¡•])")
_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]")


def _token_before(text: str, start: int, end: int) -> str:
    """The run of non-space characters that ends at ``end`` (not reaching before ``start``):
    what ``(\\S+)$`` searched in ``text[start:end]`` matches, or "".

    Why not that search: it tries every position of the sentence, and each one scans to the
    next space, which made long paragraphs slow. Words are separated by plain spaces in a
    cleaned paragraph, so the last one usually starts after the last " "; a word holding
    another kind of space is found by walking back one character at a time.
    """
    if end > start and text[end - 1] == "\n":
        end -= 1  # ``$`` also matches before a newline that ends the span
    begin = max(text.rfind(" ", start, end) + 1, start)
    word = text[begin:end]
    if word and len(word.split()) == 1 and not word[0].isspace() and not word[-1].isspace():
        return word  # no whitespace at all inside it
    begin = end
    while begin > start and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:end]


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences, robust to "e.g.", "i.e.", "U.S.", "Inc." and initials.

    Why a hand-written splitter: the abbreviations of legal texts are few and known, and a
    wrong split inside "e.g. photos" would make alignment report spurious rewordings.
    """
    if "." not in text and "!" not in text and "?" not in text:
        text = text.strip()  # no boundary candidate: one sentence (or none)
        return [text] if text else []
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group(1) == ".":
            word = _token_before(text, start, m.start(1)).lstrip("(\"'“‘[").lower()
            if word in _ABBREVIATIONS:
                continue
            if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
                continue
            if _INITIALS.fullmatch(word):  # "u.s", "e.g"
                continue
        end = m.end(2)
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


# --------------------------------------------------------------------------- comparison key

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_MONTHS = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
)
_DATE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{4}}"
    rf"|{_MONTHS}\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\b"
)
_NON_WORD = re.compile(r"[^\w]+")
_DATE_HINT = re.compile(r"\d{4}|\d/\d")  # every date form above has a year or a slash
_ASCII_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_PUNCT_TO_SPACE = str.maketrans({c: " " for c in _ASCII_PUNCT})
# the same table for ASCII bytes: bytes.translate is a plain lookup, twice as fast on a clause
_PUNCT_TO_SPACE_BYTES = bytes.maketrans(_ASCII_PUNCT.encode(), b" " * len(_ASCII_PUNCT))
# In ASCII text \d is [0-9]: a quick test before the slower _DATE_HINT (an alternation).
_ASCII_DIGIT = re.compile(r"[0-9]")


@functools.lru_cache(maxsize=65536)
def comparable(text: str) -> str:
    """The key two clauses are compared by: case, whitespace, punctuation and dates ignored.

    Why: formatting-only, link-only, apostrophe-style (’ vs ') and date-only edits must never be
    reported as a change of an AI clause (issue 3, DESIGN.md §3.3). Links are already gone from
    ``Clause.text``; this also tolerates raw markdown passed in.
    """
    text = clean_inline(text) if ("](" in text or "<" in text) else text
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = text.lower()
    if (not text.isascii() or _ASCII_DIGIT.search(text)) and _DATE_HINT.search(text):
        text = _DATE.sub(" ", text)
    if text.isascii():
        # str.split after decoding, not bytes.split: str also splits on \x1c-\x1f
        spaced = text.encode("ascii").translate(_PUNCT_TO_SPACE_BYTES).decode("ascii")
        return " ".join(spaced.split())
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


# --------------------------------------------------------------------------- block parsing

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_RULE = re.compile(r"^(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_LIST = re.compile(r"^([-*+•]|\d{1,3}[.)]|[a-zA-Z][.)](?=\s))\s+(.*)$")
_TABLE_SEP_CELL = re.compile(r"^:?-{2,}:?$")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_LEADING_BULLET = re.compile(r"^(?:\\?[-*•]|\d{1,3}[.)])\s+")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")

_MAX_CONTEXT = 300  # characters of a lead-in / parent item kept as context
_ALNUM = re.compile(r"[^\W_]")  # str.isalnum, as a class (checked for every code point)


def _split_br(text: str) -> list[str]:
    """``_BR.split(text)``; a plain string split where every "<" starts a plain "<br>" (the
    case-insensitive pattern is slow to scan the long cells of policy tables)."""
    if "<" not in text:
        return [text]
    if text.count("<") == text.count("<br>"):
        return text.split("<br>")
    return _BR.split(text)


def _no_bullet(text: str) -> str:
    """``text`` without a leading bullet or number (tried only where one can start)."""
    if text and (text[0] in "\\-*•" or text[0].isdecimal()):
        return _LEADING_BULLET.sub("", text)
    return text


def _indent(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def _last_sentence(text: str) -> str:
    sentences = split_sentences(text)
    last = sentences[-1] if sentences else text
    return last[-_MAX_CONTEXT:]


class _Builder:
    """Collects clauses while walking the blocks; holds the heading stack and list context.

    It also holds the line walker's own state (the open paragraph, the table header), so that
    ``state()`` is everything that decides how the rest of a text is segmented: two walks in the
    same state over the same remaining lines produce the same clauses (``resegment`` relies on it).
    """

    def __init__(self) -> None:
        self.clauses: list[Clause] = []
        self.headings: list[tuple[int, str]] = []
        self._path: tuple[str, ...] = ()  # the heading texts of ``headings``
        self.last_paragraph: str | None = None  # candidate lead-in of a following list
        self.lead_in: str | None = None
        self.items: list[tuple[int, str]] = []  # open list items: (indent, text)
        self.paragraph: list[str] = []  # stripped lines of the paragraph being read
        self.header: list[str] | None = None  # cells of the current table's header row
        self.table_rows = 0  # table rows read since the last non-table line

    def state(self) -> _State:
        """The walker's state between two blocks (the open paragraph is empty there)."""
        return (
            tuple(self.headings),
            self.last_paragraph,
            self.lead_in,
            tuple(self.items),
            tuple(self.header) if self.header is not None else None,
            self.table_rows,
        )

    def restore(self, state: _State, clauses: list[Clause]) -> None:
        headings, self.last_paragraph, self.lead_in, items, header, self.table_rows = state
        self.headings = list(headings)
        self._path = tuple(text for _, text in headings)
        self.items = list(items)
        self.header = list(header) if header is not None else None
        self.paragraph = []
        self.clauses = clauses

    def path(self) -> tuple[str, ...]:
        return self._path

    def add(self, text: str, path: tuple[str, ...], kind: str) -> None:
        if text and (text[0].isalnum() or _ALNUM.search(text)):
            self.clauses.append(Clause(text, path, kind, len(self.clauses)))

    def heading(self, level: int, raw: str) -> None:
        text = _clean_visible(_no_bullet(raw.strip()))
        if not text:
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        path = tuple(text for _, text in self.headings)
        self.add(text, path, "heading")
        self.headings.append((level, text))
        self._path = (*path, text)
        self.last_paragraph = None
        self.lead_in = None
        self.items = []

    def flush(self) -> None:
        """End the open paragraph (a blank line, or a block that is not a paragraph line)."""
        if self.paragraph:
            joined = " ".join(self.paragraph)
            for piece in _split_br(joined):
                self.paragraph_text(piece)
            self.paragraph = []

    def paragraph_text(self, raw: str) -> None:
        text = _clean_visible(raw)
        if not text:
            return
        self.items = []
        self.lead_in = None
        path = self.path()
        for sentence in split_sentences(text):
            self.add(sentence, path, "sentence")
        self.last_paragraph = text

    def list_item(self, indent: int, raw: str) -> None:
        text = _clean_visible(raw)
        if not self.items:
            if self.last_paragraph is not None:
                self.lead_in = _last_sentence(self.last_paragraph)
            self.last_paragraph = None
        while self.items and self.items[-1][0] >= indent:
            self.items.pop()
        context = list(self.path())
        if self.lead_in:
            context.append(self.lead_in)
        context.extend(item[:_MAX_CONTEXT] for _, item in self.items)
        for sentence in split_sentences(text):
            self.add(sentence, tuple(context), "list-item")
        self.items.append((indent, text))

    def table_row(self, cells: list[str], header: list[str] | None) -> None:
        self.last_paragraph = None
        self.items = []
        self.lead_in = None
        cleaned = [
            [_clean_visible(_no_bullet(frag.strip())) for frag in _split_br(c)] for c in cells
        ]
        label = next((" ".join(f for f in frags if f) for frags in cleaned if any(frags)), "")
        base = self.path()
        for col, frags in enumerate(cleaned):
            context = base
            if col > 0 and label:
                context = (*base, label[:_MAX_CONTEXT])
            if header and col < len(header) and header[col] and header[col] != label:
                context = (*context, header[col][:_MAX_CONTEXT])
            for frag in frags:
                for sentence in split_sentences(frag):
                    self.add(sentence, context, "table-row")


# The walker's state between blocks: heading stack, last paragraph, lead-in, open list items,
# table header, table row count (see ``_Builder.state``).
_State = tuple[
    tuple[tuple[int, str], ...],
    str | None,
    str | None,
    tuple[tuple[int, str], ...],
    tuple[str, ...] | None,
    int,
]
# A checkpoint: the number of clauses so far and the walker's state, at the line after a blank line.
_Mark = tuple[int, _State]


def _table_cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = _CELL_SPLIT.split(body) if "\\|" in body else body.split("|")  # no escaped bar
    return [cell.strip() for cell in cells]


def _lines(text: str) -> list[str]:
    return _strip_invisible(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")


# What a walk may stop at: (old marks, line offset new - old, first old line of the common tail).
_Sync = tuple[dict[int, _Mark], int, int]


def _walk(
    lines: list[str],
    i: int,
    builder: _Builder,
    marks: dict[int, _Mark] | None,
    sync: _Sync | None = None,
) -> int | None:
    """Segment ``lines[i:]`` into ``builder``, from the state it holds.

    With ``marks``, records a checkpoint at every line that follows a blank line. With ``sync``,
    stops at the first such line whose counterpart in the old text (same line, shifted) has a
    checkpoint in the same state and lies in the common tail; returns that line (None when the
    walk reached the end). Every line read here is at index >= i, and the state at a line after
    a blank line depends only on the lines before it: that is what makes checkpoints reusable.
    """
    n = len(lines)
    if sync is not None:
        old_marks, delta, tail_start = sync
    while i < n:
        line = lines[i]
        stripped = line.strip()

        if not stripped:
            builder.flush()
            i += 1
            if marks is not None:
                state = builder.state()
                marks[i] = (len(builder.clauses), state)
                if sync is not None and i - delta >= tail_start:
                    mark = old_marks.get(i - delta)
                    if mark is not None and mark[1] == state:
                        return i
            continue

        nxt = lines[i + 1].strip() if i + 1 < n else ""
        # Each block pattern below can only match a line starting with certain characters:
        # testing the first character first skips most regex calls on paragraph lines.
        first = stripped[0]

        if first == "|" and stripped.count("|") >= 2:
            builder.flush()
            cells = _table_cells(stripped)
            if all(_TABLE_SEP_CELL.match(c) or not c for c in cells) and any(cells):
                i += 1  # separator row; the row before it (if any) was the header
                continue
            if (
                builder.table_rows == 0
                and nxt.startswith("|")
                and all(_TABLE_SEP_CELL.match(c) or not c for c in _table_cells(nxt))
            ):
                builder.header = [_clean_visible(_BR.sub(" ", c)) for c in cells]
                if any(builder.header):
                    builder.table_row(cells, None)
            elif any(cells):
                builder.table_row(cells, builder.header)
            builder.table_rows += 1
            i += 1
            continue
        builder.table_rows = 0
        builder.header = None

        m = _ATX.match(stripped) if first == "#" else None
        if m:
            builder.flush()
            builder.heading(len(m.group(1)), m.group(2))
            i += 1
            continue

        if (
            nxt
            and nxt[0] in "=-"
            and _SETEXT.match(nxt)
            and not builder.paragraph
            and not _RULE.match(stripped)
            and len(stripped) <= 200
        ):
            builder.flush()
            builder.heading(1 if nxt.startswith("=") else 2, stripped)
            i += 2
            continue

        if first in "*-_=" and (_RULE.match(stripped) or _SETEXT.match(stripped)):
            builder.flush()
            i += 1
            continue

        lm = (
            _LIST.match(stripped)
            if first in "-*+•" or first.isdecimal() or stripped[1:2] in (".", ")")
            else None
        )
        if lm:
            builder.flush()
            indent = _indent(line)
            parts = [lm.group(2)]
            i += 1
            # lazy continuation lines of the same item (no blank line, not a new block)
            while i < n:
                cont = lines[i].strip()
                if (
                    not cont
                    or _LIST.match(cont)
                    or cont.startswith(("#", "|"))
                    or _SETEXT.match(cont)
                    or (i + 1 < n and _SETEXT.match(lines[i + 1].strip()))
                ):
                    break
                parts.append(cont)
                i += 1
            for piece in _split_br(" ".join(parts)):
                builder.list_item(indent, piece)
            continue

        if first == ">":
            stripped = stripped.lstrip("> ").strip()
            if not stripped:
                i += 1
                continue
        builder.paragraph.append(stripped)
        i += 1

    builder.flush()
    return None


def segment(text: str) -> list[Clause]:
    """Split a normalised version text into clauses, in document order.

    Headings become clauses of kind "heading" (they carry meaning: "How we use information for
    generative AI models" is itself an AI clause) and enter the heading path of what follows.
    """
    builder = _Builder()
    _walk(_lines(text), 0, builder, None)
    return builder.clauses


# --------------------------------------------------------------------------- incremental


@dataclass(frozen=True, eq=False)
class Segmentation:
    """A text's clauses, with what ``resegment`` needs to segment a similar text quickly.

    ``marks`` maps the index of each line that follows a blank line to the number of clauses
    before it and the walker's state there; ``mark_lines`` lists those indexes in order.
    """

    clauses: tuple[Clause, ...]
    lines: list[str]
    marks: dict[int, _Mark]
    mark_lines: list[int]
    # after ``resegment(previous, text)``: how many clauses at the start are previous's first
    # ones, and how many at the end are previous's last ones (same text, context and kind)
    head: int = 0
    tail: int = 0


def segmentation(text: str) -> Segmentation:
    """``segment(text)`` with checkpoints, so a later version can be ``resegment``-ed from it."""
    builder = _Builder()
    lines = _lines(text)
    marks: dict[int, _Mark] = {0: (0, builder.state())}
    _walk(lines, 0, builder, marks)
    return Segmentation(tuple(builder.clauses), lines, marks, list(marks))


def _common_lines(old: list[str], new: list[str]) -> tuple[int, int]:
    """Lengths of the common head and the common tail (not overlapping the head) of two texts."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    limit -= head
    while tail < limit and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return head, tail


def resegment(previous: Segmentation, text: str) -> Segmentation:
    """The segmentation of ``text``, reusing that of a similar earlier text.

    Exactly ``segment(text)`` (tests compare them), for any two texts: only the cost depends
    on how similar they are. The lines both texts start with are not walked again: the walk
    resumes at the last checkpoint inside that common head, in the state ``previous`` recorded
    there. It stops at the first checkpoint inside the common tail where its state equals the
    state ``previous`` had at the same line; from there on the two walks would read the same
    lines in the same state, so the earlier clauses are reused with their index shifted. A
    change that alters the context of what follows (a heading, a list lead-in) just walks on
    until the context agrees again, or to the end.
    """
    lines = _lines(text)
    old_lines = previous.lines
    head, tail = _common_lines(old_lines, lines)
    if head == len(old_lines) == len(lines):
        count = len(previous.clauses)
        return Segmentation(previous.clauses, lines, previous.marks, previous.mark_lines, count)
    # the state at a checkpoint depends only on the lines before it: any checkpoint <= head
    start = previous.mark_lines[bisect_right(previous.mark_lines, head) - 1]
    count, state = previous.marks[start]
    builder = _Builder()
    builder.restore(state, list(previous.clauses[:count]))
    kept = previous.mark_lines[: bisect_right(previous.mark_lines, start)]
    marks = {line: previous.marks[line] for line in kept}
    delta = len(lines) - len(old_lines)
    stop = _walk(lines, start, builder, marks, (previous.marks, delta, len(old_lines) - tail))
    clauses = builder.clauses
    reused_tail = 0
    if stop is not None:
        old_count = previous.marks[stop - delta][0]
        shift = len(clauses) - old_count
        rest = previous.clauses[old_count:]
        reused_tail = len(rest)
        if shift:
            rest = tuple(Clause(c.text, c.heading_path, c.kind, c.index + shift) for c in rest)
        clauses.extend(rest)
        for line in previous.mark_lines[bisect_right(previous.mark_lines, stop - delta) :]:
            old_count, state = previous.marks[line]
            marks[line + delta] = (old_count + shift, state)
    # marks were inserted in line order
    return Segmentation(tuple(clauses), lines, marks, list(marks), count, reused_tail)
