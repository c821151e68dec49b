"""checklist templates for scored inspections

Revision ID: s0012
Revises: s0006
Create Date: 2026-12-06 00:30:00

``citypatrol-server checklist load`` records each version of a template here and announces it
in the change feed (kind ``checklist``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0012"
down_revision = "s0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checklist_templates",
        sa.Column("code", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("object_kind", sa.String(length=30), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", "version"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM feed WHERE kind = 'checklist'")
    op.drop_table("checklist_templates")
