"""client installers offered for update

Revision ID: s0011
Revises: s0009
Create Date: 2026-12-06 00:10:00

``citypatrol-server release add VERSION --platform P FILE`` records an installer here (its file
is stored by SHA-256 in the data folder's ``releases/``); the laptops ask for the newest one of
their platform (``GET /api/v1/releases/latest``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0011"
down_revision = "s0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_releases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "version", name="uq_client_releases_platform"),
    )


def downgrade() -> None:
    op.drop_table("client_releases")
