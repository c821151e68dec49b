"""Migration s0016 on a database that already holds cases and key sites: the cases keep their
codes with no server source (NULL: the laptop sent them), the sites follow no cell until they
are loaded again; and back down."""

from __future__ import annotations

from pathlib import Path

from migrating import Migrating
from sqlalchemy import text


def test_existing_cases_and_sites_keep_their_values(tmp_path: Path) -> None:
    db = Migrating(tmp_path)
    engine = db.engine

    db.upgrade("s0013")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, password_hash, disabled,"
                " created_at) VALUES ('u1', 'demo', '', 'inspector', 'x', 0,"
                " '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, author_id, status, description, address, urgency,"
                " grid_code, lat, lon, created_at, received_at, updated_at, revision) VALUES"
                " ('c1', 'u1', 'draft', '', '', 'normal', '360681017001001', 28.3, 117.2,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO key_sites (id, name, kind, frequency, due, inspector_id, area,"
                " active, loaded_at) VALUES ('s1', '小学', '学校', 'daily', '10:00', 'u1', '{}',"
                " 1, '2026-01-01 00:00:00')"
            )
        )
    db.upgrade("s0016")
    with engine.connect() as conn:
        case = conn.execute(text("SELECT grid_code, grid_source FROM cases")).one()
        site = conn.execute(text("SELECT inspector_id, grid_code FROM key_sites")).one()
        indexes = [r[1] for r in conn.execute(text("PRAGMA index_list(key_sites)"))]
    assert tuple(case) == ("360681017001001", None)
    assert tuple(site) == ("u1", None)
    assert "ix_key_sites_grid_code" in indexes
    db.downgrade("s0013")
    with engine.connect() as conn:
        case_columns = [r[1] for r in conn.execute(text("PRAGMA table_info(cases)"))]
        site_columns = [r[1] for r in conn.execute(text("PRAGMA table_info(key_sites)"))]
        kept = conn.execute(text("SELECT grid_code FROM cases")).scalar()
    assert "grid_source" not in case_columns and "grid_code" not in site_columns
    assert kept == "360681017001001"
    engine.dispose()
