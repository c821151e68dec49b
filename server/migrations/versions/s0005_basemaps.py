"""basemaps distributed to the laptops

Revision ID: s0005
Revises: s0004
Create Date: 2026-12-05 22:40:00

``citypatrol-server basemap add`` records a basemap here (its file is stored by SHA-256 in the
data folder) and announces it in the change feed (kind ``basemap``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "basemaps",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("datum", sa.String(length=10), nullable=False),
        sa.Column("attribution", sa.String(length=500), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM feed WHERE kind = 'basemap'")
    op.drop_table("basemaps")
