"""CLI start-up benchmark: `policywatch --help` and `history` with 100k versions stored.

    python benchmarks/cli.py            # 100,000 versions over 1,000 documents
    python benchmarks/cli.py --versions 20000
    python benchmarks/cli.py --database-url postgresql://postgres@127.0.0.1/pwbench  # empty DB

Targets (issue 6): --help <= 0.3 s, history <= 0.5 s. Prints the median of several runs of
each command as a user runs it (a fresh process each time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(db_url: str, versions: int, documents: int) -> None:
    from sqlalchemy import insert

    from monitor.db import make_engine, upgrade
    from monitor.models import Change, Document, Version

    engine = make_engine(db_url)
    upgrade(engine)
    now = datetime.now(UTC)
    per_doc = versions // documents
    with engine.begin() as conn:
        conn.execute(
            insert(Document),
            [
                {
                    "id": d + 1,
                    "service": "bench",
                    "kind": f"doc-{d}",
                    "title": f"Doc {d}",
                    "url": f"https://example.com/{d}",
                    "created_at": now,
                    "consecutive_failures": 0,
                    "tracking_broken": False,
                }
                for d in range(documents)
            ],
        )
        vid = 0
        for d in range(documents):
            rows, changes = [], []
            for n in range(per_doc):
                vid += 1
                rows.append(
                    {
                        "id": vid,
                        "document_id": d + 1,
                        "number": n + 1,
                        "fetched_at": now - timedelta(hours=6 * (per_doc - n)),
                        "created_at": now,
                        "text": f"Policy {d} version {n}. " * 40,
                        "text_sha256": f"{vid:064x}",
                        "technical": False,
                    }
                )
                changes.append(
                    {
                        "document_id": d + 1,
                        "from_version_id": vid - 1 if n else None,
                        "to_version_id": vid,
                        "detected_at": now,
                        "change_class": "substantive" if n else "first",
                        "added_chars": 40,
                        "removed_chars": 20 if n else 0,
                        "technical": False,
                        "baseline_pending": False,
                    }
                )
            conn.execute(insert(Version), rows)
            conn.execute(insert(Change), changes)
    engine.dispose()


def timed(cmd: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--versions", type=int, default=100_000)
    ap.add_argument("--documents", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--database-url",
        help="an empty database to fill and browse (default: a new SQLite file)",
    )
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pw-cli-bench-"))
    db_url = args.database_url or f"sqlite:///{tmp / 'cli.db'}"
    cfg = tmp / "pw.toml"
    lines = ["[[service]]", 'slug = "bench"', 'name = "Bench"']
    for d in range(args.documents):
        lines += ["[[service.document]]", f'kind = "doc-{d}"', f'url = "https://example.com/{d}"']
    cfg.write_text("\n".join(lines) + "\n")
    t = time.perf_counter()
    fill(db_url, args.versions, args.documents)
    print(
        f"filled {args.versions:,} versions over {args.documents:,} documents "
        f"in {time.perf_counter() - t:.1f} s ({tmp})"
    )
    env = dict(os.environ, POLICYWATCH_DATABASE_URL=db_url, POLICYWATCH_CONFIG=str(cfg))
    exe = [sys.executable, "-m", "monitor"]
    results = {
        "policywatch --help": timed(exe + ["--help"], env, args.runs),
        "policywatch history bench doc-7": timed(
            exe + ["history", "bench", "doc-7"], env, args.runs
        ),
        "policywatch history bench (latest 100)": timed(
            exe + ["history", "bench", "--limit", "100"], env, args.runs
        ),
        "policywatch history bench doc-7 --json": timed(
            exe + ["history", "bench", "doc-7", "--json"], env, args.runs
        ),
    }
    for name, secs in results.items():
        print(f"{name:<42} {secs * 1000:7.0f} ms (median of {args.runs})")


if __name__ == "__main__":
    main()
