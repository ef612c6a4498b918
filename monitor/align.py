"""Match the clauses of two versions, so a change is described per clause (DESIGN.md §3.7).

Exact first, then fuzzy: clauses whose comparison keys (``segment.comparable``: case,
punctuation, links and dates ignored) are equal and in the same order are ``unchanged``; equal
keys out of order are ``moved``; the rest are paired by word overlap, preferring pairs inside the
same gap between unchanged runs, into ``reworded``; what is left is ``added`` or ``removed``.

Why word-set overlap (Dice) and an inverted index rather than pairwise edit distance: two
1,500-clause versions must align in well under 100 ms, and a rewording of a legal sentence keeps
most of its words.

Pure: no I/O.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from monitor.segment import Clause, comparable

__all__ = ["ClauseChange", "align", "align_changes", "REWORD_THRESHOLD"]

REWORD_THRESHOLD = 0.5  # Dice similarity of word sets for two clauses to be one reworded clause
_GLOBAL_THRESHOLD = 0.6  # stricter when the pair is not in the same gap (moved and reworded)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ClauseChange:
    """One clause's fate between two versions; ``similarity`` is 1.0 for equal keys."""

    kind: str  # "unchanged" | "added" | "removed" | "reworded" | "moved"
    old: Clause | None
    new: Clause | None
    similarity: float


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _by_count(item: tuple[int, int]) -> tuple[int, int]:
    """Most shared words first; among equals the earlier old clause. Why the index: the counts
    are filled by iterating a word set, whose order follows Python's per-process hash seed, so
    a tie broken by insertion order made the same pair of versions align differently from one
    run to the next."""
    return -item[1], item[0]


def _fuzzy_pairs(
    olds: list[int],
    news: list[int],
    old_words: Mapping[int, frozenset[str]],
    new_words: Mapping[int, frozenset[str]],
    threshold: float,
) -> list[tuple[float, int, int]]:
    """Best-first 1:1 pairing of old and new clauses whose word sets overlap enough."""
    if not olds or not news:
        return []
    index: dict[str, list[int]] = defaultdict(list)
    for i in olds:
        for word in old_words[i]:
            index[word].append(i)
    # very common words give no evidence and make the candidate lists long
    limit = max(8, len(olds) // 4)
    candidates: list[tuple[float, int, int]] = []
    for j in news:
        words = new_words[j]
        counts: dict[int, int] = defaultdict(int)
        for word in words:
            posting = index.get(word)
            if posting and len(posting) <= limit:
                for i in posting:
                    counts[i] += 1
        if not counts:
            # only common words in common: fall back to checking the few olds in full
            if len(olds) <= 8:
                counts = dict.fromkeys(olds, 1)
            else:
                continue
        # nsmallest is documented as sorted(...)[:n] and it does not sort the hundreds of
        # weak candidates of a long gap
        best = heapq.nsmallest(12, counts.items(), key=_by_count)
        size = len(words)
        for i, _shared in best:
            other = old_words[i]
            if other and words and 2 * min(len(other), size) / (len(other) + size) < threshold:
                continue  # _dice is at most this (full overlap): it cannot reach the threshold
            sim = _dice(other, words)
            if sim >= threshold:
                candidates.append((sim, i, j))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs = []
    for sim, i, j in candidates:
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        pairs.append((sim, i, j))
    return pairs


def _opcodes(a: Sequence[str], b: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_opcodes()``, faster for a small edit.

    Why it is the same: the matcher takes the longest common block first, then recurses on
    each side of it. Let P be the longest common head of a and b, S their longest common tail
    (not overlapping P, and not extendable on its diagonal), and U the positions of a inside P
    or S whose key occurs only once in b. A common block holding a U position lies on P's or
    S's diagonal, hence inside P or S; any other block is a run of non-U positions, so it is at
    most G long, the longest such run. When G is shorter than P and S, the matcher takes P and
    S first (P wins a tie, as it starts at 0), then works on what lies between them alone, and
    neither can merge with a block found there (both are maximal). Otherwise, or when there is
    no common head or tail, the matcher runs on everything.
    """
    la, lb = len(a), len(b)
    limit = min(la, lb)
    head = 0
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    limit -= head
    while tail < limit and a[la - 1 - tail] == b[lb - 1 - tail]:
        tail += 1
    shortcut = (head or tail) and not (
        tail and la - tail > 0 and lb - tail > 0 and a[la - tail - 1] == b[lb - tail - 1]
    )
    if shortcut:
        once = {key for key, count in Counter(b).items() if count == 1}
        run = longest = 0
        tail_start = la - tail
        for i, key in enumerate(a):
            if (i < head or i >= tail_start) and key in once:
                run = 0
            else:
                run += 1
                if run > longest:
                    longest = run
        shortcut = longest < min(x for x in (head, tail) if x)
    if not shortcut:
        return SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    blocks = [(0, 0, head)] if head else []
    middle = SequenceMatcher(None, a[head : la - tail], b[head : lb - tail], autojunk=False)
    blocks.extend((i + head, j + head, k) for i, j, k in middle.get_matching_blocks() if k)
    if tail:
        blocks.append((la - tail, lb - tail, tail))
    blocks.append((la, lb, 0))
    # SequenceMatcher.get_opcodes, from those blocks
    opcodes: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for ai, bj, size in blocks:
        if i < ai and j < bj:
            opcodes.append(("replace", i, ai, j, bj))
        elif i < ai:
            opcodes.append(("delete", i, ai, j, bj))
        elif j < bj:
            opcodes.append(("insert", i, ai, j, bj))
        i, j = ai + size, bj + size
        if size:
            opcodes.append(("equal", ai, i, bj, j))
    return opcodes


def _match(
    old_keys: Sequence[str], new_keys: Sequence[str]
) -> tuple[dict[int, int], dict[int, tuple[str, float]], list[tuple[list[int], list[int]]]]:
    """Pair old and new clause indexes: (old -> new, new -> (kind, similarity), gaps).

    Only clauses in the gaps between unchanged runs are ever moved, reworded, added or
    removed, so word sets are built for those alone (in a long policy with a small edit that is
    a handful of clauses, not thousands).
    """
    old_to_new: dict[int, int] = {}
    kinds: dict[int, tuple[str, float]] = {}  # new index -> (kind, similarity)
    gaps: list[tuple[list[int], list[int]]] = []
    for tag, i1, i2, j1, j2 in _opcodes(old_keys, new_keys):
        if tag == "equal":
            for k in range(i2 - i1):
                old_to_new[i1 + k] = j1 + k
                kinds[j1 + k] = ("unchanged", 1.0)
        else:
            gaps.append((list(range(i1, i2)), list(range(j1, j2))))

    # equal keys out of order: moved
    free_old: dict[str, list[int]] = defaultdict(list)
    for olds, _ in gaps:
        for i in olds:
            free_old[old_keys[i]].append(i)
    for _, news in gaps:
        for j in news:
            bucket = free_old.get(new_keys[j])
            if bucket:
                i = bucket.pop(0)
                old_to_new[i] = j
                kinds[j] = ("moved", 1.0)

    old_words = {
        i: frozenset(_WORD.findall(old_keys[i]))
        for olds, _ in gaps
        for i in olds
        if i not in old_to_new
    }
    new_words = {
        j: frozenset(_WORD.findall(new_keys[j])) for _, news in gaps for j in news if j not in kinds
    }

    # fuzzy inside each gap, then across gaps
    for olds, news in gaps:
        olds = [i for i in olds if i not in old_to_new]
        news = [j for j in news if j not in kinds]
        for sim, i, j in _fuzzy_pairs(olds, news, old_words, new_words, REWORD_THRESHOLD):
            old_to_new[i] = j
            kinds[j] = ("reworded", sim)
    # everything outside the gaps is matched, and the gaps are in order: these are ascending
    rest_old = [i for olds, _ in gaps for i in olds if i not in old_to_new]
    rest_new = [j for _, news in gaps for j in news if j not in kinds]
    for sim, i, j in _fuzzy_pairs(rest_old, rest_new, old_words, new_words, _GLOBAL_THRESHOLD):
        old_to_new[i] = j
        kinds[j] = ("reworded", sim)
    return old_to_new, kinds, gaps


def align(
    old: Sequence[Clause],
    new: Sequence[Clause],
    old_keys: Sequence[str] | None = None,
    new_keys: Sequence[str] | None = None,
) -> list[ClauseChange]:
    """Align two clause sequences; the result follows the new document's order.

    Removed clauses are placed right after the new-side position of their nearest preceding
    matched old clause, so a reader sees them where they used to be. ``old_keys`` and
    ``new_keys`` are the clauses' ``comparable`` keys, when the caller already has them.
    """
    if old_keys is None:
        old_keys = [comparable(c.text) for c in old]
    if new_keys is None:
        new_keys = [comparable(c.text) for c in new]
    old_to_new, kinds, _gaps = _match(old_keys, new_keys)

    new_to_old = {j: i for i, j in old_to_new.items()}
    placed: list[tuple[float, int, ClauseChange]] = []
    for j, clause in enumerate(new):
        kind, sim = kinds.get(j, ("added", 0.0))
        i = new_to_old.get(j)
        placed.append(
            (float(j), 0, ClauseChange(kind, old[i] if i is not None else None, clause, sim))
        )
    anchor = -0.5
    for i, clause in enumerate(old):
        if i in old_to_new:
            anchor = old_to_new[i]
            continue
        placed.append((anchor + 0.5, i + 1, ClauseChange("removed", clause, None, 0.0)))
    placed.sort(key=lambda p: (p[0], p[1]))
    return [change for _, _, change in placed]


def align_changes(
    old: Sequence[Clause],
    new: Sequence[Clause],
    old_keys: Sequence[str],
    new_keys: Sequence[str],
) -> list[ClauseChange]:
    """``align`` without its "unchanged" and "moved" entries, in the same order.

    Why: a caller that only reports changes (``findings``) would otherwise build and sort an
    entry for each of a long policy's thousand unchanged clauses. The sort keys of ``align``
    are all distinct, so leaving entries out does not reorder the others.
    """
    old_to_new, kinds, gaps = _match(old_keys, new_keys)
    # only gap clauses are moved or reworded: their pairs are all the new -> old needed here
    new_to_old = {old_to_new[i]: i for olds, _ in gaps for i in olds if i in old_to_new}
    placed: list[tuple[float, int, ClauseChange]] = []
    for olds, news in gaps:
        for j in news:
            kind, sim = kinds.get(j, ("added", 0.0))
            if kind == "moved":
                continue
            i = new_to_old.get(j)
            placed.append(
                (float(j), 0, ClauseChange(kind, old[i] if i is not None else None, new[j], sim))
            )
        for i in olds:
            if i in old_to_new:
                continue
            # the nearest matched old clause before it: at worst the one just before the gap
            k = i - 1
            while k >= 0 and k not in old_to_new:
                k -= 1
            anchor = old_to_new[k] if k >= 0 else -0.5
            placed.append((anchor + 0.5, i + 1, ClauseChange("removed", old[i], None, 0.0)))
    placed.sort(key=lambda p: (p[0], p[1]))
    return [change for _, _, change in placed]
