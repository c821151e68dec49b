"""working calendar; grid cell of a case; accounts announced in the change feed

Revision ID: s0004
Revises: s0003
Create Date: 2026-11-28 03:40:00

Supervisors' apps learn inspectors' and colleagues' names through the feed (kind ``user``);
accounts created before this revision are announced once here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("grid_code", sa.String(length=15), nullable=True))
    bind = op.get_bind()
    users = bind.execute(
        sa.text("SELECT id, username, display_name, role, disabled FROM users ORDER BY created_at")
    ).all()
    feed = sa.table(
        "feed",
        sa.column("kind", sa.String),
        sa.column("entity_id", sa.String),
        sa.column("user_id", sa.String),
        sa.column("role", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    if users:
        op.bulk_insert(
            feed,
            [
                {
                    "kind": "user",
                    "entity_id": u.id,
                    "user_id": None,
                    "role": None,
                    "payload": {
                        "id": u.id,
                        "username": u.username,
                        "display_name": u.display_name,
                        "role": u.role,
                        "active": not u.disabled,
                    },
                    "at": now,
                }
                for u in users
            ],
        )


def downgrade() -> None:
    op.execute("DELETE FROM feed WHERE kind = 'user'")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("grid_code")
    op.drop_table("calendar_days")
