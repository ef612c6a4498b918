"""The crawl child process (DESIGN.md §3.4–3.5).

Scrapy's reactor cannot be restarted inside one process, so every crawl runs as
``python -m monitor.crawl`` in a child with a hard timeout. The child only fetches and
stores snapshots and per-document fetch outcomes; the parent (``monitor.runner``) turns
them into versions, changes, findings and alerts.
"""
