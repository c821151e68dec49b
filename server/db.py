"""The server database: engine, sessions, migrations on start."""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


#: How long a transaction waits for SQLite's write lock before giving up (the API answers 503
#: with Retry-After); ``Settings.busy_timeout_s`` sets it for a server.
BUSY_TIMEOUT_S = 10.0


def _sqlite_pragmas(busy_timeout_s: float) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions begin in _SQLiteWriters.begin
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
        cursor.close()

    return on_connect


#: Execution option of a transaction whose commit need not be durable (:func:`relax_commit`).
RELAXED_OPTION = "citypatrol_relaxed_commit"
_RELAXED = "citypatrol_relaxed"


def relax_commit(session: Session) -> None:
    """Let this transaction's commit skip the disk flush: a crash may lose it, never half of it.

    Only for what a later request redoes by itself — an upload's offset: the committed offset
    then stays *behind* the bytes stored (the part is cut back to it, the client resends), never
    ahead, and the next durable commit (SQLite's WAL, PostgreSQL's) makes it durable anyway.
    Call it first in the transaction. SQLite: ``synchronous=NORMAL`` for this transaction (WAL:
    consistent, not flushed); PostgreSQL: ``synchronous_commit = off``.
    """
    conn = session.connection(execution_options={RELAXED_OPTION: True})
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


class _SQLiteWriters:
    """One transaction at a time per engine in this process, first come first served.

    SQLite has one writer. A deferred transaction that reads and then writes can find another
    writer got there first and fail at once with "database is locked" (busy_timeout cannot
    help a lock upgrade), so every transaction takes the write lock at BEGIN (IMMEDIATE). Left
    to SQLite, threads waiting for it poll with growing sleeps: the lock sits idle between
    holders and unlucky requests starve. So the threads of this process queue here first and
    are woken in turn as soon as the previous transaction has ended (its connection went back
    to the pool, after its COMMIT or ROLLBACK); SQLite's busy_timeout is left to arbitrate with
    other processes (the administration commands). A transaction that cannot start within
    the busy timeout raises OperationalError, which the API answers 503 with Retry-After.
    """

    _HOLDS = "citypatrol_writer"

    def __init__(self, busy_timeout_s: float) -> None:
        self._timeout = busy_timeout_s
        self._mutex = threading.Lock()
        self._busy = False
        self._waiting: deque[threading.Lock] = deque()

    def _acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._busy:
                self._busy = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if turn.acquire(timeout=timeout):
            return True  # handed over by _release
        with self._mutex:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        return True  # handed over between the timeout and now

    def _release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()  # the next in line holds it now
            else:
                self._busy = False

    def begin(self, conn: Connection) -> None:
        if conn.get_execution_options().get(RELAXED_OPTION):
            # Before BEGIN: SQLite refuses to change it inside a transaction.
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            conn.info[_RELAXED] = True
        if not conn.info.get(self._HOLDS):  # else held since an earlier BEGIN of this checkout
            timeout = self._timeout
            if not self._acquire(timeout):
                raise OperationalError(
                    "BEGIN IMMEDIATE",
                    None,
                    sqlite3.OperationalError(f"database is locked (waited {timeout:g} s)"),
                )
            conn.info[self._HOLDS] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def checkin(self, dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if record.info.pop(_RELAXED, False):
            dbapi_connection.execute("PRAGMA synchronous=FULL")
        if record.info.pop(self._HOLDS, False):
            self._release()


def create_db_engine(url: str, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        writers = _SQLiteWriters(busy_timeout_s)
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_s))
        event.listen(engine, "begin", writers.begin)
        event.listen(engine, "checkin", writers.checkin)
        return engine
    # psycopg prepares a statement run five times on a connection, and PostgreSQL then keeps
    # one generic plan for it, made while the tables were small: on a young database that grows
    # fast (a city's first day, a benchmark) lookups by key stayed sequential scans, and a push
    # grew slower with every batch. Custom plans follow the tables as they grow.
    return create_engine(
        url, pool_pre_ping=True, connect_args={"options": "-c plan_cache_mode=force_custom_plan"}
    )


#: The newest server schema revision (a test checks it is Alembic's head).
HEAD_REVISION = "s0016"


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
