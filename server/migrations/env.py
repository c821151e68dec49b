"""Alembic environment of the server database; server.db passes its connection in."""

from __future__ import annotations

from alembic import context

from server.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - migrations run through server.db.migrate
    raise RuntimeError("the server's migrations run through server.db.migrate")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
