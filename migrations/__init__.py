"""Alembic migrations (DESIGN.md §3.9): the only way the schema is created or changed."""
