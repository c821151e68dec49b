"""The server database: engine, sessions, migrations on start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions begin in _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # SQLite has one writer. A deferred transaction that reads and then writes can find another
    # writer got there first and fail at once with "database is locked" (busy_timeout cannot
    # help a lock upgrade). Taking the write lock at BEGIN makes concurrent requests queue.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


#: The newest server schema revision (a test checks it is Alembic's head).
HEAD_REVISION = "s0002"


def _at_head(engine: Engine) -> bool:
    with engine.connect() as conn:
        try:
            return bool(
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                == HEAD_REVISION
            )
        except DBAPIError:
            return False


def migrate(engine: Engine) -> None:
    """Apply every pending migration (idempotent; safe to run from each worker on start)."""
    if _at_head(engine):
        return  # Alembic costs most of a second to import; skip it when there is nothing to do
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several workers start at once: the first migrates, the others wait, then find
            # nothing left to do (the lock ends with this transaction).
            conn.execute(text("SELECT pg_advisory_xact_lock(4707000)"))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
