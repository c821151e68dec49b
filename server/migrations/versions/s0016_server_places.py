"""where a case's grid code came from on the server (server-side geocoding)

Revision ID: s0016
Revises: s0013
Create Date: 2026-12-06 03:30:00

``cases.grid_source``: ``auto`` when the server looked the position up in the current grid
(the case came without a code), ``outside`` when no cell holds it, NULL when the laptop sent
the code (its source is the laptop's) or the case has no position. Existing cases keep NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0016"
down_revision = "s0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("grid_source", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("grid_source")
