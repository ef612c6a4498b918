"""Build the fetch jobs from declarations and run one Scrapy crawl in this process."""

from __future__ import annotations

import logging

from sqlalchemy import select

from monitor import store
from monitor.config import Settings
from monitor.crawl import scrapy_settings
from monitor.crawl.writer import SnapshotWriter
from monitor.models import Document
from spiders import spider_class
from spiders.base import FetchJob

log = logging.getLogger("policywatch.crawl")


def jobs_for(settings: Settings, maker, services: list[str]) -> dict[str, list[FetchJob]]:
    """Fetch jobs per service for the enabled documents the parent registered."""
    out: dict[str, list[FetchJob]] = {}
    with maker() as session:
        rows = {(d.service, d.kind): d.id for d in session.scalars(select(Document))}
        wanted = settings.select_services(services)
        ids = [
            rows[(d.service, d.kind)]
            for s in wanted
            for d in s.documents
            if d.enabled and (d.service, d.kind) in rows
        ]
        conditional = store.conditional_headers(session, ids)
    for service in wanted:
        jobs = []
        for decl in service.documents:
            doc_id = rows.get((decl.service, decl.kind))
            if not decl.enabled or doc_id is None:
                continue
            jobs.append(
                FetchJob(
                    document_id=doc_id,
                    key=decl.key,
                    url=decl.url,
                    needs_js=decl.needs_js,
                    ignore_robots_txt=decl.ignore_robots_txt,
                    conditional=tuple(sorted(conditional.get(doc_id, {}).items())),
                )
            )
        if jobs:
            out[service.slug] = jobs
    return out


def preload() -> None:
    """Import what the crawl needs before the parent hands over the run (see the runner)."""
    import scrapy.core.downloader.handlers.http11  # noqa: F401
    import scrapy.crawler  # noqa: F401
    import scrapy.downloadermiddlewares.retry  # noqa: F401


def crawl(settings: Settings, engine, run_id: int, services: list[str]) -> tuple[int, int]:
    """Run the crawl; returns (documents fetched, documents failed)."""
    from scrapy.crawler import CrawlerProcess

    maker = store.session_factory(engine)
    jobs = jobs_for(settings, maker, services)
    writer = SnapshotWriter(maker, run_id)
    any_js = any(j.needs_js for service_jobs in jobs.values() for j in service_jobs)
    scrapy_conf = scrapy_settings.build(
        settings.crawl, log_level=_scrapy_level(settings), use_js=any_js
    )
    process = CrawlerProcess(scrapy_conf)
    js = scrapy_settings.js_available(settings.crawl)
    for slug, service_jobs in jobs.items():
        process.crawl(
            spider_class(slug),
            jobs=service_jobs,
            sink=writer,
            respect_robots=settings.crawl.respect_robots_txt,
            js_available=js,
        )
    if jobs:
        from twisted.internet import task

        ticker = task.LoopingCall(writer.flush)  # results never wait long for a commit
        ticker.start(writer.max_delay, now=False)
        try:
            process.start()
        finally:
            writer.flush()
    expected = {j.document_id for js_ in jobs.values() for j in js_}
    missing = expected - writer.seen
    return writer.fetched, writer.failed + len(missing)


def _scrapy_level(settings: Settings) -> str:
    return "DEBUG" if settings.log_level == "DEBUG" else "WARNING"
