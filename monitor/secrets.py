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
    looks_like_token = len(host) >= 16 or any(c.isdigit() for c in host[:1])
    if scheme in ("mailto", "mailtos") and host:
        return (
            f"{scheme}://{userinfo}{host}{port}/…"
            if parts.path or parts.query
            else f"{scheme}://{userinfo}{host}{port}"
        )
    if not host or looks_like_token or "." not in host:
        return f"{scheme}://{MASK}"
    return f"{scheme}://{userinfo}{host}{port}/{MASK}"


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
    """Password, user token and long path segments of a URL: each is a secret on its own."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    pieces = [password] if password and len(password) >= 4 else []
    pieces += [seg for seg in re.split(r"[/?&=]", parts.path + "?" + parts.query) if len(seg) >= 8]
    host = parts.hostname or ""
    if len(host) >= 16 and "." not in host:
        pieces.append(host)
    return pieces
