"""Every benchmark still runs against the current code (tiny sizes; figures are not checked here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SMALL_RUNS = {
    "store.py": ["--cases", "400", "--repeat", "1", "--api-cases", "5"],
    "photos.py": ["--count", "3", "--baseline-count", "2"],
    "nmea.py": ["--min-seconds", "0.1"],
    "server_photos.py": ["--count", "3", "--size-mb", "1"],
    "server_ingest.py": [
        "--clients",
        "2",
        "--cases-per-client",
        "20",
        "--grid",
        str(ROOT.parent / "shared" / "samples" / "map" / "grids.geojson"),
    ],
    "ui.py": ["--cases", "300", "--photos", "3", "--photo-mb", "0.5"],
    "sync.py": ["--cases", "20", "--photos", "3", "--size-mb", "1", "--cut-mb", "2"],
    "reports.py": ["--cases", "2000", "--repeat", "1"],
    "save_queries.py": ["--cases", "20"],
    "map.py": ["--cases", "2000", "--seconds", "1"],
    "geo.py": ["--cells", "400", "--points", "500", "--naive-points", "50"],
    "geo_coverage.py": ["--inspectors", "3", "--days", "2", "--walk-tracks", "2"],
    "s3.py": ["--count", "2", "--size-mb", "0.5"],
    "track_feed.py": ["--hours", "0.5"],
    "load.py": ["--inspectors", "10", "--supervisors", "2", "--cases", "1", "--photo-kb", "20"],
}


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_benchmark_runs(script: str, samples: Path) -> None:
    if script not in SMALL_RUNS:
        pytest.fail(
            f"bench/{script} has no small run in SMALL_RUNS: add one so its breakage is caught"
        )
    result = subprocess.run(
        [sys.executable, f"bench/{script}", *SMALL_RUNS[script]],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.strip()
