"""Replay the real histories in ../shared/corpus/versions through ``findings_for_change``.

Pure (no database): consecutive files of each document are read in ``source_seq`` order,
checked against the manifest's ``previous_path``, and compared. The ground-truth pairs
(versions/ai-ground-truth.json) say which changes must raise AI findings and which must not
raise high-severity ones. Versions produced by OTA re-extraction (``technical-upgrade``) are
replayed too but never alert in the product (their Version is ``technical=True``), so they are
left out of the spurious-alert count. Clauses that come back after an absence (captures that
flap between page variants) are passed as ``previously_seen``, as the tracker can.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.findings import FindingData, clause_keys, findings_for_change

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Pair:
    service: str
    document: str
    old_path: str
    new_path: str
    change_kind: str
    findings: tuple[FindingData, ...]


@pytest.fixture(scope="module")
def replay(corpus_dir: Path) -> dict[tuple[str, str], Pair]:
    shared = corpus_dir.parent
    manifest = json.loads((corpus_dir / "versions" / "manifest.json").read_text(encoding="utf-8"))
    documents: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for entry in manifest:
        documents[(entry["service"], entry["terms_type"])].append(entry)
    pairs: dict[tuple[str, str], Pair] = {}
    for (service, document), entries in sorted(documents.items()):
        entries.sort(key=lambda e: e["source_seq"])
        seen: frozenset[str] = frozenset()
        previous: tuple[str, str] | None = None
        for entry in entries:
            text = (shared / entry["path"]).read_text(encoding="utf-8")
            if previous is None:
                assert entry["previous_path"] is None
            else:
                assert entry["previous_path"] == previous[0]
                found = findings_for_change(previous[1], text, previously_seen=seen)
                pairs[(previous[0], entry["path"])] = Pair(
                    service,
                    document,
                    previous[0],
                    entry["path"],
                    entry["change_kind"],
                    tuple(found),
                )
                seen = seen | clause_keys(previous[1])
            previous = (entry["path"], text)
    return pairs


@pytest.fixture(scope="module")
def ground_truth(corpus_dir: Path) -> list[dict]:
    return json.loads(
        (corpus_dir / "versions" / "ai-ground-truth.json").read_text(encoding="utf-8")
    )


def _high(pair: Pair) -> list[FindingData]:
    return [f for f in pair.findings if f.severity == "high"]


def test_every_ai_training_pair_raises_a_finding(replay, ground_truth) -> None:
    labelled = [g for g in ground_truth if g["label"] == "ai-training"]
    assert len(labelled) >= 10
    missed = [
        g["new_path"] for g in labelled if not replay[(g["old_path"], g["new_path"])].findings
    ]
    print(f"ai-training pairs with a finding: {len(labelled) - len(missed)}/{len(labelled)}")
    assert missed == []


def test_no_not_ai_pair_raises_a_high_finding(replay, ground_truth) -> None:
    labelled = [g for g in ground_truth if g["label"] == "not-ai"]
    offending = {
        g["new_path"]: [f.after or f.before for f in _high(replay[(g["old_path"], g["new_path"])])]
        for g in labelled
    }
    offending = {k: v for k, v in offending.items() if v}
    print(f"not-ai pairs: {len(labelled)}, with a high finding: {len(offending)}")
    assert offending == {}


def test_the_named_ai_changes(replay) -> None:
    linkedin = replay[
        (
            "corpus/versions/LinkedIn/Privacy-Policy/2024-08-01T18-10-11Z.md",
            "corpus/versions/LinkedIn/Privacy-Policy/2024-09-19T06-10-13Z.md",
        )
    ]
    assert any(
        "develop and train artificial intelligence (AI) models" in (f.after or "")
        for f in _high(linkedin)
    )
    google = replay[
        (
            "corpus/versions/Google/Privacy-Policy/2023-01-19T06-43-23Z.md",
            "corpus/versions/Google/Privacy-Policy/2023-06-29T18-34-22Z.md",
        )
    ]
    [widened] = [f for f in google.findings if f.kind == "widened"]
    assert "language models" in widened.before
    assert "AI models" in widened.after and "Bard" in widened.after
    assert widened.severity == "high" and "Bard" in widened.explanation
    reddit = replay[
        (
            "corpus/versions/Reddit/Terms-of-Service/2024-02-15T18-39-45Z.md",
            "corpus/versions/Reddit/Terms-of-Service/2024-08-16T18-13-33Z.md",
        )
    ]
    assert any("train AI and machine learning models" in (f.after or "") for f in _high(reddit))


def test_spurious_high_findings_stay_below_one_per_ten_versions(
    replay, ground_truth, corpus_dir
) -> None:
    """Documents with hand-reviewed ground truth: a high finding outside an ``ai-training``
    pair counts as spurious. Elsewhere every high finding is counted (an upper bound: most are
    real AI changes of Meta, OpenAI, Google Gemini and Microsoft, see the issue note)."""
    manifest = json.loads((corpus_dir / "versions" / "manifest.json").read_text(encoding="utf-8"))
    versions = Counter((e["service"], e["terms_type"]) for e in manifest)
    reviewed_docs = {(g["service"], g["terms_type"]) for g in ground_truth}
    ai_pairs = {(g["old_path"], g["new_path"]) for g in ground_truth if g["label"] == "ai-training"}
    alerting = [p for p in replay.values() if p.change_kind != "technical-upgrade"]
    reviewed = [p for p in alerting if (p.service, p.document) in reviewed_docs]
    spurious = sum(len(_high(p)) for p in reviewed if (p.old_path, p.new_path) not in ai_pairs)
    reviewed_versions = sum(n for doc, n in versions.items() if doc in reviewed_docs)
    others = [p for p in alerting if (p.service, p.document) not in reviewed_docs]
    other_high = sum(len(_high(p)) for p in others)
    other_versions = sum(n for doc, n in versions.items() if doc not in reviewed_docs)
    severities = Counter(f.severity for p in replay.values() for f in p.findings)
    print(
        f"\nreplayed pairs: {len(replay)}; findings by severity: {dict(severities)}"
        f"\nreviewed documents: {spurious} spurious high findings in {reviewed_versions} versions"
        f"\nother documents: {other_high} high findings (real or not) in {other_versions} versions"
        f" across {sum(1 for p in others if _high(p))} changes"
    )
    assert spurious <= reviewed_versions / 10
    assert spurious + other_high <= sum(versions.values()) / 5  # loose bound incl. real changes
