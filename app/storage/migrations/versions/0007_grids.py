"""grids: cells, responsibilities (定人定责), 门前三包 units; a case's grid source and unit

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
        "grid_responsibilities",
        sa.Column("grid_code", sa.String(length=15), nullable=False),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("grid_code"),
    )
    op.create_table(
        "responsibility_units",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("letter_no", sa.String(length=100), nullable=False),
        sa.Column("rings", sa.JSON(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # Plain ADD COLUMN, not a batch (a batch rebuilds ``cases``, which others refer to).
    op.add_column("cases", sa.Column("grid_source", sa.String(length=10), nullable=True))
    op.add_column("cases", sa.Column("unit_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("unit_id")
        batch_op.drop_column("grid_source")
    op.drop_table("responsibility_units")
    op.drop_table("grid_responsibilities")
    op.drop_table("grid_cells")
