"""The GPS receiver and the patrol track, for the GUI.

:class:`GpsFeed` reads the configured receiver — a serial/USB NMEA puck, or an NMEA log replayed
in real time (demos, training, tests) — in the task runner's device lane and delivers each fix
on the main thread. :class:`PatrolController` turns fixes into a recorded patrol track
(:class:`app.capture.tracks.TrackRecorder` thins them; points are written in batches in the
database lane) and reports distance and time for the status bar.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from app.capture.gps_serial import read_serial, replay
from app.capture.nmea import NmeaDecoder
from app.capture.positions import Fix, PositionSource
from app.capture.tracks import TrackPoint, TrackRecorder, TrackState
from app.storage import LocalStore
from app.ui.operations import Lane, Operations
from app.ui.tasks import TaskRunner

#: Kept points are written at least this often (and at every pause or stop).
FLUSH_MS = 10_000


@dataclass(frozen=True, slots=True)
class GpsSource:
    """Where fixes come from: a serial port (``/dev/ttyUSB0``, ``COM3``) or an NMEA log."""

    port: str = ""
    baudrate: int = 4800
    replay_file: Path | None = None
    replay_speed: float = 1.0

    @property
    def configured(self) -> bool:
        return bool(self.port) or self.replay_file is not None


class GpsFeed(QObject):
    """The receiver's fixes, on the main thread."""

    fix = Signal(object)  # Fix
    connected = Signal()
    failed = Signal(object)  # an exception with a bilingual message (NmeaError) or OSError
    stopped = Signal()

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._ops = Operations(self, tasks)
        self._stop = threading.Event()
        self.running = False
        self.last_fix: Fix | None = None
        self.fix.connect(self._remember)

    def _remember(self, fix: Fix) -> None:
        self.last_fix = fix

    def start(self, source: GpsSource) -> None:
        if self.running or not source.configured:
            return
        self._stop = threading.Event()
        stop = self._stop
        self.running = True

        def read() -> None:
            # Runs in the device lane; emitting from here queues the signal to the main thread.
            if source.replay_file is not None:
                replay(
                    source.replay_file,
                    self.fix.emit,
                    realtime=True,
                    speed=source.replay_speed,
                    stop=stop,
                )
            else:
                read_serial(
                    source.port,
                    source.baudrate,
                    decoder=NmeaDecoder(PositionSource.GPS),
                    on_fix=self.fix.emit,
                    stop=stop,
                    on_open=self.connected.emit,
                )

        self._ops.run(read, self._ended, lane=Lane.DEVICE, on_error=self._failed)

    def stop(self) -> None:
        self._stop.set()

    def _ended(self, _result: object) -> None:
        self.running = False
        self.stopped.emit()

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.failed.emit(exc)
        self.stopped.emit()


class PatrolController(QObject):
    """Start, pause, resume and stop the patrol track; distance and time for the status bar."""

    changed = Signal()  # state, distance or time changed
    error = Signal(object)

    def __init__(
        self, store: LocalStore, tasks: TaskRunner, feed: GpsFeed, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._store, self._tasks = store, tasks
        # Track writes are announced on the store's events like every write; failures go to
        # the error signal (the main window shows them).
        self._ops = Operations(self, tasks, store=store)
        self.recorder = TrackRecorder()
        self.track_id: str | None = None
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None
        self._pending: list[TrackPoint] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(1000)
        self._clock_timer.timeout.connect(self.changed.emit)
        feed.fix.connect(self.offer)

    @property
    def state(self) -> TrackState:
        return self.recorder.state

    def start(self) -> None:
        if self.state in (TrackState.RECORDING, TrackState.PAUSED):
            return
        self.recorder = TrackRecorder()
        self.recorder.start()
        self.started_at, self.ended_at = datetime.now(UTC), None
        self._pending.clear()
        self._ops.write(self._store.start_track, self._started, on_error=self.error.emit)
        self._flush_timer.start()
        self._clock_timer.start()
        self.changed.emit()

    def _started(self, created: object) -> None:
        self.track_id = getattr(created, "id", None)
        self.flush()

    def pause(self) -> None:
        if self.state is TrackState.RECORDING:
            self.recorder.pause()
            self._set_state(TrackState.PAUSED)

    def resume(self) -> None:
        if self.state is TrackState.PAUSED:
            self.recorder.resume()
            self._set_state(TrackState.RECORDING)

    def stop(self) -> None:
        if self.state not in (TrackState.RECORDING, TrackState.PAUSED):
            return
        self.recorder.stop()
        self.ended_at = datetime.now(UTC)
        self._flush_timer.stop()
        self._clock_timer.stop()
        self._set_state(TrackState.STOPPED)

    def offer(self, fix: Fix) -> None:
        point = self.recorder.offer(fix)
        if point is not None:
            self._pending.append(point)
            self.changed.emit()

    def flush(self) -> None:
        """Write the kept points (in the database lane)."""
        track_id = self.track_id
        if track_id is None or not self._pending:
            return
        points, self._pending = self._pending, []
        distance = self.recorder.distance_m
        self._ops.write(
            lambda: self._store.add_track_points(track_id, points, distance_m=distance),
            on_error=self.error.emit,
        )

    def _set_state(self, state: TrackState) -> None:
        self.flush()
        track_id = self.track_id
        if track_id is not None:
            self._ops.write(
                lambda: self._store.set_track_state(track_id, state), on_error=self.error.emit
            )
        self.changed.emit()

    def elapsed(self) -> timedelta:
        if self.started_at is None:
            return timedelta()
        return (self.ended_at or datetime.now(UTC)) - self.started_at


class PatrolLabel(QLabel):
    """ "Patrol 1.24 km · 0:35:12" in the status bar, or nothing when no patrol runs."""

    def __init__(self, patrol: PatrolController) -> None:
        super().__init__()
        self._patrol = patrol
        patrol.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        state = self._patrol.state
        if state in (TrackState.IDLE, TrackState.STOPPED) and self._patrol.track_id is None:
            self.setText("")
            return
        seconds = int(self._patrol.elapsed().total_seconds())
        clock = f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        km = f"{self._patrol.recorder.distance_m / 1000:.2f}"
        if state is TrackState.RECORDING:
            text = self.tr("Patrol %1 km · %2")
        elif state is TrackState.PAUSED:
            text = self.tr("Patrol paused %1 km · %2")
        else:
            text = self.tr("Last patrol %1 km · %2")
        self.setText(text.replace("%1", km).replace("%2", clock))
