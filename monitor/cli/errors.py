"""Turn exceptions into one masked, actionable line and an exit code (DESIGN.md §5)."""

from __future__ import annotations

from monitor.secrets import redact


def describe(exc: BaseException) -> tuple[str, int]:
    from monitor.config import ConfigError
    from monitor.db import DatabaseError
    from monitor.declarations import DeclarationError

    if isinstance(exc, (ConfigError, DeclarationError, DatabaseError)):
        return redact(str(exc)), 1
    name = type(exc).__name__
    if name == "CrawlBusy":
        return str(exc), 1
    try:
        from sqlalchemy.exc import OperationalError, SQLAlchemyError

        if isinstance(exc, OperationalError):
            orig = getattr(exc, "orig", None)
            detail = str(orig).strip().splitlines()[0] if orig else "operational error"
            return (
                redact(
                    f"database error: {detail}; check POLICYWATCH_DATABASE_URL and that the "
                    "database server is running"
                ),
                1,
            )
        if isinstance(exc, SQLAlchemyError):
            return redact(f"database error ({name}); run with -vv for details"), 1
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, OSError):
        return redact(f"{exc.strerror or name}: {exc.filename or ''}".strip()), 1
    return redact(f"unexpected error {name}: {exc}; run with -vv for a traceback"), 1
