"""Diff two normalised version texts and classify the change (DESIGN.md §2 "Change").

Pure: strings in, frozen values out. ``diff_match_patch`` is imported inside the functions
that use it so importing this module (the CLI does) stays cheap.

How a diff is computed, and why:

1. **Line mode.** Each distinct line becomes one character (the "lines to chars" trick), and
   diff-match-patch diffs those short strings. Policies are long paragraphs, one per line, so a
   200 KB text is only a few thousand "characters" and the scattered edits are found quickly.
2. **Word refinement.** Each changed block (deleted lines next to inserted lines) is diffed
   again with words, spaces and punctuation as the units, so a few words changed inside a
   2,000-character paragraph come out as those few words (DESIGN.md §3.7), not as the whole
   paragraph twice. Words, not characters: "language models" -> "AI models" should read as a
   replaced word, not as shuffled letters.
3. **Semantic cleanup** removes coincidental tiny equalities (a shared "the" between two
   rewritten phrases) so the result reads like a human edit.

Determinism. diff-match-patch bounds its work with a wall-clock *deadline*, which would make the
result of a hard diff depend on machine load. We pass a :class:`_Budget` object in place of that
deadline: it counts the work the Myers bisection does and declares the deadline reached after a
fixed number of steps, so the same inputs always give the same ops. The wall clock (``timeout``)
is only a safety net that the step budget is sized never to reach on ordinary hardware; when it
does fire, the diff is still correct (it just marks a larger block as deleted + inserted).

Classification ladder (each level strips one more kind of noise, most specific class wins):
``none`` (identical) -> ``links-only`` (equal once link targets are dropped) -> ``formatting``
(equal once whitespace, markdown markers, typography and letter case are normalised) ->
``date-only`` (equal once dates are masked) -> ``substantive`` (some word differs). A change that
mixes a date with a real word change is therefore ``substantive``.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass

__all__ = [
    "CHANGE_CLASSES",
    "TextDiff",
    "classify_change",
    "diff_lines",
    "diff_texts",
    "word_ops",
]

DELETE, EQUAL, INSERT = -1, 0, 1

#: Classes in increasing order of significance (used to resolve mixed changes).
CHANGE_CLASSES = ("none", "links-only", "formatting", "date-only", "substantive")

# Step budgets for the Myers bisection, in "diagonal steps" (one step ~ one inner-loop iteration
# of diff-match-patch's bisect, 0.3-1 µs in CPython). The line pass is cheap because a line is
# one unit; the word pass gets more because a changed paragraph is hundreds of units. Sized on
# the corpus (every consecutive pair of ~500 real versions): 99 % of diffs need under 40 % of
# these, and the worst pathological 200 KB input (unrelated or shuffled texts) stops after about
# 0.3 s of CPU. Ordinary scattered edits use a few thousand steps.
_LINE_STEPS = 150_000
_WORD_STEPS = 400_000
# Per changed block: a fixed allowance plus some per unit, so a long edited paragraph gets enough.
_BLOCK_STEPS = 60_000
_BLOCK_STEPS_PER_UNIT = 60
_COARSE_BLOCK_UNITS = 20_000


@dataclass(frozen=True)
class TextDiff:
    """The difference between two versions of a document, ready to store and to render.

    ``ops`` follow diff-match-patch's convention so callers can reuse its tooling:
    ``(-1, text)`` deleted, ``(0, text)`` unchanged, ``(1, text)`` inserted. Joining the
    ``0``/``-1`` texts gives the old version back and the ``0``/``1`` texts the new one.
    Line counts count non-blank lines only: a blank separator line is not "a line of policy".
    """

    ops: tuple[tuple[int, str], ...]
    added_chars: int
    removed_chars: int
    added_lines: int
    removed_lines: int
    change_class: str

    def added_text(self) -> str:
        """The inserted fragments, trimmed and joined with newlines (for alert previews)."""
        return _fragments(self.ops, INSERT)

    def removed_text(self) -> str:
        """The deleted fragments, trimmed and joined with newlines (for alert previews)."""
        return _fragments(self.ops, DELETE)

    @property
    def changed(self) -> bool:
        """True when the two texts differ at all (even only in noise)."""
        return self.change_class != "none"


def _fragments(ops: tuple[tuple[int, str], ...], wanted: int) -> str:
    parts = [text.strip() for op, text in ops if op == wanted]
    return "\n".join(part for part in parts if part)


# --------------------------------------------------------------------------------------------
# Work budget standing in for diff-match-patch's deadline
# --------------------------------------------------------------------------------------------


class _Budget:
    """A deterministic stand-in for diff-match-patch's ``deadline`` float.

    diff-match-patch's bisection checks ``time.time() > deadline`` once per edit distance ``d``.
    Python evaluates that as ``deadline.__lt__(now)`` when ``deadline`` is not a number, so this
    object decides instead. It charges ``2 * d`` steps per check (the forward and reverse paths
    each walk about ``d`` diagonals at distance ``d``) and reports "expired" once the total passes
    ``limit`` (the whole diff) or ``block_limit`` (the block being refined), or once the real
    monotonic clock passes ``wall_deadline`` (the safety net). :class:`_DMP` resets ``d`` at each
    new bisection.
    """

    __slots__ = ("limit", "block_limit", "spent", "d", "wall_deadline", "exhausted")

    def __init__(self, limit: int, wall_deadline: float) -> None:
        self.limit = limit
        self.block_limit = limit
        self.spent = 0
        self.d = 0
        self.wall_deadline = wall_deadline
        self.exhausted = False

    def start_bisect(self) -> None:
        self.d = 0

    def remaining(self) -> int:
        return 0 if self.exhausted else max(0, self.limit - self.spent)

    def _check(self) -> bool:
        if self.exhausted:
            return True
        self.d += 1
        self.spent += 2 * self.d
        if self.spent > self.limit or (self.d & 15 == 0 and time.monotonic() > self.wall_deadline):
            self.exhausted = True
            return True
        return self.spent > self.block_limit

    # ``now > deadline`` -> ``deadline.__lt__(now)``; the other forms for robustness.
    def __lt__(self, _other: object) -> bool:
        return self._check()

    def __le__(self, _other: object) -> bool:
        return self._check()

    def __gt__(self, _other: object) -> bool:
        return not self._check()

    def __ge__(self, _other: object) -> bool:
        return not self._check()

    __hash__ = object.__hash__


_DMP_CLASS = None


def _dmp():
    """A diff_match_patch instance whose bisection reports to the :class:`_Budget`."""
    global _DMP_CLASS
    if _DMP_CLASS is None:
        from diff_match_patch import diff_match_patch

        class _DMP(diff_match_patch):
            def diff_bisect(self, text1, text2, deadline):  # noqa: D401 - library override
                if isinstance(deadline, _Budget):
                    deadline.start_bisect()
                return super().diff_bisect(text1, text2, deadline)

        _DMP_CLASS = _DMP
    dmp = _DMP_CLASS()
    # A positive timeout enables diff-match-patch's "half match" speed-up (deterministic);
    # the actual limit is the _Budget we pass as the deadline.
    dmp.Diff_Timeout = 1.0
    return dmp


# --------------------------------------------------------------------------------------------
# Units: lines and words, encoded one character per distinct unit
# --------------------------------------------------------------------------------------------

# A newline on its own, a run of other whitespace, a word, a single CJK character, or one
# other character (punctuation, symbol). Newlines are separate units so line structure survives.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"  # kana, CJK ideographs, hangul
_WORD_RE = re.compile(rf"\n|[^\S\n]+|[{_CJK}]|[^\W{_CJK}]+|[^\w\s]")


def _split_lines(text: str) -> list[str]:
    """Lines with their ``\\n`` kept (the last one may lack it). Only ``\\n`` ends a line."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _split_words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def _encode(a_units: list[str], b_units: list[str]) -> tuple[str, str, dict[str, str]]:
    """Map each distinct unit (line or word) to one character; return both texts and the key.

    Code points start at 1 and skip the surrogate block so every code is a valid character.
    Built with dict/map so the per-unit work stays in C (this runs on every changed block).
    """
    distinct = dict.fromkeys(a_units)
    distinct.update(dict.fromkeys(b_units))
    table = {
        unit: chr(code if code < 0xD800 else code + 0x800)
        for code, unit in enumerate(distinct, start=1)
    }
    lookup = table.__getitem__
    return "".join(map(lookup, a_units)), "".join(map(lookup, b_units)), table


def _decode(ops: list[tuple[int, str]], table: dict[str, str]) -> list[tuple[int, str]]:
    units = {code: unit for unit, code in table.items()}.__getitem__
    return [(op, "".join(map(units, chars))) for op, chars in ops]


def _diff_encoded(dmp, a: str, b: str, budget: _Budget) -> list[tuple[int, str]]:
    """diff_main on encoded units, after setting aside units that occur on one side only.

    A unit found in only one text can never be part of a match, so removing it before the
    Myers search leaves the longest common subsequence unchanged while shrinking the edit
    distance the search has to walk (the idea GNU diff calls discarding non-matching lines). A
    reformatted policy, where most lines changed, then costs little more than an edited one.
    """
    common = set(a).intersection(b)
    if not common:
        return [op for op in ((DELETE, a), (INSERT, b)) if op[1]]
    keep_a = [i for i, c in enumerate(a) if c in common]
    keep_b = [j for j, c in enumerate(b) if c in common]
    if len(keep_a) == len(a) and len(keep_b) == len(b):
        return dmp.diff_main(a, b, False, budget)
    reduced = dmp.diff_main(
        "".join([a[i] for i in keep_a]), "".join([b[j] for j in keep_b]), False, budget
    )
    # Matched positions in the original strings, in order.
    pairs: list[tuple[int, int]] = []
    pa = pb = 0
    for op, text in reduced:
        n = len(text)
        if op == EQUAL:
            pairs.extend(zip(keep_a[pa : pa + n], keep_b[pb : pb + n], strict=True))
            pa += n
            pb += n
        elif op == DELETE:
            pa += n
        else:
            pb += n
    ops: list[tuple[int, str]] = []
    i = j = 0
    run_start = None
    for x, y in pairs:
        if x > i or y > j:
            if run_start is not None:
                ops.append((EQUAL, a[run_start:i]))
                run_start = None
            if x > i:
                ops.append((DELETE, a[i:x]))
            if y > j:
                ops.append((INSERT, b[j:y]))
        if run_start is None:
            run_start = x
        i, j = x + 1, y + 1
    if run_start is not None:
        ops.append((EQUAL, a[run_start:i]))
    if i < len(a):
        ops.append((DELETE, a[i:]))
    if j < len(b):
        ops.append((INSERT, b[j:]))
    dmp.diff_cleanupMerge(ops)
    return ops


def _diff_units(dmp, a_units: list[str], b_units: list[str], budget: _Budget):
    a, b, table = _encode(a_units, b_units)
    return _decode(_diff_encoded(dmp, a, b, budget), table)


def _wall_deadline(timeout: float) -> float:
    return time.monotonic() + timeout if timeout and timeout > 0 else float("inf")


def diff_lines(old: str, new: str, *, timeout: float = 2.0) -> tuple[tuple[int, str], ...]:
    """Line-level ops (each op's text is whole lines), minimal-ish and not semantically merged.

    This is the basis for unified diffs and line counts. Deterministic (see module docstring).
    """
    if old == new:
        return ((EQUAL, old),) if old else ()
    dmp = _dmp()
    budget = _Budget(_LINE_STEPS, _wall_deadline(timeout))
    return tuple(_diff_units(dmp, _split_lines(old), _split_lines(new), budget))


def word_ops(old: str, new: str, *, timeout: float = 2.0) -> list[tuple[int, str]]:
    """Word-level ops between two short texts (one clause, one paragraph), semantically cleaned.

    Used for clause-level highlighting; :func:`diff_texts` does the same per changed block.
    """
    if old == new:
        return [(EQUAL, old)] if old else []
    dmp = _dmp()
    budget = _Budget(_WORD_STEPS, _wall_deadline(timeout))
    return _cleanup_semantic(dmp, _diff_units(dmp, _split_words(old), _split_words(new), budget))


def _min_distance(a_units: list[str], b_units: list[str]) -> int:
    """A cheap lower bound on the edit distance: units that cannot be matched at all."""
    common = sum((Counter(a_units) & Counter(b_units)).values())
    return len(a_units) + len(b_units) - 2 * common


def _refine(
    dmp, line_ops: list[tuple[int, str]], budget: _Budget, *, coarse: bool = False
) -> list[tuple[int, str]]:
    """Replace each deleted+inserted block of lines by its word-level diff.

    Blocks are refined one by one, each with its own share of the budget, so one hopeless block
    (a rewritten section) cannot starve the ordinary edits after it. A block whose lower-bound
    edit distance already exceeds its share is left as whole lines without trying. ``coarse``
    says the line pass ran out of budget (lines common to both texts but in scrambled order):
    its blocks are then huge and a word diff of them would be just as hopeless, so blocks over
    ``_COARSE_BLOCK_UNITS`` words are left whole.
    """
    out: list[tuple[int, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        refine = (
            deleted and inserted and budget.remaining() and time.monotonic() < budget.wall_deadline
        )
        a_units = _split_words("".join(deleted)) if refine else []
        b_units = _split_words("".join(inserted)) if a_units else []
        if coarse and len(a_units) + len(b_units) > _COARSE_BLOCK_UNITS:
            a_units = b_units = []
        share = min(
            budget.remaining(), _BLOCK_STEPS + _BLOCK_STEPS_PER_UNIT * (len(a_units) + len(b_units))
        )
        if a_units and b_units and _min_distance(a_units, b_units) ** 2 // 2 <= share:
            budget.block_limit = budget.spent + share
            out.extend(_diff_units(dmp, a_units, b_units, budget))
        else:
            if deleted:
                out.append((DELETE, "".join(deleted)))
            if inserted:
                out.append((INSERT, "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for op, text in line_ops:
        if op == DELETE:
            deleted.append(text)
        elif op == INSERT:
            inserted.append(text)
        else:
            flush()
            out.append((op, text))
    flush()
    return out


class _Change:
    """Deleted and inserted pieces between two equalities (joined only once, at the end)."""

    __slots__ = ("deleted", "inserted", "del_len", "ins_len")

    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.inserted: list[str] = []
        self.del_len = 0
        self.ins_len = 0

    def add(self, op: int, text: str) -> None:
        if op == DELETE:
            self.deleted.append(text)
            self.del_len += len(text)
        else:
            self.inserted.append(text)
            self.ins_len += len(text)

    def absorb(self, equality: str, other: _Change) -> None:
        """Become self + equality (deleted and re-inserted) + other."""
        self.deleted.append(equality)
        self.deleted.extend(other.deleted)
        self.inserted.append(equality)
        self.inserted.extend(other.inserted)
        self.del_len += len(equality) + other.del_len
        self.ins_len += len(equality) + other.ins_len

    @property
    def size(self) -> int:
        return max(self.del_len, self.ins_len)


# How far a lone edit may slide to land on a word boundary (characters beyond its length).
_SHIFT_WINDOW = 64


def _cleanup_semantic(dmp, ops: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Semantic cleanup in linear time.

    Nearly diff-match-patch's ``diff_cleanupSemantic`` rule: an equality shorter than the changes
    on both sides of it is a coincidence (a shared "the" inside a rewritten phrase) and becomes
    part of the change. Strictly shorter, where diff-match-patch says "no longer": with words as
    units, "language models" -> "AI models like Bard" should keep "models" unchanged.

    diff-match-patch's own version re-concatenates strings and re-inserts list items on every
    merge, which is quadratic and took longer than the diff itself on a rewritten 200 KB policy;
    here merges only append to lists (a stack of changes and equalities) and texts are joined
    once. Then each lone edit is slid to the best word boundary with diff-match-patch's
    ``diff_cleanupSemanticLossless``, applied to a small window around the edit so that its cost
    does not grow with the size of the equalities.
    """
    items: list[str | _Change] = []  # equality strings and changes, alternating
    for op, text in ops:
        if not text:
            continue
        if op == EQUAL:
            if items and isinstance(items[-1], str):
                items[-1] += text
            else:
                items.append(text)
            continue
        last = items[-1] if items else None
        if not isinstance(last, _Change):
            last = _Change()
            items.append(last)
        last.add(op, text)
        while len(items) >= 3 and isinstance(items[-3], _Change):
            left, equality, right = items[-3], items[-2], items[-1]
            assert isinstance(equality, str) and isinstance(right, _Change)
            if len(equality) < left.size and len(equality) < right.size:
                left.absorb(equality, right)
                del items[-2:]
            else:
                break

    merged: list[tuple[int, str]] = []
    for item in items:
        if isinstance(item, str):
            merged.append((EQUAL, item))
        else:
            if item.deleted:
                merged.append((DELETE, "".join(item.deleted)))
            if item.inserted:
                merged.append((INSERT, "".join(item.inserted)))

    # Slide each lone edit (an insertion or a deletion between two equalities) to the best word
    # boundary, looking only at a window around it.
    for k in range(1, len(merged) - 1):
        op, text = merged[k]
        if op == EQUAL or merged[k - 1][0] != EQUAL or merged[k + 1][0] != EQUAL:
            continue
        before, after = merged[k - 1][1], merged[k + 1][1]
        width = len(text) + _SHIFT_WINDOW
        window = [(EQUAL, before[-width:]), (op, text), (EQUAL, after[:width])]
        dmp.diff_cleanupSemanticLossless(window)
        new_before = before[:-width] if len(before) > width else ""
        new_after = after[width:]
        # Reassemble: everything up to the edit stays in merged[k - 1], the rest in merged[k + 1].
        parts_before = [new_before]
        parts_after: list[str] = []
        edit = ""
        seen_edit = False
        for w_op, w_text in window:
            if w_op == EQUAL:
                (parts_after if seen_edit else parts_before).append(w_text)
            else:
                edit = w_text
                seen_edit = True
        parts_after.append(new_after)
        merged[k - 1] = (EQUAL, "".join(parts_before))
        merged[k] = (op, edit)
        merged[k + 1] = (EQUAL, "".join(parts_after))
    return _merge_runs(merged)


def _merge_runs(ops: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Drop empty ops; between two equalities, one deletion then one insertion."""
    out: list[tuple[int, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if joined := "".join(deleted):
            out.append((DELETE, joined))
        if joined := "".join(inserted):
            out.append((INSERT, joined))
        deleted.clear()
        inserted.clear()

    for op, text in ops:
        if not text:
            continue
        if op == DELETE:
            deleted.append(text)
        elif op == INSERT:
            inserted.append(text)
        else:
            flush()
            if out and out[-1][0] == EQUAL:
                out[-1] = (EQUAL, out[-1][1] + text)
            else:
                out.append((EQUAL, text))
    flush()
    return out


def _count_lines(text: str) -> int:
    return sum(1 for line in text.split("\n") if line.strip())


def diff_texts(old: str, new: str, *, timeout: float = 2.0) -> TextDiff:
    """Diff two version texts: line mode, word refinement, semantic cleanup, classification.

    ``timeout`` (seconds) bounds the search for matches (two unrelated texts): past it, the
    remaining changed regions are reported as whole deleted/inserted blocks instead of word
    diffs; the linear passes (encoding, cleanup, classification) come on top, about 0.1 s for
    2 x 200 KB. Results are deterministic for the same inputs unless that wall-clock limit is
    reached, which the internal step budgets are sized to prevent.
    """
    if old == new:
        ops: tuple[tuple[int, str], ...] = ((EQUAL, old),) if old else ()
        return TextDiff(ops, 0, 0, 0, 0, "none")

    dmp = _dmp()
    wall = _wall_deadline(timeout)
    line_budget = _Budget(_LINE_STEPS, wall)
    line_ops = _diff_units(dmp, _split_lines(old), _split_lines(new), line_budget)
    added_lines = sum(_count_lines(t) for op, t in line_ops if op == INSERT)
    removed_lines = sum(_count_lines(t) for op, t in line_ops if op == DELETE)
    change_class = _classify_line_ops(line_ops)

    # Refine each changed run of lines on its own (blank lines between paragraphs are natural
    # anchors), then let a final semantic cleanup merge runs whose anchors were coincidences.
    refined = _refine(dmp, line_ops, _Budget(_WORD_STEPS, wall), coarse=line_budget.exhausted)
    final = tuple(_cleanup_semantic(dmp, refined))

    return TextDiff(
        ops=final,
        added_chars=sum(len(t) for op, t in final if op == INSERT),
        removed_chars=sum(len(t) for op, t in final if op == DELETE),
        added_lines=added_lines,
        removed_lines=removed_lines,
        change_class=change_class,
    )


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------

# Classification works on the changed line blocks only, not on the whole texts: normalising
# 2 x 200 KB with a dozen regular expressions costs far more than the diff itself, while the
# blocks of a typical change are a few paragraphs. Every normalisation below is line-local, so
# "each block is equal after normalisation" is the same as "the texts are".

# [text](url) and ![alt](url), with an optional "title"; link text may hold escaped or nested
# brackets (OTA writes "[\[email protected\]](...)"), URLs may hold one level of parentheses.
_LINK_RE = re.compile(
    r"!?\[((?:[^\[\]\\\n]++|\\.|\[(?:[^\[\]\\\n]++|\\.)*+\])*+)\]"
    r"\((?:[^()\s]++|\([^()\s]*+\))*+(?:\s+\"[^\"\n]*\")?\s*\)"
)
_AUTOLINK_RE = re.compile(r"<(?:https?|mailto|ftp):[^>\s]*>", re.IGNORECASE)
# Lower- or upper-case scheme spelled out rather than re.IGNORECASE, which would disable the
# regex engine's literal-prefix scan and make this five times slower on a 200 KB policy.
_BARE_URL_RE = re.compile(
    r"(?:https?://|HTTPS?://|www\.|WWW\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]"
)


def _strip_links(text: str) -> str:
    """Keep what a reader sees of a link (its text) and drop where it points."""
    if "](" in text:
        text = _LINK_RE.sub(r"\1", text)
    if "<" in text:
        text = _AUTOLINK_RE.sub("", text)
    if "://" in text or "www." in text or "WWW." in text:
        text = _BARE_URL_RE.sub("", text)
    return text


_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff\u202a-\u202e]")
_SINGLE_QUOTES_RE = re.compile("[\u2018\u2019\u201a\u201b\u2032]")
_DOUBLE_QUOTES_RE = re.compile("[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]")
_DASHES_RE = re.compile("[\u2010-\u2015\u2212]")
_BULLETS_RE = re.compile("[\u2022\u00b7\u25aa\u25e6\u25cf]")
_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ENTITY_RE = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
# Lines that are pure markup: setext underlines, horizontal rules, table separator rows.
_RULE_LINE_RE = re.compile(
    r"^[ \t]*(?:[=\-*_~][ \t]*){2,}$|^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*(?::?-+:?)?[ \t]*$",
    re.MULTILINE,
)
# Leading block markers, possibly several ("> - 1. "): headings, quotes, bullets, numbering
# ("1.", "1)", "1.6", "(2)", "a)", "(b)", "iv.").
_LEAD_MARKER_RE = re.compile(
    r"^[ \t]*(?:(?:#{1,6}|>|[-*+]|\d{1,3}(?:\.\d{1,3})+\.?|\d{1,3}[.)]|\(\d{1,3}\)"
    r"|\(?[a-zA-Z][.)]|\([ivxlcIVXLC]{1,6}\)|[ivxlcIVXLC]{1,6}[.)])(?=[ \t]|$)[ \t]*)+",
    re.MULTILINE,
)
_INLINE_MARKS_RE = re.compile(r"[*_`|]|~~")
_SPACE_BEFORE_PUNCT_RE = re.compile(r" (?=[.,;:!?)\]])")
_SPACE_AFTER_OPEN_RE = re.compile(r"([(\[]) ")
# Runs of rule characters inside a line ("| --- | --- |" table separators flattened into text,
# "_____" signature lines): layout, not words.
_INLINE_RULE_RE = re.compile(r"(?<!\S)[-_=*~.]{3,}(?!\S)")


def _normalise_formatting(text: str) -> str:
    """What remains when layout is ignored: the words, their order and punctuation.

    Drops whitespace differences, markdown block markers (headings, bullets, numbering, quote
    marks, table pipes, rules, emphasis), backslash escapes, invisible characters, typographic
    variants (curly quotes, dashes) and letter case. Letter case because a platform re-casing
    "non-members" to "non-Members" or "What's new" to "What's New" is not a change of terms a
    reader needs to be told about; word changes still are.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = _SINGLE_QUOTES_RE.sub("'", text)
    text = _DOUBLE_QUOTES_RE.sub('"', text)
    text = _DASHES_RE.sub("-", text)
    text = _BULLETS_RE.sub("*", text)
    if "<" in text:
        text = _BR_RE.sub(" ", text)
    if "&" in text:
        text = _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), text)
    if "\\" in text:
        text = _ESCAPE_RE.sub(r"\1", text)
    text = _RULE_LINE_RE.sub("", text)
    text = _INLINE_RULE_RE.sub(" ", text)
    text = _LEAD_MARKER_RE.sub("", text)
    text = _INLINE_MARKS_RE.sub(" ", text)
    text = " ".join(text.split())
    text = _SPACE_BEFORE_PUNCT_RE.sub("", text)
    text = _SPACE_AFTER_OPEN_RE.sub(r"\1", text)
    return text.casefold()


_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sept", "sep", "oct", "nov", "dec",
)  # fmt: skip
_WEEKDAY_NAMES = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tues", "tue", "wed", "thurs", "thur", "thu", "fri", "sat", "sun",
)  # fmt: skip
_MONTH = r"(?:" + "|".join(_MONTH_NAMES) + r")\.?"
# "May" is also a verb: "clause 3 may apply" must not read as a date, so without a year only
# the other month names count.
_MONTH_NOT_MAY = r"(?:" + "|".join(m for m in _MONTH_NAMES if m != "may") + r")\.?"
_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89][0-9]{2}|2[01][0-9]{2})"
_NUM_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])"
_NUM_MONTH = r"(?:1[0-2]|0?[1-9])"
_WEEKDAY = r"(?:(?:" + "|".join(_WEEKDAY_NAMES) + r")\.?,? )?"
# Words after which a bare year is a date ("Last updated: 2024", "© 2020-2024").
_YEAR_CONTEXT = r"(?:©|\(c\)|copyright|updated|effective|revised|modified|revision|dated|as of)"
# Applied to the output of _normalise_formatting (casefolded, single spaces).
_DATE_RE = re.compile(
    r"\b" + _WEEKDAY + r"(?:"
    # March 3, 2024 / March 3rd 2024 / March 3
    rf"{_MONTH} {_DAY},? {_YEAR}\b|{_MONTH_NOT_MAY} {_DAY}\b"
    # 3 March 2024 / 3rd of March, 2024 / 3 March
    rf"|{_DAY} (?:of )?{_MONTH},? {_YEAR}\b|{_DAY} (?:of )?{_MONTH_NOT_MAY}(?!\w)"
    # March 2024 / March, 2024
    rf"|{_MONTH},? {_YEAR}\b"
    # 2024-03-03 (optionally with a time), 2024/03/03, 2024.03.03
    rf"|{_YEAR}([-/.]){_NUM_MONTH}\1{_NUM_DAY}(?:t[0-9:.]+z?)?\b"
    # 03/03/2024, 3.3.2024, 03-03-2024, 3/3/24
    rf"|{_NUM_DAY}([-/.]){_NUM_DAY}\2{_YEAR}\b"
    rf"|{_NUM_DAY}/{_NUM_DAY}/[0-9]{{2}}\b"
    r")"
    rf"|(?P<context>{_YEAR_CONTEXT}:? ?){_YEAR}(?: ?- ?{_YEAR})?\b(?![-/.][0-9])"
)

_PLAIN_WORD_RE = re.compile(r"[^\W\d_]{3,}")
_DATE_WORDS = frozenset(_MONTH_NAMES + _WEEKDAY_NAMES)


def _plain_words(text: str) -> Counter[str]:
    words = Counter(_PLAIN_WORD_RE.findall(text))
    for name in _DATE_WORDS:
        words.pop(name, None)
    return words


def _date_placeholder(match: re.Match[str]) -> str:
    return (match.group("context") or "") + "\x00"


def _mask_dates(text: str) -> str:
    """Replace each date by one placeholder, so that two texts differing only in dates match."""
    return _DATE_RE.sub(_date_placeholder, text)


_NONE, _LINKS, _FORMATTING, _DATES, _SUBSTANTIVE = range(5)


def _classify_pair(old: str, new: str) -> int:
    if old == new:
        return _NONE
    old_l, new_l = _strip_links(old), _strip_links(new)
    if old_l == new_l:
        return _LINKS
    old_f, new_f = _normalise_formatting(old_l), _normalise_formatting(new_l)
    if old_f == new_f:
        return _FORMATTING
    # Cheap necessary condition first: masking dates only removes month and weekday names
    # (and numbers), so any other word counted differently already makes it substantive.
    if _plain_words(old_f) == _plain_words(new_f) and _mask_dates(old_f) == _mask_dates(new_f):
        return _DATES
    return _SUBSTANTIVE


_WORDLESS_RE = re.compile(r"[\s=\-*_#>|~:+]*\Z")


def _changed_blocks(line_ops) -> list[tuple[str, str]]:
    """(old, new) text of each changed run of lines.

    Runs separated only by lines without words (blank lines, rules) are joined, and those lines
    kept on both sides, so that a sentence moved across a paragraph break still compares equal
    after normalisation.
    """
    blocks: list[tuple[str, str]] = []
    old_parts: list[str] = []
    new_parts: list[str] = []
    pending = False
    for op, text in line_ops:
        if op == DELETE:
            old_parts.append(text)
            pending = True
        elif op == INSERT:
            new_parts.append(text)
            pending = True
        elif pending and len(text) < 200 and _WORDLESS_RE.match(text):
            old_parts.append(text)
            new_parts.append(text)
        else:
            if pending:
                blocks.append(("".join(old_parts), "".join(new_parts)))
            old_parts.clear()
            new_parts.clear()
            pending = False
    if pending:
        blocks.append(("".join(old_parts), "".join(new_parts)))
    return blocks


def _classify_line_ops(line_ops) -> str:
    worst = _NONE
    for old, new in _changed_blocks(line_ops):
        worst = max(worst, _classify_pair(old, new))
        if worst == _SUBSTANTIVE:
            break
    return CHANGE_CLASSES[worst]


def classify_change(old: str, new: str) -> str:
    """Classify the change from ``old`` to ``new`` (see the ladder in the module docstring).

    One of ``none``, ``links-only``, ``formatting``, ``date-only``, ``substantive``; when a change
    mixes kinds, the most significant wins (any real word change makes it ``substantive``).
    """
    if old == new:
        return "none"
    return _classify_line_ops(diff_lines(old, new))
