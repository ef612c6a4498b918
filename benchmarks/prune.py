"""`policywatch db prune` at scale: a year of noisy fetches, then one prune.

    python benchmarks/prune.py                     # 1,000 documents x 50 snapshots, SQLite
    python benchmarks/prune.py --snapshots 20
    python benchmarks/prune.py --database-url postgresql://postgres@127.0.0.1/pwbench  # empty DB

Every snapshot has its own 3 KB body (a page whose CSRF token changes at every fetch), every
fetch an outcome, each document one version. All but each document's first and newest
snapshots are old and unneeded. Prints the time of a dry run and of the real prune.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fill(db_url: str, documents: int, per_document: int) -> None:
    from sqlalchemy import insert

    from monitor.db import make_engine, upgrade
    from monitor.models import Blob, CrawlRun, Document, FetchOutcome, Snapshot, Version, utcnow

    engine = make_engine(db_url)
    upgrade(engine)
    old = utcnow() - timedelta(days=60)
    blobs, snapshots, outcomes, versions = [], [], [], []
    sid = 0
    for doc in range(1, documents + 1):
        for k in range(per_document):
            sid += 1
            digest = hashlib.sha256(f"{doc}-{k}".encode()).hexdigest()
            blobs.append(
                {"sha256": digest, "size": 30_000, "compression": "lz4", "data": os.urandom(3000)}
            )
            snapshots.append(
                {
                    "id": sid,
                    "document_id": doc,
                    "run_id": 1,
                    "fetched_at": old,
                    "url": "https://example.com/privacy",
                    "final_url": "https://example.com/privacy",
                    "status": 200,
                    "sha256": digest,
                    "processed_at": old,
                }
            )
            outcomes.append(
                {
                    "run_id": 1,
                    "document_id": doc,
                    "outcome": "unchanged" if k else "new",
                    "snapshot_id": sid,
                    "at": old,
                }
            )
        versions.append(
            {
                "document_id": doc,
                "number": 1,
                "snapshot_id": sid - per_document + 1,
                "fetched_at": old,
                "text": "policy text",
                "text_sha256": "0" * 64,
                "technical": False,
            }
        )
    with engine.begin() as conn:
        conn.execute(
            insert(CrawlRun),
            [{"id": 1, "started_at": old, "status": "ok", "trigger": "cli", "services": "bench"}],
        )
        conn.execute(
            insert(Document),
            [
                {
                    "id": d,
                    "service": "bench",
                    "kind": f"doc-{d}",
                    "title": "Doc",
                    "url": "https://example.com/privacy",
                }
                for d in range(1, documents + 1)
            ],
        )
        for start in range(0, len(blobs), 5000):
            conn.execute(insert(Blob), blobs[start : start + 5000])
        conn.execute(insert(Snapshot), snapshots)
        conn.execute(insert(FetchOutcome), outcomes)
        conn.execute(insert(Version), versions)
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--snapshots", type=int, default=50, help="per document")
    ap.add_argument(
        "--database-url", default=None, help="an empty database (default: a new SQLite file)"
    )
    args = ap.parse_args()
    workdir = None if args.database_url else tempfile.mkdtemp(prefix="pw-prune-bench-")
    url = args.database_url or f"sqlite:///{workdir}/prune.db"

    from monitor import store
    from monitor.db import make_engine
    from monitor.models import utcnow

    t0 = time.perf_counter()
    fill(url, args.documents, args.snapshots)
    total = args.documents * args.snapshots
    print(
        f"filled {total:,} snapshots over {args.documents:,} documents in {time.perf_counter() - t0:.1f} s"
    )
    engine = make_engine(url)
    maker = store.session_factory(engine)
    for dry in (True, False):
        t0 = time.perf_counter()
        with maker() as session, session.begin():
            report = store.prune_snapshots(session, utcnow() - timedelta(days=30), dry_run=dry)
        print(
            f"{'dry run' if dry else 'prune':8} {report.snapshots:,} snapshots, {report.blobs:,} bodies, "
            f"{report.stored_bytes / 1e6:.0f} MB: {time.perf_counter() - t0:.2f} s"
        )
    engine.dispose()
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
