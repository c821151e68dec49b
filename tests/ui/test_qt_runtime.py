"""Guards on the Qt bindings themselves, for bugs that would crash the app in the field."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from helpers import ROOT


def test_emitting_signals_does_not_leak_references() -> None:
    # PySide6 6.12.0 drops a reference to True on every Signal.emit() (Python 3.11): after a
    # few hundred signals the interpreter aborts with "bool_dealloc". The GUI emits thousands
    # in a working day (every background job, every GPS fix), so a version with that bug must
    # never be installed. Run in a child process: the failure is an abort, not an exception.
    script = textwrap.dedent(
        """
        import sys
        from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

        app = QCoreApplication([])

        class Source(QObject):
            signal = Signal(object)

        class Job(QRunnable):
            def __init__(self, fn):
                super().__init__()
                self.fn = fn

            def run(self):
                self.fn()

        source, got = Source(), []
        source.signal.connect(got.append)
        before = sys.getrefcount(True)
        for i in range(2000):
            source.signal.emit(i)  # same thread
        pool = QThreadPool()
        pool.start(Job(lambda: [source.signal.emit(i) for i in range(2000)]))  # worker thread
        pool.waitForDone()
        app.processEvents()
        print(len(got), sys.getrefcount(True) - before)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    delivered, leaked = map(int, result.stdout.split())
    assert delivered == 4000
    assert abs(leaked) < 100, f"{leaked} references to True lost over 4000 emits"
