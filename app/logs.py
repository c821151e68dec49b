"""The client's log file: ``<data dir>/logs/citypatrol.log``, rotated, readable by the user only.

A windowed build has no console, so without a file an inspector's error (a refused sync, a
crash in a background task) would be lost; support asks for this folder instead (the app's
Help → Open log folder). Rotation keeps it small: 5 files of 1 MiB.
"""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

LOG_DIR = "logs"
LOG_FILE = "citypatrol.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 4

_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Every file it opens (the first and each after a rotation) is 0600 on POSIX."""

    def _open(self):  # type: ignore[no-untyped-def]
        if os.name == "posix" and not os.path.exists(self.baseFilename):
            os.close(os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        return super()._open()


def log_folder(data_dir: Path) -> Path:
    return Path(data_dir) / LOG_DIR


def setup_logging(data_dir: Path, level: int = logging.INFO) -> Path:
    """Send the app's log records (and uncaught exceptions) to the rotating file; its path.

    Called once per process by the app and the CLI commands that talk to the server; calling
    again (tests, a second window) adds no second handler for the same file.
    """
    from app.storage.db import make_private

    make_private(Path(data_dir))
    folder = log_folder(data_dir)
    make_private(folder)
    path = folder / LOG_FILE
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, RotatingFileHandler) and handler.baseFilename == str(path):
            return path
    handler = _PrivateRotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    previous = sys.excepthook

    def log_uncaught(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        logging.getLogger("citypatrol").critical("uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    sys.excepthook = log_uncaught
    return path
