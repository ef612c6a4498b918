"""Write a config file that points a sample service at the loopback server."""

from __future__ import annotations

from pathlib import Path


def write_config(
    path: Path,
    base_url: str,
    documents: dict[str, str] | None = None,
    *,
    db_url: str | None = None,
    extra: str = "",
    select: str = '["main"]',
    remove: str = '[".promo"]',
    min_length: int = 200,
    timeout: float = 5.0,
    retries: int = 0,
) -> Path:
    """``documents`` maps a kind to a path on the server (default: privacy-policy → /privacy)."""
    documents = documents or {"privacy-policy": "/privacy"}
    lines = []
    if db_url:
        lines.append(f'database_url = "{db_url}"')
    lines += [
        'services = ["example"]',
        extra,
        "[crawl]",
        "download_delay = 0.0",
        f"download_timeout = {timeout}",
        f"retry_times = {retries}",
        "timeout = 120.0",
        "",
        "[[service]]",
        'slug = "example"',
        'name = "Example Corp"',
    ]
    for kind, route in documents.items():
        lines += [
            "[[service.document]]",
            f'kind = "{kind}"',
            f'title = "{kind.replace("-", " ").title()}"',
            f'url = "{base_url}{route}"',
            f"select = {select}",
            f"remove = {remove}",
            f"min_length = {min_length}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
