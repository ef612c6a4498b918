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
from dataclasses import dataclass

__all__ = ["Clause", "segment", "clean_inline", "split_sentences", "comparable"]


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
_SPACE = re.compile(r"\s+")


_INVISIBLE_RE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad]")


def _strip_invisible(text: str) -> str:
    if _INVISIBLE_RE.search(text):
        text = _INVISIBLE_RE.sub("", text)
    return text.replace("\u00a0", " ")


def clean_inline(text: str) -> str:
    """Reduce markdown inline syntax to plain text: links to their text, no emphasis markers.

    Why: two versions that differ only in a link target or in bold markers say the same thing;
    the clause text must be identical for them.
    """
    text = _strip_invisible(text)
    if "](" in text or "][" in text:
        text = _IMAGE.sub(lambda m: m.group(1), text)
        for _ in range(2):  # a link text may itself contain a link
            text = _LINK.sub(lambda m: m.group(1), text)
        text = _REF_LINK.sub(lambda m: m.group(1), text)
    if "<" in text:
        text = _AUTOLINK.sub(lambda m: m.group(1), text)
        text = _TAG.sub(" ", text)
    if "*" in text or "_" in text or "~" in text:
        text = _STRONG.sub("", text)
        text = _EM_OPEN.sub("", text)
        text = _EM_CLOSE.sub("", text)
    if "`" in text:
        text = _CODE.sub("", text)
    if "\\" in text:
        text = _ESCAPE.sub(lambda m: m.group(1), text)
    if "&" in text:
        text = html.unescape(text)
    return _SPACE.sub(" ", text).strip()


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
_TOKEN_BEFORE = re.compile(r"(\S+)$")


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences, robust to "e.g.", "i.e.", "U.S.", "Inc." and initials.

    Why a hand-written splitter: the abbreviations of legal texts are few and known, and a
    wrong split inside "e.g. photos" would make alignment report spurious rewordings.
    """
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group(1) == ".":
            before = _TOKEN_BEFORE.search(text, start, m.start(1))
            word = before.group(1).lstrip("(\"'“‘[").lower() if before else ""
            if word in _ABBREVIATIONS:
                continue
            if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
                continue
            if re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):  # "u.s", "e.g"
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
_PUNCT_TO_SPACE = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"})


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
    if _DATE_HINT.search(text):
        text = _DATE.sub(" ", text)
    if text.isascii():
        return " ".join(text.translate(_PUNCT_TO_SPACE).split())
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


def _indent(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def _last_sentence(text: str) -> str:
    sentences = split_sentences(text)
    last = sentences[-1] if sentences else text
    return last[-_MAX_CONTEXT:]


class _Builder:
    """Collects clauses while walking the blocks; holds the heading stack and list context."""

    def __init__(self) -> None:
        self.clauses: list[Clause] = []
        self.headings: list[tuple[int, str]] = []
        self.last_paragraph: str | None = None  # candidate lead-in of a following list
        self.lead_in: str | None = None
        self.items: list[tuple[int, str]] = []  # open list items: (indent, text)

    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.headings)

    def add(self, text: str, path: tuple[str, ...], kind: str) -> None:
        if text and any(ch.isalnum() for ch in text):
            self.clauses.append(Clause(text, path, kind, len(self.clauses)))

    def heading(self, level: int, raw: str) -> None:
        text = clean_inline(_LEADING_BULLET.sub("", raw.strip()))
        if not text:
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.add(text, self.path(), "heading")
        self.headings.append((level, text))
        self.last_paragraph = None
        self.lead_in = None
        self.items = []

    def paragraph(self, raw: str) -> None:
        text = clean_inline(raw)
        if not text:
            return
        self.items = []
        self.lead_in = None
        path = self.path()
        for sentence in split_sentences(text):
            self.add(sentence, path, "sentence")
        self.last_paragraph = text

    def list_item(self, indent: int, raw: str) -> None:
        text = clean_inline(raw)
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
            [clean_inline(_LEADING_BULLET.sub("", frag.strip())) for frag in _BR.split(c)]
            for c in cells
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


def _table_cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip() for cell in _CELL_SPLIT.split(body)]


def segment(text: str) -> list[Clause]:
    """Split a normalised version text into clauses, in document order.

    Headings become clauses of kind "heading" (they carry meaning: "How we use information for
    generative AI models" is itself an AI clause) and enter the heading path of what follows.
    """
    text = _strip_invisible(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    builder = _Builder()
    n = len(lines)
    i = 0
    paragraph: list[str] = []
    header: list[str] | None = None
    table_rows = 0

    def flush() -> None:
        if paragraph:
            joined = " ".join(part.strip() for part in paragraph)
            for piece in _BR.split(joined):
                builder.paragraph(piece)
            paragraph.clear()

    while i < n:
        line = lines[i]
        stripped = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < n else ""

        if not stripped:
            flush()
            i += 1
            continue

        if stripped.startswith("|") and stripped.count("|") >= 2:
            flush()
            cells = _table_cells(stripped)
            if all(_TABLE_SEP_CELL.match(c) or not c for c in cells) and any(cells):
                i += 1  # separator row; the row before it (if any) was the header
                continue
            if (
                table_rows == 0
                and nxt.startswith("|")
                and all(_TABLE_SEP_CELL.match(c) or not c for c in _table_cells(nxt))
            ):
                header = [clean_inline(_BR.sub(" ", c)) for c in cells]
                if any(header):
                    builder.table_row(cells, None)
            elif any(cells):
                builder.table_row(cells, header)
            table_rows += 1
            i += 1
            continue
        table_rows = 0
        header = None

        m = _ATX.match(stripped)
        if m:
            flush()
            builder.heading(len(m.group(1)), m.group(2))
            i += 1
            continue

        if (
            nxt
            and _SETEXT.match(nxt)
            and not paragraph
            and not _RULE.match(stripped)
            and len(stripped) <= 200
        ):
            flush()
            builder.heading(1 if nxt.startswith("=") else 2, stripped)
            i += 2
            continue

        if _RULE.match(stripped) or _SETEXT.match(stripped):
            flush()
            i += 1
            continue

        lm = _LIST.match(stripped)
        if lm:
            flush()
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
            for piece in _BR.split(" ".join(parts)):
                builder.list_item(indent, piece)
            continue

        if stripped.startswith(">"):
            stripped = stripped.lstrip("> ").strip()
            if not stripped:
                i += 1
                continue
        paragraph.append(stripped)
        i += 1

    flush()
    return builder.clauses
