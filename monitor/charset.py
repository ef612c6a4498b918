"""Decide how the bytes of a fetched page become text (pure, no I/O).

Order of evidence, strongest first:

1. a byte-order mark (UTF-8 / UTF-16). The BOM is a property of the bytes themselves, so it wins
   even over the HTTP header - this is what browsers do (WHATWG "decode"), and a server that
   sends ``charset=iso-8859-1`` with a UTF-8 BOM is simply wrong;
2. the ``charset`` of the HTTP ``Content-Type`` header;
3. ``<meta charset>`` / ``<meta http-equiv="Content-Type">`` / an XML declaration in the first
   4 KB;
4. UTF-8.

Declarations are often wrong, so each is checked against the bytes:

* a single-byte or legacy declaration (``iso-8859-1``, ``windows-1252``, ``shift_jis`` ...) on
  bytes that are valid UTF-8 and not plain ASCII is overridden: real legacy-encoded text is
  practically never valid UTF-8, while "header says Latin-1, body is UTF-8" is the classic cause
  of ``Ã©`` mojibake;
* a UTF-8 declaration (or none) on bytes that are *not* valid UTF-8 falls back to windows-1252
  (the web's legacy default) unless only a handful of bytes are broken;
* ``iso-8859-1`` and ``ascii`` are read as windows-1252, as browsers do (the 0x80-0x9F range is
  curly quotes and dashes in practice, never C1 controls);
* an incomplete UTF-8 sequence at the very end (a transfer cut mid-character) is dropped rather
  than turned into U+FFFD: the truncation check in ``monitor.extract`` reports such pages.

The decoded text can still be broken at the source (text double-encoded by the site's CMS shows
``Ã©`` in every browser). :func:`mojibake_samples` finds such sequences; the extractor refuses to
turn them into a version (reason ``encoding``) instead of "repairing" what the site really serves.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from monitor.normalise import LazyRe

__all__ = [
    "Decoded",
    "decode_body",
    "detect",
    "header_charset",
    "meta_charset",
    "mojibake_samples",
    "replacement_count",
]

_HEADER_CHARSET_RE = LazyRe(r"""charset\s*=\s*["']?\s*([^"'\s;,]+)""", re.IGNORECASE)
_META_CHARSET_RE = LazyRe(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9_.:()\-]+)""", re.IGNORECASE
)
_XML_DECL_RE = LazyRe(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""")
_PRESCAN_BYTES = 4096

# WHATWG: these labels mean windows-1252 on the web.
_AS_CP1252 = {"latin-1", "iso8859-1", "ascii", "cp1252"}


@dataclass(frozen=True)
class Decoded:
    """The text of a body and how it was obtained (``source`` is for messages and tests)."""

    text: str
    encoding: str  # Python codec name actually used, e.g. "utf-8", "cp1252"
    source: str  # "bom", "header", "meta", "default", or "sniffed" (declaration overridden)
    declared: str | None  # the charset the server or page declared, as written
    utf8_bytes: bool  # the body (minus BOM / cut tail) is valid UTF-8: parsers may take bytes
    cut_tail: bool  # an incomplete UTF-8 sequence at the very end was dropped


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value, if any."""
    if not content_type:
        return None
    match = _HEADER_CHARSET_RE.search(content_type)
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (meta tag or XML declaration), if any."""
    head = body[:_PRESCAN_BYTES]
    match = _XML_DECL_RE.match(head) or _META_CHARSET_RE.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _codec(label: str | None) -> str | None:
    """Python codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return "cp1252" if name in _AS_CP1252 else name


def _try_utf8(body: bytes) -> tuple[str | None, bool]:
    """(text, cut_tail) when ``body`` is valid UTF-8 (allowing one cut character at the end)."""
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError as exc:
        if exc.start >= len(body) - 3 and "unexpected end" in exc.reason:
            try:
                return body[: exc.start].decode("utf-8"), True
            except UnicodeDecodeError:
                return None, False
        return None, False


def detect(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode ``body`` following the order of evidence in the module docstring."""
    if body.startswith(codecs.BOM_UTF8):
        text, cut = _try_utf8(body[3:])
        if text is None:
            text, cut = body[3:].decode("utf-8", "replace"), False
        return Decoded(text, "utf-8", "bom", "utf-8", False, cut)
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return Decoded(body[2:].decode(name, "replace"), name, "bom", name, False, False)

    declared = header_charset(content_type)
    source = "header"
    enc = _codec(declared)
    if enc is None:
        declared = meta_charset(body)
        source = "meta"
        enc = _codec(declared)
        # A meta tag is read by an ASCII-compatible prescan, so it cannot really mean UTF-16.
        if enc and enc.startswith("utf-16"):
            enc = "utf-8"
    if enc is None:
        source = "default"

    if enc in (None, "utf-8", "utf-8-sig"):
        text, cut = _try_utf8(body)
        if text is not None:
            return Decoded(text, "utf-8", source, declared, not cut, cut)
        lenient = body.decode("utf-8", "replace")
        broken = lenient.count("\ufffd")
        if broken <= max(3, len(lenient) // 20000):
            # A few stray bytes in an otherwise UTF-8 page: keep UTF-8 (the damage is local).
            return Decoded(lenient, "utf-8", source, declared, False, False)
        # Not UTF-8 at all: the web's legacy default.
        return Decoded(
            body.decode("cp1252", "replace"), "cp1252", "sniffed", declared, False, False
        )

    if enc.startswith(("utf-16", "utf-32")):
        return Decoded(body.decode(enc, "replace"), enc, source, declared, False, False)

    # A legacy declaration. Valid, non-ASCII UTF-8 bytes prove the declaration wrong.
    if not body.isascii():
        text, cut = _try_utf8(body)
        if text is not None:
            return Decoded(text, "utf-8", "sniffed", declared, not cut, cut)
    else:
        # Pure ASCII decodes the same in every ASCII-compatible charset; parse it as UTF-8.
        return Decoded(body.decode("ascii"), "utf-8", source, declared, True, False)
    return Decoded(body.decode(enc, "replace"), enc, source, declared, False, False)


def decode_body(body: bytes, content_type: str | None) -> str:
    """Bytes of a fetched page -> text, with the charset decided as the module docstring says.

    Raises ``ExtractionFailed("encoding", ...)`` when the chosen charset still leaves the text
    full of U+FFFD replacement characters (the bytes are not text in any charset we can trust).
    """
    decoded = detect(body, content_type)
    check_replacements(decoded)
    return decoded.text


def replacement_count(text: str) -> int:
    """Number of U+FFFD replacement characters (each one is a byte we could not decode)."""
    return text.count("\ufffd")


def too_many_replacements(text: str) -> bool:
    """More U+FFFD than a real page can have: a few stray bytes are tolerated."""
    if "\ufffd" not in text:  # a memchr-speed test; counting walks every character
        return False
    count = text.count("\ufffd")
    return count > max(3, len(text) // 10000)


def check_replacements(decoded: Decoded) -> None:
    """Raise ExtractionFailed("encoding") when the decoded document is mostly undecodable."""
    text = decoded.text
    if "\ufffd" not in text:  # the common case, found without counting
        return
    count = text.count("\ufffd")
    if count > max(20, len(text) // 200):
        from monitor.extract import ExtractionFailed

        raise ExtractionFailed(
            "encoding",
            f"{count} of {len(text)} characters could not be decoded as {decoded.encoding} "
            f"(declared: {decoded.declared or 'nothing'}) — the page's charset is wrong or the "
            "body is not text; open the page in a browser and fix the declaration's URL",
        )


# UTF-8 bytes read as windows-1252/latin-1: a lead character (U+00C2-U+00F4) followed by the
# right number of characters that bytes 0x80-0xBF become in windows-1252.
_CONT = (
    "\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152"
    "\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e"
    "\u0178"
)
_MOJIBAKE_RE = LazyRe(
    f"[\u00c2-\u00df][{_CONT}]|[\u00e0-\u00ef][{_CONT}]{{2}}|[\u00f0-\u00f4][{_CONT}]{{3}}"
)


_LEAD_RE = LazyRe("[\u00c2-\u00f4]")


def mojibake_samples(text: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` distinct UTF-8-read-as-Latin-1 sequences (``Ã©``, ``â€™``) in ``text``.

    Real text in French, German, Spanish, Hindi ... does not contain these sequences: a lead
    character such as ``Ã`` followed by a character from the 0x80-0xBF rows of windows-1252.
    """
    found: list[str] = []
    if text.isascii() or not _LEAD_RE.search(text):
        return found
    for match in _MOJIBAKE_RE.finditer(text):
        sample = match.group(0)
        if sample not in found:
            found.append(sample)
            if len(found) >= limit:
                break
    return found


def mojibake_count(text: str) -> int:
    """Number of mojibake sequences in ``text`` (see :func:`mojibake_samples`)."""
    if text.isascii() or not _LEAD_RE.search(text):
        return 0
    return sum(1 for _ in _MOJIBAKE_RE.finditer(text))
