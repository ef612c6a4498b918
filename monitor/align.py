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

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from monitor.segment import Clause, comparable

__all__ = ["ClauseChange", "align", "REWORD_THRESHOLD"]

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


def _fuzzy_pairs(
    olds: list[int],
    news: list[int],
    old_words: list[frozenset[str]],
    new_words: list[frozenset[str]],
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
        best = sorted(counts.items(), key=lambda kv: -kv[1])[:12]
        for i, _shared in best:
            sim = _dice(old_words[i], words)
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


def align(old: Sequence[Clause], new: Sequence[Clause]) -> list[ClauseChange]:
    """Align two clause sequences; the result follows the new document's order.

    Removed clauses are placed right after the new-side position of their nearest preceding
    matched old clause, so a reader sees them where they used to be.
    """
    old_keys = [comparable(c.text) for c in old]
    new_keys = [comparable(c.text) for c in new]
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)

    old_to_new: dict[int, int] = {}
    kinds: dict[int, tuple[str, float]] = {}  # new index -> (kind, similarity)
    gaps: list[tuple[list[int], list[int]]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
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

    old_words = [frozenset(_WORD.findall(k)) for k in old_keys]
    new_words = [frozenset(_WORD.findall(k)) for k in new_keys]

    # fuzzy inside each gap, then across gaps
    for olds, news in gaps:
        olds = [i for i in olds if i not in old_to_new]
        news = [j for j in news if j not in kinds]
        for sim, i, j in _fuzzy_pairs(olds, news, old_words, new_words, REWORD_THRESHOLD):
            old_to_new[i] = j
            kinds[j] = ("reworded", sim)
    rest_old = [i for i in range(len(old)) if i not in old_to_new]
    rest_new = [j for j in range(len(new)) if j not in kinds]
    for sim, i, j in _fuzzy_pairs(rest_old, rest_new, old_words, new_words, _GLOBAL_THRESHOLD):
        old_to_new[i] = j
        kinds[j] = ("reworded", sim)

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
