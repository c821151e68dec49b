"""Benchmark of the desktop app's responsiveness at city scale.

Run from the project root (a display is not needed: Qt's offscreen platform is used)::

    .venv/bin/python bench/ui.py [--cases 100000] [--photos 200] [--photo-mb 1] [--json]

1. **Start-up**: a store with ``--cases`` realistic cases (bench/store.py's generator and bulk
   loader) is opened by a fresh process running the app's real entry point (``python -m app
   --data-dir DIR``: settings, translators, font, log, store, main window), and the time from
   spawning the process to the case list showing its first rows is taken (target ≤ 1.0 s); the
   same with an empty store. Baseline in the same run: a bare PySide6 window with a table view
   (a fresh process importing only QtWidgets, one row in a QStandardItemModel), timed to its
   first row shown the same way. A headless ``citypatrol case list`` on the same big store,
   spawn to exit (target ≤ 0.3 s), beside the same bare window and ``python -c pass``.
   Every child runs with Python's bytecode cache in a folder of the run (warmed first), as an
   installed app has its modules compiled; without it (``PYTHONDONTWRITEBYTECODE``) every start
   compiles every module again.
2. **Search keystroke**: in this process, the main window over the same store; the time from a
   search term being applied (the keystroke after the input debounce) to the list updated with
   its first rows, median over several two-character Chinese terms (target ≤ 100 ms); baseline:
   reloading the unfiltered list.
3. **Event-loop latency during a sync**: the main window open on a store with ``--photos``
   photos of ``--photo-mb`` MB (noise JPEGs) and their cases, synced to a real local server in
   the network lane; a 10 ms timer measures how late the loop runs it (p99 target < 50 ms, max
   < 200 ms). Baseline: the same timer on the idle window.

Figures only: a missed target prints MISS; a sync that fails prints WARNING and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_START_S = 1.0
TARGET_CLI_S = 0.3
TARGET_SEARCH_MS = 100.0
TARGET_P99_MS = 50.0
TARGET_MAX_MS = 200.0
TERMS = ("垃圾", "路灯", "井盖", "停放", "解放")

# The app's real entry point, with a watcher that prints the moment the list shows its first row.
CHILD = """
import sys, time

def watch():
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    real_exec = QApplication.exec

    def watched_exec(*args):
        app = QApplication.instance()
        window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")
        model = window.model

        def check():
            rows = model.rowCount()
            if rows == 0 and window.stack.currentWidget() is window.empty_label:
                done()  # an empty store: the empty state is the populated view
            elif rows and model.data(model.index(0, 2)) not in (None, "…", ""):
                done()

        def done():
            print(time.time(), model.rowCount(), time.process_time(), flush=True)
            timer.stop()
            window.close()

        timer = QTimer()
        timer.timeout.connect(check)
        timer.start(1)
        return real_exec()

    QApplication.exec = watched_exec

# The watcher goes in when the app itself has imported Qt (its main window module), so that
# the app's own import order is what is measured.
def audit(event, args):
    if event == "import" and args[0] == "app.ui.main_window" and not watched:
        watched.append(True)
        watch()

watched = []
sys.addaudithook(audit)
from app.cli import main
sys.exit(main(["--data-dir", sys.argv[1], "--lang", "zh_CN"]))
"""

# The baseline: a bare PySide6 window with a table view, timed to its first row shown.
BARE = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

app = QApplication([])
window = QMainWindow()
model = QStandardItemModel(0, 8)
model.appendRow([QStandardItem(f"cell {i}") for i in range(8)])
view = QTableView()
view.setModel(model)
window.setCentralWidget(view)
window.resize(1000, 700)
window.show()

def check():
    if view.isVisible() and model.data(model.index(0, 2)):
        print(time.time(), model.rowCount(), time.process_time(), flush=True)
        app.quit()

timer = QTimer()
timer.timeout.connect(check)
timer.start(1)
app.exec()
"""


def child_env(root: Path) -> dict[str, str]:
    """The children's environment: a bytecode cache of this run, no user settings."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    env["XDG_CONFIG_HOME"] = str(root / "config")  # the user's Settings stay out of it
    env["XDG_DATA_HOME"] = str(root / "xdg-data")
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


class Run(NamedTuple):
    wall_s: float  # from spawning the process
    cpu_s: float  # CPU time of the process (every thread), which the machine's load hardly moves
    rows: int = 0


def shown_s(code: str, env: dict[str, str], *args: str) -> Run:
    """Spawn ``python -c code args``; the time until it printed its first-row moment."""
    spawned = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300, env=env,
    )  # fmt: skip
    shown, rows, cpu = out.stdout.split()[:3]
    return Run(float(shown) - spawned, float(cpu), int(rows))


def startup_s(data_dir: Path, env: dict[str, str]) -> Run:
    return shown_s(CHILD, env, str(data_dir))


def process_s(env: dict[str, str], *args: str) -> Run:
    """Spawn to exit of ``python ARGS``, and its CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, check=True, timeout=300, env=env
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Run(wall, cpu)


def measure_startup(root: Path, repeat: int) -> dict[str, Any]:
    """Start-up figures (see the module), the minimum of ``repeat`` runs of each, interleaved
    so that the machine's load falls on all of them alike."""
    env = child_env(root)
    cli = ["-m", "app", "--data-dir", str(root / "big"), "case", "list", "--limit", "50"]
    # Warm the bytecode cache and the file cache.
    startup_s(root / "empty", env)
    shown_s(BARE, env)
    process_s(env, *cli)
    runs: dict[str, list[Run]] = {"bare": [], "big": [], "empty": [], "cli": [], "python": []}
    for _ in range(repeat):
        runs["bare"].append(shown_s(BARE, env))
        runs["big"].append(startup_s(root / "big", env))
        runs["empty"].append(startup_s(root / "empty", env))
        runs["cli"].append(process_s(env, *cli))
        runs["python"].append(process_s(env, "-c", "pass"))
    wall = {k: min(r.wall_s for r in v) for k, v in runs.items()}
    cpu = {k: min(r.cpu_s for r in v) for k, v in runs.items()}
    return {
        "bare_window_s": round(wall["bare"], 3),
        "startup_s": round(wall["big"], 3),
        "startup_empty_store_s": round(wall["empty"], 3),
        "startup_ratio_to_bare": round(wall["big"] / wall["bare"], 2),
        "startup_ratio": round(wall["big"] / wall["empty"], 2),
        "cli_case_list_s": round(wall["cli"], 3),
        "cli_ratio_to_bare": round(wall["cli"] / wall["bare"], 2),
        "python_s": round(wall["python"], 3),
        "cpu_s": {k: round(v, 3) for k, v in cpu.items()},
        "rows_listed": runs["big"][0].rows,
    }


def build_store(data_dir: Path, cases: int) -> None:
    from store import CaseGenerator, GroundTruth, bulk_load  # bench/store.py

    from app.domain.taxonomy import load_default_taxonomy
    from app.storage import LocalStore

    taxonomy = load_default_taxonomy()
    now = datetime.now(UTC).replace(microsecond=0)
    with LocalStore(data_dir, taxonomy=taxonomy) as store:
        if cases:
            bulk_load(store, CaseGenerator(taxonomy, 20261128, now), cases, GroundTruth())


def first_row_ready(window: Any) -> bool:
    model = window.model
    if model.rowCount() == 0:
        return window.stack.currentWidget() is window.empty_label
    return model.data(model.index(0, 2)) not in (None, "…", "")


def wait(app: Any, condition: Any, timeout_s: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the window did not update")
        app.processEvents()
        time.sleep(0.0005)


def measure_search(app: Any, data_dir: Path) -> dict[str, Any]:
    from app.domain.taxonomy import load_default_taxonomy
    from app.storage import LocalStore
    from app.ui.main_window import MainWindow
    from app.ui.tasks import TaskRunner

    store = LocalStore(data_dir)
    tasks = TaskRunner()
    window = MainWindow(store, tasks, load_default_taxonomy(), "zh_CN")
    window.show()
    wait(app, lambda: first_row_ready(window))
    term_ms: dict[str, float] = {}
    baseline: list[float] = []

    def timed_filter(text: str) -> float:
        window.search.blockSignals(True)  # skip the input debounce: time the work itself
        window.search.setText(text)
        window.search.blockSignals(False)
        counts: list[int] = []
        window.model.loaded.connect(counts.append)
        t0 = time.perf_counter()
        window.apply_filters()
        wait(app, lambda: bool(counts) and first_row_ready(window))
        elapsed = (time.perf_counter() - t0) * 1000
        window.model.loaded.disconnect(counts.append)
        return elapsed

    for _ in range(3):
        for term in TERMS:
            term_ms[term] = min(term_ms.get(term, 1e9), timed_filter(term))
        baseline.append(timed_filter(""))
    window.close()
    tasks.wait()
    store.close()
    return {
        "terms_ms": {t: round(v, 1) for t, v in term_ms.items()},
        "median_ms": round(statistics.median(term_ms.values()), 1),
        "max_ms": round(max(term_ms.values()), 1),
        "unfiltered_reload_ms": round(min(baseline), 1),
    }


def measure_sync_latency(app: Any, root: Path, photos: int, photo_mb: float) -> dict[str, Any]:
    from helpers import ServerProcess
    from PySide6.QtCore import QTimer
    from sync import fill, noise_jpeg, with_comment  # bench/sync.py

    from app.domain.taxonomy import load_default_taxonomy
    from app.storage import LocalStore
    from app.sync.engine import SyncEngine
    from app.sync.session import sign_in
    from app.ui.main_window import MainWindow
    from app.ui.tasks import TaskRunner

    base = noise_jpeg(int(photo_mb * 1_000_000), seed=5)
    files = []
    for i in range(photos):
        path = root / "ui-photos" / f"P{i:04d}.jpg"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(with_comment(base, f"ui bench {i}"))
        files.append(path)
    server = ServerProcess(root / "ui-server", "--demo")
    try:
        store = LocalStore(root / "ui-laptop")
        sign_in(store, server.url, "demo", "demo")
        fill(store, photos, files)
        tasks = TaskRunner()
        window = MainWindow(store, tasks, load_default_taxonomy(), "zh_CN", autosync=False)
        window.show()
        wait(app, lambda: first_row_ready(window))

        def loop_delays(seconds: float | None, until: Any = None) -> list[float]:
            delays: list[float] = []
            last = [time.perf_counter()]

            def tick() -> None:
                now = time.perf_counter()
                delays.append(max(0.0, (now - last[0]) * 1000 - 10))
                last[0] = now

            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(tick)
            timer.start()
            end = time.perf_counter() + (seconds or 1e9)
            while time.perf_counter() < end and not (until and until()):
                app.processEvents()
                time.sleep(0.001)
            timer.stop()
            return delays

        idle = loop_delays(2.0)
        reports: list[Any] = []
        progress: list[Any] = []
        t0 = time.perf_counter()
        tasks.run_net(lambda: SyncEngine(store, progress=progress.append).run(), reports.append)
        busy = loop_delays(None, until=lambda: bool(reports))
        sync_s = time.perf_counter() - t0
        window.close()
        tasks.wait()
        store.close()
    finally:
        server.stop()
    report = reports[0]

    def figures(d: list[float]) -> dict[str, float]:
        return {
            "ticks": len(d),
            "p50_ms": round(statistics.median(d), 2),
            "p99_ms": round(statistics.quantiles(d, n=100, method="inclusive")[98], 2),
            "max_ms": round(max(d), 2),
        }

    return {
        "sync_ok": report.ok,
        "sync_s": round(sync_s, 2),
        "photo_mb": round(report.photo_bytes_sent / 1e6, 1),
        "progress_events": len(progress),
        "during_sync": figures(busy),
        "idle": figures(idle),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--photo-mb", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each start-up figure")
    parser.add_argument(
        "--startup-only", action="store_true", help="only the start-up figures (section 1)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        root = Path(tmp)
        build_store(root / "big", args.cases)
        build_store(root / "empty", 0)
        start = measure_startup(root, args.repeat)
        search: dict[str, Any] = {}
        latency: dict[str, Any] = {}
        if not args.startup_only:
            app = QApplication.instance() or QApplication([])
            search = measure_search(app, root / "big")
            latency = measure_sync_latency(app, root, args.photos, args.photo_mb)

    results = {"cases": args.cases, **start, "search": search, "latency": latency}
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        verdict = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
        st = start
        print(
            f"bare PySide6 window with a table view, first row shown: {st['bare_window_s']:.2f} s "
            f"(python -c pass {st['python_s']:.2f} s)"
        )
        print(
            f"start-up to a populated list, {args.cases:,} cases: {st['startup_s']:.2f} s "
            f"(×{st['startup_ratio_to_bare']:.2f} the bare window; empty store "
            f"{st['startup_empty_store_s']:.2f} s; target ≤ {TARGET_START_S} s) "
            + verdict(st["startup_s"] <= TARGET_START_S)
        )
        print(
            f"citypatrol case list, {args.cases:,} cases, spawn to exit: {st['cli_case_list_s']:.2f} s "
            f"(×{st['cli_ratio_to_bare']:.2f} the bare window; target ≤ {TARGET_CLI_S} s) "
            + verdict(st["cli_case_list_s"] <= TARGET_CLI_S)
        )
        c = st["cpu_s"]
        print(
            f"CPU seconds (all threads, less moved by the machine's load): bare window "
            f"{c['bare']:.2f}, 100,000-case start-up {c['big']:.2f} (×{c['big'] / c['bare']:.2f}), "
            f"empty store {c['empty']:.2f}, case list {c['cli']:.2f} (×{c['cli'] / c['bare']:.2f}), "
            f"python -c pass {c['python']:.2f}"
        )
        if args.startup_only:
            return 0
        print(
            f"search keystroke → updated list: median {search['median_ms']} ms, max {search['max_ms']} ms "
            f"{search['terms_ms']} (unfiltered reload {search['unfiltered_reload_ms']} ms; "
            f"target ≤ {TARGET_SEARCH_MS:.0f} ms) " + verdict(search["max_ms"] <= TARGET_SEARCH_MS)
        )
        busy, idle = latency["during_sync"], latency["idle"]
        print(
            f"event loop during a sync of {args.photos} photos ({latency['photo_mb']} MB in "
            f"{latency['sync_s']} s): p99 {busy['p99_ms']} ms, max {busy['max_ms']} ms "
            f"(idle p99 {idle['p99_ms']} ms; targets p99 < {TARGET_P99_MS:.0f}, max < {TARGET_MAX_MS:.0f}) "
            + verdict(busy["p99_ms"] < TARGET_P99_MS and busy["max_ms"] < TARGET_MAX_MS)
        )
    if latency and not latency["sync_ok"]:
        print("WARNING: the sync did not complete")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
