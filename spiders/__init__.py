"""Spiders: a declaration-driven base spider plus one module per platform for what differs.

Scrapy and Twisted are imported only here and in ``monitor.crawl`` (DESIGN.md §3.4), so the
CLI and the pure core never pay for them. :func:`spider_class` maps a service slug to its
spider; services a user declares in config use the base spider unchanged.
"""

from __future__ import annotations

import importlib

PLATFORM_MODULES = {
    "linkedin": "spiders.linkedin",
    "meta": "spiders.meta",
    "google": "spiders.google",
    "discord": "spiders.discord",
    "reddit": "spiders.reddit",
}


def spider_class(slug: str):
    """The spider class for a service: its platform module's, or the generic one."""
    from spiders.base import PolicySpider

    module_name = PLATFORM_MODULES.get(slug)
    base = PolicySpider
    if module_name:
        base = importlib.import_module(module_name).Spider
    # A fresh subclass per service gives each crawler its own spider name (the slug).
    return type(f"{slug.title().replace('-', '')}Spider", (base,), {"name": slug})
