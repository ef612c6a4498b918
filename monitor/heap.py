"""Keep Python's cycle collector off the objects a short-lived process keeps to the end.

Why: the crawl process and the crawl child import SQLAlchemy, Scrapy and Twisted, tens of
thousands of long-lived objects, and then allocate quickly (ORM rows, requests, responses).
Each full collection of the cycle collector walks every one of those module objects again:
in a 1000-document crawl that was 0.41 s of the crawl process's CPU and 0.17 s of the child's
(measured with ``gc.callbacks``), at the point where the crawl is CPU-bound. Frozen objects
are skipped by the collector; a larger first threshold makes young collections rarer.

Only for processes that exit when their one job is done (``policywatch crawl``, the crawl
child): in a long-running daemon, frozen objects that later became cyclic garbage would
never be collected.
"""

from __future__ import annotations

import gc

#: Allocations between young collections (CPython's default is 700).
YOUNG_THRESHOLD = 10_000


def settle_after_start_up() -> None:
    """Call once the process has imported what it needs, before its main loop."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
