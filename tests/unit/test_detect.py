"""The AI-training detector: rule behaviour, signals, context, and the dev-set score."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.detect import CATEGORIES, ai_related, classify


def test_explicit_permission_lists_its_signals() -> None:
    result = classify(
        "We may use your personal data to develop and train artificial intelligence (AI) models."
    )
    assert result.ai_training is True
    assert result.category == "training-permission"
    assert 0.5 <= result.score <= 1.0
    assert {"verb.train", "obj.ai", "data.personal"} <= set(result.signals)


@pytest.mark.parametrize(
    "text",
    [
        "We use machine learning to review your posts for spam.",  # AI used on data
        "We improve our services with the help of artificial intelligence.",  # instrument
        "Our algorithms rank the content in your feed.",
    ],
)
def test_direction_ai_on_data_is_not_training(text: str) -> None:
    result = classify(text)
    assert result.ai_training is False
    assert result.category == "ai-feature-use-not-training"


def test_direction_data_for_ai_is_training() -> None:
    assert classify("We use your posts to improve our machine learning.").ai_training is True
    assert classify("We use machine learning to improve your posts.").ai_training is False


def test_negation_scope() -> None:
    promise = classify("We do not use your messages to train our AI models.")
    assert promise.ai_training is False
    assert "neg.do-not" in promise.signals
    # a negator in a leading subordinate clause does not negate the main clause
    main = classify(
        "Even if you don't have an account, we may process information about you to improve our AI."
    )
    assert main.ai_training is True
    # a negator that governs another verb does not negate the training
    other = classify(
        "When we use personal information as training data, we don't link it to your account."
    )
    assert other.ai_training is True


def test_negation_with_exception_or_control() -> None:
    exception = classify("We don't use your chats to train our models unless you send us feedback.")
    assert exception.ai_training is True and "cond.exception" in exception.signals
    control = classify(
        "If you opt out, your new conversations will not be used to train our models."
    )
    assert control.ai_training is True and control.category == "opt-out"


def test_conditionals_keep_a_permission() -> None:
    result = classify(
        "Information you share with our assistant is used to improve our AI unless you have objected."
    )
    assert result.ai_training is True
    assert result.category == "training-permission"
    assert "cond.unless" in result.signals


def test_restrictions_on_users_and_third_parties() -> None:
    user = classify("You may not use our content to train any machine learning model.")
    assert user.ai_training is False and "restrict.user-may-not" in user.signals
    vendor = classify(
        "We prohibit our service providers from using your data to train their models."
    )
    assert vendor.ai_training is False and "restrict.third-party" in vendor.signals
    company = classify("(3) to train or develop any AI models on Our Content;")
    assert company.ai_training is False and "restrict.company-content" in company.signals


@pytest.mark.parametrize(
    "text",
    [
        "Transfers are protected by the standard model clauses.",
        "We collect your device model and operating system.",
        "Our business model does not depend on selling data.",
        "We train our staff to protect your personal data.",
        "Calls may be recorded for quality and training purposes.",
        "Learn new skills with our AI training courses.",
    ],
)
def test_other_senses_of_model_and_train(text: str) -> None:
    assert classify(text).ai_training is False


@pytest.mark.parametrize(
    "text",
    [
        "We use the content you create to develop the technologies that power our generative AI.",
        "Your feedback helps us build and refine our algorithms.",
        "Conversations you have with the assistant help make future versions better.",
        "We use your interactions to improve our machine learning.",
    ],
)
def test_paraphrases_without_train(text: str) -> None:
    assert classify(text).ai_training is True


def test_licensing_to_third_parties() -> None:
    result = classify(
        "We may license public posts to partners who use them to train their large language models."
    )
    assert result.ai_training is True
    assert result.category == "licensing-to-third-parties"
    assert "recip.third-parties" in result.signals


def test_context_supplies_data_restriction_and_controls() -> None:
    item = "Improve our AI technologies and support AI research"
    assert classify(
        item, ("How we use information", "We use the information we have to:")
    ).ai_training
    banned = classify(
        "training machine learning models with personal data collected from the services",
        ("Acceptable use", "You must not do any of the following:"),
    )
    assert banned.ai_training is False and "restrict.lead-in" in banned.signals
    control = classify(
        "You can opt out at any time.", ("We use your posts to train our generative AI models.",)
    )
    assert control.ai_training is True and control.category == "opt-out"
    assert "ctx.training" in control.signals


def test_unrelated_text_is_fast_path_not_ai() -> None:
    result = classify("You can delete your account at any time.")
    assert result == classify("You can delete your account at any time.")
    assert result.ai_training is False and result.category == "not-ai" and result.score == 0.0


def test_categories_are_from_the_public_list() -> None:
    for text in (
        "We train our models on your posts.",
        "You can object to our use of your data for AI at any time in settings.",
        "We use AI to translate posts.",
        "Hello.",
    ):
        assert classify(text).category in CATEGORIES


def test_dev_set_precision_and_recall(corpus_dir: Path) -> None:
    rows = [
        json.loads(line)
        for line in (corpus_dir / "clauses-dev.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    tp = fp = fn = 0
    for row in rows:
        pred = classify(row["text"]).ai_training
        tp += pred and row["label"] == 1
        fp += pred and row["label"] == 0
        fn += (not pred) and row["label"] == 1
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    print(f"dev set: P={precision:.3f} R={recall:.3f}")
    assert precision >= 0.95
    assert recall >= 0.95


def test_ai_related_includes_promises_and_restrictions() -> None:
    assert ai_related(classify("We may use your posts to train our AI models."))
    assert ai_related(classify("We use machine learning to detect spam."))
    assert ai_related(classify("We do not use your messages to train our AI models."))
    assert ai_related(classify("You may not use our content to train AI models."))
    assert not ai_related(classify("We use cookies to remember your preferences."))
    assert not ai_related(classify("We train our staff to protect your data."))
