"""Rows written straight through the store, for tests that need a history or a running
crawl without fetching anything: what the crawl child and a crawl's lease would write."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from datetime import timedelta

from monitor import store
from monitor.declarations import DocumentDeclaration
from monitor.models import CrawlLock, utcnow


def stored_run(
    maker, decl: DocumentDeclaration, pages: Sequence[str], *, etag: str | None = None
) -> int:
    """A new crawl run holding one stored, not yet processed fetch of ``decl`` per page (as
    the crawl child stores them); returns the run's id."""
    with maker() as s, s.begin():
        run = store.start_run(s, [decl.service])
        doc = store.ensure_documents(s, [decl])[decl.key]
        store.record_fetches(
            s,
            run.id,
            [
                store.FetchRecord(
                    document_id=doc.id,
                    http_status=200,
                    url=decl.url,
                    final_url=decl.url,
                    content_type="text/html; charset=utf-8",
                    etag=etag,
                    body=page.encode(),
                )
                for page in pages
            ],
        )
        return run.id


def hold_crawl_lock(maker, pid: int) -> None:
    """The crawl lease, as a live crawl in process ``pid`` on this host holds it."""
    with maker() as s, s.begin():
        s.add(
            CrawlLock(
                name="crawl",
                holder=f"{socket.gethostname()}:{pid}",
                pid=pid,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )


def release_crawl_locks(maker) -> None:
    with maker() as s, s.begin():
        s.execute(CrawlLock.__table__.delete())
