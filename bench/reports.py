"""Benchmark of the supervisor's reports (考核指标) over a city's quarter of step logs.

Run from the project root::

    .venv/bin/python bench/reports.py [--cases N] [--repeat R] [--data-dir DIR] [--json]

``--cases`` (default 100,000) cases first submitted during the first quarter of 2027
(Asia/Shanghai) are written into a fresh local store by ``tests/report_builders.bulk_generate``
(fixed seed): realistic step logs of about 8 steps a case — submit, accept, register, dispatch
with a deadline of 1–5 working days, sometimes extended or suspended, handled (15 % late),
re-inspected, now and then failed and reworked, closed; some rejected, voided or returned.
Steps are stored in the order they happened (interleaved across cases), as a synced store
holds them. The end of the quarter plays "now": the latest cases are still open.

Figures (median of ``--repeat`` runs, wall clock and this process's CPU time):

1. **Read baseline** — the bare read the reports cannot avoid: every step of the quarter
   fetched through ``sqlite3`` in (case, time, id) order (through the step-log index, as the
   reports read it), and nothing done with it.
2. **Quarter indicators** — ``app.storage.reports.indicators(store, quarter)``: every figure
   for the city and per department, inspector, district, grid and category, loading included
   (target ≤ 2 s), and its ratio to the read baseline.
3. **Weekly trend** — ``weekly_trend(store, quarter)``: the city totals of the 14 (clipped)
   weeks of the quarter in one pass.
4. **Open assignments** — ``open_assignments(store, end of quarter)``: the overdue and
   due-soon lists.
5. **Without the step-log index** — the quarter again after dropping the schema's
   ``ix_case_steps_log`` (``case_steps (case_id, at, id, action,
   department_id, deadline)``, migration 0005): the sorted table scan a store without it does,
   and the index's size on disk.
6. **Memory** — the peak of Python allocations during one quarter computation (tracemalloc,
   in a run of its own: tracing slows it down) and the process's peak resident size.

7. **Bulletin PDF** — gathering the bulletin of the quarter and rendering it (target ≤ 10 s).
8. **Exports** — every case as GeoJSON, GeoPackage and CSV: cases per second, file size, and
   the peak of Python allocations during the export (flat: it does not grow with the cases).

Correctness is checked on the way: the quarter's reports, rejections and voids equal the
generated data's, the weekly figures add up to the quarter's, and the overdue count of the
indicators equals the overdue rows of the open-assignment list. A mismatch prints ``WARNING``
and exits 1. A missed target prints MISS, never an error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from report_builders import BulkSummary, bulk_generate  # noqa: E402

from app.domain.indicators import Indicators, Period, quarter  # noqa: E402
from app.storage import LocalStore  # noqa: E402
from app.storage.reports import (  # noqa: E402
    COVERING_INDEX,
    indicators,
    open_assignments,
    weekly_trend,
)

SEED = 20270101
TZ = ZoneInfo("Asia/Shanghai")
TARGET_QUARTER_S = 2.0
TARGET_BULLETIN_S = 10.0
#: Figures that add up over the weeks of a quarter (each event counts in exactly one week).
ADDITIVE = (
    "reports", "accepted", "rejected", "registered", "voided", "dispatched", "closed",
    "due_to_handle", "handled_on_time", "handled", "handled_late", "reworked",
)  # fmt: skip

T = TypeVar("T")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(fn: Callable[[], T], repeat: int) -> tuple[T, dict[str, float]]:
    """``fn()`` run once untimed, then ``repeat`` times: its last result, median wall and CPU."""
    result = fn()
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return result, {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}


def drop_covering_index(db: Path) -> float | None:
    """Drop the schema's step-log index (to time the read without it): its size in MB if known."""
    conn = sqlite3.connect(db)
    try:
        try:
            (size,) = conn.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name = 'ix_case_steps_log'"
            ).fetchone()
        except sqlite3.Error:  # SQLite built without the dbstat table
            size = None
        conn.execute("DROP INDEX ix_case_steps_log")
        conn.commit()
        return None if size is None else size / 1e6
    finally:
        conn.close()


def read_baseline(db: Path, cutoff: str) -> int:
    """Fetch every step before ``cutoff`` sorted as the reports need them; do nothing else."""
    conn = sqlite3.connect(db)
    try:
        conn.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")  # as the reports do
        n = 0
        for _ in conn.execute(
            "SELECT case_id, action, at, department_id, deadline FROM case_steps "
            "WHERE at < ? ORDER BY case_id, at, id",
            (cutoff,),
        ):
            n += 1
        return n
    finally:
        conn.close()


# -- places for the lead ---------------------------------------------------------------------


def time_bulletin_pdf(store: LocalStore, period: Period, repeat: int) -> dict[str, float] | None:
    """The periodic bulletin (定期通报) of ``period`` as a PDF: gathering and rendering (target
    ≤ 10 s). Rendering needs a QGuiApplication (offscreen here)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.documents.pdf import gui_application, write_bulletin_pdf
    from app.storage.bulletin import bulletin_data

    _gui = gui_application()  # held while the PDFs are written
    out = Path(store.data_dir) / "bulletin.pdf"

    def write() -> int:
        data = bulletin_data(store, period, now=period.end, language="zh_CN")
        write_bulletin_pdf(data, out, "zh_CN")
        return len(data.overdue)

    overdue, t = timed(write, repeat)
    return t | {"overdue_listed": overdue, "size_mb": out.stat().st_size / 1e6}


def time_exports(store: LocalStore, period: Period, repeat: int) -> dict[str, Any] | None:
    """Every case exported as GeoJSON and as a GeoPackage: cases per second and the peak of
    Python allocations (flat memory: it must not grow with the number of cases)."""
    from app.storage.exports import export_cases

    figures: dict[str, Any] = {}
    for fmt in ("geojson", "gpkg", "csv"):
        out = Path(store.data_dir) / f"cases.{fmt}"
        result, t = timed(lambda fmt=fmt, out=out: export_cases(store, fmt, out), repeat)
        tracemalloc.start()
        export_cases(store, fmt, out)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figures[fmt] = t | {
            "cases": result.count,
            "cases_per_s": result.count / t["wall_s"],
            "size_mb": result.bytes / 1e6,
            "python_peak_mb": peak / 1e6,
        }
    return figures


# -- the run ---------------------------------------------------------------------------------


def check(
    summary: BulkSummary,
    q: Indicators,
    trend: list[tuple[Period, Any]],
    overdue_rows: int,
) -> list[str]:
    errors = []
    drafts = summary.statuses.get("draft", 0)
    expected = {
        "reports": summary.cases - drafts,
        "rejected": summary.statuses.get("rejected", 0),
        "voided": summary.statuses.get("void", 0),
    }
    for name, value in expected.items():
        got = getattr(q.total, name)
        if got != value:
            errors.append(f"quarter {name} = {got}, the generated data has {value}")
    for name in ADDITIVE:
        weekly = sum(getattr(counts, name) for _, counts in trend)
        if weekly != getattr(q.total, name):
            errors.append(
                f"weekly {name} add up to {weekly}, the quarter has {getattr(q.total, name)}"
            )
    if q.total.overdue != overdue_rows:
        errors.append(f"indicators count {q.total.overdue} overdue, the open list {overdue_rows}")
    department_reports = sum(c.reports for c in q.by_department.values())
    if department_reports != q.total.reports:
        errors.append(f"departments' reports add up to {department_reports}, not {q.total.reports}")
    return errors


def run(cases: int, repeat: int, data_dir: Path) -> dict[str, Any]:
    period = quarter(2027, 1, TZ)
    # The end of the quarter plays "now" for every report (they are taken as of the store's
    # clock unless told otherwise).
    store = LocalStore(data_dir, clock=lambda: period.end)
    try:
        log(f"generating {cases:,} cases …")
        w0 = time.perf_counter()
        summary = bulk_generate(store, cases, SEED, period.start, period.end)
        generate_s = time.perf_counter() - w0
        db = data_dir / "citypatrol.db"
        cutoff = period.end.astimezone(ZoneInfo("UTC")).isoformat(timespec="microseconds")

        log("timing …")
        rows, read = timed(lambda: read_baseline(db, cutoff), repeat)
        q, quarter_t = timed(lambda: indicators(store, period), repeat)
        trend, trend_t = timed(lambda: weekly_trend(store, period), repeat)
        open_rows, open_t = timed(lambda: open_assignments(store, period.end), repeat)
        bulletin = time_bulletin_pdf(store, period, repeat)
        exports = time_exports(store, period, repeat)

        tracemalloc.start()
        indicators(store, period)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        rss_mb = rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024

        log("timing without the step-log index …")
        index_mb = drop_covering_index(db)
        q_plain, plain_t = timed(lambda: indicators(store, period), repeat)
        store.engine.dispose()
        with sqlite3.connect(db) as conn:  # put it back as the schema has it
            conn.execute(COVERING_INDEX)

        errors = check(summary, q, trend, sum(r.overdue for r in open_rows))
        if q_plain != q:
            errors.append("the figures read without the step-log index differ")
        return {
            "cases": summary.cases,
            "steps": summary.steps,
            "steps_read": rows,
            "seed": SEED,
            "repeat": repeat,
            "period": [period.start.isoformat(), period.end.isoformat()],
            "environment": {
                "python": platform.python_version(),
                "sqlite": sqlite3.sqlite_version,
                "platform": platform.platform(),
                "data_dir": str(data_dir),
            },
            "generate_s": generate_s,
            "read_baseline": read,
            "quarter": quarter_t | {"ratio_to_read": quarter_t["wall_s"] / read["wall_s"]},
            "weekly_trend": trend_t | {"weeks": len(trend)},
            "quarter_without_index": plain_t
            | {"ratio_to_read": plain_t["wall_s"] / read["wall_s"], "index_size_mb": index_mb},
            "open_assignments": open_t
            | {
                "rows": len(open_rows),
                "overdue": sum(r.overdue for r in open_rows),
                "due_soon": sum(r.due_soon for r in open_rows),
            },
            "bulletin_pdf": bulletin,
            "exports": exports,
            "memory": {"python_peak_mb": peak / 1e6, "max_rss_mb": rss_mb},
            "totals": {
                "reports": q.total.reports,
                "on_time_rate": q.total.on_time_rate,
                "closure_rate": q.total.closure_rate,
                "rework_rate": q.total.rework_rate,
                "valid_report_rate": q.total.valid_report_rate,
                "overdue": q.total.overdue,
                "departments": len(q.by_department),
                "grids": len(q.by_grid),
            },
            "errors": errors,
        }
    finally:
        store.close()


# -- output ----------------------------------------------------------------------------------


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f} %"


def render(f: dict[str, Any]) -> str:
    env = f["environment"]
    read, qt, tt, ot = f["read_baseline"], f["quarter"], f["weekly_trend"], f["open_assignments"]
    ok = qt["wall_s"] <= TARGET_QUARTER_S
    tot = f["totals"]
    lines = [
        f"CityPatrol reports benchmark — {f['cases']:,} cases, {f['steps']:,} steps "
        f"(Q1 2027, seed {f['seed']}), median of {f['repeat']} runs",
        f"Python {env['python']}, SQLite {env['sqlite']}, {env['platform']}",
        f"generating and loading the store took {f['generate_s']:.1f} s",
        "",
        f"{'Figure':<44}{'wall':>10}{'CPU':>10}  Target / notes",
        f"{'Read baseline (sorted fetch of ' + format(f['steps_read'], ',') + ' steps)':<44}"
        f"{read['wall_s']:>9.2f}s{read['cpu_s']:>9.2f}s",
        f"{'Quarter indicators (all groups, loading incl.)':<44}"
        f"{qt['wall_s']:>9.2f}s{qt['cpu_s']:>9.2f}s  ≤ {TARGET_QUARTER_S:.0f} s "
        f"{'PASS' if ok else 'MISS'}; {qt['ratio_to_read']:.1f}x the read baseline",
        f"{'Weekly trend (' + str(tt['weeks']) + ' weeks, city totals)':<44}"
        f"{tt['wall_s']:>9.2f}s{tt['cpu_s']:>9.2f}s",
        f"{'Open assignments at the end of the quarter':<44}"
        f"{ot['wall_s']:>9.2f}s{ot['cpu_s']:>9.2f}s  {ot['rows']:,} open, "
        f"{ot['overdue']:,} overdue, {ot['due_soon']:,} due soon",
    ]
    ci = f["quarter_without_index"]
    size = "" if ci["index_size_mb"] is None else f" (the index takes {ci['index_size_mb']:.0f} MB)"
    lines.append(
        f"{'  … without the step-log index':<44}"
        f"{ci['wall_s']:>9.2f}s{ci['cpu_s']:>9.2f}s  sorted table scan, "
        f"{ci['ratio_to_read']:.1f}x the read baseline{size}"
    )
    b = f["bulletin_pdf"]
    lines.append(
        f"{'Bulletin PDF (gather + render, zh_CN)':<44}{b['wall_s']:>9.2f}s{b['cpu_s']:>9.2f}s  "
        f"≤ {TARGET_BULLETIN_S:.0f} s {'PASS' if b['wall_s'] <= TARGET_BULLETIN_S else 'MISS'}; "
        f"{b['overdue_listed']:,} overdue cases listed, {b['size_mb']:.1f} MB"
    )
    for fmt, e in f["exports"].items():
        lines.append(
            f"{'Export ' + fmt + ' (' + format(e['cases'], ',') + ' cases)':<44}"
            f"{e['wall_s']:>9.2f}s{e['cpu_s']:>9.2f}s  {e['cases_per_s']:,.0f} cases/s, "
            f"{e['size_mb']:.0f} MB, Python peak {e['python_peak_mb']:.1f} MB"
        )
    mem = f["memory"]
    lines += [
        "",
        f"Memory: Python allocations peak at {mem['python_peak_mb']:.1f} MB during the quarter "
        f"computation; the process peaked at {mem['max_rss_mb']:.0f} MB resident.",
        f"Quarter: {tot['reports']:,} reports, on time {_pct(tot['on_time_rate'])}, closure "
        f"{_pct(tot['closure_rate'])}, rework {_pct(tot['rework_rate'])}, valid reports "
        f"{_pct(tot['valid_report_rate'])}, {tot['overdue']:,} overdue; "
        f"{tot['departments']} departments, {tot['grids']:,} grids.",
    ]
    if f["errors"]:
        lines += [f"WARNING: correctness: {e}" for e in f["errors"]]
    else:
        lines.append(
            "Correctness: totals match the generated data, weeks add up to the quarter, "
            "overdue counts agree."
        )
    return "\n".join(lines)


@contextmanager
def data_dir(requested: Path | None) -> Iterator[Path]:
    if requested is not None:
        yield requested
        return
    with tempfile.TemporaryDirectory(prefix="citypatrol-bench-reports-") as tmp:
        yield Path(tmp) / "store"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=100_000, help="cases to generate")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure")
    parser.add_argument("--data-dir", type=Path, help="keep the store here (empty or absent)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1:
        parser.error("--cases and --repeat must be at least 1")
    if args.data_dir is not None:
        d = args.data_dir
        if d.exists() and (not d.is_dir() or any(d.iterdir())):
            parser.error(f"--data-dir {d} must be an empty or absent directory")
    with data_dir(args.data_dir) as d:
        figures = run(args.cases, args.repeat, d)
    figures["targets"] = {"quarter_s": TARGET_QUARTER_S}
    figures["ok"] = not figures["errors"]
    print(json.dumps(figures, ensure_ascii=False, indent=2) if args.json else render(figures))
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
