"""index versions by document and fetch date

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:20:00

`history SERVICE --limit N` lists the newest versions of a service's documents; with 100,000
versions the query went from ~60 ms to ~4 ms with this index (benchmarks/cli.py).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_versions_doc_fetched", "versions", ["document_id", "fetched_at"])


def downgrade() -> None:
    op.drop_index("ix_versions_doc_fetched", table_name="versions")
