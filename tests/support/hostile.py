"""Routes that misbehave on purpose, for the fault, outage and security suites.

Each factory returns something :class:`tests.support.httpserver.PolicyServer` accepts as a
route: a ``Page`` (fixed status, headers and body) or a handler that writes the response itself
(slow drips, bodies cut short, lying ``Content-Length``, 50 MB streams, gzip bombs, redirect
loops, a request that blocks until the test releases it). The pages are written by hand after
the shape of the real thing (a Facebook-style login wall, a Cloudflare challenge, Google's
consent interstitial, a single-page-app shell) — small enough to read, real enough to exercise
the real checks. No page here is a copy of a real site's markup.

Handlers swallow the connection errors a client that gives up causes (the crawler cancels a
50 MB download after its size cap, times out a drip): those are the point of the test, not a
server failure.
"""

from __future__ import annotations

import contextlib
import functools
import html
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler

from tests.support.httpserver import Page
from tests.support.pages import AI_CLAUSE, BASE_PARAGRAPHS, policy_page

Handler = Callable[[BaseHTTPRequestHandler], None]

# --------------------------------------------------------------------------------------------
# Policy texts
# --------------------------------------------------------------------------------------------

#: Extra paragraphs that make a policy long enough (> 2,000 characters) for the shrink check.
LONG_PARAGRAPHS = BASE_PARAGRAPHS + [
    f"Section {i}. We keep records of the requests you make to us and of the answers we give, "
    "so that we can show a regulator how we handled them, and we delete those records when "
    "the period required by law has passed."
    for i in range(1, 25)
]

#: Real French wording with accents and typographic quotes: any wrong decoding shows.
FRENCH_PARAGRAPHS = [
    "Nous utilisons vos données personnelles pour améliorer nos services et garantir leur "
    "sécurité.",
    "Vous pouvez à tout moment vous opposer à ce traitement et demander l’effacement de vos "
    "données, ou leur portabilité vers un autre prestataire.",
    "Les données sont conservées pendant la durée nécessaire à la fourniture du service, "
    "puis archivées ou supprimées conformément à la réglementation en vigueur.",
    "Pour toute question, écrivez à notre délégué à la protection des données ; nous "
    "répondrons dans un délai d’un mois.",
]


def french_page(charset_meta: bool = True) -> str:
    """A French policy page; ``charset_meta=False`` drops ``<meta charset>`` (missing charset)."""
    page = policy_page(FRENCH_PARAGRAPHS, title="Politique de confidentialité")
    if not charset_meta:
        page = page.replace('<meta charset="utf-8">', "")
    return page


def mojibake_page() -> str:
    """The French page double-encoded by a broken CMS (``données`` → ``donnÃ©es``), with the AI
    clause in it: if it ever became a version it would raise an AI alert."""
    text = [*FRENCH_PARAGRAPHS, AI_CLAUSE]
    broken = [p.encode("utf-8").decode("cp1252", "replace") for p in text]
    return policy_page(broken, title="Politique de confidentialité")


def with_ai_clause(paragraphs: list[str] | None = None) -> list[str]:
    paras = list(paragraphs or BASE_PARAGRAPHS)
    return paras[:2] + [AI_CLAUSE] + paras[2:]


# --------------------------------------------------------------------------------------------
# Pages that are not the document (served with 200)
# --------------------------------------------------------------------------------------------

LOGIN_WALL = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Facebook - log in or sign up</title></head>
<body><div class="wrap">
<h2>Connect with friends and the world around you.</h2>
<form method="post" action="/login/device-based/regular/login/">
<input type="text" name="email" placeholder="Email or phone number">
<input type="password" name="pass" placeholder="Password">
<button name="login" type="submit">Log in</button>
<a href="/recover/initiate/">Forgotten password?</a>
<a role="button" href="/r.php">Create new account</a>
</form></div></body></html>"""

#: A login page on *another* host (the redirect target), without a telling title.
OTHER_DOMAIN_LOGIN = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Welcome back</title></head>
<body><main><h1>Welcome back</h1>
<p>Please sign in to continue to your account.</p>
<form method="post"><input name="username"><input type="password" name="password">
<button>Sign in</button></form></main></body></html>"""

CLOUDFLARE_CHALLENGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390">
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">www.example.com</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>
<div id="challenge-body-text" class="core-msg spacer">www.example.com needs to review the
security of your connection before proceeding.</div></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "www.example.com",cType: 'managed'};
}());</script></body></html>"""

RECAPTCHA_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Privacy Policy</title>
<script src="https://www.google.com/recaptcha/api.js" async defer></script></head>
<body><div class="interstitial">
<h1>One more step</h1>
<p>Our systems have detected unusual traffic from your computer network. Please confirm that
you are a human by completing the check below.</p>
<form action="/verify" method="post"><div class="g-recaptcha" data-sitekey="6Lc-test"></div>
<button type="submit">Continue</button></form></div></body></html>"""

CONSENT_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Before you continue</title></head>
<body><div class="consent">
<h1>Before you continue to Example</h1>
<p>We use cookies and data to deliver and maintain our services, to track outages and protect
against spam, fraud and abuse, and to measure audience engagement.</p>
<form action="https://consent.example.com/save" method="post">
<input type="hidden" name="set_eom" value="true">
<button>Reject all</button><button>Accept all</button></form>
<a href="https://consent.example.com/more">More options</a></div></body></html>"""

JS_SHELL = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Privacy Policy | Example</title>
<link rel="stylesheet" href="/static/app.4f2a.css">
<script defer src="/static/app.9c1e.js"></script></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript>
<div id="root"></div></body></html>"""

CLOUDFLARE_BLOCK_BODY = """<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare
</title></head><body><div id="cf-wrapper"><h1>Sorry, you have been blocked</h1>
<p>This website is using a security service to protect itself from online attacks.</p>
<div class="cf-challenge">Ray ID: 7d1e2f3a4b5c6d7e</div></div></body></html>"""


def relaid_out_page() -> str:
    """The policy (with the AI clause) after a redesign: no ``<main>`` any more."""
    return (
        policy_page(with_ai_clause())
        .replace("<main>", '<div class="layout-v2">')
        .replace("</main>", "</div>")
    )


def cut(body: str | bytes, fraction: float) -> bytes:
    """The first ``fraction`` of a page's bytes: a document that stops mid-way."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return raw[: int(len(raw) * fraction)]


def cut_mid_character(page: str, word: str = "réglementation") -> bytes:
    """The UTF-8 page cut between the two bytes of the first "é" of ``word``."""
    raw = page.encode("utf-8")
    return raw[: raw.index(word.encode("utf-8")) + 2]


# --------------------------------------------------------------------------------------------
# Handlers
# --------------------------------------------------------------------------------------------


def _quiet(fn: Handler) -> Handler:
    """Ignore the client hanging up: the crawler giving up is what these routes provoke."""

    @functools.wraps(fn)
    def run(req: BaseHTTPRequestHandler) -> None:
        try:
            fn(req)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            req.close_connection = True
        except OSError:
            req.close_connection = True

    return run


def _head(req: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    req.send_response(status)
    for k, v in headers.items():
        req.send_header(k, v)
    req.end_headers()


def write_page(req: BaseHTTPRequestHandler, page: Page) -> None:
    """Answer like a plain ``Page`` route (for handlers that switch between behaviours)."""
    body = page.raw()
    _head(req, page.status, {**page.headers, "Content-Length": str(len(body))})
    req.wfile.write(body)


def status_page(status: int, body: str = "", **headers: str) -> Page:
    """An error page with ``status``; extra headers by keyword (``retry_after="120"``)."""
    hdrs = {"Content-Type": "text/html; charset=utf-8"}
    hdrs.update({k.replace("_", "-").title(): v for k, v in headers.items()})
    text = (
        body or f"<html><body><h1>Error {status}</h1><p>Please try again later.</p></body></html>"
    )
    return Page(text, status=status, headers=hdrs)


def redirect(location: str, status: int = 302) -> Page:
    return Page(
        "<html><body>Moved</body></html>",
        status=status,
        headers={"Location": location, "Content-Type": "text/html"},
    )


def lying_length(body: str | bytes, fraction: float = 0.5) -> Handler:
    """``Content-Length`` of the whole page, then only part of it and the connection closes."""
    raw = body.encode("utf-8") if isinstance(body, str) else body

    @_quiet
    def handler(req: BaseHTTPRequestHandler) -> None:
        _head(
            req,
            200,
            {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(raw))},
        )
        req.wfile.write(raw[: int(len(raw) * fraction)])
        req.wfile.flush()
        req.close_connection = True

    return handler


def close_delimited(body: str | bytes) -> Handler:
    """No ``Content-Length``: the body ends when the server closes (HTTP/1.0 style). With a
    cut body the client cannot tell from the transport that anything is missing."""
    raw = body.encode("utf-8") if isinstance(body, str) else body

    @_quiet
    def handler(req: BaseHTTPRequestHandler) -> None:
        _head(req, 200, {"Content-Type": "text/html; charset=utf-8", "Connection": "close"})
        req.wfile.write(raw)
        req.wfile.flush()
        req.close_connection = True

    return handler


def huge_body(size: int, *, declare_length: bool = True, chunk: int = 256 * 1024) -> Handler:
    """A ``size``-byte HTML page streamed in chunks (the server never holds it in memory)."""
    start = b"<!DOCTYPE html><html><head><title>Privacy</title></head><body><main><p>"
    filler = (b"We collect data. " * (chunk // 17 + 1))[:chunk]

    @_quiet
    def handler(req: BaseHTTPRequestHandler) -> None:
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if declare_length:
            headers["Content-Length"] = str(size)
        else:
            headers["Connection"] = "close"
            req.close_connection = True
        _head(req, 200, headers)
        req.wfile.write(start)
        sent = len(start)
        while sent < size:
            piece = filler[: min(chunk, size - sent)]
            req.wfile.write(piece)
            sent += len(piece)

    return handler


@functools.lru_cache(maxsize=4)
def gzip_bomb_bytes(decompressed: int) -> bytes:
    """A valid gzip stream of ``decompressed`` zero bytes (~1,000:1), built in milliseconds.

    Compressing gigabytes takes seconds, so one MiB block is compressed after a full flush
    (which resets the compressor's state: every further identical block then compresses to
    identical bytes), that unit is repeated, and the trailer gets the right CRC-32 and size.
    """
    block = b"\0" * (1 << 20)
    blocks = max(decompressed >> 20, 2)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    unit = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    end = comp.flush(zlib.Z_FINISH)[:-8]  # the final empty block, without the trailer
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    trailer = crc.to_bytes(4, "little") + ((blocks << 20) & 0xFFFFFFFF).to_bytes(4, "little")
    return head + unit * (blocks - 1) + end + trailer


def _encoded(payload: Callable[[], bytes], encoding: str) -> Handler:
    """200 with ``payload()`` as an HTML body sent with ``Content-Encoding: encoding``."""

    @_quiet
    def handler(req: BaseHTTPRequestHandler) -> None:
        body = payload()
        _head(
            req,
            200,
            {
                "Content-Type": "text/html; charset=utf-8",
                "Content-Encoding": encoding,
                "Content-Length": str(len(body)),
            },
        )
        req.wfile.write(body)

    return handler


def gzip_bomb(decompressed: int = 512 << 20) -> Handler:
    """``Content-Encoding: gzip`` over a huge run of zeros; the wire size is small."""
    return _encoded(lambda: gzip_bomb_bytes(decompressed), "gzip")


def gzipped(page: str | bytes) -> Handler:
    """A normal page sent with ``Content-Encoding: gzip`` (the control for the bomb)."""
    raw = page.encode("utf-8") if isinstance(page, str) else page
    payload = zlib.compress(raw, 6, wbits=31)
    return _encoded(lambda: payload, "gzip")


@functools.lru_cache(maxsize=2)
def brotli_bomb_bytes(decompressed: int) -> bytes:
    """Brotli of ``decompressed`` zero bytes (256 MiB compress to ~50 KB at quality 1)."""
    import brotli

    return brotli.compress(b"\0" * decompressed, quality=1)


def brotli_bomb(decompressed: int = 256 << 20) -> Handler:
    """``Content-Encoding: br`` over a huge run of zeros."""
    return _encoded(lambda: brotli_bomb_bytes(decompressed), "br")


def gzip_cut(page: str | bytes, fraction: float = 0.5) -> Handler:
    """A gzip body cut short, with a ``Content-Length`` honest for the part that is sent:
    the transport sees nothing wrong, only the missing gzip trailer tells."""
    raw = page.encode("utf-8") if isinstance(page, str) else page
    payload = zlib.compress(raw, 6, wbits=31)
    payload = payload[: int(len(payload) * fraction)]

    @_quiet
    def handler(req: BaseHTTPRequestHandler) -> None:
        _head(
            req,
            200,
            {
                "Content-Type": "text/html; charset=utf-8",
                "Content-Encoding": "gzip",
                "Content-Length": str(len(payload)),
            },
        )
        req.wfile.write(payload)

    return handler


def gzip_corrupt(page: str | bytes) -> Handler:
    """A gzip body with garbage in the middle of its deflate stream."""
    raw = page.encode("utf-8") if isinstance(page, str) else page
    payload = zlib.compress(raw, 6, wbits=31)
    payload = payload[:40] + b"\xff\x00garbage!" + payload[60:]

    @_quiet
    def handler(req: BaseHTTPRequestHandler) -> None:
        _head(
            req,
            200,
            {
                "Content-Type": "text/html; charset=utf-8",
                "Content-Encoding": "gzip",
                "Content-Length": str(len(payload)),
            },
        )
        req.wfile.write(payload)

    return handler


def silent(seconds: float = 60.0) -> Handler:
    """Accept the request and never answer (until ``seconds`` pass)."""

    def handler(req: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        req.close_connection = True

    return handler


def hang_up() -> Handler:
    """Close the connection without a single byte of response."""

    def handler(req: BaseHTTPRequestHandler) -> None:
        import socket

        req.close_connection = True
        with contextlib.suppress(OSError):
            req.connection.shutdown(socket.SHUT_RDWR)

    return handler


def slow_drip(body: str | bytes, *, interval: float = 0.25, piece: int = 64) -> Handler:
    """The page ``piece`` bytes every ``interval`` seconds (a 6 KB page takes ~25 s): the
    connection stays alive, so only a whole-download timeout stops it."""
    raw = body.encode("utf-8") if isinstance(body, str) else body

    @_quiet
    def handler(req: BaseHTTPRequestHandler) -> None:
        _head(
            req,
            200,
            {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(raw))},
        )
        for i in range(0, len(raw), piece):
            req.wfile.write(raw[i : i + piece])
            req.wfile.flush()
            time.sleep(interval)

    return handler


def slow_page(body: str | bytes, seconds: float) -> Handler:
    """The whole page, but only after ``seconds`` (headers and half the body first)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body

    @_quiet
    def handler(req: BaseHTTPRequestHandler) -> None:
        _head(
            req,
            200,
            {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(raw))},
        )
        half = len(raw) // 2
        req.wfile.write(raw[:half])
        req.wfile.flush()
        time.sleep(seconds)
        req.wfile.write(raw[half:])

    return handler


def encoded(page: str, encoding: str, content_type: str) -> Page:
    """``page`` encoded with ``encoding`` and served under ``content_type`` (which may lie)."""
    return Page(page.encode(encoding), headers={"Content-Type": content_type})


class Series:
    """A route that serves ``pages`` in order, then repeats the last (flaky servers)."""

    def __init__(self, pages: Iterable[Page]) -> None:
        self.pages = list(pages)
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, req: BaseHTTPRequestHandler) -> None:
        with self._lock:
            page = self.pages[min(self.calls, len(self.pages) - 1)]
            self.calls += 1
        _quiet(lambda r: write_page(r, page))(req)


class Gate:
    """A route that blocks until the test opens it, then serves ``page``.

    ``arrived`` is set when a request is waiting, which lets a test kill a process at a known
    point ("the child is mid-fetch"). ``open()`` lets every waiting and later request through.
    """

    def __init__(self, page: str | bytes | Page, timeout: float = 120.0) -> None:
        self.page = page if isinstance(page, Page) else Page(page)
        self.arrived = threading.Event()
        self._open = threading.Event()
        self.timeout = timeout
        self.count = 0

    def open(self) -> None:
        self._open.set()

    def __call__(self, req: BaseHTTPRequestHandler) -> None:
        self.count += 1
        self.arrived.set()
        self._open.wait(self.timeout)
        _quiet(lambda r: write_page(r, self.page))(req)


def escape(text: str) -> str:
    return html.escape(text, quote=False)


# --------------------------------------------------------------------------------------------
# Watching the crawl child
# --------------------------------------------------------------------------------------------


class PeakRSS:
    """Sample a process's resident memory (with psutil) until it exits; ``peak`` in bytes.

    Pass ``PeakRSS.start`` as ``run_crawl(on_child=...)``. Sampling every 20 ms cannot miss a
    50 MB body held in memory: reading it off a loopback socket alone takes longer than that.
    """

    def __init__(self) -> None:
        self.peak = 0
        self.samples = 0
        self.series: list[tuple[float, int]] = []  # (seconds since start, rss) for messages
        self._thread: threading.Thread | None = None

    def start(self, proc) -> None:
        import psutil

        try:
            process = psutil.Process(proc.pid)
        except psutil.Error:
            return

        began = time.monotonic()

        def sample() -> None:
            while True:
                try:
                    rss = process.memory_info().rss
                    for child in process.children(recursive=True):
                        rss += child.memory_info().rss
                except psutil.Error:
                    return
                self.peak = max(self.peak, rss)
                self.samples += 1
                self.series.append((round(time.monotonic() - began, 2), rss >> 20))
                if proc.poll() is not None:
                    return
                time.sleep(0.02)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def join(self) -> int:
        if self._thread is not None:
            self._thread.join(10)
        return self.peak


# --------------------------------------------------------------------------------------------
# The CLI as a process, and the processes it starts
# --------------------------------------------------------------------------------------------


def cli_env(config, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment a user would have: no stray POLICYWATCH_* from the test runner."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
    env["POLICYWATCH_CONFIG"] = str(config)
    if database_url:
        env["POLICYWATCH_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def cli(args: list[str], env: dict[str, str], timeout: float = 240.0):
    """Run ``python -m monitor ARGS``; returns the CompletedProcess (text)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class CliProcess:
    """``python -m monitor ARGS`` in the background, output to a file (no pipe to fill)."""

    def __init__(self, args: list[str], env: dict[str, str], log_path) -> None:
        import subprocess
        import sys

        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in wait()/kill()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", *args],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.proc.pid

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 240.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def crawl_child(self, timeout: float = 60.0) -> int:
        """The pid of the ``monitor.crawl`` child this command started (waits for it)."""
        import psutil

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                for child in psutil.Process(self.pid).children():
                    if "monitor.crawl" in " ".join(child.cmdline()):
                        return child.pid
            except psutil.Error:
                pass
            if self.proc.poll() is not None:
                raise AssertionError(f"command exited before its crawl child:\n{self.output()}")
            time.sleep(0.02)
        raise AssertionError(f"no crawl child after {timeout:g}s:\n{self.output()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def wait_until(what: str, check: Callable[[], object], timeout: float = 90.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def pid_gone(pid: int, timeout: float) -> bool:
    """True when ``pid`` has exited (or is a zombie) within ``timeout`` seconds."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def kill_pid(pid: int) -> None:
    import os
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
