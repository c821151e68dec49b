"""The one way to run background work in the GUI.

Five lanes, each a single-thread pool:

- the *database* lane runs the UI's store calls — reads and the writes a widget makes (a save,
  a decision, a photo import) — one at a time and in the order they were asked for, so a read
  queued after a save sees it;
- the *network* lane runs the sync, so a slow upload never blocks browsing;
- the *device* lane runs the one long-lived reader of the GPS receiver (it returns when its
  stop event is set);
- the *documents* lane runs long read-only jobs — exports and PDFs — so a 100,000-case export
  holds up neither edits nor the sync;
- the *tiles* lane decodes map tiles (reads of a basemap file, never of the store), so panning
  the map never waits behind a save or an export, nor they behind it.

What serialises *writes* is not the database lane: a sync cycle writes the store from the
network lane (confirmations, pulled cases and steps, photo upload offsets), interleaved with its
HTTP calls. Every write is one ``LocalStore.write()`` transaction, which begins with
``BEGIN IMMEDIATE`` and so takes SQLite's single writer lock up front (a second writer waits,
up to the connection's busy timeout, instead of failing half-way); WAL lets readers in any lane
go on meanwhile. The database lane only orders the UI's own calls among themselves.

Results and errors come back to the main thread through queued signals. Callers read widget
values *before* submitting work, never inside it. Widgets do not call this module directly:
:class:`app.ui.operations.Operations` adds latest-only results, dead-owner checks, failures in
words, a busy state and the announcement of each write's Changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:
            self._signals.failed.emit(exc)
        else:
            self._signals.done.emit(result)


class TaskRunner(QObject):
    """Runs callables off the main thread and delivers their outcome on it."""

    #: Emitted for a failure whose caller gave no ``on_error``.
    error = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = QThreadPool(self)
        self._db.setMaxThreadCount(1)
        self._net = QThreadPool(self)
        self._net.setMaxThreadCount(1)
        self._device = QThreadPool(self)
        self._device.setMaxThreadCount(1)
        self._documents = QThreadPool(self)
        self._documents.setMaxThreadCount(1)
        self._tiles = QThreadPool(self)
        self._tiles.setMaxThreadCount(1)
        self._live: set[_Signals] = set()

    def run_db(
        self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None
    ) -> None:
        """Run store work in the serialized database lane."""
        self._start(self._db, fn, on_done, on_error)

    def run_net(
        self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None
    ) -> None:
        """Run network work in its own lane."""
        self._start(self._net, fn, on_done, on_error)

    def run_device(
        self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None
    ) -> None:
        """Run a long-lived device reader (the GPS receiver) in its own lane."""
        self._start(self._device, fn, on_done, on_error)

    def run_documents(
        self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None
    ) -> None:
        """Run a long read-only job (an export, a PDF) in its own lane: it reads the store
        through its own connection (WAL readers never block the writer), so edits and syncs go
        on meanwhile."""
        self._start(self._documents, fn, on_done, on_error)

    def run_tiles(
        self, fn: Callable[[], Any], on_done: Done | None = None, on_error: Failed | None = None
    ) -> None:
        """Decode map tiles in their own lane (basemap files only, no store access)."""
        self._start(self._tiles, fn, on_done, on_error)

    def _start(
        self,
        pool: QThreadPool,
        fn: Callable[[], Any],
        on_done: Done | None,
        on_error: Failed | None,
    ) -> None:
        signals = _Signals()  # created here, so it lives in (and delivers to) the main thread
        self._live.add(signals)

        def finished(result: Any) -> None:
            self._live.discard(signals)
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self._live.discard(signals)
            log.error("background task failed", exc_info=exc)
            if on_error is not None:
                on_error(exc)
            else:
                self.error.emit(exc)

        signals.done.connect(finished)
        signals.failed.connect(failed)
        pool.start(_Job(fn, signals))

    def busy(self) -> bool:
        return bool(self._live)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every lane is idle (used at shutdown and in tests)."""
        pools = (self._db, self._net, self._device, self._documents, self._tiles)
        return all(pool.waitForDone(msecs) for pool in pools)
