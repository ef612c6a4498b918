"""A logging filter that masks secrets in every record, whoever logs it.

Apprise, SQLAlchemy and Scrapy may log URLs with credentials; installing this filter on the
root handlers means no log line can carry a password or token (DESIGN.md, Standards).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from monitor.secrets import redact


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is still logged, masked
            message = str(record.msg)
        masked = redact(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_redaction(secrets: Iterable[str] = ()) -> RedactingFilter:
    """Attach one redacting filter to every root handler (idempotent; secrets are merged)."""
    root = logging.getLogger()
    existing = next(
        (f for h in root.handlers for f in h.filters if isinstance(f, RedactingFilter)), None
    )
    if existing is not None:
        existing.secrets = tuple(set(existing.secrets) | set(secrets))
        return existing
    flt = RedactingFilter(secrets)
    for handler in root.handlers:
        handler.addFilter(flt)
    return flt
