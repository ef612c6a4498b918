"""Per-clause history of a document: a ``git blame`` for policies (issue 3, CLI ``clauses``).

Walk the versions oldest first, align each version with the previous one (``monitor.align``)
and carry every clause's first appearance and last change forward. Alignment compares clauses
with links, case, punctuation and dates ignored, so a link-only or formatting edit does not count
as a change. A clause that disappears and comes back (a capture flapping) keeps the version in
which its exact wording was first seen, and its reappearance counts as its last change.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.align import align
from monitor.detect import Classification, classify
from monitor.findings import context_of
from monitor.segment import Clause, comparable, segment

__all__ = ["ClauseHistory", "clause_timeline"]


@dataclass(frozen=True)
class ClauseHistory:
    """A clause of the latest version with its classification and version numbers."""

    clause: Clause
    classification: Classification
    first_seen: int
    last_changed: int


def clause_timeline(versions: Sequence[tuple[int, str]]) -> list[ClauseHistory]:
    """History of the clauses of the LAST version; ``versions`` are (number, text), oldest first."""
    if not versions:
        return []
    first_number, first_text = versions[0]
    previous = segment(first_text)
    spans = [(first_number, first_number)] * len(previous)
    first_seen_by_key: dict[str, int] = {}
    for clause in previous:
        first_seen_by_key.setdefault(comparable(clause.text), first_number)

    for number, text in versions[1:]:
        current = segment(text)
        new_spans: list[tuple[int, int]] = [(number, number)] * len(current)
        for change in align(previous, current):
            if change.new is None:
                continue
            j = change.new.index
            if change.kind in ("unchanged", "moved") and change.old is not None:
                new_spans[j] = spans[change.old.index]
            elif change.kind == "reworded" and change.old is not None:
                new_spans[j] = (spans[change.old.index][0], number)
            else:  # added, possibly back after an absence
                key = comparable(change.new.text)
                new_spans[j] = (first_seen_by_key.get(key, number), number)
        for clause in current:
            first_seen_by_key.setdefault(comparable(clause.text), number)
        previous, spans = current, new_spans

    return [
        ClauseHistory(clause, classify(clause.text, context_of(previous, clause)), first, last)
        for clause, (first, last) in zip(previous, spans, strict=True)
    ]
