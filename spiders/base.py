"""The declaration-driven spider: one request per Document, every outcome recorded.

Why a callback *and* an errback for every request: a plain Scrapy crawl forgets failed
requests (and exits 0). Here each request ends in exactly one call to ``self.sink`` — a
snapshot for a usable response, or a failure with a reason from the outcome vocabulary
(DESIGN.md §2) and a one-line message that says what happened and what to do. The sink is
the crawl pipeline's store writer; spiders never touch the database themselves.

Platform modules (spiders/linkedin.py, …) subclass :class:`PolicySpider` for what differs:
login-wall URL patterns, consent cookies, bot-challenge headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# Statuses the callback sees (instead of HttpErrorMiddleware dropping them). 3xx must NOT be
# listed: Scrapy's RedirectMiddleware leaves alone every status in ``handle_httpstatus_list``,
# so listing them would stop every redirect from being followed. A redirect it refuses (to a
# non-HTTP scheme such as file:// or ftp://) reaches ``on_error`` as an HttpError carrying the
# 3xx response, and is classified there like any other response.
HANDLED_STATUSES = [304, *range(400, 600)]
#: request.meta key: body bytes received so far (see ``PolicySpider._count_bytes``).
_BYTES_KEY = "policywatch_bytes"


@dataclass(frozen=True)
class FetchJob:
    """What the crawl child asks a spider to fetch for one Document."""

    document_id: int
    key: str
    url: str
    needs_js: bool = False
    ignore_robots_txt: bool = False
    conditional: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Fetched:
    """A usable HTTP response (2xx, or 304 Not Modified)."""

    job: FetchJob
    final_url: str
    status: int
    content_type: str | None
    etag: str | None
    last_modified: str | None
    body: bytes


@dataclass(frozen=True)
class FetchFailed:
    """A fetch that produced nothing usable; never becomes a version."""

    job: FetchJob
    reason: str
    message: str
    status: int | None = None


Sink = Callable[[Fetched | FetchFailed], None]


class PolicySpider(scrapy.Spider):
    """Fetch each job's URL once; report every result to ``sink``."""

    name = "policy"
    handle_httpstatus_list = HANDLED_STATUSES
    #: URL fragments that mean "we were sent to a login page" when they appear in the final URL.
    login_url_markers: ClassVar[tuple[str, ...]] = (
        "/login",
        "/signin",
        "/sign-in",
        "/authwall",
        "/accounts/login",
        "servicelogin",
        "/checkpoint",
    )
    consent_url_markers: ClassVar[tuple[str, ...]] = ("consent.",)
    extra_headers: ClassVar[dict[str, str]] = {"Accept-Language": "en-US,en;q=0.8"}
    cookies: ClassVar[dict[str, str]] = {}
    #: How long a rendered page may keep the network busy before its text is taken anyway.
    js_settle_ms: ClassVar[int] = 10_000

    def __init__(
        self,
        jobs: Iterable[FetchJob] = (),
        sink: Sink | None = None,
        respect_robots: str = "declared",
        js_available: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.jobs = list(jobs)
        self.sink: Sink = sink or (lambda _result: None)
        self.respect_robots = respect_robots
        self.js_available = js_available

    # -- requests -------------------------------------------------------------------

    async def start(self) -> Any:  # Scrapy >= 2.13
        for request in self._requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:  # older Scrapy
        yield from self._requests()

    def _requests(self) -> Iterator[scrapy.Request]:
        for job in self.jobs:
            if job.needs_js and not self.js_available:
                self.sink(
                    FetchFailed(
                        job,
                        "needs-js",
                        f"{job.key}: needs JavaScript rendering: install policywatch[js] and "
                        "Chromium (see README, 'JavaScript-rendered documents')",
                    )
                )
                continue
            yield self.request_for(job)

    def request_for(self, job: FetchJob) -> scrapy.Request:
        headers = dict(self.extra_headers)
        if not job.needs_js:  # a browser cannot render a 304: rendered pages are fetched whole
            headers.update(dict(job.conditional))
        meta: dict[str, Any] = {"job": job}
        if job.ignore_robots_txt and self.respect_robots != "always":
            meta["dont_obey_robotstxt"] = True
        if job.needs_js:
            from scrapy_playwright.page import PageMethod

            meta["playwright"] = True
            meta["playwright_page_methods"] = [PageMethod(settle_page, self.js_settle_ms)]
        return scrapy.Request(
            job.url,
            callback=self.parse_document,
            errback=self.on_error,
            headers=headers,
            cookies=dict(self.cookies),
            meta=meta,
            dont_filter=True,
        )

    # -- responses ------------------------------------------------------------------

    def parse_document(self, response: Response) -> None:
        job: FetchJob = response.meta["job"]
        failure = self.classify_response(job, response)
        if failure is not None:
            self.sink(failure)
            return
        headers = response.headers
        self.sink(
            Fetched(
                job=job,
                final_url=response.url,
                status=response.status,
                content_type=_header(headers, b"Content-Type"),
                etag=_header(headers, b"ETag"),
                last_modified=_header(headers, b"Last-Modified"),
                body=b"" if response.status == 304 else response.body,
            )
        )

    def classify_response(self, job: FetchJob, response: Response) -> FetchFailed | None:
        """Turn an unusable response into a failure with a reason; None when usable."""
        status = response.status
        url = response.url
        if status == 304 and (job.needs_js or not job.conditional):
            # a 304 means "the copy you have is current": without validators there is none
            return FetchFailed(
                job,
                "http-error",
                f"{job.key}: HTTP 304 Not Modified from {_short(url)} although policywatch sent "
                "no ETag/Last-Modified; a server or proxy answers wrongly — the previous version "
                "stands, and it is retried on the next run",
                # no status: the tracker reads any stored 304 as "unchanged"
            )
        if status == 304 or 200 <= status < 300:
            final = urlsplit(url)
            lowered = (final.netloc + final.path).lower()
            start = urlsplit(job.url)
            moved = (final.netloc, final.path) != (start.netloc, start.path)
            if moved and any(m in lowered for m in self.login_url_markers):
                return FetchFailed(
                    job,
                    "login-wall",
                    f"{job.key}: redirected to a login page ({_short(url)}); the site wants a "
                    "signed-in visitor — check the URL, or the site is blocking automated reads",
                    status,
                )
            if moved and any(final.netloc.lower().startswith(m) for m in self.consent_url_markers):
                return FetchFailed(
                    job,
                    "consent-wall",
                    f"{job.key}: redirected to a cookie-consent page ({_short(url)}); "
                    "the declaration may need a consent cookie for this site",
                    status,
                )
            return None
        if 300 <= status < 400:
            return FetchFailed(
                job,
                "redirect-refused",
                f"{job.key}: HTTP {status} redirect to {_short(_header(response.headers, b'Location') or '?')} "
                "was not followed (only http/https redirects are); check the declaration's URL",
                status,
            )
        if status == 404 or status == 410:
            return FetchFailed(
                job,
                "not-found",
                f"{job.key}: HTTP {status} at {_short(url)}; the page moved or was removed — "
                "find its new URL and update the declaration",
                status,
            )
        if status == 429:
            after = _header(response.headers, b"Retry-After")
            hint = f" (Retry-After: {after})" if after else ""
            return FetchFailed(
                job,
                "rate-limited",
                f"{job.key}: HTTP 429 Too Many Requests{hint}; the site throttles us — "
                "policywatch retries on the next run; raise crawl.download_delay if it persists",
                status,
            )
        if status in (401, 403, 407, 451):
            challenge = _header(response.headers, b"cf-mitigated")
            kind = (
                "bot-wall"
                if challenge or b"challenge" in response.body[:20000].lower()
                else "blocked"
            )
            return FetchFailed(
                job,
                kind,
                f"{job.key}: HTTP {status} at {_short(url)}; the site refused the request"
                + (" with a bot challenge" if kind == "bot-wall" else "")
                + " — it may block automated readers; try again later or set needs_js",
                status,
            )
        if status >= 500:
            return FetchFailed(
                job,
                "transient",
                f"{job.key}: HTTP {status} from {_short(url)} after retries; the site is having "
                "trouble — policywatch tries again on the next run",
                status,
            )
        return FetchFailed(
            job,
            "http-error",
            f"{job.key}: HTTP {status} at {_short(url)}; check the declaration's URL",
            status,
        )

    def on_error(self, failure: Any) -> None:
        request = failure.request
        job: FetchJob = request.meta["job"]
        exc = failure.value
        response = getattr(exc, "response", None)
        if isinstance(exc, HttpError) and response is not None:
            # a status the callback does not take (a refused 3xx): classify the response
            self.sink(
                self.classify_response(job, response)
                or FetchFailed(job, "http-error", f"{job.key}: HTTP {response.status}")
            )
            return
        received = request.meta.get(_BYTES_KEY, 0)
        limit = request.meta.get("download_maxsize") or self.settings.getint("DOWNLOAD_MAXSIZE")
        if limit and received > limit:
            # a body without Content-Length cancelled after crossing the cap: Scrapy reports
            # that as a bare DownloadCancelledError, which must not read as a transient failure
            self.sink(
                FetchFailed(
                    job,
                    "too-large",
                    f"{job.key}: the body passed crawl.max_body_bytes ({limit} bytes) before it "
                    "ended; refused to protect memory — raise the limit only if the page is "
                    "really that big",
                )
            )
            return
        self.sink(describe_error(job, exc))

    # -- byte counting (tells a cancelled oversize download from other cancellations) ------

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PolicySpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._count_bytes, signal=signals.bytes_received)
        return spider

    def _count_bytes(self, data: bytes, request: scrapy.Request, spider: Any = None) -> None:
        if "job" in request.meta:
            request.meta[_BYTES_KEY] = request.meta.get(_BYTES_KEY, 0) + len(data)


async def settle_page(page: Any, timeout_ms: int) -> None:
    """Wait until a rendered page stops loading data (no request for 500 ms), at most
    ``timeout_ms``: policy pages build their text from scripts and XHR after ``load``, while
    some never go quiet (analytics beacons), so a timeout keeps what has rendered by then."""
    from contextlib import suppress

    from playwright.async_api import TimeoutError as PlaywrightTimeout

    with suppress(PlaywrightTimeout):
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)


def describe_error(job: FetchJob, exc: BaseException) -> FetchFailed:
    """Map a download exception to an outcome reason and an actionable message."""
    text = str(exc)
    name = type(exc).__name__
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in text:
            return FetchFailed(
                job,
                "robots-txt",
                f"{job.key}: robots.txt of {urlsplit(job.url).netloc} forbids this URL; "
                "policywatch honours it (see README, 'robots.txt')",
            )
        if text.startswith("incomplete compressed body"):
            return FetchFailed(
                job,
                "truncated",
                f"{job.key}: the compressed body from {urlsplit(job.url).netloc} ended before "
                "its end marker — the transfer was cut; it is retried on the next run",
            )
        if "max redirections" in text:
            return FetchFailed(
                job,
                "redirect-loop",
                f"{job.key}: too many redirects (a redirect loop) at {_short(job.url)}; "
                "the site may require cookies or a login — check the URL in a browser",
            )
        if "MAXSIZE" in text.upper() or "max size" in text.lower():
            return FetchFailed(
                job,
                "too-large",
                f"{job.key}: the body exceeded crawl.max_body_bytes (after decompression); "
                "refused to protect memory — raise the limit only if the page is really that big",
            )
        return FetchFailed(job, "ignored", f"{job.key}: request dropped: {text[:200]}")
    if (isinstance(exc, CancelledError) or name == "DownloadCancelledError") and (
        "maxsize" in text.lower() or "max size" in text.lower() or "larger than" in text
    ):
        return FetchFailed(
            job,
            "too-large",
            f"{job.key}: the body exceeded crawl.max_body_bytes; refused to protect memory",
        )
    if (
        isinstance(exc, (TimeoutError, TCPTimedOutError))
        or name == "DownloadTimeoutError"
        or "took longer than" in text
    ):
        return FetchFailed(
            job,
            "timeout",
            f"{job.key}: no complete answer from {urlsplit(job.url).netloc} within "
            "crawl.download_timeout; policywatch tries again on the next run",
        )
    if isinstance(exc, DNSLookupError) or name == "CannotResolveHostError":
        return FetchFailed(
            job,
            "dns",
            f"{job.key}: cannot resolve {urlsplit(job.url).hostname}; check the network/DNS "
            "(no internet?) or the declaration's URL",
        )
    if isinstance(exc, ConnectionRefusedError) or name == "DownloadConnectionRefusedError":
        return FetchFailed(
            job,
            "connection-refused",
            f"{job.key}: connection refused by {urlsplit(job.url).netloc}; "
            "the server is down or the URL's port is wrong",
        )
    if isinstance(exc, (ResponseNeverReceived, ResponseFailed, ConnectionLost)) or name in (
        "ResponseDataLossError",
        "DownloadFailedError",
    ):
        return FetchFailed(
            job,
            "transient",
            f"{job.key}: the connection to {urlsplit(job.url).netloc} broke before a complete "
            "response; policywatch tries again on the next run",
        )
    return FetchFailed(
        job,
        "transient",
        f"{job.key}: fetch failed ({type(exc).__name__}: {text[:160]}); "
        "policywatch tries again on the next run",
    )


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    return value.decode("latin-1", "replace")[:200]


def _short(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"
