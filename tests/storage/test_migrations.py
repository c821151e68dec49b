"""Schema migrations: from an empty folder, from the previous revision, and the SQLite settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError

from app.storage import CaseQuery, LocalStore
from app.storage.db import HEAD_REVISION, alembic_config, create_sqlite_engine, migrate
from app.storage.search import index_tokens


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_new_store_is_at_head_with_wal_full_sync_and_foreign_keys(store: LocalStore) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert (
            conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            == HEAD_REVISION
        )
        tables = {
            r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert {
        "cases",
        "case_steps",
        "photos",
        "positions",
        "departments",
        "users",
        "outbox",
        "sync_state",
    } <= tables
    assert "case_search" in tables


def test_foreign_keys_are_enforced(store: LocalStore) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO case_steps (id, case_id, action, from_status, to_status, role, at, opinion, attachments)"
            " VALUES ('s', 'no-such-case', 'submit', 'draft', 'submitted', 'inspector', '', '', '[]')"
        )


def test_upgrade_from_previous_revision_keeps_cases_and_indexes_them(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db_path = data_dir / "citypatrol.db"
    engine = create_sqlite_engine(db_path)
    migrate(engine, db_path, target="0001")
    engine.dispose()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        conn.execute(
            "INSERT INTO cases (id, category_code, description, address, urgency, status, created_at, updated_at,"
            " revision, delivery) VALUES ('01a00000-0000-7000-8000-000000000001', '06010', '旧版本记录的暴露垃圾',"
            " '秦淮区', 'normal', 'draft', '2026-01-01T00:00:00.000000+00:00',"
            " '2026-01-01T00:00:00.000000+00:00', 1, 'pending')"
        )
    with LocalStore(data_dir) as store:
        page = store.list_cases(CaseQuery(text="垃圾"))
        assert [r.id for r in page.rows] == ["01a00000-0000-7000-8000-000000000001"]
        assert store.list_cases(CaseQuery(text="秦淮")).total == 1
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            HEAD_REVISION,
        )


def test_migrations_create_exactly_the_models(store: LocalStore) -> None:
    """A model change without its migration fails here (alembic's own autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.storage.models import Base

    def include_object(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        return not (type_ == "table" and name is not None and name.startswith("case_search"))

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_every_revision_upgrades_from_its_predecessor_with_data(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions[0] == "0001" and revisions[-1] == HEAD_REVISION
    for previous in revisions[:-1]:
        data_dir = tmp_path / previous
        data_dir.mkdir()
        db_path = data_dir / "citypatrol.db"
        engine = create_sqlite_engine(db_path)
        migrate(engine, db_path, target=previous)
        engine.dispose()
        with sqlite3.connect(db_path) as conn:
            conn.execute("PRAGMA foreign_keys=ON")
            # A real laptop's store: an account, and a case of theirs with a step in its log —
            # rows that other tables refer to (a migration that rebuilds one must keep them).
            conn.execute(
                "INSERT INTO users (id, username, display_name, role) VALUES"
                " ('01a00000-0000-7000-8000-000000000001', 'demo', '演示监督员', 'inspector')"
            )
            conn.execute(
                "INSERT INTO cases (id, category_code, description, address, urgency, status, created_at,"
                " updated_at, revision, delivery, author_id) VALUES ('01a00000-0000-7000-8000-000000000002',"
                " '06010', '井盖缺失', '', 'normal', 'draft', '2026-01-01T00:00:00.000000+00:00',"
                " '2026-01-01T00:00:00.000000+00:00', 1, 'pending', '01a00000-0000-7000-8000-000000000001')"
            )
            conn.execute(
                "INSERT INTO case_steps (id, case_id, action, from_status, to_status, role, at,"
                " opinion, attachments) VALUES ('01a00000-0000-7000-8000-000000000003',"
                " '01a00000-0000-7000-8000-000000000002', 'submit', 'draft', 'submitted',"
                " 'inspector', '2026-01-01T00:00:00.000000+00:00', '', '[]')"
            )
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'case_search'").fetchone():
                # From 0002 on, the store API indexes each case as it writes it.
                conn.execute(
                    "INSERT INTO case_search(rowid, grams) VALUES (last_insert_rowid(), ?)",
                    (index_tokens("井盖缺失"),),
                )
        with LocalStore(data_dir) as store:
            assert store.list_cases(CaseQuery(text="井盖")).total == 1, previous
            [row] = store.list_cases(CaseQuery(text="井盖")).rows
            assert row.author_id == "01a00000-0000-7000-8000-000000000001", previous
            assert [st.action for st in store.steps(row.id)] == ["submit"], previous
