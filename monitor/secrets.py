"""Masking of secrets: Apprise URLs and database URLs carry passwords and tokens.

Why a module of its own: every edge (logs, CLI output, exceptions, ``status``) must show a
channel or a database without revealing it, and doing it in one place is the only way to be
sure. Masking keeps what helps a user recognise the target (scheme, host, the first characters
of the user name) and replaces everything that could be a credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

MASK = "****"
_URL_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,30}://[^\s'\"<>]+")


def mask_url(url: str) -> str:
    """``slack://T000/B000/XXXX`` -> ``slack://****``; ``mailtos://me:pw@host`` -> ``mailtos://me:****@host/…``.

    For schemes where tokens live in the path (most Apprise services), only the scheme and
    the host are kept when the host does not look like a token itself.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    scheme = parts.scheme or "?"
    try:
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        host, port = "", ""
    user = parts.username or ""
    userinfo = ""
    if user:
        shown = user if len(user) <= 3 else user[:3] + "…"
        userinfo = f"{shown}:{MASK}@" if parts.password is not None else f"{shown}@"
    if scheme in ("http", "https", "json", "jsons", "xml", "xmls", "form", "forms"):
        # Keep the host so a user can tell endpoints apart; the path may hold a token.
        path = "/…" if parts.path.strip("/") or parts.query else ""
        return f"{scheme}://{userinfo}{host}{port}{path}"
    if scheme.startswith(("postgres", "sqlite", "mysql")):
        path = parts.path if scheme.startswith("sqlite") else ("/" + parts.path.lstrip("/"))
        return f"{scheme}://{userinfo}{host}{port}{path}"
    looks_like_token = not _is_hostname(host)
    if scheme in ("mailto", "mailtos") and host:
        return (
            f"{scheme}://{userinfo}{host}{port}/…"
            if parts.path or parts.query
            else f"{scheme}://{userinfo}{host}{port}"
        )
    if not host or looks_like_token or "." not in host:
        return f"{scheme}://{MASK}"
    return f"{scheme}://{userinfo}{host}{port}/{MASK}"


_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def _is_hostname(host: str) -> bool:
    """True for an IP address, ``localhost`` or a dotted name with an alphabetic TLD.

    Apprise puts tokens where a host would be (``slack://T000/…``, ``pbul://o.gn5k…``,
    ``discord://1234567890/…``): anything that does not look like a real host is one.
    """
    import ipaddress

    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if host == "localhost":
        return True
    labels = host.split(".")
    return (
        len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and labels[-1].isalpha()
        and 2 <= len(labels[-1]) <= 24
    )


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove known secret strings and mask every URL found in ``text``.

    Known secrets (full URLs, passwords) are replaced first so that even a secret quoted
    outside a URL (for example in a library's error message) disappears.
    """
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, mask_url(secret) if "://" in secret else MASK)
        for piece in _secret_pieces(secret):
            text = text.replace(piece, MASK)
    return _URL_RE.sub(lambda m: mask_url(m.group(0)), text)


def _secret_pieces(url: str) -> list[str]:
    """Each part of a URL that can be a secret on its own: the password, user names and
    token-like hosts (``tgram://123456789:AAH…``, ``pover://user@token``), long path segments
    and query values. Query keys and plain lowercase words (``mode=insecure``) are kept."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    pieces = [password] if password and len(password) >= 4 else []
    host = parts.hostname or ""
    for piece in re.split(r"[:@]", parts.netloc):
        if piece.lower() == host and _is_hostname(host):
            continue
        pieces += [p for p in {piece, *piece.split(".")} if len(p) >= 8]
    pieces += [seg for seg in parts.path.split("/") if len(seg) >= 8]
    for pair in parts.query.split("&"):
        value = pair.split("=", 1)[1] if "=" in pair else pair
        if len(value) >= 6 and not (value.isalpha() and value.islower() and len(value) <= 10):
            pieces.append(value)
    return pieces
