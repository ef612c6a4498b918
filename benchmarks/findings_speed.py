"""Time segmentation, alignment and findings on real ~100 KB policies (issue 3, "Measure").

    /work/venv/bin/python benchmarks/findings_speed.py [--corpus PATH]

Prints, for the consecutive corpus pairs closest to 100 KB: the time of
``findings_for_change`` (cold: nothing cached), of ``segment`` and of ``align``; then the
crawl's common case, one paragraph inserted into or deleted from a ~100 KB corpus version,
next to the reference computation ``findings._findings_full`` (both versions segmented in
full, every clause aligned); then ``align`` on two synthetic 1,500-clause documents, and
``classify`` per clause over a whole policy. Figures are medians of several runs of process CPU
time (wall-clock time on a shared machine mostly measures the other processes); nothing here is
asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitor import detect, findings, segment  # noqa: E402
from monitor.align import align  # noqa: E402
from monitor.detect import classify  # noqa: E402
from monitor.segment import Clause  # noqa: E402

DEFAULT_CORPUS = Path(os.environ.get("POLICYWATCH_SHARED", REPO.parent / "shared")) / "corpus"


def clear_caches() -> None:
    """Cold runs: forget every memo the pipeline keeps between calls."""
    findings.clear_caches()
    segment.comparable.cache_clear()
    detect._analyse.cache_clear()
    detect._verdict.cache_clear()
    detect._relevant.cache_clear()


def median_ms(
    fn: Callable[[], object],
    runs: int = 5,
    cold: bool = True,
    setup: Callable[[], object] | None = None,
) -> float:
    times = []
    for _ in range(runs):
        if cold:
            clear_caches()
        if setup is not None:
            setup()
        started = time.process_time()
        fn()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


AI_PARAGRAPH = (
    "We may use the content you share with us to train our artificial intelligence models."
)
_PARAGRAPH = re.compile(r"(?m)^[A-Z][^\n]{79,}\n\n")


def one_paragraph_edits(text: str) -> tuple[str, str]:
    """(text with a paragraph inserted after its middle paragraph, text without that one),
    as ``benchmarks/pipeline.py`` edits its pages."""
    paragraphs = list(_PARAGRAPH.finditer(text))
    m = paragraphs[len(paragraphs) // 2]
    inserted = text[: m.end()] + AI_PARAGRAPH + "\n\n" + text[m.end() :]
    deleted = text[: m.start()] + text[m.end() :]
    return inserted, deleted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    manifest_path = args.corpus / "versions" / "manifest.json"
    if not manifest_path.is_file():
        print(f"corpus not found: {manifest_path}", file=sys.stderr)
        return 1
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    shared = args.corpus.parent
    pairs = [e for e in manifest if e["previous_path"] and not e["degenerate"]]
    pairs.sort(key=lambda e: abs(e["bytes"] - 100_000))
    classify("warm up the compiled rules")

    print("findings_for_change on real consecutive versions (cold caches, median of 5):")
    for entry in pairs[:4] + [max(pairs, key=lambda e: e["bytes"])]:
        old = (shared / entry["previous_path"]).read_text(encoding="utf-8")
        new = (shared / entry["path"]).read_text(encoding="utf-8")
        old_c, new_c = segment.segment(old), segment.segment(new)
        total = median_ms(lambda old=old, new=new: findings.findings_for_change(old, new))
        seg = median_ms(lambda new=new: segment.segment(new))
        ali = median_ms(lambda a=old_c, b=new_c: align(a, b))
        print(
            f"  {entry['path'].split('versions/')[1]:<62} {len(old) // 1000:>4}/{len(new) // 1000:<4} KB"
            f" {len(old_c):>5}/{len(new_c):<5} clauses  findings {total:7.1f} ms"
            f"  (segment one {seg:6.1f} ms, align {ali:6.1f} ms)"
        )

    print(
        "\none paragraph inserted / deleted in a ~100 KB version (median of 7; cold: caches"
        " cleared; warm: the old version\nwas the new one of the previous call; full:"
        " _findings_full, cold):"
    )
    for entry in pairs[:4]:
        text = (shared / entry["path"]).read_text(encoding="utf-8")
        inserted, deleted = one_paragraph_edits(text)
        figures = []
        for edited in (inserted, deleted):
            fast = median_ms(lambda a=text, b=edited: findings.findings_for_change(a, b), 7)
            warm = median_ms(
                lambda a=text, b=edited: findings.findings_for_change(a, b),
                7,
                setup=lambda a=text: findings.findings_for_change(a, a),
            )
            full = median_ms(lambda a=text, b=edited: findings._findings_full(a, b), 7)
            same = findings.findings_for_change(text, edited) == findings._findings_full(
                text, edited
            )
            figures.append(
                f"cold {fast:5.1f} warm {warm:4.1f} full {full:5.1f} ms"
                + ("" if same else " DIFFERENT")
            )
        print(
            f"  {entry['path'].split('versions/')[1]:<50} {len(text) // 1000:>4} KB"
            f"  inserted: {figures[0]}   deleted: {figures[1]}"
        )

    old_syn = [
        Clause(
            f"Clause {i} describes topic {i % 97} with words w{i} x{i * 3} y{i % 13}.",
            (),
            "sentence",
            i,
        )
        for i in range(1500)
    ]
    new_texts = [c.text for c in old_syn]
    for k in range(0, 1500, 50):  # 30 rewordings, 10 insertions, 10 deletions
        new_texts[k] = new_texts[k].replace("describes", "now covers")
    for k in range(10):
        new_texts.insert(100 * k + 7, f"Inserted clause {k} about something unrelated.")
        del new_texts[100 * k + 60]
    new_syn = [Clause(t, (), "sentence", i) for i, t in enumerate(new_texts)]
    print(
        f"\nalign 1500 x 1500 synthetic clauses: {median_ms(lambda: align(old_syn, new_syn)):.1f} ms (cold)"
    )

    text = (shared / pairs[0]["path"]).read_text(encoding="utf-8")
    clauses = segment.segment(text)
    clear_caches()
    started = time.process_time()
    verdicts = [classify(c.text, c.heading_path) for c in clauses]
    elapsed = (time.process_time() - started) * 1000
    flagged = sum(v.ai_training for v in verdicts)
    print(
        f"classify every clause of one policy: {len(clauses)} clauses in {elapsed:.1f} ms"
        f" ({elapsed * 1000 / len(clauses):.0f} µs each, {flagged} AI-training clauses)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
