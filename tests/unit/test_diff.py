"""monitor.diff: ops, counts, previews and change classes, on hand-made and real policy texts."""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

import pytest

from monitor.diff import (
    CHANGE_CLASSES,
    DELETE,
    EQUAL,
    INSERT,
    TextDiff,
    _Budget,
    _decode,
    _dmp,
    _encode,
    classify_change,
    diff_lines,
    diff_texts,
    word_ops,
)

PARAGRAPH = (
    "We use the data that we have about you to provide and personalize our Services. "
    "We may share your data with our affiliates. "
    "You can review your settings at any time."
)
POLICY = (
    "# Privacy Policy\n\nEffective date: 1 Jan 2024\n\n## 1. Data We Collect\n\n"
    + PARAGRAPH
    + "\n\n- Profile data\n- Contacts\n\n| Category | Purpose |\n| --- | --- |\n"
    "| Device data | Security |\n\nRead our [Cookie Policy](https://example.com/cookies?hl=en).\n"
)


def old_side(ops) -> str:
    return "".join(text for op, text in ops if op != INSERT)


def new_side(ops) -> str:
    return "".join(text for op, text in ops if op != DELETE)


def assert_consistent(diff: TextDiff, old: str, new: str) -> None:
    """The invariants every TextDiff must satisfy."""
    assert old_side(diff.ops) == old
    assert new_side(diff.ops) == new
    assert all(op in (DELETE, EQUAL, INSERT) and text for op, text in diff.ops)
    assert diff.added_chars == sum(len(t) for op, t in diff.ops if op == INSERT)
    assert diff.removed_chars == sum(len(t) for op, t in diff.ops if op == DELETE)
    assert diff.change_class in CHANGE_CLASSES
    assert diff.change_class == classify_change(old, new)
    # No two neighbouring ops of the same kind: the ops are merged.
    assert all(a[0] != b[0] for a, b in zip(diff.ops, diff.ops[1:], strict=False))


# --------------------------------------------------------------------------- basic ops


def test_identical_texts_are_one_equality_and_class_none():
    diff = diff_texts(POLICY, POLICY)
    assert diff.ops == ((EQUAL, POLICY),)
    assert (diff.added_chars, diff.removed_chars, diff.added_lines, diff.removed_lines) == (0,) * 4
    assert diff.change_class == "none"
    assert not diff.changed
    assert diff.added_text() == diff.removed_text() == ""
    assert classify_change(POLICY, POLICY) == "none"


def test_empty_texts():
    assert diff_texts("", "").ops == ()
    diff = diff_texts("", "New policy.\n")
    assert diff.ops == ((INSERT, "New policy.\n"),)
    assert diff.added_lines == 1 and diff.removed_lines == 0
    assert diff.change_class == "substantive"
    gone = diff_texts("Old policy.\n", "")
    assert gone.ops == ((DELETE, "Old policy.\n"),)
    assert gone.removed_text() == "Old policy."


def test_sentence_inserted_mid_paragraph_is_exactly_that_sentence():
    sentence = "We may use your content to train artificial intelligence models."
    new_paragraph = PARAGRAPH.replace(
        "We may share your data with our affiliates. ",
        f"We may share your data with our affiliates. {sentence} ",
    )
    new = POLICY.replace(PARAGRAPH, new_paragraph)
    diff = diff_texts(POLICY, new)
    assert_consistent(diff, POLICY, new)
    assert diff.added_text() == sentence
    assert diff.removed_text() == ""
    assert diff.added_chars == len(sentence) + 1  # and the space that separates it
    assert diff.removed_chars == 0
    # Line counts are line-diff counts: the paragraph line was replaced by its new version.
    assert (diff.added_lines, diff.removed_lines) == (1, 1)
    assert diff.change_class == "substantive"
    # Only one insertion, everything else unchanged.
    assert [op for op, _ in diff.ops] == [EQUAL, INSERT, EQUAL]


def test_sentence_deleted():
    sentence = "We may share your data with our affiliates."
    new = POLICY.replace(sentence + " ", "")
    diff = diff_texts(POLICY, new)
    assert_consistent(diff, POLICY, new)
    assert diff.removed_text() == sentence
    assert diff.added_text() == ""
    assert diff.removed_chars == len(sentence) + 1
    assert diff.change_class == "substantive"


def test_words_replaced_inside_a_sentence_are_word_level():
    new = POLICY.replace("provide and personalize", "provide, personalize and improve")
    diff = diff_texts(POLICY, new)
    assert_consistent(diff, POLICY, new)
    changed = [(op, text) for op, text in diff.ops if op != EQUAL]
    # A handful of words, not the whole paragraph.
    assert sum(len(t) for _, t in changed) < 60
    assert "improve" in diff.added_text()
    assert "provide" not in diff.removed_text()


def test_paragraphs_added_and_removed_count_non_blank_lines():
    new = POLICY.replace("- Contacts\n", "- Contacts\n- Location\n- Messages\n").replace(
        "- Profile data\n", ""
    )
    diff = diff_texts(POLICY, new)
    assert_consistent(diff, POLICY, new)
    assert (diff.added_lines, diff.removed_lines) == (2, 1)
    assert diff.added_text() == "Location\n- Messages" or "Location" in diff.added_text()
    assert "Profile data" in diff.removed_text()


def test_deterministic():
    new = POLICY.replace("affiliates", "partners and affiliates").replace("1 Jan", "2 Feb")
    assert diff_texts(POLICY, new) == diff_texts(POLICY, new)


def test_diff_lines_are_whole_lines():
    new = POLICY.replace("Contacts", "Contacts and calendars")
    ops = diff_lines(POLICY, new)
    assert old_side(ops) == POLICY and new_side(ops) == new
    for op, text in ops:
        if op != EQUAL:
            assert text.endswith("\n")
    assert (DELETE, "- Contacts\n") in ops and (INSERT, "- Contacts and calendars\n") in ops


def test_word_ops_for_a_clause():
    ops = word_ops(
        "We use language models to improve Search.", "We use AI models like Bard to improve Search."
    )
    assert old_side(ops) == "We use language models to improve Search."
    assert new_side(ops) == "We use AI models like Bard to improve Search."
    assert ops == [
        (EQUAL, "We use "),
        (DELETE, "language"),
        (INSERT, "AI"),
        (EQUAL, " models "),
        (INSERT, "like Bard "),
        (EQUAL, "to improve Search."),
    ]


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # tracking parameters on a link
        (
            "See our [Privacy Center](https://example.com/privacy?utm_source=mail&fbclid=AbC).",
            "See our [Privacy Center](https://example.com/privacy?utm_source=web&fbclid=XyZ).",
        ),
        # a link target moved to another page
        (
            "* [Reddit is a public platform.](#platform)",
            "* [Reddit is a public platform.](https://support.reddithelp.com/hc/articles/264102)",
        ),
        # a link added around existing text, and a bare URL changed
        (
            "Read the Cookie Policy at https://example.com/cookies?session=1 today.",
            "Read the [Cookie Policy](https://example.com/c) at https://example.com/cookies today.",
        ),
        # an image's signed CDN URL
        (
            "![](https://cdn.example.net/a.png?oh=00_AT8Q&oe=63298A45)",
            "![](https://cdn.example.net/a.png?oh=00_AT9Q&oe=63395C45)",
        ),
    ],
)
def test_links_only(old, new):
    assert classify_change(old, new) == "links-only"
    assert diff_texts(old, new).change_class == "links-only"


def test_link_text_change_is_substantive():
    assert (
        classify_change(
            "Contact us at [privacy@example.com](mailto:privacy@example.com).",
            "Contact us at [legal@example.com](mailto:privacy@example.com).",
        )
        == "substantive"
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "We collect:\n\n*   Profile data\n*   Contacts\n",
            "We collect:\n\n- Profile data\n- Contacts\n",
        ),
        ("We  collect   data.\n\n\n\nWe share it.", "We collect data.\n\nWe share it.\n"),
        ("Welcome!\n========\n", "# Welcome!\n"),
        ("**Welcome!**\n------------\n", "Welcome!\n--------\n"),
        ("1. Data We Collect\n", "1) Data We Collect\n"),
        ("1.6 Messages\n", "1.7 Messages\n"),
        ("Chats won't be used to train our models.", "Chats won’t be used to train our models."),
        ("\u200d**To fulfill our contract with you**", "**To fulfill our contract with you**"),
        (
            "| Category | Purpose |\n| --- | --- |\n| Device | Security |",
            "Category Purpose\n\nDevice Security",
        ),
        ("Content is viewable to non-members.", "Content is viewable to non-Members."),
        ("A sentence. Another one.", "A sentence.\n\nAnother one."),
        ("Section 1\\. Data", "Section 1. Data"),
        ("Check your settings .", "Check your settings."),
    ],
)
def test_formatting(old, new):
    assert classify_change(old, new) == "formatting"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "Effective date: 1 Jan 2024\n\nWe collect data.",
            "Effective date: 2 Feb 2025\n\nWe collect data.",
        ),
        ("**Effective: March 13, 2024**", "**Effective: September 29, 2023**"),
        ("Last updated 2024-03-03", "Last updated 2025-11-30"),
        ("Last Updated: December 2025", "Last Updated: July 2026"),
        ("Date of Last Revision: July 26, 2022", "Date of Last Revision: October 11, 2022"),
        ("Effective as of 3rd of March, 2024.", "Effective as of 5th of May, 2025."),
        ("Valid from 03/03/2024.", "Valid from 04/05/2025."),
        ("© 2023 Example Inc.", "© 2024 Example Inc."),
        ("Updated on Monday, March 3, 2025.", "Updated on Friday, April 4, 2025."),
        # a date change mixed with formatting noise is still only a date change
        ("#### Effective: April 15, 2024\n\n*   Item", "Effective: September 29, 2025\n\n- Item"),
    ],
)
def test_date_only(old, new):
    assert classify_change(old, new) == "date-only"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a date change plus a word change
        (
            "Effective date: 1 Jan 2024\n\nWe collect data.",
            "Effective date: 2 Feb 2025\n\nWe collect and sell data.",
        ),
        ("Effective March 3, 2024", "Updated March 3, 2024"),
        # numbers that are not dates
        ("| Lithuania | 8 800 00 163 |", "| Lithuania | 0 800 00 163 |"),
        ("We keep logs for 30 days.", "We keep logs for 90 days."),
        ("clause 3 may apply", "clause 4 may apply"),
        # a dated sentence that appears is news, not a date change
        ("January 5, 2026", "Effective January 5, 2026"),
        ("We do not use your data for AI.", "We use your data for AI."),
        ("Read our [terms](https://x.com/t).", "Read our [new terms](https://x.com/t)."),
    ],
)
def test_substantive(old, new):
    assert classify_change(old, new) == "substantive"


def test_mixed_links_and_whitespace_is_formatting_and_priority_order():
    old = "*   See [our policy](https://a.example/p?trk=1).\n"
    new = "- See [our policy](https://a.example/p?trk=2).\n"
    assert classify_change(old, new) == "formatting"
    assert classify_change(old + "Effective 1 May 2024\n", new + "Effective 2 May 2024\n") == (
        "date-only"
    )
    assert classify_change(old + "We sell data.\n", new + "We do not sell data.\n") == "substantive"


def test_classification_spans_paragraph_breaks():
    """A sentence moved from the end of one paragraph to the start of the next is formatting."""
    old = "Intro.\n\nFirst paragraph. Moved sentence.\n\nSecond paragraph.\n\nOutro.\n"
    new = "Intro.\n\nFirst paragraph.\n\nMoved sentence. Second paragraph.\n\nOutro.\n"
    assert classify_change(old, new) == "formatting"
    moved_elsewhere = "Intro.\n\nFirst paragraph.\n\nSecond paragraph.\n\nOutro. Moved sentence.\n"
    assert classify_change(old, moved_elsewhere) == "substantive"


# --------------------------------------------------------------------------- robustness


def test_budget_is_honoured_by_diff_match_patch():
    """Our deterministic work budget relies on diff-match-patch comparing the clock with the
    deadline object; if a library update stopped doing so, hard diffs would run unbounded."""
    dmp = _dmp()
    budget = _Budget(0, float("inf"))
    a = "abcdefghij" * 20
    b = "jihgfedcba" * 20
    ops = dmp.diff_main(a, b, False, budget)
    assert budget.spent > 0
    assert budget.exhausted
    assert ops == [(DELETE, a), (INSERT, b)]
    generous = _Budget(10**9, float("inf"))
    assert len(dmp.diff_main(a, b, False, generous)) > 2
    assert not generous.exhausted


def test_encoding_skips_surrogates_and_round_trips():
    units = [f"w{i} " for i in range(0xD800 + 50)]
    a, b, table = _encode(units, units[::-1])
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in a)
    a.encode("utf-8")  # would raise on a lone surrogate
    assert _decode([(EQUAL, a), (INSERT, b)], table) == [
        (EQUAL, "".join(units)),
        (INSERT, "".join(units[::-1])),
    ]


def test_unrelated_long_texts_stay_correct_even_with_a_tiny_timeout():
    rng = random.Random(7)
    words = ["data", "privacy", "we", "collect", "share", "you", "the", "models", "ads", "and"]
    old = "\n\n".join(" ".join(rng.choice(words) for _ in range(60)) for _ in range(300))
    new = "\n\n".join(" ".join(rng.choice(words) for _ in range(60)) for _ in range(300))
    for timeout in (0.001, 2.0):
        diff = diff_texts(old, new, timeout=timeout)
        assert_consistent(diff, old, new)
        assert diff.change_class == "substantive"


def test_unrelated_texts_are_deterministic_under_the_step_budget():
    rng = random.Random(3)
    paragraphs = [f"Paragraph {i} says {rng.random()} about data." for i in range(400)]
    old = "\n\n".join(paragraphs)
    rng.shuffle(paragraphs)
    new = "\n\n".join(paragraphs)
    first = diff_texts(old, new, timeout=30)
    assert first == diff_texts(old, new, timeout=30)
    assert_consistent(first, old, new)


# --------------------------------------------------------------------------- real corpus


@cache
def _manifest(corpus: Path) -> dict[str, dict]:
    entries = json.loads((corpus / "versions" / "manifest.json").read_text())
    return {e["path"]: e for e in entries}


def real_pair(corpus: Path, relative: str) -> tuple[str, str]:
    """(previous, this) texts of a corpus version, e.g. 'LinkedIn/Privacy-Policy/<date>.md'."""
    entry = _manifest(corpus)[f"corpus/versions/{relative}"]
    shared = corpus.parent
    return (shared / entry["previous_path"]).read_text(), (shared / entry["path"]).read_text()


def test_linkedin_2024_ai_training_change(corpus_dir):
    old, new = real_pair(corpus_dir, "LinkedIn/Privacy-Policy/2024-09-19T06-10-13Z.md")
    diff = diff_texts(old, new)
    assert_consistent(diff, old, new)
    assert diff.change_class == "substantive"
    assert "train artificial intelligence" in diff.added_text()
    assert "train artificial intelligence" not in old
    # The old sentence's distinctive words are reported removed, not the whole policy.
    assert diff.removed_chars < len(old) // 4
    assert diff.added_lines >= 10 and diff.removed_lines >= 10


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("Facebook/Terms-of-Service/2023-04-25T12-30-21Z.md", "date-only"),  # Date of Last Revision
        ("Twitter/Privacy-Policy/2024-03-25T18-46-04Z.md", "date-only"),  # Effective: ...
        ("Microsoft-Copilot/Privacy-Policy/2026-07-31T07-07-08Z.md", "date-only"),  # + "New"
        ("Reddit/Privacy-Policy/2024-05-09T18-41-28Z.md", "links-only"),
        ("Google/Privacy-Policy/2023-10-31T19-15-18Z.md", "links-only"),
        ("Google/Privacy-Policy/2024-01-26T18-34-39Z.md", "links-only"),  # PDF link with a date
        ("Facebook/Terms-of-Service/2025-11-07T00-30-34Z.md", "links-only"),  # entry_point params
        ("Discord/Privacy-Policy/2025-05-15T18-04-56Z.md", "formatting"),  # **Welcome!**
        ("Discord/Privacy-Policy/2026-02-20T00-37-15Z.md", "formatting"),  # zero-width joiners
        ("ChatGPT/Privacy-Policy/2026-07-25T07-00-24Z.md", "formatting"),  # won't -> won’t
        ("Facebook/Terms-of-Service/2022-09-28T00-30-15Z.md", "formatting"),  # bullets + CDN
        ("Google/Terms-of-Service/2024-03-29T00-35-47Z.md", "substantive"),  # phone number
        ("Meta-AI/Terms-of-Service/2026-04-21T10-32-37Z.md", "substantive"),  # "Effective" added
        ("Instagram/Privacy-Policy/2026-08-22T00-39-56Z.md", "substantive"),  # dated line removed
        ("LinkedIn/Service-Terms/2025-09-25T06-13-50Z.md", "substantive"),  # date + new clause
        ("Reddit/Terms-of-Service/2026-04-01T00-48-48Z.md", "substantive"),  # dates + bots clause
    ],
)
def test_real_pairs_classified(corpus_dir, relative, expected):
    old, new = real_pair(corpus_dir, relative)
    diff = diff_texts(old, new)
    assert_consistent(diff, old, new)
    assert diff.change_class == expected


def test_real_date_only_change_shows_just_the_dates(corpus_dir):
    old, new = real_pair(corpus_dir, "Twitter/Privacy-Policy/2024-03-25T18-46-04Z.md")
    diff = diff_texts(old, new)
    assert diff.added_text() == "September 29, 2023"
    assert diff.removed_text() == "March 13, 2024"


def test_technical_upgrades_are_often_formatting(corpus_dir):
    """OTA re-extractions mostly change layout; the classifier must recognise that."""
    manifest = _manifest(corpus_dir)
    classes = []
    for path, entry in manifest.items():
        if entry["change_kind"] != "technical-upgrade":
            continue
        relative = path.removeprefix("corpus/versions/")
        classes.append(classify_change(*real_pair(corpus_dir, relative)))
    noise = sum(1 for c in classes if c in ("formatting", "links-only"))
    assert len(classes) >= 50
    assert noise >= len(classes) * 0.4, classes
    # Specific known re-extractions that only changed layout.
    for relative in (
        "LinkedIn/Privacy-Policy/2022-09-20T15-22-00Z.md",
        "Google/Terms-of-Service/2025-09-23T07-38-52Z.md",
        "Reddit/Privacy-Policy/2025-09-23T07-41-17Z.md",
    ):
        assert classify_change(*real_pair(corpus_dir, relative)) == "formatting", relative


def test_identical_consecutive_files_in_the_corpus_are_none(corpus_dir):
    old, new = real_pair(corpus_dir, "Instagram/Privacy-Policy/2024-02-20T12-32-00Z.md")
    assert old == new
    assert diff_texts(old, new).change_class == "none"


@pytest.mark.slow
def test_every_real_consecutive_pair_is_consistent(corpus_dir):
    """All ~500 consecutive version pairs: ops rebuild both texts, counts and class agree."""
    seen = set()
    for path, entry in _manifest(corpus_dir).items():
        if not entry["previous_path"]:
            continue
        old, new = real_pair(corpus_dir, path.removeprefix("corpus/versions/"))
        diff = diff_texts(old, new)
        assert_consistent(diff, old, new)
        seen.add(diff.change_class)
        if old != new:
            assert diff.changed and (diff.added_chars or diff.removed_chars)
    assert seen == set(CHANGE_CLASSES)


def test_same_ops_in_fresh_processes_with_different_hash_seeds(tmp_path):
    """Deterministic across runs: no dependence on set/dict order under hash randomisation."""
    import hashlib
    import os
    import subprocess
    import sys

    rng = random.Random(11)
    words = [
        "we",
        "may",
        "use",
        "share",
        "your",
        "data",
        "content",
        "to",
        "train",
        "improve",
        "our",
        "models",
        "and",
        "services",
    ]
    paragraphs = [" ".join(rng.choice(words) for _ in range(40)) + "." for _ in range(150)]
    old = "\n\n".join(paragraphs)
    for i in range(0, 150, 7):
        paragraphs[i] = " ".join(rng.choice(words) for _ in range(40)) + "."
    new = "\n\n".join(paragraphs)
    (tmp_path / "old.txt").write_text(old)
    (tmp_path / "new.txt").write_text(new)
    script = (
        "import hashlib, sys; from monitor.diff import diff_texts; "
        f"d = diff_texts(open({str(tmp_path / 'old.txt')!r}).read(), "
        f"open({str(tmp_path / 'new.txt')!r}).read()); "
        "print(hashlib.sha256(repr(d).encode()).hexdigest())"
    )
    digests = set()
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1
    assert digests == {hashlib.sha256(repr(diff_texts(old, new)).encode()).hexdigest()}


def test_importing_diff_and_render_does_not_load_diff_match_patch():
    """The CLI imports these modules; the heavy library must wait until a diff is computed."""
    import subprocess
    import sys

    script = (
        "import sys, monitor.diff, monitor.render_diff; "
        "assert 'diff_match_patch' not in sys.modules, 'imported eagerly'; "
        "monitor.diff.diff_texts('a', 'b'); "
        "assert 'diff_match_patch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
