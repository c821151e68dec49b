"""Migration s0013 (the inspection team) on a database that already holds inspections: their
authors stay in the team, so nobody's offline work is refused after an upgrade."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text

from server.db import MIGRATIONS_DIR


def test_authors_of_inspections_stay_in_the_team(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_engine(url)
    # As the server runs it (server.db): with foreign keys enforced, a migration that rebuilds
    # the users table (which other tables refer to) fails.
    event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA foreign_keys=ON"))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))

    def migrate(step: str, target: str) -> None:
        with engine.begin() as conn:  # the connection server.db.migrate passes in, likewise
            config.attributes["connection"] = conn
            getattr(command, step)(config, target)

    migrate("upgrade", "s0012")
    with engine.begin() as conn:
        for name in ("author", "bystander"):
            conn.execute(
                text(
                    "INSERT INTO users (id, username, display_name, role, password_hash,"
                    " disabled, created_at) VALUES (:id, :id, :id, 'inspector', 'x', 0,"
                    " '2026-01-01 00:00:00')"
                ),
                {"id": name},
            )
        conn.execute(
            text(
                "INSERT INTO inspections (id, author_id, template_code, template_version,"
                " object_kind, object_id, object_name, mode, score, percent, finished_at,"
                " received_at, document) VALUES ('i1', 'author', 't', 1, 'market', 'M-1', 'm',"
                " 'open', '90', '90.00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '{}')"
            )
        )
    migrate("upgrade", "s0013")
    with engine.connect() as conn:
        team = dict(conn.execute(text("SELECT username, inspection_team FROM users")).all())
    assert team == {"author": 1, "bystander": 0}
    migrate("downgrade", "s0012")
    with engine.connect() as conn:
        columns = [r[1] for r in conn.execute(text("PRAGMA table_info(users)"))]
    assert "inspection_team" not in columns
    engine.dispose()
