"""sync: re-inspection assignee, the server's answer on outbox entries, comments, time limits

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("assignee_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("response", sa.JSON(), nullable=True))
    op.create_table(
        "comments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comments_case_id", "comments", ["case_id"])
    op.create_table(
        "time_limits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("category_code", sa.String(length=5), nullable=True),
        sa.Column("urgency", sa.String(length=20), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("time_limits")
    op.drop_index("ix_comments_case_id", table_name="comments")
    op.drop_table("comments")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("response")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("assignee_id")
