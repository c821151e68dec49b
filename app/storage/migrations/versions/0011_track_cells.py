"""track cells: each track's visited grid cells (first/last time) and coverage figures, stored
once so coverage of a period is a query

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): a batch rebuilds the table. Existing tracks have no
    # cells_stamp: coverage computes their cells the first time it needs them.
    op.add_column("tracks", sa.Column("cover_m", sa.Float(), nullable=True))
    op.add_column("tracks", sa.Column("patrol_s", sa.Float(), nullable=True))
    op.add_column("tracks", sa.Column("cells_stamp", sa.String(length=36), nullable=True))
    op.create_table(
        "track_cells",
        sa.Column("track_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("first_s", sa.Float(), nullable=False),
        sa.Column("last_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("track_id", "code"),
    )


def downgrade() -> None:
    op.drop_table("track_cells")
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("cells_stamp")
        batch.drop_column("patrol_s")
        batch.drop_column("cover_m")
