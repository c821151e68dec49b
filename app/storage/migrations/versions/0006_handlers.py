"""departments in the loop: a handler's department, a case's request and sign-for

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 00:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch (a batch rebuilds the table; see 0005).
    op.add_column("users", sa.Column("department_id", sa.String(length=36), nullable=True))
    op.add_column("cases", sa.Column("request", sa.String(length=20), nullable=True))
    op.add_column("cases", sa.Column("requested_deadline", sa.String(length=32), nullable=True))
    op.add_column("cases", sa.Column("signed_at", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("signed_at")
        batch_op.drop_column("requested_deadline")
        batch_op.drop_column("request")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("department_id")
