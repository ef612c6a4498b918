"""Clause alignment: exact, moved, reworded, added, removed; order; size."""

from __future__ import annotations

from collections import Counter

from monitor.align import align
from monitor.segment import Clause, segment


def clauses(*texts: str) -> list[Clause]:
    return [Clause(t, (), "sentence", i) for i, t in enumerate(texts)]


def test_each_kind_of_change() -> None:
    old = clauses(
        "We collect your name.",
        "We use cookies to remember you.",
        "We may use your posts to train our AI models.",
        "Contact us by email.",
        "This sentence goes away entirely.",
    )
    new = clauses(
        "Contact us by email.",
        "We collect your [name](https://x.example).",
        "We use cookies to remember you.",
        "We may use your posts and messages to train our generative AI models.",
        "A brand new sentence about something else.",
    )
    changes = align(old, new)
    kinds = {
        (c.old.text if c.old else None, c.new.text if c.new else None): c.kind for c in changes
    }
    assert (
        kinds[("We collect your name.", "We collect your [name](https://x.example).")]
        == "unchanged"
    )
    assert (
        kinds[("We use cookies to remember you.", "We use cookies to remember you.")] == "unchanged"
    )
    assert kinds[("Contact us by email.", "Contact us by email.")] == "moved"
    reworded = next(c for c in changes if c.kind == "reworded")
    assert reworded.old.text.startswith("We may use your posts to train")
    assert reworded.new.text.startswith("We may use your posts and messages")
    assert 0.5 <= reworded.similarity < 1.0
    assert kinds[(None, "A brand new sentence about something else.")] == "added"
    assert kinds[("This sentence goes away entirely.", None)] == "removed"
    # every clause of both sides appears exactly once
    assert sorted(c.old.index for c in changes if c.old) == list(range(5))
    assert sorted(c.new.index for c in changes if c.new) == list(range(5))


def test_result_follows_new_order_with_removed_in_place() -> None:
    old = clauses("A one two three.", "B gone clause here.", "C four five six.")
    new = clauses("A one two three.", "C four five six.", "D seven eight nine.")
    changes = align(old, new)
    assert [(c.kind, (c.new or c.old).text[0]) for c in changes] == [
        ("unchanged", "A"),
        ("removed", "B"),
        ("unchanged", "C"),
        ("added", "D"),
    ]


def test_identical_documents_are_all_unchanged() -> None:
    text = "# T\n\nOne sentence. Two sentence.\n\n- item a\n- item b\n"
    changes = align(segment(text), segment(text))
    assert Counter(c.kind for c in changes) == {"unchanged": 5}


def test_large_documents_align_completely() -> None:
    old = clauses(
        *[
            f"Clause number {i} says something about topic {i % 97} and data {i * 7}."
            for i in range(1500)
        ]
    )
    new_texts = [c.text for c in old]
    new_texts[10] = "Clause number 10 says something new about topic 10 and data 70."
    del new_texts[500]
    new_texts.insert(900, "An inserted clause with unrelated words entirely.")
    new = clauses(*new_texts)
    counts = Counter(c.kind for c in align(old, new))
    assert counts["reworded"] == 1
    assert counts["removed"] == 1
    assert counts["added"] == 1
    assert counts["unchanged"] == 1498
