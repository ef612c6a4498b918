"""Small output helpers: JSON Lines, fixed-width tables, UTC timestamps."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import click


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 UTC with a trailing Z (stable across SQLite and PostgreSQL)."""
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def when(dt: datetime | None) -> str:
    """Human form: date and time in UTC."""
    return "-" if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def emit_json(rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False, sort_keys=False))


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int] | None = None
) -> str:
    """A plain table that fits 80 columns: the last column takes what is left and wraps."""
    cells = [[("" if c is None else str(c)) for c in r] for r in rows]
    if widths is None:
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    widths = list(widths)
    used = sum(widths[:-1]) + 2 * (len(widths) - 1)
    widths[-1] = max(20, min(widths[-1], 80 - used))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for r in cells:
        first = True
        last = r[-1]
        chunks = _wrap(last, widths[-1])
        for chunk in chunks:
            head = [
                (c[:w] if first else "").ljust(w) for c, w in zip(r[:-1], widths[:-1], strict=True)
            ]
            lines.append("  ".join(head + [chunk]).rstrip())
            first = False
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def parse_when(value: str | None, option: str) -> datetime | None:
    """Accept 2024-09-18, 2024-09-18T10:00, or ...Z; naive means UTC."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM", param_hint=option
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
