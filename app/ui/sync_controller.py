"""Sync in the GUI: when to run a cycle, running it in the background, and telling the widgets.

:class:`SyncController` drives :class:`app.sync.scheduler.AutoSync` (the rules of *when*) with
two timers and the OS's network-change signal, and runs :meth:`SyncEngine.run` in the task
runner's network lane — one cycle at a time. The engine reports progress from the worker thread;
a queued signal brings it to the main thread. Everything the widgets need comes out as signals.

The controller also takes part in the store's events (app.ui.events): what a cycle may have
changed (pushed, confirmed, pulled — the engine collects each write's ``Changes`` into
``SyncReport.changes``) is announced when it ends, and a local write that touched the outbox
refreshes the figures of what waits.

The cycle writes the store from the network lane: its writes are serialised with the
database lane's by SQLite's writer lock (``LocalStore.write()`` begins IMMEDIATE), not by
running in that lane (see app.ui.tasks).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtNetwork import QNetworkInformation

from app.domain.errors import CityPatrolError, Message
from app.storage import LocalStore
from app.storage.ledger import DeliverySummary, SyncLedger
from app.storage.store import Account, Changes
from app.sync.connection import load_connection
from app.sync.errors import ErrorKind, SyncError
from app.sync.scheduler import AutoSync, probe
from app.ui.events import EVERYTHING, StoreEvents
from app.ui.operations import Lane, Operations
from app.ui.settings import Settings
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    # The engine (and httpx with it) is imported when the first cycle starts, not with the
    # window: its first screen does not need it (start-up, bench/ui.py).
    from app.sync.engine import Progress, SyncOptions, SyncReport

log = logging.getLogger(__name__)

TICK_MS = 5_000  # how often the rules are asked whether a sync is due
PROBE_MS = 30_000  # how often the server is probed while offline

_ONLINE = (
    QNetworkInformation.Reachability.Online,
    QNetworkInformation.Reachability.Site,
    QNetworkInformation.Reachability.Local,
    QNetworkInformation.Reachability.Unknown,
)


class SyncController(QObject):
    """Runs sync cycles in the background: automatically, and on demand."""

    #: A cycle began.
    started = Signal()
    #: A :class:`~app.sync.engine.Progress` of the running cycle (on the main thread).
    progress = Signal(object)
    #: A cycle ended: its :class:`~app.sync.engine.SyncReport`.
    finished = Signal(object)
    #: Whether the server can be reached changed.
    online_changed = Signal(bool)
    #: What is still waiting (:class:`DeliverySummary`) and the last successful sync (or None).
    summary_changed = Signal(object, object)
    #: The server refused the session: the user must sign in again (nothing is lost meanwhile).
    session_expired = Signal()

    _worker_progress = Signal(object)  # emitted in the network lane, delivered queued

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        settings: Settings,
        parent: QObject | None = None,
        *,
        auto: AutoSync | None = None,
        options: SyncOptions | None = None,
        tick_ms: int = TICK_MS,
        probe_ms: int = PROBE_MS,
        metered: Callable[[], bool] | None = None,
        prober: Callable[[str], bool] = probe,
        watch_network: bool = True,
        autostart: bool = True,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._ops = Operations(self, tasks)
        self._events = StoreEvents.of(store)
        self._settings = settings
        self._ledger = SyncLedger(store)
        self.auto = auto or AutoSync()
        self._options = options  # SyncOptions() when a cycle first needs them
        self._metered = metered
        self._prober = prober
        self._stop = threading.Event()
        self._running = False
        self._probing = False
        self._closing = False
        self._server_url = ""
        self.online: bool | None = None  # None until the first probe or cycle says
        self.summary: DeliverySummary | None = None
        self.last_sync: datetime | None = None
        self.last_report: SyncReport | None = None
        self.photos_held_back = False

        self._worker_progress.connect(self._relay_progress, Qt.ConnectionType.QueuedConnection)
        self._tick = QTimer(self)
        self._tick.setInterval(tick_ms)
        self._tick.timeout.connect(self._on_tick)
        self._probe_timer = QTimer(self)
        self._probe_timer.setInterval(probe_ms)
        self._probe_timer.timeout.connect(self.probe_now)
        self._network = self._watch_network() if watch_network else None
        self._events.changed.connect(self._store_changed)
        if autostart:
            QTimer.singleShot(0, self.start)

    # -- state --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    @property
    def server_url(self) -> str:
        """The server synced with: the signed-in account's, else the one in the settings."""
        return self._server_url

    @property
    def network_information(self) -> QNetworkInformation | None:
        """The OS's network information backend, when one could be loaded."""
        return self._network

    def metered(self) -> bool:
        """Whether the connection is metered (the OS says so, or the injected test callable)."""
        if self._metered is not None:
            return self._metered()
        info = self._network
        return bool(
            info is not None
            and info.supports(QNetworkInformation.Feature.Metered)
            and info.isMetered()
        )

    def current_options(self) -> SyncOptions:
        """The options for a cycle starting now: photos wait on a metered connection if asked."""
        if self._options is None:
            from app.sync.engine import SyncOptions

            self._options = SyncOptions()
        # Which originals come whole is the user's setting (Settings dialog), read each cycle.
        options = dataclasses.replace(self._options, originals=self._settings.originals)
        if self._settings.hold_photos_on_metered and self.metered():
            return dataclasses.replace(options, photos=False)
        return options

    # -- slots --------------------------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        """Begin: read the account, probe the server, tick. (Called by the constructor.)"""
        if self._closing or self._tick.isActive():
            return
        self._tick.start()
        self._load_account()
        self.refresh_summary()

    @Slot()
    def sync_now(self) -> None:
        """The user asked: sync now (unless one is running), online or not."""
        if not self._closing and self.auto.sync_now():
            self._start_cycle()

    @Slot()
    def changed_locally(self) -> None:
        """Something was saved: sync soon, and refresh the pending figures."""
        self.sync_soon()
        self.refresh_summary()

    @Slot()
    def sync_soon(self) -> None:
        """Something was saved: sync soon (the figures follow the store's events)."""
        self.auto.changed_locally()

    def _store_changed(self, changes: Changes) -> None:
        # A cycle's own changes are followed by a refresh of the figures in _on_finished.
        if changes.outbox and not changes.everything:
            self.refresh_summary()

    @Slot()
    def signed_in(self) -> None:
        """The user signed in (again): sync as soon as the server answers."""
        self.auto.signed_in()
        self._load_account()

    @Slot()
    def refresh_summary(self) -> None:
        """Read the pending figures and the last sync time (database lane)."""
        if self._closing:
            return
        ledger = self._ledger
        self._ops.run(lambda: (ledger.summary(), ledger.last_sync()), self._on_summary)

    @Slot()
    def probe_now(self) -> None:
        """Ask the server's health check (network lane) whether it can be reached."""
        url = self._server_url
        if self._closing or self._probing or self._running or not url:
            return
        self._probing = True
        prober, data_dir = self._prober, self._store.data_dir

        def check() -> bool:
            if prober is probe:  # the real one trusts the city's CA too, as the sync does
                return probe(url, verify=load_connection(data_dir).verify)
            return prober(url)

        self._ops.run(check, self._on_probe, lane=Lane.NET, on_error=self._on_probe_failed)

    def shutdown(self, wait_ms: int = 30_000) -> bool:
        """Stop for good (the app is closing): stop the timers, cut a running cycle short, wait.

        Returns whether the background lanes went idle within ``wait_ms``. Nothing is lost by a
        cycle cut short: the next start carries on from what the server confirmed.
        """
        self._closing = True
        self._tick.stop()
        self._probe_timer.stop()
        self._stop.set()
        if self._network is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self._network.reachabilityChanged.disconnect(self._on_reachability)
            self._network = None
        return self._tasks.wait(wait_ms)

    # -- internals ----------------------------------------------------------------------------

    def _watch_network(self) -> QNetworkInformation | None:
        """The OS's reachability signal, if a backend loads (often none on a headless box)."""
        try:
            info = QNetworkInformation.instance()
            if info is None and QNetworkInformation.loadDefaultBackend():
                info = QNetworkInformation.instance()
        except Exception:  # a missing plugin must never stop the app
            log.info("no network information backend", exc_info=True)
            return None
        if info is None:
            log.info("no network information backend; relying on the server probe")
            return None
        info.reachabilityChanged.connect(self._on_reachability)
        return info

    def _on_reachability(self, reachability: QNetworkInformation.Reachability) -> None:
        if self._closing:
            return
        if reachability in _ONLINE:
            self.probe_now()  # the OS's word is a hint: the server's health check decides
        else:
            self.auto.reachable(False)
            self._set_online(False)

    def _load_account(self) -> None:
        self._ops.run(self._store.account, self._on_account)

    def _on_account(self, account: Account | None) -> None:
        if self._closing:
            return
        self._server_url = account.server_url if account else self._settings.server_url
        if account is None:
            self.auto.waiting_for_sign_in = True  # nothing to sync with until a sign-in
        self.probe_now()

    def _on_probe(self, up: object) -> None:
        self._probing = False
        if self._closing:
            return
        reachable = bool(up)
        due = self.auto.reachable(reachable)
        self._set_online(reachable)
        if due:
            self._start_cycle()

    def _on_probe_failed(self, exc: BaseException) -> None:
        self._probing = False
        log.warning("server probe failed: %s", exc)

    def _on_summary(self, result: tuple[DeliverySummary, datetime | None]) -> None:
        if self._closing:
            return
        self.summary, self.last_sync = result
        self.summary_changed.emit(*result)

    def _on_tick(self) -> None:
        if not self._closing and self.auto.due():
            self._start_cycle()

    def _set_online(self, up: bool) -> None:
        self._update_probe_timer()
        if up != self.online:
            self.online = up
            self.online_changed.emit(up)

    def _update_probe_timer(self) -> None:
        """Probe on a timer exactly while the rules consider the server unreachable."""
        if self.auto.online or self._closing:
            self._probe_timer.stop()
        elif not self._probe_timer.isActive():
            self._probe_timer.start()

    def _start_cycle(self) -> None:
        if self._running or self._closing:
            return
        options = self.current_options()
        self.photos_held_back = not options.photos
        from app.sync.engine import SyncEngine

        engine = SyncEngine(
            self._store, options, progress=self._worker_progress.emit, stop=self._stop
        )
        self._running = True
        self.auto.started()
        self.started.emit()
        self._ops.run(engine.run, self._on_finished, lane=Lane.NET, on_error=self._on_crashed)

    def _relay_progress(self, progress: Progress) -> None:
        if not self._running:
            return
        if progress.phase == "pull" or (progress.phase == "photos" and progress.bytes_done):
            self.auto.reachable(True)  # the server has answered in this cycle
            self._set_online(True)
        self.progress.emit(progress)

    def _on_finished(self, report: SyncReport) -> None:
        self._running = False
        self.last_report = report
        error = report.error
        self.auto.finished(
            report.ok,
            error.kind if error is not None else None,
            error.retry_after if error is not None else None,
        )
        if error is None or (
            error.kind is not ErrorKind.RETRYABLE and error.code != "not_signed_in"
        ):
            self.auto.online = True  # the server answered
            self._set_online(True)
        elif error.code == "unreachable":
            self.auto.reachable(False)  # the probe says when it is back
            self._set_online(False)
        else:  # after retryable failures in a row the rules wait for the probe
            self._update_probe_timer()
        if error is not None and error.kind is ErrorKind.AUTH and error.code != "not_signed_in":
            self.session_expired.emit()
        # What the cycle pushed, confirmed or pulled (the engine collects each write's
        # Changes); a cycle that changed nothing refreshes nothing.
        self._events.announce(report.changes)
        self.finished.emit(report)
        if report.left is not None:
            self.summary = report.left
        self.refresh_summary()

    def _on_crashed(self, exc: BaseException) -> None:
        """The cycle raised (it should not: failures go in the report) — report it as one."""
        message = (
            exc.message
            if isinstance(exc, CityPatrolError)
            else Message(f"同步意外中止：{exc}", f"Sync stopped unexpectedly: {exc}")
        )
        # What a crashed cycle wrote before it fell is unknown: every view reloads.
        from app.sync.engine import SyncReport

        report = SyncReport(
            error=SyncError(ErrorKind.RETRYABLE, "crashed", message), changes=EVERYTHING
        )
        report.left = self.summary
        self._on_finished(report)
