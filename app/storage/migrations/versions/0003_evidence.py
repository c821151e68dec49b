"""evidence: photo metadata, case position details, patrol tracks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 22:07:03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("ended_at", sa.String(length=32), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("confirmed_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("altitude_m", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("position_quality", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("position_time", sa.String(length=32), nullable=True))
    with op.batch_alter_table("photos") as batch_op:
        batch_op.add_column(sa.Column("taken_at_local", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("orientation", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("make", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("model", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("altitude_m", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("gps_time", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("position_source", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("accuracy_m", sa.Float(), nullable=True))
    with op.batch_alter_table("positions") as batch_op:
        batch_op.add_column(sa.Column("segment", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("positions") as batch_op:
        batch_op.drop_column("segment")
    with op.batch_alter_table("photos") as batch_op:
        for column in (
            "accuracy_m", "position_source", "gps_time", "altitude_m", "model", "make", "orientation", "taken_at_local",
        ):  # fmt: skip
            batch_op.drop_column(column)
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("position_time")
        batch_op.drop_column("position_quality")
        batch_op.drop_column("altitude_m")
    op.drop_table("tracks")
