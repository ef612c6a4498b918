"""Functions a spawned worker process can import by name (tests of ``monitor.workers``)."""

from __future__ import annotations

import multiprocessing
import os


def square(x: int) -> int:
    return x * x


def die_in_worker(x: int) -> int:
    """Kill the worker process that runs this (as the OOM killer would); in the main process
    it computes like :func:`square`, so a fallback there gives the right answer."""
    if multiprocessing.parent_process() is not None:
        os._exit(17)
    return x * x


def where(_x: int) -> int:
    return os.getpid()


def heavy_modules(_x: int) -> list[str]:
    """Which of the crawl's heavy libraries this worker process has imported."""
    import sys

    heavy = ("sqlalchemy", "scrapy", "twisted", "apprise", "monitor.tracker", "monitor.models")
    return sorted(name for name in heavy if name in sys.modules)
