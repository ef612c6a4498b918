"""``policywatch classify [FILE]``: run the AI-clause detector on JSON Lines (DESIGN.md §5).

Input: one JSON object per line with a string ``text`` and an optional ``context`` (list of
strings: heading path / lead-in). Output: one JSON line per input line, in order, with exactly
``text``, ``ai_training``, ``score``, ``category`` and ``signals``. Blank lines are skipped.

Why all input is validated before anything is written: a pipeline that gets exit 1 should not
also have consumed half an answer; the error names the first bad line.
"""

from __future__ import annotations

import json
from typing import IO, Any

import click


def _parse(lines: IO[str]) -> list[tuple[str, tuple[str, ...]]]:
    items: list[tuple[str, tuple[str, ...]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(
                f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise click.ClickException(
                f'line {number}: expected a JSON object with a string field "text"'
            )
        context = obj.get("context", [])
        if context is None:
            context = []
        if not isinstance(context, list) or not all(isinstance(c, str) for c in context):
            raise click.ClickException(f'line {number}: "context" must be a list of strings')
        items.append((obj["text"], tuple(context)))
    return items


@click.command("classify")
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-", required=False)
def classify(file: IO[str]) -> None:
    """Classify sentences read as JSON Lines from FILE (or stdin) as AI-training clauses."""
    from monitor.detect import classify as detect

    for text, context in _parse(file):
        result = detect(text, context)
        row = {
            "text": text,
            "ai_training": result.ai_training,
            "score": result.score,
            "category": result.category,
            "signals": list(result.signals),
        }
        click.echo(json.dumps(row, ensure_ascii=False))
