"""AI findings between two versions: kinds, severities, scope, and edits that must stay silent."""

from __future__ import annotations

from monitor.findings import baseline_findings, clause_keys, clause_scope, findings_for_change

BASE = """\
# Privacy Policy

Effective [January 1, 2024](https://example.com/v1).

## How we use your data

We use your data to provide our services. We keep your account secure.

We may use your public posts to train our AI models.

You can opt out of this use in your settings.

We do not use your private messages to train our AI models.

We use machine learning to detect spam.
"""


def change(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


def test_formatting_link_date_and_apostrophe_edits_are_silent() -> None:
    edited = (
        BASE.replace(
            "Effective [January 1, 2024](https://example.com/v1)",
            "Effective [March 6, 2025](https://example.com/v2)",
        )
        .replace("train our AI models.", "train our **AI** models .")
        .replace("We use machine learning", "We use [machine learning](https://example.com/ml)")
        .replace("your settings", "your   settings")
    )
    assert edited != BASE
    assert findings_for_change(BASE, edited) == []
    assert (
        findings_for_change(BASE, BASE.replace("your private messages", "your private messages"))
        == []
    )


def test_new_training_clause_is_added_high() -> None:
    new = BASE + "\nWe also use your messages to improve our generative AI features and models.\n"
    [finding] = findings_for_change(BASE, new)
    assert finding.kind == "added" and finding.severity == "high"
    assert finding.category == "training-permission"
    assert finding.before is None and finding.after.startswith("We also use your messages")
    assert finding.heading_path == ("Privacy Policy", "How we use your data")
    assert "messages" in finding.explanation
    assert "verb.improve" in finding.signals


def test_widened_lists_new_data_and_recipients() -> None:
    new = change(
        "We may use your public posts to train our AI models.",
        "We may use your public posts and messages to train our AI models and share them with our affiliates to train their AI models.",
    )
    [finding] = findings_for_change(BASE, new)
    assert finding.kind == "widened" and finding.severity == "high"
    assert "new data categories: messages" in finding.explanation
    assert "new recipients: affiliates" in finding.explanation
    assert finding.before == "We may use your public posts to train our AI models."


def test_narrowed_and_removed_limits() -> None:
    narrower = change(
        "We may use your public posts to train our AI models.",
        "We may use your public posts to train our AI models only if they are de-identified.",
    )
    [finding] = findings_for_change(BASE, narrower)
    assert finding.kind == "narrowed" and finding.severity == "medium"
    assert "de-identification" in finding.explanation
    # and back: the limit is removed, which widens the clause
    [back] = findings_for_change(narrower, BASE)
    assert back.kind == "widened" and back.severity == "high"
    assert "limits removed" in back.explanation


def test_opt_out_removed_is_high_and_added_is_medium() -> None:
    without = change("You can opt out of this use in your settings.\n", "")
    kinds = {(f.kind, f.severity) for f in findings_for_change(BASE, without)}
    assert kinds == {("opt-out-removed", "high")}
    kinds = {(f.kind, f.severity) for f in findings_for_change(without, BASE)}
    assert kinds == {("opt-out-added", "medium")}


def test_a_removed_promise_widens() -> None:
    without = change("We do not use your private messages to train our AI models.\n", "")
    [finding] = findings_for_change(BASE, without)
    assert finding.kind == "widened" and finding.severity == "high"
    assert "promise" in finding.explanation
    # the promise turning into a permission
    flipped = change(
        "We do not use your private messages to train our AI models.",
        "We use your private messages to train our AI models.",
    )
    [finding] = findings_for_change(BASE, flipped)
    assert finding.kind == "widened" and finding.severity == "high"


def test_ai_feature_changes_are_low() -> None:
    new = change(
        "We use machine learning to detect spam.",
        "We use machine learning to detect spam and scams in your messages.",
    )
    [finding] = findings_for_change(BASE, new)
    assert finding.category == "ai-feature-use-not-training"
    assert finding.severity == "low"


def test_product_rename_is_a_medium_rewording() -> None:
    old = (
        BASE
        + "\nWe use your interactions with Bard to train and improve machine learning models.\n"
    )
    new = (
        BASE
        + "\nWe use your interactions with Gemini Apps to train and improve machine learning models.\n"
    )
    [finding] = findings_for_change(old, new)
    assert finding.kind == "reworded" and finding.severity == "medium"
    assert "Bard → Gemini" in finding.explanation


def test_resegmented_text_is_not_reported_as_added_or_removed() -> None:
    moved = BASE.replace(
        "We may use your public posts to train our AI models.",
        "- We may use your public posts to train our AI models.",
    )
    assert findings_for_change(BASE, moved) == []


def test_reappearing_clause_is_low_with_previously_seen() -> None:
    without = change("We may use your public posts to train our AI models.\n", "")
    plain = findings_for_change(without, BASE)
    assert [f.severity for f in plain] == ["high"]
    flapped = findings_for_change(without, BASE, previously_seen=clause_keys(BASE))
    assert [f.severity for f in flapped] == ["low"]
    assert flapped[0].explanation.startswith("clause reappeared")


def test_baseline_findings_are_present_and_info() -> None:
    findings = baseline_findings(BASE)
    assert [f.after for f in findings] == [
        "We may use your public posts to train our AI models.",
        "You can opt out of this use in your settings.",
    ]
    assert {(f.kind, f.severity) for f in findings} == {("present", "info")}
    assert findings[1].category == "opt-out"


def test_clause_scope_groups() -> None:
    scope = clause_scope(
        "We share your messages and photos with our affiliates to train generative AI models in the EU."
    )
    assert scope["data"] >= {"messages", "photos and videos"}
    assert scope["recipient"] == {"affiliates"}
    assert "generative AI" in scope["model"]
    assert "region limit" in scope["limit"]
