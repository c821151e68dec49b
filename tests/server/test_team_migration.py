"""Migration s0013 (the inspection team) on a database that already holds inspections: their
authors stay in the team, so nobody's offline work is refused after an upgrade."""

from __future__ import annotations

from pathlib import Path

from migrating import Migrating
from sqlalchemy import text


def test_authors_of_inspections_stay_in_the_team(tmp_path: Path) -> None:
    db = Migrating(tmp_path)
    engine = db.engine

    db.upgrade("s0012")
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
    db.upgrade("s0013")
    with engine.connect() as conn:
        team: dict[str, int] = dict(
            conn.execute(text("SELECT username, inspection_team FROM users")).all()
        )
    assert team == {"author": 1, "bystander": 0}
    db.downgrade("s0012")
    with engine.connect() as conn:
        columns = [r[1] for r in conn.execute(text("PRAGMA table_info(users)"))]
    assert "inspection_team" not in columns
    engine.dispose()
