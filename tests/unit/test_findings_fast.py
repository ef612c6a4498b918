"""The fast path of ``findings_for_change`` gives exactly the findings of the full computation.

``findings_for_change`` segments the new version from the old one (``segment.resegment``),
aligns only the clauses between unchanged runs (``align.align_changes`` with the
``align._opcodes`` shortcut) and reuses the clauses and keys of the unchanged parts.
``findings._findings_full`` is the plain computation it must equal, field for field, on real
histories and on single edits at every kind of place. The parts are also checked one by one
against what they replace, so that a difference points at its cause.
"""

from __future__ import annotations

import json
import random
import re
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from monitor import findings
from monitor.align import _opcodes, align, align_changes
from monitor.findings import _findings_full, clause_keys, findings_for_change
from monitor.segment import _token_before, comparable, resegment, segment, segmentation

AI_SENTENCE = (
    "We may use the content you share with us to train our artificial intelligence models."
)

POLICY = """\
Privacy Policy
==============

Effective [January 1, 2024](https://example.com/v1). Last updated 2024-01-01.

# How we use your information

We use your data to provide our services. We keep your account secure, e.g. by checking logins.

We may use your public posts to train our AI models. You can opt out of this use in your settings.

We do not use your private messages to train our AI models.

## Generative AI

We use the following information to train our generative AI models:

- your public posts and comments
- information from your profile
  - your headline
  - your photo
- content you share with Meta AI

This helps us improve our models.

1. We review your reports. Reviews take time.
2. We use machine learning to detect spam.

| Purpose | Data we use |
| --- | --- |
| To train our AI models | Posts<br>Messages you send |
| To keep you safe | Login history |

Account settings
----------------

If you delete your account, we stop using your data for training.

> Learn more in our [Help Center](https://example.com/help).

# Sharing

We share information with our affiliates and service providers.

* * *

Contact us at privacy@example.com.
"""


def _same(old: str, new: str, seen: frozenset[str] = frozenset()) -> None:
    """Fast path == full computation: from cold caches, with the old version cached (it was
    the new text of the last call), and with the new one cached (the old one is then
    resegmented from it)."""
    expected = _findings_full(old, new, previously_seen=seen)
    for cached in ((), (old,), (new,)):
        findings.clear_caches()
        for text in cached:
            findings_for_change(text, text)
        assert findings_for_change(old, new, previously_seen=seen) == expected


def _blocks(text: str) -> list[str]:
    return text.split("\n\n")


def _edits(text: str) -> list[tuple[str, str]]:
    """(label, edited text): one paragraph or line inserted, deleted or changed, everywhere."""
    blocks = _blocks(text)
    edits = []
    for k in range(len(blocks) + 1):
        for label, para in (("ai", AI_SENTENCE), ("plain", "We updated this section.")):
            edits.append(
                (f"insert {label} block {k}", "\n\n".join([*blocks[:k], para, *blocks[k:]]))
            )
    for k in range(len(blocks)):
        edits.append((f"delete block {k}", "\n\n".join(blocks[:k] + blocks[k + 1 :])))
        changed = (
            blocks[k].rstrip("\n") + " " + AI_SENTENCE + ("\n" if blocks[k].endswith("\n") else "")
        )
        edits.append((f"extend block {k}", "\n\n".join([*blocks[:k], changed, *blocks[k + 1 :]])))
    lines = text.split("\n")
    for k in range(len(lines) + 1):
        for label, line in (
            ("item", "- " + AI_SENTENCE),
            ("nested item", "  - your private messages"),
            ("heading", "## Artificial intelligence"),
            ("row", "| To train our AI models | Voice recordings |"),
        ):
            edits.append((f"insert {label} at line {k}", "\n".join([*lines[:k], line, *lines[k:]])))
    for k, line in enumerate(lines):
        edits.append((f"delete line {k}", "\n".join(lines[:k] + lines[k + 1 :])))
        if line.strip():
            reworded = line.replace("our", "our and our affiliates'", 1) + " and messages"
            edits.append((f"reword line {k}", "\n".join([*lines[:k], reworded, *lines[k + 1 :]])))
    return edits


@pytest.mark.parametrize(
    "label, edited", _edits(POLICY), ids=[label for label, _ in _edits(POLICY)]
)
def test_single_edits_anywhere_give_the_full_findings(label: str, edited: str) -> None:
    _same(POLICY, edited)
    _same(edited, POLICY)


def test_the_edits_do_produce_findings() -> None:
    # the comparison above is only worth something if the edits raise findings of many kinds
    kinds = {f.kind for _, edited in _edits(POLICY) for f in _findings_full(POLICY, edited)}
    kinds |= {f.kind for _, edited in _edits(POLICY) for f in _findings_full(edited, POLICY)}
    assert {"added", "removed", "widened", "opt-out-removed", "reworded"} <= kinds


def test_previously_seen_marks_reappearing_clauses_low_on_the_fast_path() -> None:
    without = POLICY.replace(
        "We may use your public posts to train our AI models. You can opt out of this use in "
        "your settings.\n\n",
        "",
    )
    seen = clause_keys(POLICY)
    _same(without, POLICY, seen)
    assert [f.severity for f in findings_for_change(without, POLICY, previously_seen=seen)] == [
        "low",
        "low",
    ]


def test_identical_and_unrelated_texts() -> None:
    _same(POLICY, POLICY)
    _same(POLICY, "# Terms\n\n" + AI_SENTENCE + "\n")
    _same("", POLICY)
    _same(POLICY, "")


def test_clause_keys_and_baseline_use_the_same_clauses() -> None:
    findings.clear_caches()
    assert clause_keys(POLICY) == frozenset(comparable(c.text) for c in segment(POLICY))
    edited = POLICY.replace("Sharing", "Sharing and AI")
    findings_for_change(POLICY, edited)  # edited is now resegmented from POLICY, and cached
    assert clause_keys(edited) == frozenset(comparable(c.text) for c in segment(edited))


# --------------------------------------------------------------------------- the parts


def test_resegment_equals_segment_with_random_line_edits() -> None:
    rng = random.Random(7)
    lines = POLICY.split("\n")
    snippets = [AI_SENTENCE, "", "# Heading", "- item", "  - nested", "| a | b |", "---", "Title"]
    for _ in range(400):
        edited = list(lines)
        for _ in range(rng.randint(1, 3)):
            k = rng.randint(0, len(edited))
            if rng.random() < 0.5:
                edited[k:k] = [rng.choice(snippets)]
            else:
                del edited[k : k + rng.randint(1, 3)]
        text = "\n".join(edited)
        for old, new in ((POLICY, text), (text, POLICY)):
            again = resegment(segmentation(old), new)
            full = segmentation(new)
            assert again.clauses == tuple(segment(new))
            # the checkpoints too, so that a chain of resegments stays exact
            assert again.marks == full.marks and again.mark_lines == full.mark_lines


def test_opcodes_equal_sequence_matcher_on_repetitive_sequences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full_runs = []

    class Recording(SequenceMatcher):
        def __init__(self, isjunk: None, a: list[str], b: list[str], autojunk: bool) -> None:
            full_runs.append((a, b))
            super().__init__(isjunk, a, b, autojunk)

    monkeypatch.setattr("monitor.align.SequenceMatcher", Recording)
    rng = random.Random(11)
    shortcuts = 0
    for _ in range(20000):
        alphabet = rng.choice([2, 3, 5, 40])
        a = [str(rng.randrange(alphabet)) for _ in range(rng.randint(0, 25))]
        b = list(a)
        for _ in range(rng.randint(0, 3)):
            k = rng.randint(0, len(b))
            if rng.random() < 0.5:
                b[k:k] = [str(rng.randrange(alphabet)) for _ in range(rng.randint(1, 3))]
            else:
                del b[k : k + rng.randint(1, 3)]
        expected = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        full_runs.clear()
        assert _opcodes(a, b) == expected, (a, b)
        shortcuts += (a, b) not in full_runs
    assert shortcuts > 2000  # the shortcut itself was exercised, not only the fallback


def test_align_changes_is_align_without_unchanged_and_moved() -> None:
    for _, edited in _edits(POLICY)[::7]:
        old, new = segment(POLICY), segment(edited)
        keys_old = [comparable(c.text) for c in old]
        keys_new = [comparable(c.text) for c in new]
        expected = [c for c in align(old, new) if c.kind not in ("unchanged", "moved")]
        assert align_changes(old, new, keys_old, keys_new) == expected


def test_token_before_is_the_regex_it_replaces() -> None:
    # split_sentences used re.compile(r"(\S+)$").search(text, start, end) for the word before a
    # period; _token_before must find the same word for any text, spaces and newlines included
    pattern = re.compile(r"(\S+)$")
    rng = random.Random(3)
    alphabet = ["a", "b", " ", "\t", "\n", "\r", "\u00a0", "\u2003", "\x1c", ".", "(", "é"]
    for _ in range(50000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        start = rng.randint(0, len(text))
        end = rng.randint(start, len(text))
        m = pattern.search(text, start, end)
        assert _token_before(text, start, end) == (m.group(1) if m else ""), (text, start, end)


# --------------------------------------------------------------------------- real histories

# Documents with many AI findings across their versions, and a long one with few.
DOCUMENTS = [
    "Microsoft-Copilot/Privacy-Policy",
    "Google-Generative-AI-Services/Privacy-Policy",
    "LinkedIn/European-Regional-Privacy-Notice",
    "Twitter/Terms-of-Service",
]


def _versions(corpus_dir: Path, document: str) -> list[str]:
    manifest = json.loads((corpus_dir / "versions" / "manifest.json").read_text(encoding="utf-8"))
    entries = sorted(
        (e for e in manifest if e["path"].startswith(f"corpus/versions/{document}/")),
        key=lambda e: e["source_seq"],
    )
    assert entries, document
    return [(corpus_dir.parent / e["path"]).read_text(encoding="utf-8") for e in entries]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_real_histories_give_the_full_findings(corpus_dir: Path, document: str) -> None:
    texts = _versions(corpus_dir, document)
    findings.clear_caches()
    seen: frozenset[str] = frozenset()
    count = 0
    # consecutive calls, as the tracker makes them: each old text was the last new one
    for old, new in zip(texts, texts[1:], strict=False):
        fast = findings_for_change(old, new, previously_seen=seen)
        assert fast == _findings_full(old, new, previously_seen=seen)
        count += len(fast)
        seen = seen | clause_keys(old)
    if document != "Twitter/Terms-of-Service":
        assert count  # these histories do have AI findings to compare


def test_one_paragraph_edits_of_a_long_real_policy(corpus_dir: Path) -> None:
    text = _versions(corpus_dir, "Google/Privacy-Policy")[-1]
    blocks = _blocks(text)
    assert len(text) > 50_000
    for k in (0, 1, len(blocks) // 3, len(blocks) // 2, len(blocks) - 2, len(blocks) - 1):
        inserted = "\n\n".join([*blocks[:k], AI_SENTENCE, *blocks[k:]])
        deleted = "\n\n".join(blocks[:k] + blocks[k + 1 :])
        for edited in (inserted, deleted):
            _same(text, edited)
            _same(edited, text)
