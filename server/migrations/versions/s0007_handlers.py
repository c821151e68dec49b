"""departments in the loop: handler accounts, their requests, their feed

Revision ID: s0007
Revises: s0006
Create Date: 2026-12-06 00:20:00

A handler account belongs to one department (``users.department_id``). A case keeps the
handler's request waiting for a supervisor (``request``, ``requested_deadline``) and when the
department signed for it (``signed_at``); the requests themselves and their answers are steps of
the log. Feed entries may be addressed to a department's handlers (``feed.department_id``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0007"
down_revision = "s0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): a batch rebuilds the table, which fails on SQLite once
    # other tables refer to it.
    op.add_column("users", sa.Column("department_id", sa.String(length=36), nullable=True))
    op.add_column("cases", sa.Column("request", sa.String(length=20), nullable=True))
    op.add_column(
        "cases", sa.Column("requested_deadline", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("cases", sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("feed", sa.Column("department_id", sa.String(length=36), nullable=True))
    op.create_index("ix_feed_department_id", "feed", ["department_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_department_id", table_name="feed")
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("department_id")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("signed_at")
        batch.drop_column("requested_deadline")
        batch.drop_column("request")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("department_id")
