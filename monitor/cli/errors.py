"""Turn exceptions into one masked, actionable line and an exit code (DESIGN.md §5)."""

from __future__ import annotations

import sys

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
    # Browsing commands may read with sqlite3 or psycopg directly (monitor.browse_queries):
    # their errors get the same words as SQLAlchemy's below.
    import sqlite3

    drivers: list[tuple[type[BaseException], type[BaseException]]] = [
        (sqlite3.OperationalError, sqlite3.Error)
    ]
    if "psycopg" in sys.modules:
        import psycopg

        drivers.append((psycopg.OperationalError, psycopg.Error))
    for operational, error in drivers:
        if isinstance(exc, operational):
            return _operational(exc), 1
        if isinstance(exc, error):
            return redact(f"database error ({name}); run with -vv for details"), 1
    # An SQLAlchemy error implies SQLAlchemy is loaded; don't pay its import to find out.
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import OperationalError, SQLAlchemyError

        if isinstance(exc, OperationalError):
            return _operational(getattr(exc, "orig", None)), 1
        if isinstance(exc, SQLAlchemyError):
            return redact(f"database error ({name}); run with -vv for details"), 1
    if isinstance(exc, OSError):
        return redact(f"{exc.strerror or name}: {exc.filename or ''}".strip()), 1
    return redact(f"unexpected error {name}: {exc}; run with -vv for a traceback"), 1


def _operational(orig: BaseException | None) -> str:
    """The driver's own first line says what to fix ("database is locked", "connection refused")."""
    lines = str(orig).strip().splitlines() if orig else []
    detail = lines[0] if lines else "operational error"
    return redact(
        f"database error: {detail}; check POLICYWATCH_DATABASE_URL and that the "
        "database server is running"
    )
