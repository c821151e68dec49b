"""the inspection team (督导检查组): which accounts may record scored inspections

Revision ID: s0013
Revises: s0012
Create Date: 2026-12-06 03:45:00

``users.inspection_team``: set with ``citypatrol-server user add … --inspection-team`` or
``user team NAME on|off``. An upgraded server keeps every account that already recorded an
inspection in the team, so nobody's offline work is refused after the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0013"
down_revision = "s0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): a batch rebuilds the table, which fails on SQLite once
    # other tables refer to it.
    op.add_column(
        "users",
        sa.Column("inspection_team", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE users SET inspection_team = TRUE "
        "WHERE id IN (SELECT DISTINCT author_id FROM inspections)"
    )


def downgrade() -> None:
    op.drop_column("users", "inspection_team")  # SQLite ≥ 3.35 drops a column in place
