"""full-text search over case description and address

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:05:00

The index holds bigram tokens computed in Python (see app.storage.search), so it is kept up
to date by the store API in the same transaction as the case row, not by SQL triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.storage.search import index_tokens

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE VIRTUAL TABLE case_search USING fts5(grams, tokenize='ascii')")
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT pk, description, address FROM cases")).all()
    if rows:
        conn.execute(
            sa.text("INSERT INTO case_search(rowid, grams) VALUES (:pk, :grams)"),
            [{"pk": pk, "grams": index_tokens(d or "", a or "")} for pk, d, a in rows],
        )


def downgrade() -> None:
    op.execute("DROP TABLE case_search")
