"""The spiders' sink: writes snapshots and pending fetch outcomes, one commit per document.

Committing per document (not per run) is what makes a SIGKILL of the child lose at most the
document being written: everything committed before is processed by the parent or by the
next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from monitor import store
from spiders.base import Fetched, FetchFailed

log = logging.getLogger("policywatch.crawl")


@dataclass
class SnapshotWriter:
    maker: sessionmaker[Session]
    run_id: int
    fetched: int = 0
    failed: int = 0
    seen: set[int] = field(default_factory=set)

    def __call__(self, result: Fetched | FetchFailed) -> None:
        job = result.job
        self.seen.add(job.document_id)
        with self.maker() as session, session.begin():
            document = session.get(store.Document, job.document_id)
            if document is None:  # pragma: no cover - parent creates documents first
                log.error("%s: document row %s missing", job.key, job.document_id)
                return
            if isinstance(result, FetchFailed):
                self.failed += 1
                store.add_outcome(
                    session,
                    run_id=self.run_id,
                    document_id=job.document_id,
                    reason=result.reason,
                    detail=result.message,
                    http_status=result.status,
                )
                log.info("%s: failed (%s)", job.key, result.reason)
                return
            self.fetched += 1
            snapshot_id = None
            if result.status != 304:
                snapshot = store.add_snapshot(
                    session,
                    document=document,
                    run_id=self.run_id,
                    url=job.url,
                    final_url=result.final_url,
                    status=result.status,
                    content_type=result.content_type,
                    etag=result.etag,
                    last_modified=result.last_modified,
                    body=result.body,
                )
                snapshot_id = snapshot.id
            store.add_outcome(
                session,
                run_id=self.run_id,
                document_id=job.document_id,
                http_status=result.status,
                snapshot_id=snapshot_id,
            )
