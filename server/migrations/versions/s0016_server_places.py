"""where a case's grid code came from on the server; the cell a key site follows

Revision ID: s0016
Revises: s0013
Create Date: 2026-12-06 03:30:00

``cases.grid_source``: ``auto`` when the server looked the position up in the current grid
(the case came without a code), ``outside`` when no cell holds it, NULL when the laptop sent
the code (its source is the laptop's) or the case has no position. Existing cases keep NULL.

``key_sites.grid_code``: the cell whose responsible inspector (定人定责) a site loaded without
an inspector follows when responsibilities change. Sites loaded before keep NULL (a site's file
does not say whether it named its inspector): load them again to have them follow.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0016"
down_revision = "s0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE (no batch rebuild: on SQLite it fails once other tables refer to cases).
    op.add_column("cases", sa.Column("grid_source", sa.String(length=10), nullable=True))
    op.add_column("key_sites", sa.Column("grid_code", sa.String(length=15), nullable=True))
    op.create_index("ix_key_sites_grid_code", "key_sites", ["grid_code"])


def downgrade() -> None:
    op.drop_index("ix_key_sites_grid_code", table_name="key_sites")
    op.drop_column("key_sites", "grid_code")  # SQLite ≥ 3.35 drops a column in place
    op.drop_column("cases", "grid_source")
