"""A pool of worker processes for the crawl's pure work (extraction, diff, findings).

Why: during a crawl the parent's CPU goes almost entirely to turning fetched pages into text
(~5 ms per 100 KB page) while the crawl child is mostly waiting on the network. Handing that
work to one worker per core keeps both cores busy; the parent is left with the database
writes. The work is pure (``monitor.analysis``), so a worker needs neither the database nor
the models, and a result is the same whichever process computed it.

Workers are spawned (not forked): the parent may hold database connections and, in the
scheduler, threads, neither of which survive a fork safely. A pool that breaks (a worker
killed by the OOM killer, say) is not fatal: the batch is computed again in this process and
the rest of the crawl runs without the pool, with one warning in the log.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

log = logging.getLogger("policywatch.workers")

#: Crawls with fewer documents than this get no pool when ``crawl.workers`` is automatic.
WORKERS_FROM = 20


def worker_count(setting: int | None, documents: int) -> int:
    """How many workers a crawl of ``documents`` gets under the ``crawl.workers`` setting."""
    if setting is not None:
        return setting
    if documents < WORKERS_FROM:
        return 0
    return max(1, min(os.cpu_count() or 1, 4))


def _warm() -> None:
    """Import the extractor in a fresh worker, while the crawl child is still starting."""
    import monitor.analysis  # noqa: F401
    import monitor.extract  # noqa: F401


class WorkerPool:
    """``map`` over worker processes, falling back to this process when the pool is empty or
    broken. Use as a context manager (the workers are stopped on exit).

    ``start=False`` spawns the workers only at :meth:`start` (or the first ``map``): the
    crawl starts them once it has handed the child its run, so that their imports do not
    compete with the child's and this process's own start-up for the cores (the first pages
    arrive after that anyway).
    """

    def __init__(self, workers: int, *, start: bool = True) -> None:
        self.workers = workers
        #: Items computed by the workers (the rest ran in this process): for the run's stats.
        self.remote_items = 0
        self._executor = None
        self._closed = workers <= 0
        if start:
            self.start()

    def start(self) -> None:
        """Spawn the workers now (they import the extractor at once); idempotent."""
        if self._executor is not None or self._closed:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm,
        )
        for _ in range(self.workers):  # start them all now, not one per submitted task
            self._executor.submit(_warm)

    @property
    def parallel(self) -> bool:
        """Whether maps can run in other processes (so submitting early pays off)."""
        return not self._closed

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> Iterable[Any]:
        """``map(fn, items)``: handed to the workers now (the results are waited for when
        iterated), or computed here and now when there is no pool.

        Even a single item goes to a worker: with a pool, this process is the crawl's
        bottleneck (it writes every result), so a page extracted here (~3 ms) costs the whole
        crawl more than a round trip to a worker (measured: small batches computed here took
        ~2% of this process's CPU in a 1000-document crawl).
        """
        if self._closed or not items:
            return [fn(item) for item in items]
        self.start()
        from concurrent.futures.process import BrokenProcessPool

        chunk = max(1, len(items) // (self.workers * 4))
        try:
            pending = self._executor.map(fn, items, chunksize=chunk)
        except (BrokenProcessPool, RuntimeError) as exc:  # broken, or shut down
            return self._fallback(exc, fn, items)
        return _Results(self, fn, items, pending)

    def _fallback(self, exc: BaseException, fn: Callable[[Any], Any], items: list[Any]) -> list:
        log.warning(
            "extraction worker processes stopped (%s); continuing in the crawl process — "
            "if this repeats, check memory limits or set crawl.workers = 0",
            exc,
        )
        self.close()
        return [fn(item) for item in items]

    def close(self) -> None:
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Results:
    """The results of one map handed to the workers, collected on first iteration."""

    def __init__(
        self, pool: WorkerPool, fn: Callable[[Any], Any], items: list[Any], pending: Iterator
    ) -> None:
        self._pool, self._fn, self._items, self._pending = pool, fn, items, pending
        self._results: list[Any] | None = None

    def __iter__(self) -> Iterator[Any]:
        if self._results is None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                self._results = list(self._pending)
            except BrokenProcessPool as exc:
                self._results = self._pool._fallback(exc, self._fn, self._items)
            else:
                self._pool.remote_items += len(self._items)
        return iter(self._results)
