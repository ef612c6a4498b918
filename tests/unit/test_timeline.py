"""Per-clause timeline (git blame for policies)."""

from __future__ import annotations

from monitor.timeline import clause_timeline

V1 = """\
# Policy

We collect your name. We use cookies.

We may use your public posts to train our AI models.
"""
V2 = V1.replace("We use cookies.", "We use [cookies](https://example.com/cookies).")  # link only
V3 = (
    V2.replace("your public posts", "your public posts and messages")
    + "\nA new sentence appears.\n"
)
V4 = V3.replace("A new sentence appears.\n", "")
V5 = V3


def by_text(history):
    return {h.clause.text: h for h in history}


def test_first_seen_and_last_changed_follow_real_changes_only() -> None:
    history = by_text(clause_timeline([(1, V1), (2, V2), (3, V3)]))
    assert set(history) == {
        "Policy",
        "We collect your name.",
        "We use cookies.",
        "We may use your public posts and messages to train our AI models.",
        "A new sentence appears.",
    }
    assert (
        history["We collect your name."].first_seen,
        history["We collect your name."].last_changed,
    ) == (1, 1)
    assert (history["We use cookies."].first_seen, history["We use cookies."].last_changed) == (
        1,
        1,
    )
    ai = history["We may use your public posts and messages to train our AI models."]
    assert (ai.first_seen, ai.last_changed) == (1, 3)
    assert ai.classification.ai_training is True
    assert ai.classification.category == "training-permission"
    assert history["We collect your name."].classification.ai_training is False
    assert (
        history["A new sentence appears."].first_seen,
        history["A new sentence appears."].last_changed,
    ) == (3, 3)


def test_clauses_are_those_of_the_last_version_in_order() -> None:
    history = clause_timeline([(1, V1), (2, V2), (3, V3), (4, V4)])
    assert [h.clause.text for h in history] == [
        "Policy",
        "We collect your name.",
        "We use cookies.",
        "We may use your public posts and messages to train our AI models.",
    ]
    assert [h.clause.index for h in history] == [0, 1, 2, 3]


def test_a_clause_that_comes_back_keeps_its_first_appearance() -> None:
    history = by_text(clause_timeline([(1, V1), (3, V3), (4, V4), (5, V5)]))
    back = history["A new sentence appears."]
    assert (back.first_seen, back.last_changed) == (3, 5)


def test_empty_and_single_version() -> None:
    assert clause_timeline([]) == []
    [only] = clause_timeline([(7, "One sentence.")])
    assert (only.first_seen, only.last_changed) == (7, 7)
