"""Benchmark of case ingest (``POST /api/v1/cases/push``) by many inspectors at once.

Run from the project root::

    .venv/bin/python bench/server_ingest.py [--clients 20] [--cases-per-client 500]
        [--batch 50] [--backends sqlite,postgresql] [--pg-workers 1,2] [--json]
        [--grid FILE]

For each backend a real server is started (``python -m server.cli``, a temporary data folder;
for PostgreSQL a temporary cluster as the tests start it, ``tests/pg.py``, and a fresh
database per run). ``--clients`` inspector accounts are created with the public command
``citypatrol-server user add NAME --role inspector`` (password on standard input), each client
signs in, then all clients start at the same moment, each in its own thread with its own
``httpx.Client`` (one keep-alive connection), and push ``--cases-per-client`` new cases in
batches of ``--batch`` changes — every case a ``create`` then a ``submit``, so a batch of 50
changes carries 25 cases — exactly what the desktop client's outbox sends. Every case is a
realistic one (a Chinese description and address, a real category, a position).

Printed per run: cases per second over the whole push phase (the first batch sent to the last
answer), and the median and 99th percentile latency of one batch, beside the target (≥ 1,000
cases/s on this machine) and, for scale, ODK Central's published ~41 submissions/s. With
PostgreSQL the server also runs with several uvicorn worker processes (``--pg-workers``; the
server's ``--workers N``). With ``--grid FILE`` (e.g. ../shared/samples/map/grids.geojson) the
cases lie inside that grid and carry no grid code, and each backend runs twice in the same
process on two databases made alike (same accounts; each run pushes the same number of cases
on top of what earlier worker counts pushed): without a grid, then with
``citypatrol-server grid load FILE`` done (the server looks up every case's cell and tells its
author); the ratio of the two is printed (the cost of server geocoding). Figures only: a missed target prints MISS. A failed batch or a
change not applied prints WARNING and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers import ServerProcess, free_port  # noqa: E402

from app.domain.ids import new_id  # noqa: E402

TARGET_CASES_PER_S = 1000.0
ODK_CENTRAL_SUBMISSIONS_PER_S = 41.0
PASSWORD = "bench-password-不要用"
PLACES = ("鼓楼区中山路", "玄武区北京东路", "秦淮区夫子庙", "建邺区江东中路", "栖霞区仙林大道")
PROBLEMS = (
    ("06010", "暴露垃圾约两立方米，散发异味"),
    ("01037", "路灯夜间不亮，行人反映视线差"),
    ("01001", "供水井盖破损，存在安全隐患"),
    ("09006", "早高峰占道经营，影响通行"),
    ("09009", "机动车乱停放，占用盲道"),
)


@dataclass
class Result:
    backend: str
    grid: bool
    workers: int
    clients: int
    cases: int
    seconds: float
    cases_per_s: float
    p50_ms: float
    p99_ms: float
    batches: int
    failed_batches: int
    not_applied: int
    notes: list[str] = field(default_factory=list)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add_inspector(data_dir: Path, database_url: str, name: str) -> None:
    """The public account command, the password read from standard input."""
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data_dir),
         "--database-url", database_url, "user", "add", name, "--role", "inspector"],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"user add {name} failed: {result.stdout}{result.stderr}")


#: Where the cases lie: (south, west, height, width) in degrees (Nanjing, or the grid's bounds).
Area = tuple[float, float, float, float]
NANJING: Area = (32.0, 118.7, 0.1, 0.1)


def grid_area(path: Path) -> Area:
    """The bounds of a GeoJSON grid's cells (every position there falls in a cell or a gap)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    xs: list[float] = []
    ys: list[float] = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            xs += [p[0] for p in polygon[0]]
            ys += [p[1] for p in polygon[0]]
    return (min(ys), min(xs), max(ys) - min(ys), max(xs) - min(xs))


def batches_for(
    cases: int, batch: int, seed: int, area: Area = NANJING
) -> list[list[dict[str, Any]]]:
    """``cases`` new cases as create+submit change pairs, cut into batches of ``batch`` changes."""
    south, west, height, width = area
    changes: list[dict[str, Any]] = []
    for n in range(cases):
        code, text = PROBLEMS[(seed + n) % len(PROBLEMS)]
        case = {
            "id": new_id(),
            "status": "draft",
            "category_code": code,
            "description": f"{text}（第{n + 1}处）",
            "address": f"{PLACES[(seed * 7 + n) % len(PLACES)]}{n % 300 + 1}号",
            "urgency": "normal",
            "lat": south + height * ((seed * 131 + n) % 1000) / 1000,
            "lon": west + width * ((seed * 17 + n * 3) % 1000) / 1000,
            "accuracy_m": 5.0,
            "position_source": "gps",
            "created_at": datetime.now(UTC).isoformat(),
        }
        changes.append({"change_id": new_id(), "op": "create", "case": case})
        changes.append({"change_id": new_id(), "op": "submit", "base_revision": 1, "case": case})
    step = max(2, batch - batch % 2)  # keep each case's create and submit in one batch
    return [changes[i : i + step] for i in range(0, len(changes), step)]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def create_accounts(data_dir: Path, database_url: str, names: list[str]) -> None:
    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    # The first call migrates the database; the others then run a few at a time.
    add_inspector(data_dir, database_url, names[0])
    with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
        list(pool.map(lambda n: add_inspector(data_dir, database_url, n), names[1:]))
    progress(f"{len(names)} accounts created in {time.perf_counter() - started:.1f} s")


def run_once(  # noqa: PLR0917 - one call site
    backend: str,
    database_url: str,
    workers: int,
    names: list[str],
    args: argparse.Namespace,
    root: Path,
) -> Result:
    data_dir = root / f"{backend}-{workers}-workers" / "data"
    extra = ["--database-url", database_url]
    if workers > 1:
        extra += ["--workers", str(workers)]
    server = ServerProcess(data_dir, *extra)
    try:
        result = _push_all(server, backend, workers, names, args)
    finally:
        server.stop()
    if result.failed_batches:
        result.notes += [f"server log: {line}" for line in logged_errors(server.log)]
    return result


def load_grid(data_dir: Path, database_url: str, grid: Path) -> None:
    """``citypatrol-server grid load`` (the public command)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    loaded = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data_dir),
         "--database-url", database_url, "grid", "load", str(grid)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
    if loaded.returncode != 0:
        raise RuntimeError(f"grid load failed: {loaded.stdout}{loaded.stderr}")


def runs(  # noqa: PLR0917 - two call sites
    backend: str,
    urls: tuple[str, str | None],
    workers: int,
    names: list[str],
    args: argparse.Namespace,
    root: Path,
) -> list[Result]:
    """One run on ``urls[0]``; with ``--grid`` a second one on ``urls[1]``, a database like
    the first (same accounts, as many cases before the run) with the grid loaded."""
    if urls[1] is None:
        return [run_once(backend, urls[0], workers, names, args, root)]
    done = []
    for n in range(args.repeat):  # alternated, so that drift in the machine's load hits both
        done.append(run_once(backend, urls[0], workers, names, args, root))
        progress(f"{backend}: with the grid, {workers} worker(s), pair {n + 1}")
        second = run_once(backend, urls[1], workers, names, args, root / "grid")
        second.grid = True
        done.append(second)
    return done


def databases(root: Path, make: Callable[[str], str], names: list[str], args: argparse.Namespace
              ) -> tuple[str, str | None]:  # fmt: skip
    """The run's database (accounts made) and, with ``--grid``, a second one with the grid."""
    url = make("server")
    create_accounts(root, url, names)
    if not args.grid:
        return url, None
    grid_url = make("server-grid")
    create_accounts(root / "grid", grid_url, names)
    load_grid(root / "grid", grid_url, args.grid)
    return url, grid_url


def logged_errors(log: Path, limit: int = 3) -> list[str]:
    """The distinct exceptions in a server's (JSON) log, with the server frame raising them."""
    found: dict[str, None] = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        error = entry.get("error") if isinstance(entry, dict) else None
        if not error:
            continue
        lines = error.splitlines()
        exceptions = [x for x in lines if re.match(r"^[\w.]+(Error|Exception)\b", x)]
        frames = [
            f"{x.strip()}: {lines[i + 1].strip()}"
            for i, x in enumerate(lines[:-1])
            if x.strip().startswith(f'File "{ROOT / "server"}')
        ]
        found["; ".join(exceptions[-1:] + frames[-1:])] = None
    return list(found)[:limit]


def _push_all(
    server: ServerProcess, backend: str, workers: int, names: list[str], args: argparse.Namespace
) -> Result:
    clients = []
    for name in names:
        response = httpx.post(
            f"{server.url}/api/v1/auth/login",
            json={"username": name, "password": PASSWORD},
            timeout=120,
        )
        response.raise_for_status()
        token = response.json()["token"]
        clients.append(
            httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=300
            )
        )
    area = grid_area(args.grid) if args.grid else NANJING
    plans = [batches_for(args.cases_per_client, args.batch, i, area) for i in range(len(names))]
    latencies: list[float] = []
    failed: list[str] = []
    not_applied = 0
    applied_cases = 0
    lock = threading.Lock()
    go = threading.Barrier(len(clients) + 1)

    def push(index: int) -> None:
        nonlocal not_applied, applied_cases
        http = clients[index]
        go.wait()
        for batch in plans[index]:
            begun = time.perf_counter()
            try:
                response = http.post("/api/v1/cases/push", json={"changes": batch})
            except httpx.HTTPError as exc:
                with lock:
                    failed.append(repr(exc))
                continue
            elapsed = time.perf_counter() - begun
            with lock:
                latencies.append(elapsed)
                if response.status_code != 200:
                    failed.append(f"{response.status_code} {response.text[:200]}")
                else:
                    results = response.json()["results"]
                    not_applied += sum(r["outcome"] != "applied" for r in results)
                    applied_cases += sum(
                        r["outcome"] == "applied" and c["op"] == "create"
                        for r, c in zip(results, batch, strict=True)
                    )

    threads = [threading.Thread(target=push, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    go.wait()
    begun = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - begun
    for http in clients:
        http.close()
    planned = sum(len(b) for plan in plans for b in plan) // 2
    cases = applied_cases  # only what the server took counts
    result = Result(
        backend=backend,
        grid=False,
        workers=workers,
        clients=len(clients),
        cases=cases,
        seconds=seconds,
        cases_per_s=cases / seconds if seconds else float("nan"),
        p50_ms=statistics.median(latencies) * 1000 if latencies else float("nan"),
        p99_ms=percentile(latencies, 0.99) * 1000,
        batches=sum(len(p) for p in plans),
        failed_batches=len(failed),
        not_applied=not_applied,
    )
    if failed:
        result.notes.append(
            f"{len(failed)} batches failed ({planned - cases} of {planned} cases not stored; "
            f"cases/s counts stored cases only), e.g. {failed[0]}"
        )
    if not_applied:
        result.notes.append(f"{not_applied} changes not applied")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--cases-per-client", type=int, default=500)
    parser.add_argument("--batch", type=int, default=50, help="changes per push (2 per case)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-workers",
        default="1,2",
        help="uvicorn worker processes of the PostgreSQL server, one run each (SQLite: 1)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.add_argument(
        "--grid",
        type=Path,
        help="a GeoJSON grid: cases inside it, each backend run without it and then with it loaded",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="with --grid: pairs of runs (without, with)"
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown or args.clients < 1 or args.cases_per_client < 1 or args.batch < 2:
        parser.error(f"bad arguments (unknown backends: {sorted(unknown)})")
    pg_workers = [int(w) for w in args.pg_workers.split(",") if w.strip()]

    load_before = os.getloadavg()[0]
    names = [f"bench{i:03d}" for i in range(args.clients)]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="citypatrol-bench-ingest-") as folder:
        root = Path(folder)
        for backend in backends:
            if backend == "sqlite":
                progress("sqlite: 1 worker")
                (root / "sqlite").mkdir(parents=True, exist_ok=True)
                urls = databases(
                    root / "sqlite", lambda n: f"sqlite:///{root / 'sqlite' / n}.db", names, args
                )
                results += runs("sqlite", urls, 1, names, args, root)
                continue
            from pg import PostgresServer

            cluster = PostgresServer(free_port())
            try:
                # One database for every worker count (the accounts are made once; each run
                # pushes new cases on top of the previous run's).
                urls = databases(
                    root / "postgresql",
                    lambda _: str(cluster.create_database()),  # noqa: B023 - called at once
                    names,
                    args,
                )
                for workers in pg_workers:
                    progress(f"postgresql: {workers} worker(s)")
                    results += runs("postgresql", urls, workers, names, args, root)
            finally:
                cluster.stop()

    if args.json:
        print(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=2))
    else:
        report(results, args, load_before)
    return 1 if any(r.failed_batches or r.not_applied for r in results) else 0


def report(results: list[Result], args: argparse.Namespace, load_before: float) -> None:
    per_batch = max(1, (args.batch - args.batch % 2) // 2)
    print(
        f"CityPatrol server ingest: {args.clients} clients x {args.cases_per_client} cases, "
        f"batches of {args.batch} changes ({per_batch} cases: create + submit)"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}; load average before the run {load_before:.1f} "
        "(other work on the machine lowers the figures)"
    )
    print(
        f"{'backend':<11} {'workers':>7} {'cases':>7} {'seconds':>8} {'cases/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7}  target"
    )
    for r in results:
        verdict = "ok" if r.cases_per_s >= TARGET_CASES_PER_S else "MISS"
        print(
            f"{r.backend:<11} {r.workers:>7} {r.cases:>7} {r.seconds:>8.2f} {r.cases_per_s:>8.0f} "
            f"{r.p50_ms:>7.1f} {r.p99_ms:>7.1f}  >= {TARGET_CASES_PER_S:,.0f} cases/s: {verdict}"
        )
        same = [b for b in results if (b.backend, b.workers) == (r.backend, r.workers)]
        if r.grid and r is same[-1]:
            without = [b.cases_per_s for b in same if not b.grid]
            with_grid = [b.cases_per_s for b in same if b.grid]
            ratios = [g / w for g, w in zip(with_grid, without, strict=True) if w]
            print(
                f"{'':<11} with the grid loaded (server geocoding of every case): "
                f"{statistics.median(with_grid) / statistics.median(without):.2f}x the cases/s "
                f"without it (median of {len(ratios)}; each pair: "
                f"{', '.join(f'{x:.2f}' for x in ratios)})"
            )
        for note in r.notes:
            print(f"WARNING: {r.backend} ({r.workers} workers): {note}")
    print(
        f"for scale: ODK Central's published figure is ~{ODK_CENTRAL_SUBMISSIONS_PER_S:.0f} "
        "submissions/s"
    )


if __name__ == "__main__":
    sys.exit(main())
