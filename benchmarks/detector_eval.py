"""Score ``policywatch classify`` on the labelled dev sentences (issue 3, "Measure").

    /work/venv/bin/python benchmarks/detector_eval.py [--corpus PATH] [--misses]

Runs the real ``classify`` command (through click's test runner, in-process) on
``../shared/corpus/clauses-dev.jsonl`` and prints precision, recall and F1 overall, for the
two halves the rules were designed and checked on (even lines = design half A, odd lines =
held-out half B), per labelled category, and the share of ``hard-negative`` sentences flagged.
It also prints the accuracy on our own sentences (tests/unit/test_detect_own_sentences.py) and
the classification speed.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from click.testing import CliRunner  # noqa: E402

from monitor.cli.classify_cmd import classify  # noqa: E402

DEFAULT_CORPUS = Path(os.environ.get("POLICYWATCH_SHARED", REPO.parent / "shared")) / "corpus"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(rows: list[dict], preds: list[bool]) -> tuple[int, int, int, int]:
    tp = fp = fn = tn = 0
    for row, pred in zip(rows, preds, strict=True):
        if pred and row["label"]:
            tp += 1
        elif pred:
            fp += 1
        elif row["label"]:
            fn += 1
        else:
            tn += 1
    return tp, fp, fn, tn


def line(name: str, rows: list[dict], preds: list[bool]) -> str:
    tp, fp, fn, tn = score(rows, preds)
    p, r, f = prf(tp, fp, fn)
    return f"{name:<22} n={len(rows):<4} P={p:.3f} R={r:.3f} F1={f:.3f}  (tp={tp} fp={fp} fn={fn} tn={tn})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--misses", action="store_true", help="print the misclassified sentences")
    args = parser.parse_args()
    path = args.corpus / "clauses-dev.jsonl"
    if not path.is_file():
        print(f"dev set not found: {path}", file=sys.stderr)
        return 1
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    stdin = "".join(json.dumps({"text": r["text"]}) + "\n" for r in rows)

    started = time.perf_counter()
    result = CliRunner().invoke(classify, [], input=stdin)
    elapsed = time.perf_counter() - started
    if result.exit_code != 0:
        print(result.output, file=sys.stderr)
        return 1
    out = [json.loads(x) for x in result.output.splitlines() if x.strip()]
    assert len(out) == len(rows)
    preds = [bool(o["ai_training"]) for o in out]

    print(f"clauses-dev.jsonl: {len(rows)} sentences, {sum(r['label'] for r in rows)} positive")
    print(line("overall", rows, preds))
    for half, name in ((0, "half A (design)"), (1, "half B (held out)")):
        idx = [i for i in range(len(rows)) if i % 2 == half]
        print(line(name, [rows[i] for i in idx], [preds[i] for i in idx]))

    print("\nper labelled category:")
    by_cat: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_cat[r["category"]].append(i)
    for cat, idx in sorted(by_cat.items()):
        flagged = sum(preds[i] for i in idx)
        if rows[idx[0]]["label"]:
            same = sum(1 for i in idx if preds[i] and out[i]["category"] == cat)
            print(
                f"  {cat:<30} n={len(idx):<3} recall={flagged / len(idx):.3f}"
                f"  category agrees={same}/{flagged}"
            )
        else:
            print(f"  {cat:<30} n={len(idx):<3} flagged={flagged} ({flagged / len(idx):.1%})")
    hard = by_cat.get("hard-negative", [])
    if hard:
        share = sum(preds[i] for i in hard) / len(hard)
        print(f"\nhard-negative sentences flagged: {share:.1%}")

    own = runpy.run_path(str(REPO / "tests" / "unit" / "test_detect_own_sentences.py"))
    correct, total, misses = own["own_accuracy"]()
    print(f"own sentences (tests/unit): {correct}/{total} = {correct / total:.3f}")
    print(f"classify command: {len(rows)} sentences in {elapsed * 1000:.0f} ms")

    if args.misses:
        print("\nmisses:")
        for i, (r, o) in enumerate(zip(rows, out, strict=True)):
            if bool(o["ai_training"]) != bool(r["label"]):
                kind = "FP" if o["ai_training"] else "FN"
                print(f"  {kind} #{i} [{r['category']}] {o['signals']}: {r['text'][:160]}")
        for text, label, _got in misses:
            print(f"  own label={label}: {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
