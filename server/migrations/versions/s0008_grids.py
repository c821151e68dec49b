"""grid cells, responsibilities (定人定责) and 门前三包 units

Revision ID: s0008
Revises: s0007
Create Date: 2026-12-06 00:20:00

``citypatrol-server grid load`` replaces the cells as a new version (grid_versions keeps each
load's report); ``responsibility load`` and ``unit load`` fill the other tables. All three
reach the laptops through the change feed (kinds ``grid_cell``, ``responsibility``, ``unit``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0008"
down_revision = "s0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grid_versions",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("crs", sa.String(length=100), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "grid_cells",
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("rings", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "grid_inspectors",
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("grid_code", "user_id"),
    )
    op.create_table(
        "grid_departments",
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("category_class", sa.String(length=2), nullable=False),
        sa.Column("department_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"]),
        sa.PrimaryKeyConstraint("grid_code", "category_class"),
    )
    op.create_table(
        "responsibility_units",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("letter_no", sa.String(length=100), nullable=False),
        sa.Column("rings", sa.JSON(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM feed WHERE kind IN ('grid_cell', 'responsibility', 'unit')")
    op.drop_table("responsibility_units")
    op.drop_table("grid_departments")
    op.drop_table("grid_inspectors")
    op.drop_table("grid_cells")
    op.drop_table("grid_versions")
