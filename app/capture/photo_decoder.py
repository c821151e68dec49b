"""The decode worker: one spawned process that parses photos, replaced when it hangs or dies.

Every byte of a photo is parsed here, never in the app's own process (see :mod:`app.capture.photos`
for why). This module knows nothing about photos: it starts the process, sends it requests over
a pipe, bounds each with a timeout, and kills and replaces a worker that hangs, dies or has
served long enough. What the worker does with a request is the ``serve`` function it is given,
a module-level function (it is pickled by name into the spawned process).
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess

#: What the worker runs for each request: a request dict in, a reply tuple out. It must never
#: raise (an exception would end the worker's loop, and the caller would see a crash).
Serve = Callable[[dict[str, Any]], tuple[Any, ...]]

_STARTUP_TIMEOUT_S = 60.0  # a cold start of a frozen app on a slow laptop, antivirus included
# Restart the worker now and then: C decoders can leak or fragment memory, and a fresh process
# keeps the resident size flat however many photos an inspector imports.
_RECYCLE_AFTER = 500


class WorkerTimeoutError(Exception):
    """A request took longer than its timeout; the worker was killed."""


class WorkerDiedError(Exception):
    """The worker died while serving a request (the message says how it ended)."""


class WorkerUnavailableError(Exception):
    """No worker could be started."""


class DecodeWorker:
    """The persistent worker process and the pipe to it; thread-safe (one request at a time).

    ``serve`` answers each request inside the worker (see :data:`Serve`).
    """

    def __init__(self, serve: Serve) -> None:
        self._serve = serve
        self._lock = threading.Lock()
        self._proc: SpawnProcess | None = None
        self._conn: Connection | None = None
        self._served = 0
        self._atexit_registered = False

    def call(self, request: dict[str, Any], timeout: float) -> tuple[Any, ...]:
        with self._lock:
            conn = self._ensure_running()
            try:
                conn.send(request)
            except (OSError, EOFError):
                # The idle worker died between requests (killed by the system, say): this
                # photo is not to blame, so start a fresh worker and send it there once.
                self._kill()
                conn = self._ensure_running()
                try:
                    conn.send(request)
                except (OSError, EOFError) as exc:
                    self._kill()
                    raise WorkerDiedError("the decoder process exited") from exc
            if not conn.poll(max(timeout, 0.0)):
                self._kill()
                raise WorkerTimeoutError
            try:
                reply: tuple[Any, ...] = conn.recv()
            except (OSError, EOFError) as exc:
                raise WorkerDiedError(self._kill()) from exc
            self._served += 1
            if self._served >= _RECYCLE_AFTER:
                self._stop_gracefully()
            return reply

    def call_if_running(self, request: dict[str, Any], timeout: float) -> tuple[Any, ...] | None:
        with self._lock:
            if self._proc is None or not self._proc.is_alive() or self._conn is None:
                return None
            try:
                self._conn.send(request)
                if not self._conn.poll(timeout):
                    self._kill()
                    return None
                reply: tuple[Any, ...] = self._conn.recv()
            except (OSError, EOFError):
                self._kill()
                return None
            return reply

    def stop(self) -> None:
        with self._lock:
            self._stop_gracefully()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def _ensure_running(self) -> Connection:
        if self._proc is not None and self._conn is not None and self._proc.is_alive():
            return self._conn
        self._kill()
        ctx = multiprocessing.get_context("spawn")  # never fork: the GUI process has threads
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(
            target=_worker_main,
            args=(child, self._serve),
            name="citypatrol-photo-decoder",
            daemon=True,
        )
        try:
            proc.start()
        except Exception as exc:
            # No executable, no memory, or a frozen app that never called freeze_support().
            parent.close()
            child.close()
            raise WorkerUnavailableError(f"{type(exc).__name__}: {exc}") from exc
        child.close()  # only the worker holds it now, so its death shows up here as EOF
        self._proc, self._conn, self._served = proc, parent, 0
        try:
            ready = parent.poll(_STARTUP_TIMEOUT_S) and parent.recv()
        except (OSError, EOFError):
            ready = None
        if not (isinstance(ready, tuple) and ready and ready[0] == "ready"):
            exitcode = self._kill()
            raise WorkerUnavailableError(f"the worker did not start ({exitcode})")
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        return parent

    def _kill(self) -> str:
        """Kill the worker (if any) and forget it; describe how it ended."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is None:
            return "no worker"
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        code = proc.exitcode
        if code is not None:
            proc.close()
        return _describe_exit(code)

    def _stop_gracefully(self) -> None:
        proc, conn = self._proc, self._conn
        if proc is None or conn is None:
            self._kill()
            return
        with contextlib.suppress(OSError, EOFError):
            conn.send(None)
        proc.join(2)
        self._kill()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the decoder process did not exit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the decoder process was ended by {name}"
    return f"the decoder process exited with status {code}"


def _worker_main(conn: Connection, serve: Serve) -> None:
    """Entry point of the decode worker: serve requests until the pipe closes."""
    # Ctrl+C in a terminal reaches the whole process group; the app decides, not the worker.
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the app has gone away
        if request is None:
            return
        conn.send(serve(request))


def peak_rss_bytes() -> int | None:
    """This process's own peak resident size.

    On Linux ``getrusage(RUSAGE_SELF).ru_maxrss`` survives fork + exec, so a spawned worker
    would report its parent's size at the time it was started; VmHWM is the worker's own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024
