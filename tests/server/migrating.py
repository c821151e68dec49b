"""A server database stepped through its migrations one revision at a time, for tests of what
a migration does to data already there (import as ``from migrating import Migrating``;
``tests/server`` is on ``sys.path`` for its test modules)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from server.db import MIGRATIONS_DIR


class Migrating:
    """An SQLite file run as the server runs it (server.db): foreign keys enforced — a
    migration that rebuilds a table other tables refer to fails there, as on a real server."""

    def __init__(self, folder: Path) -> None:
        self.engine: Engine = create_engine(f"sqlite:///{folder / 'server.db'}")
        event.listen(
            self.engine,
            "connect",
            lambda conn, _record: conn.execute("PRAGMA foreign_keys=ON"),
        )
        self._config = Config()
        self._config.set_main_option("script_location", str(MIGRATIONS_DIR))

    def upgrade(self, revision: str) -> None:
        self._step(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        self._step(command.downgrade, revision)

    def _step(self, step: Callable[[Config, str], None], revision: str) -> None:
        with self.engine.begin() as conn:  # the connection server.db.migrate passes in
            self._config.attributes["connection"] = conn
            step(self._config, revision)
