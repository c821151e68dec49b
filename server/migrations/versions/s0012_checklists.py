"""checklist templates, inspection objects, scored inspections and their photos

Revision ID: s0012
Revises: s0011
Create Date: 2026-12-06 00:30:00

``citypatrol-server checklist load`` records each version of a template here and announces it
in the change feed (kind ``checklist``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0012"
down_revision = "s0011"
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
    op.create_table(
        "inspection_objects",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=50), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id"),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("template_code", sa.String(length=36), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("object_kind", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("object_name", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=50), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("score", sa.String(length=20), nullable=False),
        sa.Column("percent", sa.String(length=20), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=36), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inspections_finished_at", "inspections", ["finished_at"])
    op.create_table(
        "inspection_photos",
        sa.Column("deduction_id", sa.String(length=36), nullable=False),
        sa.Column(
            "inspection_id", sa.String(length=36), sa.ForeignKey("inspections.id"), nullable=False
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("deduction_id"),
    )
    op.create_index("ix_inspection_photos_inspection_id", "inspection_photos", ["inspection_id"])


def downgrade() -> None:
    op.execute("DELETE FROM feed WHERE kind IN ('checklist', 'inspection', 'inspection_object')")
    op.drop_index("ix_inspection_photos_inspection_id", table_name="inspection_photos")
    op.drop_table("inspection_photos")
    op.drop_index("ix_inspections_finished_at", table_name="inspections")
    op.drop_table("inspections")
    op.drop_table("inspection_objects")
    op.drop_table("checklist_templates")
