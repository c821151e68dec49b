"""Opening the local SQLite database: pragmas, migrations, and errors a person can act on.

SQLite runs in WAL mode with ``synchronous=FULL`` (a committed case survives power loss) and
foreign keys on. Transactions are begun explicitly (``BEGIN``), so migrations are atomic too.
Alembic migrations are applied when a store is opened; a database written by a newer version
of the app is refused and left untouched.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from app.domain.errors import CityPatrolError, Message

if TYPE_CHECKING:
    from alembic.config import Config

#: The newest schema revision this version of the app knows (tests check it equals Alembic's head).
HEAD_REVISION = "0011"
DATABASE_FILE = "citypatrol.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class StoreError(CityPatrolError):
    """The local store cannot be opened or written; ``code`` says why."""


def _read_only(path: Path) -> StoreError:
    return StoreError(
        "read_only",
        Message(
            f"数据目录 {path} 不可写入（只读）。请选择可写的数据目录（--data-dir）。",
            f"The data folder {path} is read-only. Choose a writable data folder (--data-dir).",
        ),
    )


def _disk_full(path: Path) -> StoreError:
    return StoreError(
        "disk_full",
        Message(
            f"磁盘已满，无法写入 {path}。已保存的数据未受影响；请释放磁盘空间后重试。",
            f"The disk is full; cannot write to {path}. Saved data is untouched; "
            "free some space and try again.",
        ),
    )


@contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Turn low-level disk and database failures into :class:`StoreError` with a clear message."""
    try:
        yield
    except (OperationalError, DBAPIError) as exc:
        raise _classify(exc.orig, path) from exc
    except sqlite3.Error as exc:
        raise _classify(exc, path) from exc
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise _disk_full(path) from exc
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise _read_only(path) from exc
        raise


#: Below this much free space, an I/O error is taken for a full disk (SQLite reports a full
#: disk as SQLITE_IOERR_SHMSIZE when it cannot even create the WAL index file).
_NEARLY_FULL_BYTES = 256 * 1024


def _free_bytes(path: Path) -> int | None:
    try:
        stat = os.statvfs(path)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def _classify(exc: BaseException | None, path: Path) -> StoreError:
    message = str(exc).lower()
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == sqlite3.SQLITE_FULL or "disk is full" in message:
        return _disk_full(path)
    if primary == sqlite3.SQLITE_IOERR or "disk i/o error" in message:
        free = _free_bytes(path)
        if free is not None and free < _NEARLY_FULL_BYTES:
            return _disk_full(path)
    if primary == sqlite3.SQLITE_READONLY or "readonly" in message or "read-only" in message:
        return _read_only(path)
    if "unable to open" in message and not os.access(path, os.W_OK):
        return _read_only(path)
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "not a database" in message:
        db = path / DATABASE_FILE if path.is_dir() else path
        return StoreError(
            "corrupt",
            Message(
                f"数据库文件 {db} 已损坏或不是数据库。",
                f"The database {db} is damaged or not a database.",
            ),
        )
    return StoreError("database", Message(f"数据库错误：{exc}", f"Database error: {exc}"))


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event own transactions (pysqlite's implicit ones skip DDL).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


#: Execution option of the store's write sessions: their transactions start with BEGIN IMMEDIATE.
IMMEDIATE = "citypatrol_begin_immediate"


def _on_begin(conn: Any) -> None:
    # A write transaction takes the write lock at BEGIN. Begun deferred, it would read first and
    # then try to upgrade — and in WAL mode that upgrade fails at once with SQLITE_BUSY_SNAPSHOT
    # ("database is locked", no busy wait) whenever another thread (the sync in the network
    # lane, an import in the database lane) committed in between. Readers stay deferred.
    immediate = conn.get_execution_options().get(IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_sqlite_engine(db_path: Path) -> Engine:
    """An engine on ``db_path`` with the store's pragmas and explicit transactions."""
    # The pool hands a connection to one thread at a time; the GUI's database lane is a
    # thread pool whose worker may be replaced, so connections must not be pinned to a thread.
    engine = create_engine(
        f"sqlite:///{db_path}",
        connect_args={"check_same_thread": False},
        json_serializer=lambda value: json.dumps(value, ensure_ascii=False),
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def alembic_config() -> Config:
    # Alembic (and Mako under it) is imported only when a migration is due: it costs more
    # start-up time than everything else the store needs.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")
        ).first()
        if not has_table:
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine, db_path: Path, target: str = "head") -> None:
    """Bring the schema to ``target``; refuse a database from a newer app version."""
    revision = current_revision(engine)
    if revision == HEAD_REVISION and target == "head":
        return  # the common case: no need to load the migration scripts
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config()
    known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    if revision is not None and revision not in known:
        raise StoreError(
            "newer_version",
            Message(
                f"数据库 {db_path} 由更新版本的城市巡查创建（结构版本 {revision}），"
                "请升级本程序后再打开；数据未作任何改动。",
                f"The database {db_path} was written by a newer version of CityPatrol "
                f"(schema {revision}). Update the app to open it; nothing was changed.",
            ),
        )
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)


def make_private(folder: Path) -> None:
    """Create ``folder`` readable by its user only (0700 on POSIX): it holds cases, positions,
    photos and possibly the session token. A folder of ours created looser by an older version
    is tightened; someone else's folder is left as it is."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "posix":
        return  # Windows: the per-user profile folder is private by its ACL
    info = folder.stat()
    if info.st_uid == os.geteuid() and info.st_mode & 0o077:
        with contextlib.suppress(OSError):  # a read-only mount: the store says so next
            folder.chmod(0o700)


def open_database(data_dir: Path, *, target: str = "head") -> Engine:
    """Open (creating if needed) the store database in ``data_dir`` and migrate it."""
    data_dir = Path(data_dir)
    with translate_errors(data_dir):
        make_private(data_dir)
        if not os.access(data_dir, os.W_OK):
            raise _read_only(data_dir)
        db_path = data_dir / DATABASE_FILE
        if os.name == "posix" and not db_path.exists():
            # SQLite gives its -wal and -shm files the database file's permissions.
            os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        engine = create_sqlite_engine(db_path)
        try:
            with engine.connect() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            if mode != "wal":
                raise _read_only(data_dir)
            migrate(engine, db_path, target)
        except BaseException:
            engine.dispose()
            raise
    return engine
