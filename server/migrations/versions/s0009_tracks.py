"""patrol tracks (headers, points once each by index, received batches); key sites and checks

Revision ID: s0009
Revises: s0008
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0009"
down_revision = "s0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tracks_author_id", "tracks", ["author_id"])
    op.create_index("ix_tracks_started_at", "tracks", ["started_at"])
    op.create_table(
        "track_points",
        sa.Column("track_id", sa.String(length=36), sa.ForeignKey("tracks.id"), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("lat_e6", sa.Integer(), nullable=False),
        sa.Column("lon_e6", sa.Integer(), nullable=False),
        sa.Column("t_ms", sa.BigInteger(), nullable=False),
        sa.Column("accuracy_dm", sa.Integer(), nullable=True),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("track_id", "idx"),
    )
    op.create_table(
        "track_batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("track_id", sa.String(length=36), sa.ForeignKey("tracks.id"), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_track_batches_track_id", "track_batches", ["track_id"])
    op.create_table(
        "key_sites",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("due", sa.String(length=5), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("inspector_id", sa.String(length=36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("area", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_key_sites_inspector_id", "key_sites", ["inspector_id"])
    op.create_table(
        "site_checks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), sa.ForeignKey("key_sites.id"), nullable=False),
        sa.Column("inspector_id", sa.String(length=36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_site_checks_site_id", "site_checks", ["site_id"])
    op.create_index("ix_site_checks_inspector_id", "site_checks", ["inspector_id"])


def downgrade() -> None:
    op.drop_table("site_checks")
    op.drop_table("key_sites")
    op.drop_table("track_batches")
    op.drop_table("track_points")
    op.drop_index("ix_tracks_started_at", table_name="tracks")
    op.drop_index("ix_tracks_author_id", table_name="tracks")
    op.drop_table("tracks")
