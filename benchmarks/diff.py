"""Diff and rendering speed on ~200 KB real policies with scattered edits (issue 6, item 6).

Run:  python benchmarks/diff.py [--runs 9] [--shared ../shared]

What it measures, on this machine, one process, median of ``--runs`` runs each:

1. Two real ~200 KB policies from ``../shared/corpus/versions`` (Meta's US privacy policy as
   served, and two consecutive Google privacy policy versions joined), each edited in 20
   places spread through the text: 7 sentences inserted (real AI-clause sentences from
   ``clauses-dev.jsonl``), 7 sentences changed (a few words replaced), 6 sentences deleted.
   Timed: ``diff_texts`` (target <= 50 ms), ``classify_change`` alone, and each renderer both
   end to end (it diffs itself) and given the precomputed diff (rendering alone).
2. A real revision of the same size (two consecutive Meta privacy policy versions).
3. Worst cases that the step budget and the timeout must bound: two unrelated 200 KB
   policies, and one policy against itself with its paragraphs shuffled.

It also checks what it times: every inserted sentence must be found in ``added_text()``,
every deleted one in ``removed_text()``, and the ops must rebuild both texts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitor.diff import DELETE, INSERT, classify_change, diff_texts  # noqa: E402
from monitor.render_diff import (  # noqa: E402
    render_html,
    render_markdown,
    render_terminal,
    render_unified,
    word_diff_segments,
)

TARGET_BYTES = 200_000
EDITS = 20
SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def shared_dir(arg: str | None) -> Path:
    path = Path(arg or os.environ.get("POLICYWATCH_SHARED", REPO.parent / "shared"))
    if not (path / "corpus" / "versions" / "manifest.json").is_file():
        sys.exit(f"corpus not found under {path} (use --shared or POLICYWATCH_SHARED)")
    return path


def read(shared: Path, relative: str) -> str:
    return (shared / "corpus" / "versions" / relative).read_text(encoding="utf-8")


def trim(text: str, size: int = TARGET_BYTES) -> str:
    """Cut at the last paragraph break before ``size`` characters (texts are mostly ASCII)."""
    if len(text) <= size:
        return text
    cut = text.rfind("\n\n", 0, size)
    return text[: cut + 1] if cut > 0 else text[:size]


def real_sentences(shared: Path) -> list[str]:
    lines = (shared / "corpus" / "clauses-dev.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [r["text"] for r in rows if r["label"] == 1 and 60 <= len(r["text"]) <= 400]


def scatter_edits(text: str, inserts: list[str], seed: int = 20) -> tuple[str, dict[str, list]]:
    """Apply EDITS sentence edits to paragraphs spread evenly through ``text``."""
    rng = random.Random(seed)
    paragraphs = text.split("\n\n")
    candidates = [
        i
        for i, p in enumerate(paragraphs)
        if len(SENTENCE_RE.split(p.strip())) >= 3 and not p.lstrip().startswith(("#", "|"))
    ]
    if len(candidates) < EDITS:
        sys.exit("not enough multi-sentence paragraphs to edit")
    step = len(candidates) / EDITS
    chosen = [candidates[int(step * k + step / 2)] for k in range(EDITS)]
    done: dict[str, list] = {"inserted": [], "changed": [], "deleted": []}
    for k, index in enumerate(chosen):
        sentences = SENTENCE_RE.split(paragraphs[index].strip())
        indent = paragraphs[index][: len(paragraphs[index]) - len(paragraphs[index].lstrip())]
        kind = (
            ("inserted", "changed", "deleted")[k % 3] if k < 18 else ("inserted", "changed")[k % 2]
        )
        position = rng.randrange(1, len(sentences))
        if kind == "inserted":
            sentence = inserts[k % len(inserts)]
            sentences.insert(position, sentence)
            done["inserted"].append(sentence)
        elif kind == "changed":
            words = sentences[position].split(" ")
            at = rng.randrange(0, max(1, len(words) - 3))
            words[at : at + 2] = ["together", "with", "our", "partners"]
            done["changed"].append(" ".join(words))
            sentences[position] = " ".join(words)
        else:
            done["deleted"].append(sentences.pop(position))
        paragraphs[index] = indent + " ".join(sentences)
    return "\n\n".join(paragraphs), done


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, float, float]:
    """(median wall, min wall, max wall, median CPU) in milliseconds.

    CPU time (this process) is shown beside wall time because the machine may be shared: when
    other work competes for the cores, wall time grows while CPU time stays put.
    """
    walls, cpus = [], []
    for _ in range(runs):
        cpu, start = time.process_time(), time.perf_counter()
        fn()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), min(walls), max(walls), statistics.median(cpus)


def row(label: str, figures: tuple[float, float, float, float], note: str = "") -> None:
    median, low, high, cpu = figures
    print(
        f"  {label:<44} {median:8.1f} ms wall (min {low:7.1f}, max {high:7.1f}), "
        f"{cpu:7.1f} ms CPU{note}"
    )


def check(old: str, new: str, done: dict[str, list] | None = None) -> str:
    diff = diff_texts(old, new)
    rebuilt_old = "".join(t for op, t in diff.ops if op != INSERT)
    rebuilt_new = "".join(t for op, t in diff.ops if op != DELETE)
    assert rebuilt_old == old and rebuilt_new == new, "ops do not rebuild the texts"
    if done is None:
        return (
            f"{diff.change_class}, +{diff.added_chars}/-{diff.removed_chars} chars, "
            f"{len(diff.ops)} ops"
        )
    added, removed = diff.added_text(), diff.removed_text()
    found = sum(1 for s in done["inserted"] if s in added)
    found += sum(1 for s in done["deleted"] if s in removed)
    found += sum(1 for s in done["changed"] if "together with our partners" in s)
    return (
        f"{diff.change_class}, +{diff.added_chars}/-{diff.removed_chars} chars, "
        f"{diff.added_lines}/{diff.removed_lines} lines changed, edits recovered "
        f"{found}/{EDITS}"
    )


def bench_document(name: str, old: str, new: str, runs: int, done: dict | None) -> float:
    print(f"\n{name}: {len(old.encode()) / 1000:.0f} KB -> {len(new.encode()) / 1000:.0f} KB")
    print(f"  result: {check(old, new, done)}")
    diff_figures = timed(lambda: diff_texts(old, new), runs)
    verdict = "  (target <= 50 ms: OK)" if diff_figures[0] <= 50 else "  (target <= 50 ms: MISSED)"
    row("diff_texts", diff_figures, verdict)
    row("classify_change (alone)", timed(lambda: classify_change(old, new), runs))
    text_diff = diff_texts(old, new)
    renderers: list[tuple[str, Callable[..., str]]] = [
        ("render_terminal(color=True)", lambda **kw: render_terminal(old, new, color=True, **kw)),
        ("render_terminal(color=False)", lambda **kw: render_terminal(old, new, color=False, **kw)),
        ("render_markdown", lambda **kw: render_markdown(old, new, title=name, **kw)),
        ("render_html", lambda **kw: render_html(old, new, title=name, **kw)),
    ]
    for label, render in renderers:
        row(f"{label} end to end", timed(render, runs))
        row(f"{label} given the diff", timed(lambda r=render: r(text_diff=text_diff), runs))
    row(
        "render_unified (line diff + format)",
        timed(lambda: render_unified(old, new, from_label="a", to_label="b"), runs),
    )
    return diff_figures[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per figure (median shown)")
    parser.add_argument("--shared", help="path of the shared folder (default ../shared)")
    args = parser.parse_args()
    shared = shared_dir(args.shared)
    inserts = real_sentences(shared)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"policywatch diff benchmark · Python {platform.python_version()} · "
        f"{os.cpu_count()} CPUs (load {load:.1f}) · {args.runs} runs per figure, medians"
    )
    meta = trim(read(shared, "Facebook/Privacy-Policy-US/2026-07-07T12-54-03Z.md"))
    google = trim(
        read(shared, "Google/Privacy-Policy/2026-05-05T12-39-52Z.md")
        + "\n"
        + read(shared, "Google/Privacy-Policy/2026-05-26T12-41-45Z.md")
    )
    medians = []
    for name, base in (("Meta privacy policy (US)", meta), ("Google privacy policy x2", google)):
        edited, done = scatter_edits(base, inserts)
        medians.append(bench_document(f"{name}, 20 scattered edits", base, edited, args.runs, done))

    real_old = trim(read(shared, "Facebook/Privacy-Policy-US/2026-07-06T00-53-30Z.md"))
    real_new = trim(read(shared, "Facebook/Privacy-Policy-US/2026-07-07T12-54-03Z.md"))
    print("\nReal revision (Meta US privacy policy, 2026-07-06 -> 2026-07-07)")
    print(f"  result: {check(real_old, real_new)}")
    row("diff_texts", timed(lambda: diff_texts(real_old, real_new), args.runs))

    print("\nWorst cases (bounded by the step budget; timeout is the safety net)")
    unrelated = trim(read(shared, "Microsoft-Copilot/Privacy-Policy/2024-03-15T18-30-50Z.md"))
    paragraphs = meta.split("\n\n")
    random.Random(1).shuffle(paragraphs)
    shuffled = "\n\n".join(paragraphs)
    worst_runs = max(3, args.runs // 3)
    for label, a, b in (
        ("unrelated 200 KB policies (Meta vs Microsoft)", meta, unrelated),
        ("same policy, paragraphs shuffled", meta, shuffled),
    ):
        print(f"  {label}: {check(a, b)}")
        row("  diff_texts (timeout=2.0)", timed(lambda a=a, b=b: diff_texts(a, b), worst_runs))
        row(
            "  diff_texts (timeout=0.2)",
            timed(lambda a=a, b=b: diff_texts(a, b, timeout=0.2), worst_runs),
        )
        row(
            "  render_html end to end",
            timed(lambda a=a, b=b: render_html(a, b, title="w"), worst_runs),
        )

    clause_old = "We use your content to improve our language models and services."
    clause_new = "We use your content and activity to train our AI models and improve services."
    figures = timed(lambda: word_diff_segments(clause_old, clause_new), 200)
    print(f"\nword_diff_segments on one clause: {figures[3] * 1000:.0f} µs CPU median")
    print(
        "\nSummary: diff_texts on ~200 KB with 20 scattered edits: "
        + ", ".join(f"{m:.1f} ms" for m in medians)
        + f" (target <= 50 ms: {'OK' if max(medians) <= 50 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
