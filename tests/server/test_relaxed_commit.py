"""Commits an upload may lose in a crash (its offset, its creation) skip the disk flush; every
other transaction still flushes (server.db.relax_commit), on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from server.db import create_db_engine, relax_commit, session_factory

FULL, NORMAL = 2, 1


def test_a_relaxed_transaction_leaves_the_next_one_durable(database_url: str) -> None:
    engine = create_db_engine(database_url)
    sessions = session_factory(engine)
    try:
        sqlite = engine.dialect.name == "sqlite"
        setting = "PRAGMA synchronous" if sqlite else "SHOW synchronous_commit"
        durable, relaxed = (FULL, NORMAL) if sqlite else ("on", "off")
        with sessions.begin() as session:
            relax_commit(session)
            assert session.execute(text(setting)).scalar() == relaxed
            session.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            session.execute(text("INSERT INTO t VALUES (1)"))
        for _ in range(3):  # whichever pooled connection comes next
            with sessions.begin() as session:
                assert session.execute(text(setting)).scalar() == durable
                assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1
    finally:
        engine.dispose()
