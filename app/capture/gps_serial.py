"""Live GNSS receivers on a serial port, and NMEA log replay.

The usual laptop GPS is a USB "puck" (GlobalSat BU-353, u-blox, Quectel …) that shows up as a
serial device — ``/dev/ttyUSB0``, ``/dev/ttyACM0``, ``COM3`` — sending NMEA 0183 at 4800 or
9600 baud. :func:`read_serial` reads it in the caller's (worker) thread until told to stop or
until the device goes away; :func:`replay` feeds a recorded log through the same decoder, for
the ``gps replay`` command, demos and tests. Pure Python (pyserial), no Qt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Final

import serial

from app.capture.nmea import DecodeResult, NmeaDecoder, NmeaError, read_log
from app.capture.positions import Fix, PositionSource
from app.domain.errors import Message

#: How long one read waits for data: the granularity at which ``stop`` is noticed.
READ_TIMEOUT_S: Final = 0.2
#: A "line" this long without a newline is not NMEA (wrong baud rate, binary protocol): it
#: is handed to the decoder as garbage so the buffer cannot grow without bound.
MAX_LINE_BYTES: Final = 4096
#: Replay in real time never waits longer than this between two fixes (gaps in a log).
MAX_REPLAY_GAP_S: Final = 5.0


def read_serial(
    port: str,
    baudrate: int = 4800,
    *,
    decoder: NmeaDecoder,
    on_fix: Callable[[Fix], None],
    stop: threading.Event,
    on_open: Callable[[], None] | None = None,
) -> None:
    """Read NMEA from the receiver on ``port`` until ``stop`` is set; ``on_fix`` for each fix.

    Blocks: run it in a worker thread. Garbage, bad checksums and unsupported sentences are
    skipped and counted in ``decoder``'s counters. Returns when ``stop`` is set (noticed
    within :data:`READ_TIMEOUT_S`). ``on_open`` is called once the port is open (to show
    "receiver connected"); bytes that arrived before that are discarded by the open. Raises :class:`~app.capture.nmea.NmeaError` with code
    ``gps_open_failed`` when the port cannot be opened, and ``gps_disconnected`` when the
    device goes away while reading (unplugged, port closed) — after the fixes from the data
    already received have been delivered. Exceptions from ``on_fix`` propagate.
    """
    try:
        device = serial.Serial(port, baudrate, timeout=READ_TIMEOUT_S)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise NmeaError(
            "gps_open_failed",
            Message(
                f"无法打开 GPS 接收机（{port}，{baudrate} 波特）：{exc}",
                f"Cannot open the GPS receiver on {port} at {baudrate} baud: {exc}",
            ),
        ) from exc
    buffer = bytearray()
    with device:
        if on_open is not None:
            on_open()
        try:
            while not stop.is_set():
                # Read what is waiting (at least one byte, or wait READ_TIMEOUT_S for it):
                # whole bursts at once instead of a system call per byte.
                chunk = device.read(max(1, device.in_waiting))
                if chunk:
                    buffer += chunk
                    _drain(buffer, decoder, on_fix)
        except (serial.SerialException, OSError) as exc:
            _flush(buffer, decoder, on_fix)
            raise NmeaError(
                "gps_disconnected",
                Message(
                    f"GPS 接收机已断开（{port}）：{exc}",
                    f"The GPS receiver on {port} was disconnected: {exc}",
                ),
            ) from exc


def _drain(buffer: bytearray, decoder: NmeaDecoder, on_fix: Callable[[Fix], None]) -> None:
    """Feed every complete line in ``buffer`` to the decoder, keeping the incomplete tail."""
    start = 0
    while True:
        end = buffer.find(b"\n", start)
        if end < 0:
            break
        for fix in decoder.feed(bytes(buffer[start:end])):
            on_fix(fix)
        start = end + 1
    del buffer[:start]
    if len(buffer) > MAX_LINE_BYTES:
        _flush(buffer, decoder, on_fix)


def _flush(buffer: bytearray, decoder: NmeaDecoder, on_fix: Callable[[Fix], None]) -> None:
    if buffer:
        for fix in decoder.feed(bytes(buffer)):
            on_fix(fix)
        buffer.clear()


def replay(
    path: str | Path,
    on_fix: Callable[[Fix], None],
    realtime: bool = False,
    *,
    speed: float = 1.0,
    stop: threading.Event | None = None,
    source: PositionSource = PositionSource.GPS,
) -> DecodeResult:
    """Decode the NMEA log at ``path``, calling ``on_fix`` for each fix as it is completed.

    With ``realtime`` the fixes are paced by the receiver's own timestamps (divided by
    ``speed``; gaps longer than :data:`MAX_REPLAY_GAP_S` are shortened to it), as if the
    receiver were plugged in. ``stop`` ends a replay early. Returns the same
    :class:`~app.capture.nmea.DecodeResult` as :func:`~app.capture.nmea.decode_file` (for
    the part replayed). Raises :class:`~app.capture.nmea.NmeaError` if the file cannot be
    read, ValueError for a ``speed`` that is not positive.
    """
    if not speed > 0:
        raise ValueError("speed must be positive")
    data = read_log(path)
    decoder = NmeaDecoder(source)
    delivered: list[Fix] = []
    last_time: datetime | None = None  # receiver time of the last fix delivered ...
    last_wall = 0.0  # ... and when (monotonic clock)
    for line in data.split(b"\n"):
        if stop is not None and stop.is_set():
            break
        for fix in decoder.feed(line):
            if realtime and fix.time is not None:
                if last_time is not None:
                    gap = min(
                        max((fix.time - last_time).total_seconds() / speed, 0.0), MAX_REPLAY_GAP_S
                    )
                    wait = gap - (time.monotonic() - last_wall)
                    if wait > 0:
                        if stop is None:
                            time.sleep(wait)
                        elif stop.wait(wait):
                            return decoder.result(delivered)
                last_time = fix.time
                last_wall = time.monotonic()
            delivered.append(fix)
            on_fix(fix)
    return decoder.result(delivered)
