"""URL and text normalisation for extracted policy text (pure, no I/O).

Why this exists: the product diffs the text of a policy between fetches. Two kinds of churn would
otherwise show up as "changes" although the policy did not change:

* link churn - platforms decorate links with click-tracking parameters, session ids and signed,
  expiring CDN URLs (Meta's policy page produced hundreds of link-only "versions" in other
  trackers). :func:`normalise_url` maps every such variant of a link to one stable form.
* character churn - the same visible text can be encoded with different Unicode forms, no-break
  spaces, zero-width characters or CR/LF line ends. :func:`normalise_text` maps it to one form.

Both functions are deterministic and idempotent (``f(f(x)) == f(x)``), which the extractor's
"same input => byte-identical output" promise relies on.

Fragment policy (decided here, documented for users of ``normalise_url``): a fragment is kept
only when it names an anchor on the target page - an identifier such as ``#privacy_notice`` or
``#europeanrequirements``, which is stable and tells the reader which section is meant. Fragments
that carry application state (``#zippy=%2Cwhat-are-gemini-apps``, ``#ts=1115658%2C13380504``,
``#!/path``, ``#:~:text=...``, anything with ``=``, ``&``, ``/``, ``?`` or ``!``) are dropped: they
change with UI state, not with the policy. (Links that point *only* to a fragment of the same page,
``href="#intro"``, are reduced to their text by the extractor; see ``monitor.extract``.)
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

__all__ = ["LazyRe", "is_tracking_param", "nfc", "normalise_text", "normalise_url"]


def _words(text: str) -> tuple[str, ...]:
    """A word list written as one string (long tables stay readable and compact)."""
    return tuple(text.split())


class LazyRe:
    """A regular expression compiled on first use.

    The CLI must start in well under 0.3 s, and these modules are imported by it; compiling
    the ~30 patterns of the extraction core at import time would cost 20-40 ms.
    """

    __slots__ = ("_compiled", "pattern", "flags")

    def __init__(self, pattern: str | bytes, flags: int = 0):
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern | None = None

    def __getattr__(self, name: str):
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern, self.flags)
        return getattr(compiled, name)


# ---------------------------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------------------------

# Query parameters that never change what a link points to (compared case-insensitively).
_DROP_PARAMS = frozenset(
    _words(
        # click ids / campaign tracking
        "fbclid gclid gclsrc dclid gbraid wbraid msclkid yclid twclid ttclid li_fat_id mc_eid "
        "mc_cid _hsenc _hsmi __hstc __hssc __hsfp hsctatracking trk trkinfo trkemail lipi licu "
        "midtoken midsig trackingid ref_src ref_url refsrc si igshid igsh s_kwcid ef_id _ga _gl "
        "_ke vero_id vero_conv oly_anon_id oly_enc_id rb_clickid spm scm wt.mc_id epik mkt_tok "
        "sc_cid __tn__ __xts__ __cft__ hc_ref hc_location fref _rdr ved usg sa ei sca_esv "
        "_branch_match_id zanpid mbid cvid ocid cmpid icid srsltid at_medium at_campaign rcm "
        "ncid "
        # session ids and per-request tokens
        "jsessionid phpsessid sid sessionid session_id sessid cfid cftoken aspsessionid sesskey "
        "csrf csrf_token csrftoken xsrf "
        # signed / expiring CDN and object-store URLs
        "oh oe expires signature key-pair-id token auth_token access_token googleaccessid "
        "x-goog-signature hmac hdnts __gda__ validfrom validto ccb stp efg"
    )
)
_DROP_PREFIXES = ("utm_", "_nc_", "x-amz-", "x-goog-", "hsa_", "pk_", "mtm_", "matomo_", "__cft__")

# Azure SAS and CloudFront signed URLs use short generic names; drop them only when the URL is
# signed (its signature parameter is present), so ``?sp=2`` on an ordinary page survives.
_SAS_PARAMS = frozenset(
    _words("sv ss srt sp se st spr sig sr skoid sktid skt ske sks skv sdd ses si")
)
_CLOUDFRONT_PARAMS = frozenset({"policy", "expires", "signature", "key-pair-id"})

# Per-host extras: Meta's link decorations (OTA's Facebook declarations strip ``h`` and ``locale2``
# too: they change on every fetch or with the fetch's locale, not with the policy).
_HOST_DROP = {
    "facebook.com": frozenset({"h", "locale2", "_fb_noscript", "hrc", "refid", "ref"}),
    "instagram.com": frozenset({"h", "locale2", "ref"}),
    "linkedin.com": frozenset(
        _words("trk trkinfo lipi midtoken midsig refid originalsubdomain src veh lici ref")
    ),
}

# Redirectors that wrap the real target: ``https://l.facebook.com/l.php?u=<target>&h=<hash>``.
_UNWRAP = {
    ("l.facebook.com", "/l.php"): "u",
    ("lm.facebook.com", "/l.php"): "u",
    ("l.instagram.com", "/"): "u",
    ("www.google.com", "/url"): "q",
    ("google.com", "/url"): "q",
    ("www.linkedin.com", "/redir/redirect"): "url",
    ("www.linkedin.com", "/redir/general-malware-page"): "url",
    ("out.reddit.com", "/"): "url",
}

_ANCHOR_RE = LazyRe(r"[A-Za-z_][A-Za-z0-9_.:\-]*\Z")
_PATH_SESSION_RE = LazyRe(r";(?:jsessionid|sid|phpsessid|sessionid)=[^/?#]*", re.IGNORECASE)
_PCT_RE = LazyRe(r"%[0-9a-fA-F]{2}")
_PATH_SAFE = "/%:@!$&'()*+,;=~-._"
_PATH_UNSAFE_RE = LazyRe(r"[^A-Za-z0-9/%:@!$&'()*+,;=~\-._]")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_URL_WS_RE = LazyRe(r"[\t\n\r]")


def is_tracking_param(name: str, host: str = "") -> bool:
    """True when the query parameter ``name`` is noise (tracking, session id, CDN signature).

    ``host`` (lower case) enables per-site extras such as Meta's ``h`` link-shim hash.
    """
    key = name.lower()
    if key in _DROP_PARAMS or key.startswith(_DROP_PREFIXES):
        return True
    for suffix, extra in _HOST_DROP.items():
        if key in extra and (host == suffix or host.endswith("." + suffix)):
            return True
    return False


def _upper_escapes(text: str) -> str:
    return _PCT_RE.sub(lambda m: m.group(0).upper(), text) if "%" in text else text


def _split_netloc(netloc: str) -> tuple[str, str, str]:
    """(userinfo@ or "", lower-case host, ":port" or "") without urllib's repeated re-parsing."""
    userinfo = ""
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
        userinfo += "@"
    port = ""
    if netloc.startswith("["):  # IPv6 literal
        end = netloc.find("]")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if rest.startswith(":"):
            port = rest
    elif ":" in netloc:
        host, _, port = netloc.partition(":")
        port = ":" + port
    else:
        host = netloc
    return userinfo, host.lower().rstrip("."), port


def _query(query: str, host: str) -> str:
    """Drop noise parameters and sort the rest; pairs are kept as written (no re-encoding)."""
    pairs = [p for p in query.replace(";", "&").split("&") if p]
    if not pairs:
        return ""
    keyed = []
    for pair in pairs:
        key = pair.split("=", 1)[0]
        if "%" in key or "+" in key:
            key = unquote(key.replace("+", " "))
        keyed.append((key.lower(), pair))
    keys = {k for k, _ in keyed}
    signed_sas = "sig" in keys
    signed_cf = "signature" in keys
    kept = [
        pair
        for key, pair in keyed
        if not is_tracking_param(key, host)
        and not (signed_sas and key in _SAS_PARAMS)
        and not (signed_cf and key in _CLOUDFRONT_PARAMS)
    ]
    kept.sort()
    return "&".join(kept)


def _unwrap(host: str, path: str, query: str) -> str | None:
    wrapped = _UNWRAP.get((host, path))
    if not wrapped:
        return None
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == wrapped:
            target = unquote(value.replace("+", " "))
            if target.startswith(("http://", "https://")):
                return target
    return None


def normalise_url(url: str, base: str | None = None) -> str:
    """See :func:`_normalise_url`. Absolute links are cached without their page's URL, so a
    link shared by a thousand pages is normalised once, not once per page."""
    head = url[:8].lower()
    if base and (head.startswith("https://") or head.startswith("http://")):
        base = None
    return _normalise_url(url, base)


@lru_cache(maxsize=65536)
def _normalise_url(url: str, base: str | None = None) -> str:
    """Return the stable form of a link: absolute, without noise, with sorted query parameters.

    * resolved against ``base`` when given (relative links become absolute);
    * scheme and host lower-cased, default ports and empty ``?`` removed, ``;jsessionid=``
      path parameters removed, unsafe path characters percent-encoded, escapes upper-cased;
    * query parameters that are tracking ids (``utm_*``, ``fbclid``, ``gclid``, ``trk``, ...),
      session ids (``jsessionid``, ``sid``, ``PHPSESSID`` ...) or CDN signatures (``oh``, ``oe``,
      ``_nc_*``, ``X-Amz-*``, ``Expires``/``Signature``/``Key-Pair-Id``, ``token`` ...) are
      dropped; the rest are sorted (as written, not re-encoded) so reordering is not a change;
    * redirect wrappers (``l.facebook.com/l.php?u=...``, ``google.com/url?q=...``) are unwrapped;
    * the fragment is kept only when it is a plain anchor name (see the module docstring).

    Non-web schemes (``mailto:``, ``tel:``, ``javascript:`` ...) are returned with only the scheme
    lower-cased and surrounding whitespace removed. The result is cached: the same links recur on
    every fetch of a page, so normalisation costs almost nothing after the first round.
    """
    url = url.strip()
    if "\t" in url or "\n" in url or "\r" in url:
        url = _URL_WS_RE.sub("", url)
    head = url[:8].lower()
    if base and not (head.startswith("https://") or head.startswith("http://")):
        with contextlib.suppress(ValueError):
            url = urljoin(base, url)
    try:
        scheme, netloc, path, query, fragment = urlsplit(url)
    except ValueError:  # e.g. an invalid IPv6 literal: leave such a link alone
        return url
    scheme = scheme.lower()
    if scheme not in ("http", "https", ""):
        return f"{scheme}:{url.split(':', 1)[1]}"
    userinfo, host, port = _split_netloc(netloc)
    if port and (port == ":" or port[1:] == _DEFAULT_PORTS.get(scheme)):
        port = ""
    if ";" in path:
        path = _PATH_SESSION_RE.sub("", path)
    if _PATH_UNSAFE_RE.search(path):
        path = quote(path, safe=_PATH_SAFE)
    if "%" in path:
        path = _upper_escapes(path)
    if not path and netloc:
        path = "/"
    if query:
        target = _unwrap(host, path, query)
        if target is not None:
            return _normalise_url(target)
        query = _query(query, host)
    if fragment:
        if "%" in fragment:
            fragment = unquote(fragment)
        if not _ANCHOR_RE.match(fragment):
            fragment = ""
    return urlunsplit((scheme, userinfo + host + port if netloc else "", path, query, fragment))


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------

# Every space-like character becomes an ASCII space; line/paragraph separators become newlines;
# invisible characters that carry no meaning in policy text are removed. ZWJ/ZWNJ (U+200C/D) are
# deliberately KEPT: they change how Devanagari (the Hindi LinkedIn/Facebook pages) and emoji are
# written, so removing them would alter real text.
_MAP: dict[str, str] = {
    **{chr(c): " " for c in (0x09, 0x0B, 0x0C, 0xA0, 0x1680, 0x202F, 0x205F, 0x3000)},
    **{chr(c): " " for c in range(0x2000, 0x200B)},
    "\u2028": "\n",
    "\u2029": "\n",
    "\r": "\n",
    "\x85": "\n",
    **{chr(c): "" for c in (0x200B, 0x2060, 0xFEFF, 0xAD, 0x180E, 0x200E, 0x200F)},
    **{chr(c): "" for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D)},
    **{chr(c): "" for c in range(0x7F, 0xA0) if c != 0x85},
    **{chr(c): "" for c in range(0x202A, 0x202F)},  # bidi embedding controls
    **{chr(c): "" for c in range(0x2066, 0x206A)},  # bidi isolates
}
# Found with one regex scan and replaced one by one: they are rare, and str.translate with a
# mapping walks every character in Python-level slow paths (several ms per policy).
_SPECIAL_RE = LazyRe("[" + re.escape("".join(_MAP)) + "]")
# The subset that ``str.split()`` does not already treat as whitespace (used by the extractor,
# whose lines are built with split/join, to decide whether a full normalisation pass is needed).
INVISIBLE_RE = LazyRe("[" + re.escape("".join(ch for ch in _MAP if not ch.isspace())) + "]")


def _replace(match: re.Match[str]) -> str:
    return _MAP[match.group()]


def _clean_line(line: str) -> str:
    """Collapse inner runs of spaces and drop trailing ones; keep the leading indentation.

    Called after the special characters are replaced, when spaces are the only whitespace left
    besides newlines, so ``str.split()`` splits exactly on runs of spaces.
    """
    body = line.lstrip(" ")
    if not body:
        return ""
    return line[: len(line) - len(body)] + " ".join(body.split())


def nfc(text: str) -> str:
    """``unicodedata.normalize("NFC", text)``, skipping the call for ASCII text.

    Measured on the Hindi policies: ``is_normalized`` is *slower* than ``normalize`` (CPython's
    quick check is inconclusive for Devanagari nukta and virama, and then both run the full
    algorithm), so the text is normalised directly; ``normalize`` returns early by itself for
    Latin text. NFC costs ~0.2 us per Devanagari character (~25 ms for a 145,000-character
    Hindi policy) and nothing noticeable for English - and it only runs on pages whose
    fingerprint changed.
    """
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def normalise_text(text: str) -> str:
    """Normalise whitespace and Unicode so equal-looking text is byte-identical.

    NFC composition; CR/LF and U+2028/9 to ``\\n``; no-break, thin and other Unicode spaces and
    tabs to an ASCII space; zero-width spaces, word joiners, BOMs, soft hyphens, bidi controls and
    other control characters removed; runs of spaces inside a line collapsed to one (leading
    indentation, which carries list nesting, is kept); trailing spaces removed; at most one
    blank line in a row; no leading blank lines; exactly one final newline (empty text stays
    empty). Typographic quotes and apostrophes (’ “ ”) are kept exactly as the site wrote them:
    converting them would hide a real edit and invent ones that are not there.
    """
    if not text:
        return ""
    text = nfc(text.replace("\r\n", "\n"))
    if _SPECIAL_RE.search(text):
        text = _SPECIAL_RE.sub(_replace, text)
    out: list[str] = []
    blank = True  # drops leading blank lines
    for line in text.split("\n"):
        if "  " in line or line.endswith(" ") or line.startswith(" "):
            line = _clean_line(line)
        if line:
            out.append(line)
            blank = False
        elif not blank:
            out.append("")
            blank = True
    while out and not out[-1]:
        out.pop()
    if not out:
        return ""
    return "\n".join(out) + "\n"
