"""tracks sync: how many points the server holds, why a track was refused, point order index

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-06 00:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): a batch rebuilds the table.
    op.add_column(
        "tracks",
        sa.Column("uploaded_points", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("tracks", sa.Column("delivery_error", sa.Text(), nullable=True))
    # Coverage and the map read a track's points in time order, and points by time.
    op.create_index("ix_positions_track_at", "positions", ["track_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_positions_track_at", table_name="positions")
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("delivery_error")
        batch.drop_column("uploaded_points")
