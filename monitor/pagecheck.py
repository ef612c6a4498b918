"""Recognise pages that are not the document: walls, challenges, shells and non-HTML bodies.

Sites answer a scripted fetch with HTTP 200 and a page that is *about* something else: a login
wall (LinkedIn's authwall, Facebook's "Log in or sign up"), a bot challenge (Cloudflare's "Just a
moment...", Google's "unusual traffic" page), a cookie-consent interstitial (Google's "Before you
continue", Meta's "Allow the use of cookies"), an "unsupported browser" page or a JavaScript-only
shell. Recording such a page as a version would make the product report "policy deleted"; the
extractor uses these checks to fail the fetch with the right reason instead.

Why the checks are scoped the way they are: real policies *mention* all of this - "sign in to
your account", "we use cookies", "enable JavaScript", "we use reCAPTCHA to check you are human" -
and real policy pages carry login bars, cookie banners and captcha scripts around the text (the
Meta AI terms page has a password field; Reddit's pages load reCAPTCHA). So phrases are never
looked for in a long document. The checks come in three strengths:

* **definitive** (:func:`check_url`, :func:`check_title`, :func:`check_markers`): the final URL is
  a login/consent/challenge endpoint, the ``<title>`` *is* the wall's title, or the bytes carry a
  challenge-only marker (Cloudflare's ``_cf_chl_opt``). No policy has these, so they apply to any
  page, whatever the selector matched;
* **scoped** (:func:`check_scope` with ``strict=True``): the selected region is real text of a
  modest length but itself contains the wall's machinery - a password field together with login
  wording, a captcha widget together with challenge wording, a consent form. Wording alone never
  counts here;
* **explanatory** (:func:`check_scope` with ``strict=False``): the fetch already failed (nothing
  matched the selector, or the text is under the minimum length); phrases on the whole page only
  choose a more helpful reason than "structure-changed" / "too-short", and only on short pages.

Everything here is pure and cheap: title and markers are read once per page; phrase scans run only
on failing or short pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.normalise import LazyRe

__all__ = [
    "Verdict",
    "check_markers",
    "check_scope",
    "check_title",
    "check_url",
    "sniff_not_html",
]


def _words(text: str) -> tuple[str, ...]:
    """A word list written as one string (long tables stay readable and compact)."""
    return tuple(text.split())


@dataclass(frozen=True)
class Verdict:
    """Why a page is not the document: an ExtractionFailed reason, what was seen, what to do."""

    reason: str
    seen: str
    advice: str


_ADVICE = {
    "login-wall": "the site wants a signed-in visitor here; check the URL in a private browser "
    "window and point the declaration at a public URL (retrying will not help)",
    "captcha": "the site is challenging automated clients; it is retried on the next run, and "
    "if it persists lower the crawl frequency or set needs_js so Chromium renders the page",
    "bot-wall": "the site blocked this client; it is retried on the next run, and if it "
    "persists lower the crawl frequency or check the user agent and robots settings",
    "consent-wall": "the site asks for cookie consent before showing the text; use a URL that "
    "skips the interstitial (e.g. a printable or help-centre page, or locale parameters) or set "
    "needs_js",
    "unsupported-browser": "the site rejects this client as a browser; set needs_js so Chromium "
    "renders the page",
    "js-required": "the served HTML is a JavaScript application shell without the text; set "
    "needs_js = true in the declaration",
}


def _verdict(reason: str, seen: str) -> Verdict:
    return Verdict(reason, seen, _ADVICE[reason])


# ---------------------------------------------------------------------------------------------
# Not HTML at all
# ---------------------------------------------------------------------------------------------

_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed bytes"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"RIFF", "a RIFF media file"),
    (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 file"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"BZh", "bzip2-compressed bytes"),
    (b"\xfd7zXZ", "xz-compressed bytes"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed bytes"),
)
_HTML_START_RE = LazyRe(
    rb"<(?:!doctype\s+html|html|head|body|meta|title|div|p|main|article|section|span|table|"
    rb"h[1-6]|ul|ol|script|link|!--)[\s>/]",
    re.IGNORECASE,
)
_NON_HTML_TYPES = tuple(
    _words(
        "application/pdf image/ audio/ video/ font/ application/zip application/json "
        "application/javascript text/javascript text/css application/octet-stream "
        "application/gzip application/x-"
    )
)


def sniff_not_html(body: bytes, content_type: str | None) -> str | None:
    """What the body is when it is clearly not an HTML page (e.g. "a PDF document"), else None.

    Magic numbers win over the header (a PDF is a PDF whatever the server says). Otherwise a body
    with HTML markup near its start is HTML even under a wrong Content-Type (servers send
    ``text/plain`` or ``application/octet-stream`` for pages), and a body without any markup is
    not HTML.
    """
    start = body[:16].lstrip()
    for magic, what in _MAGIC:
        if start.startswith(magic):
            return what
    head = body[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _declares_utf16(content_type):
        return None
    if _HTML_START_RE.search(head):
        return None  # markup first: a stray NUL byte in a page does not make it binary
    if b"\x00" in head:
        return "binary data (NUL bytes)"
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime and mime.startswith(_NON_HTML_TYPES):
        return f"{mime} content"
    if b"<" not in body[:65536]:
        return f"{mime or 'untyped'} content without any HTML markup"
    return None


def _declares_utf16(content_type: str | None) -> bool:
    return bool(content_type) and "utf-16" in content_type.lower()


# ---------------------------------------------------------------------------------------------
# Definitive checks
# ---------------------------------------------------------------------------------------------

_LOGIN_PATH_RE = LazyRe(
    r"/(?:authwall|uas/login|login|log-in|signin|sign-in|checkpoint|accounts/login|"
    r"ServiceLogin|v3/signin|account/login|register)(?:[/?.;]|$)",
    re.IGNORECASE,
)


_LOGIN_HOSTS = ("login.", "signin.", "sso.", "auth.")


def check_url(url: str | None) -> Verdict | None:
    """A final URL (after redirects) that is a wall endpoint rather than a document."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    if host.startswith("consent.") and (
        host.endswith(".google.com")
        or host.endswith(".youtube.com")
        or host in ("consent.google.com", "consent.youtube.com")
    ):
        return _verdict("consent-wall", f"a redirect to {host}")
    if host.endswith("google.com") and path.startswith("/sorry"):
        return _verdict("captcha", "Google's 'unusual traffic' page (/sorry/)")
    if (
        host == "accounts.google.com"
        or (host.startswith(_LOGIN_HOSTS) and host.count(".") >= 2)
        or _LOGIN_PATH_RE.search(path)
    ):
        return _verdict("login-wall", f"a login URL ({host}{path})")
    return None


_WS_RE = LazyRe(r"\s+")
_TITLE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, LazyRe(pattern))
    for reason, pattern in (
        (
            "captcha",
            r"^(just a moment|un instant|einen moment|un momento|один момент)\s*(\.\.\.|…)?$",
        ),
        (
            "captcha",
            r"^(verify you are human|human verification|are you a robot\??|"
            r"security check|captcha|robot check|please verify you are a human|"
            r"pardon our interruption|checking your browser.*)$",
        ),
        ("captcha", r"^https?://(www\.)?google\.[a-z.]+/sorry/"),
        (
            "bot-wall",
            r"^(attention required! \| cloudflare|access denied|403 forbidden|"
            r"request blocked|blocked|you have been blocked|whoa there, pardner!?)$",
        ),
        (
            "consent-wall",
            r"^(before you continue( to (google|youtube)( search| maps)?)?|"
            r"consent|cookie consent|privacy consent)$",
        ),
        (
            "login-wall",
            r"^((sign up|sign in|log ?in|login|join)\b[^|]*\| linkedin|"
            r"linkedin login, sign in \| linkedin|"
            r"log in or sign up to view|"
            r"(facebook|instagram) ?[-–—|] ?(log ?in or sign up|log ?in|sign up)|"
            r"log ?(in|into) (to )?(facebook|instagram|reddit|linkedin|your account)|"
            r"login • instagram|reddit\.com: log in|log in \| reddit|"
            r"sign in - google accounts|sign in – google accounts)$",
        ),
        (
            "unsupported-browser",
            r"(unsupported browser|browser (is )?not supported|"
            r"update your browser|upgrade your browser|"
            r"browser is out of date)",
        ),
    )
)


def check_title(title: str | None) -> Verdict | None:
    """A ``<title>`` that names a wall. Titles of real documents never match these patterns."""
    if not title:
        return None
    norm = _WS_RE.sub(" ", title).strip().lower()
    if not norm or len(norm) > 120:
        return None
    for reason, pattern in _TITLE_RULES:
        if pattern.search(norm):
            return _verdict(reason, f"a page titled '{_WS_RE.sub(' ', title).strip()[:80]}'")
    return None


# Byte markers that only challenge/block pages carry (not the scripts normal pages include).
_DEFINITIVE_MARKERS = (
    (b"_cf_chl_opt", "captcha", "Cloudflare's challenge page"),
    (b"cf-browser-verification", "captcha", "Cloudflare's browser check"),
    (b'id="cf-error-details"', "bot-wall", "Cloudflare's block page"),
    (b"id='cf-error-details'", "bot-wall", "Cloudflare's block page"),
)


_MARKER_SPAN = 65536
_ERROR_DETAILS = b"cf-error-details"


def check_markers(body: bytes) -> Verdict | None:
    """Challenge-only byte markers (Cloudflare's challenge options object, its block page).

    Only the first 64 KB are searched: challenge and block pages are a few KB, and a page of
    hundreds of KB that carries such a marker further down is not one of them.
    """
    # find() within bounds instead of a 64 KB slice; the two spellings of the block page's id
    # are only looked for when their common part is there (one search instead of two).
    error_details = body.find(_ERROR_DETAILS, 0, _MARKER_SPAN) != -1
    for marker, reason, seen in _DEFINITIVE_MARKERS:
        if not error_details and _ERROR_DETAILS in marker:
            continue
        if body.find(marker, 0, _MARKER_SPAN) != -1:
            return _verdict(reason, seen)
    return None


# ---------------------------------------------------------------------------------------------
# Scoped and explanatory checks
# ---------------------------------------------------------------------------------------------

_PHRASES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (reason, seen, LazyRe(pattern))
    for reason, seen, pattern in (
        (
            "captcha",
            "a bot challenge",
            r"unusual traffic from your computer network|our systems have detected unusual traffic"
            r"|verify (that )?you are (a )?human|verify you'?re (a )?human|(confirm|prove) "
            r"(that )?you('re| are) (a )?human|i'?m not a robot|are you a robot\?|complete the "
            r"(security check|captcha)|solve (this|the) captcha|press (&|and) hold|checking if the "
            r"site connection is secure|checking your browser before accessing|enable javascript "
            r"and cookies to continue|needs to review the security of your connection",
        ),
        (
            "bot-wall",
            "a block page",
            r"sorry, you have been blocked|you (have|'ve) been blocked|your request has been "
            r"blocked|request blocked|blocked (due to|by) (a )?network (policy|security)|whoa "
            r"there,? pardner|access denied.{0,200}reference ?#|you don'?t have permission to "
            r"access .{0,80} on this server|too many requests|rate limit exceeded",
        ),
        (
            "consent-wall",
            "a cookie-consent interstitial",
            r"before you continue to (google|youtube)|allow (the use of )?(all )?cookies from "
            r"(facebook|instagram|meta)|allow the use of cookies (from|by)|we use cookies and data "
            r"to deliver and maintain|(accept all|reject all).{0,400}(accept all|reject all)",
        ),
        (
            "login-wall",
            "a login wall",
            r"you must (log|sign) in to continue|(log|sign) in to (continue|view|see)|log in or "
            r"sign up to view|join linkedin|agree (&|and) join|new to linkedin\? join now|already on "
            r"linkedin\? sign in|log (in|into) (to )?(facebook|reddit|instagram)|you must be logged "
            r"in|please (log|sign) in|forgot(ten)? (your )?password|create new account",
        ),
        (
            "unsupported-browser",
            "an unsupported-browser page",
            r"(your )?browser (is|isn'?t|is not) (currently |no longer )*supported|unsupported "
            r"browser|(update|upgrade) your browser|browser is (out of date|outdated)|(isn'?t|not) "
            r"available on this browser|switch to a supported browser",
        ),
        (
            "js-required",
            "a JavaScript-only page",
            r"(you need to |please )?enable javascript|javascript is (required|disabled|not "
            r"enabled)|requires javascript|turn on javascript|doesn'?t work properly without "
            r"javascript",
        ),
    )
)

_LOGIN_WORDS_RE = LazyRe(r"\b(sign in|log ?in|sign up|join now|password)\b")
_CAPTCHA_WORDS_RE = _PHRASES[0][2]
_CONSENT_WORDS_RE = LazyRe(r"cookie|consent")
EXPLAIN_LIMIT = 6000  # characters: longer pages are documents (or broken layouts), not walls


@dataclass(frozen=True)
class Scope:
    """What the checks look at: visible text (lower case), and machinery found in the scope."""

    text: str
    has_password: bool = False
    has_captcha_widget: bool = False
    has_consent_form: bool = False
    empty_app_root: bool = False
    has_scripts: bool = False


def check_scope(scope: Scope, *, strict: bool) -> Verdict | None:
    """Wall evidence in ``scope`` (see the module docstring for ``strict``)."""
    text = scope.text
    if strict:
        if scope.has_password and _LOGIN_WORDS_RE.search(text):
            return _verdict("login-wall", "a login form in the selected content")
        if scope.has_captcha_widget and _CAPTCHA_WORDS_RE.search(text):
            return _verdict("captcha", "a captcha widget in the selected content")
        if scope.has_consent_form and _CONSENT_WORDS_RE.search(text):
            return _verdict("consent-wall", "a consent form in the selected content")
        return None
    if len(text) > EXPLAIN_LIMIT:
        return None
    for reason, seen, pattern in _PHRASES:
        if pattern.search(text):
            if reason == "js-required" and len(text) > 1500:
                continue
            return _verdict(reason, seen)
    if scope.has_password and _LOGIN_WORDS_RE.search(text):
        return _verdict("login-wall", "a login form")
    if scope.has_captcha_widget:
        return _verdict("captcha", "a captcha widget")
    if scope.has_scripts and (scope.empty_app_root or len(text.strip()) < 200):
        return _verdict("js-required", "an empty application root filled by scripts")
    return None
