"""The spiders' sink: writes snapshots and pending fetch outcomes in small batches.

Why batches: one transaction per document costs more than the fetch itself on a fast site
(PERF-NOTES.md). Results are committed every ``batch_size`` documents or ``max_delay``
seconds, whichever comes first, and at the end of the crawl. A SIGKILL loses at most the
uncommitted batch; the parent then records those documents as ``not-fetched`` failures and
the next run fetches them again, so nothing is lost silently and nothing half-written stays.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from monitor import store
from spiders.base import Fetched, FetchFailed

log = logging.getLogger("policywatch.crawl")


def fetch_record(result: Fetched | FetchFailed) -> store.FetchRecord:
    """What the store keeps of one spider result (a 304 keeps no body: nothing new came)."""
    job = result.job
    if isinstance(result, FetchFailed):
        return store.FetchRecord(
            document_id=job.document_id,
            http_status=result.status,
            reason=result.reason,
            detail=result.message,
        )
    return store.FetchRecord(
        document_id=job.document_id,
        http_status=result.status,
        url=job.url,
        final_url=result.final_url,
        content_type=result.content_type,
        etag=result.etag,
        last_modified=result.last_modified,
        body=None if result.status == 304 else result.body,
    )


@dataclass
class SnapshotWriter:
    maker: sessionmaker[Session]
    run_id: int
    batch_size: int = 25
    max_delay: float = 0.25
    fetched: int = 0
    failed: int = 0
    seen: set[int] = field(default_factory=set)
    _pending: list[store.FetchRecord] = field(default_factory=list)
    _last_flush: float = field(default_factory=time.monotonic)

    def __call__(self, result: Fetched | FetchFailed) -> None:
        self.seen.add(result.job.document_id)
        if isinstance(result, FetchFailed):
            self.failed += 1
            log.info("%s: failed (%s)", result.job.key, result.reason)
        else:
            self.fetched += 1
        self._pending.append(fetch_record(result))
        if (
            len(self._pending) >= self.batch_size
            or time.monotonic() - self._last_flush >= self.max_delay
        ):
            self.flush()

    def flush(self) -> None:
        """Commit everything received so far (called by batches, a timer and at close)."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        with self.maker() as session, session.begin():
            store.record_fetches(session, self.run_id, batch)
