"""tracks sync (points the server holds, why a track was refused, point order index); key sites

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 00:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
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
    op.create_table(
        "key_sites",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("due", sa.String(length=5), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("inspector_id", sa.String(length=36), nullable=False),
        sa.Column("area", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("1")),
        sa.Column("since", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_key_sites_inspector_id", "key_sites", ["inspector_id"])
    op.create_table(
        "site_checks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("inspector_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_site_checks_site_id", "site_checks", ["site_id"])


def downgrade() -> None:
    op.drop_table("site_checks")
    op.drop_table("key_sites")
    op.drop_index("ix_positions_track_at", table_name="positions")
    with op.batch_alter_table("tracks") as batch:
        batch.drop_column("delivery_error")
        batch.drop_column("uploaded_points")
