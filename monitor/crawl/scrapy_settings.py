"""Scrapy settings built from :class:`monitor.config.CrawlSettings`: polite by default."""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from scrapy.settings import default_settings

from monitor import PROJECT_URL, __version__
from monitor.config import CrawlSettings


def user_agent(crawl: CrawlSettings) -> str:
    """An identifying user agent: name, version and where to read about the project."""
    return crawl.user_agent or f"policywatch/{__version__} (+{PROJECT_URL}; policy change monitor)"


def js_available(crawl: CrawlSettings) -> bool:
    """scrapy-playwright installed and a Chromium executable present (no browser downloads)."""
    return importlib.util.find_spec("scrapy_playwright") is not None and os.access(
        crawl.chromium_path, os.X_OK
    )


_UNUSED_EXTENSIONS = (
    "telnet.TelnetConsole",  # a debugging port
    "memusage.MemoryUsage",
    "memdebug.MemoryDebugger",
    "closespider.CloseSpider",  # the runner enforces crawl.timeout itself
    "feedexport.FeedExporter",  # spiders yield no items
    "logstats.LogStats",
    "spiderstate.SpiderState",  # no JOBDIR
    "remote_control.RemoteControl",  # an HTTP control port
)
_UNUSED_DOWNLOADER_MIDDLEWARES = (
    "offsite.OffsiteMiddleware",  # no allowed_domains: declarations name their URLs
    "httpauth.HttpAuthMiddleware",
    "stats.DownloaderStats",
    "httpcache.HttpCacheMiddleware",  # HTTPCACHE_ENABLED is off
    "redirect.MetaRefreshMiddleware",  # replaced by middleware.MetaRefreshWhenPresent
)
_SCRAPY_META_REFRESH = "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"
_UNUSED_SPIDER_MIDDLEWARES = (
    "referer.RefererMiddleware",  # requests come from declarations, not from links
    "urllength.UrlLengthMiddleware",
    "depth.DepthMiddleware",
    "metacopy.MetaCopyDetectionMiddleware",
)


def _without(table: dict[str, int], unused: tuple[str, ...]) -> dict[str, int]:
    """A Scrapy component table minus the components whose path ends with one of ``unused``."""
    return {path: order for path, order in table.items() if not path.endswith(unused)}


def build(
    crawl: CrawlSettings, log_level: str = "WARNING", *, use_js: bool = True
) -> dict[str, Any]:
    """Scrapy settings; the Playwright handlers (and their asyncio reactor and browser) are
    only installed when ``use_js`` says some document of this crawl needs rendering."""
    settings: dict[str, Any] = {
        "BOT_NAME": "policywatch",
        "USER_AGENT": user_agent(crawl),
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": "policywatch",
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_per_domain,
        # Callbacks yield no items or requests; Scrapy still sets up CONCURRENT_ITEMS (100)
        # cooperative tasks per response to drain that empty output, which cost ~3 ms per
        # page in profiles (more than the download). One is enough.
        "CONCURRENT_ITEMS": 1,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if crawl.download_delay > 0 else 0,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_body_bytes,
        "DOWNLOAD_WARNSIZE": max(crawl.max_body_bytes // 2, 1),
        "RETRY_ENABLED": crawl.retry_times > 0,
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        "REDIRECT_MAX_TIMES": 8,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_INSTALL_ROOT_HANDLER": True,
        # Components a short-lived child with one request per document does not use. They go
        # from the *_BASE tables: setting one to None in EXTENSIONS (etc.) still imports it
        # (RemoteControl pulls in aiohttp: 0.15 s of the child's start-up, measured).
        "EXTENSIONS_BASE": _without(default_settings.EXTENSIONS_BASE, _UNUSED_EXTENSIONS),
        "DOWNLOADER_MIDDLEWARES_BASE": _without(
            default_settings.DOWNLOADER_MIDDLEWARES_BASE, _UNUSED_DOWNLOADER_MIDDLEWARES
        ),
        "SPIDER_MIDDLEWARES_BASE": _without(
            default_settings.SPIDER_MIDDLEWARES_BASE, _UNUSED_SPIDER_MIDDLEWARES
        ),
        # A compressed body cut short must not inflate into "half a page"; a meta refresh is
        # looked for only where one can be (see the module).
        "DOWNLOADER_MIDDLEWARES": {
            "monitor.crawl.middleware.CompleteEncodingMiddleware": 595,
            "monitor.crawl.middleware.MetaRefreshWhenPresent": (
                default_settings.DOWNLOADER_MIDDLEWARES_BASE[_SCRAPY_META_REFRESH]
            ),
        },
        "HTTPCACHE_ENABLED": False,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle and crawl.download_delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.5),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "LOG_LEVEL": log_level,
        "LOG_ENABLED": True,
        "DNS_TIMEOUT": min(crawl.download_timeout, 20),
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        },
    }
    # Without Playwright the plain epoll reactor is enough, and measurably cheaper per page
    # than Scrapy's default asyncio reactor (which schedules many asyncio tasks per response).
    settings["TWISTED_REACTOR"] = "twisted.internet.epollreactor.EPollReactor"
    if use_js and js_available(crawl):
        settings["DOWNLOAD_HANDLERS"] = {
            "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        }
        settings["TWISTED_REACTOR"] = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
        settings["PLAYWRIGHT_LAUNCH_OPTIONS"] = {
            "executable_path": crawl.chromium_path,
            "headless": True,
            "args": [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",  # containers give /dev/shm only 64 MB
            ],
        }
        settings["PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"] = crawl.download_timeout * 1000
    return settings
