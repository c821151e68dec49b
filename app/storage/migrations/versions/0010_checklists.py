"""checklist templates, inspection objects, scored inspections and their deductions

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checklist_templates",
        sa.Column("code", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("code", "version"),
    )
    op.create_table(
        "inspection_objects",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=50), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("kind", "id"),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("template_code", sa.String(length=36), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("object_kind", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("object_name", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=50), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("finished_at", sa.String(length=32), nullable=True),
        sa.Column("published_at", sa.String(length=32), nullable=True),
        sa.Column("mine", sa.Boolean(), nullable=False, server_default="1"),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.String(length=32), nullable=True),
    )
    op.create_index("ix_inspections_finished_at", "inspections", ["finished_at"])
    op.create_table(
        "inspection_deductions",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column(
            "inspection_id",
            sa.String(length=36),
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("item_code", sa.String(length=36), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("position_source", sa.String(length=20), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("photo_mime", sa.String(length=50), nullable=True),
        sa.Column("photo_size", sa.Integer(), nullable=True),
        sa.Column("photo_name", sa.Text(), nullable=False, server_default=""),
        sa.Column("photo_delivery", sa.String(length=20), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("inspection_deductions")
    op.drop_index("ix_inspections_finished_at", table_name="inspections")
    op.drop_table("inspections")
    op.drop_table("inspection_objects")
    op.drop_table("checklist_templates")
