"""when a token was last used, for idle expiry

Revision ID: s0006
Revises: s0005
Create Date: 2026-12-05 22:45:00

A token unused for ``Settings.token_idle_days`` stops working (a laptop left in a drawer, a
stolen token nobody noticed). Tokens issued before count from their creation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0006"
down_revision = "s0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
