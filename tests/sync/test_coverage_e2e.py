"""The two halves of issue 14 joined, through a real server on 127.0.0.1: cells and 定人定责
loaded with ``citypatrol-server grid load`` and ``responsibility load``, a patrol imported from
an NMEA log of a route through known cells of 贵溪, synced to the server and on to the office's
laptop, where ``citypatrol report coverage`` names exactly the route's cells and the responsible
inspector's blind spots; and a key site that names no inspector going to the cell's
responsible inspector's Tasks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ROOT, ServerProcess, run_cli
from pytestqt.qtbot import QtBot
from track_logs import by_row_col, nmea_log

from app.domain.deadlines import WorkingCalendar
from app.storage import LocalStore
from app.storage.sites import my_rounds
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in
from app.ui.rounds import RoundsPanel
from app.ui.tasks import TaskRunner

T0 = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 08:30 in 贵溪


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


def admin(server: ServerProcess, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), *args],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (done.returncode == 0) == ok, done.stdout + done.stderr
    return done


def sync(store: LocalStore) -> None:
    options = SyncOptions(attempts=3, backoff=Backoff(base_s=0.01, cap_s=0.05))
    report = SyncEngine(store, options, transport=httpx.HTTPTransport()).run()
    assert report.ok, report.lines("en")


def coverage_json(data_dir: Path) -> dict[str, Any]:
    done = run_cli("report", "coverage", "--from", "2026-12-01", "--to", "2026-12-01", "--json",
                   data_dir=data_dir)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def test_coverage_from_the_servers_grid_and_responsibilities(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    grid_file = samples / "map" / "grids.geojson"
    grid = by_row_col(grid_file)
    admin(server, "grid", "load", str(grid_file))
    route = [(8, c) for c in range(5, 13)] + [(r, 12) for r in range(9, 14)]
    walked = {grid[rc][0] for rc in route}
    # demo answers for three cells of the route and three it never went near.
    mine_walked = [grid[rc][0] for rc in route[:3]]
    mine_missed = [grid[rc][0] for rc in ((1, 1), (2, 2), (20, 3))]
    others = [grid[(5, 20)][0]]
    table = tmp_path / "resp.csv"
    table.write_text(
        "grid_code,inspectors,category_class,department\n"
        + "".join(f"{c},demo,,\n" for c in mine_walked + mine_missed)
        + "".join(f"{c},inspector2,,\n" for c in others),
        encoding="utf-8",
    )
    admin(server, "responsibility", "load", str(table))

    # The inspector's laptop gets the grid, then records the patrol from the receiver's log.
    field = tmp_path / "field"
    with LocalStore(field) as store:
        sign_in(store, server.url, "demo", "demo")
        sync(store)
        demo_id = store.actor.id
    log = tmp_path / "walk.nmea"
    log.write_text(nmea_log([grid[rc][1:] for rc in route], T0))
    imported = run_cli("patrol", "import", str(log), "--json", data_dir=field)
    assert imported.returncode == 0, imported.stderr
    with LocalStore(field) as store:
        sync(store)  # the track goes to the server

    # The office's laptop: grid, responsibilities and the track, all from the feed.
    office = tmp_path / "office"
    with LocalStore(office) as store:
        sign_in(store, server.url, "supervisor", "supervisor")
        sync(store)
    out = coverage_json(office)
    assert out["grid"] is True and out["total_cells"] == 736
    rows = {r["inspector_id"]: r for r in out["inspectors"]}
    assert set(rows[demo_id]["cells_visited"]) == walked
    assert set(rows[demo_id]["blind_spots"]) == set(mine_missed)
    assert all(v is None for v in rows[demo_id]["blind_spots"].values())
    (other,) = (r for i, r in rows.items() if i != demo_id)
    assert other["cells_visited"] == [] and set(other["blind_spots"]) == set(others)
    assert len(out["unvisited"]) == 736 - len(walked)
    assert set(out["cells"]) == walked
    # The inspector's own laptop says the same of its own track.
    own = coverage_json(field)
    assert {r["inspector_id"]: set(r["cells_visited"]) for r in own["inspectors"]}[
        demo_id
    ] == walked

    # A new grid version without the route's last cell: the stored tracks are walked again
    # against it (their cells carry the old grid's stamp), and the dropped cell is gone.
    changed = json.loads(grid_file.read_text(encoding="utf-8"))
    last = grid[route[-1]][0]
    changed["features"] = [f for f in changed["features"] if f["properties"]["code"] != last]
    v2 = tmp_path / "grids-v2.geojson"
    v2.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    admin(server, "grid", "load", str(v2))
    with LocalStore(office) as store:
        sync(store)
    again = coverage_json(office)
    assert set(again["cells"]) == walked - {last} and again["total_cells"] == 735


def test_a_key_site_without_an_inspector_goes_to_the_cells_responsible_one(
    server: ServerProcess, tmp_path: Path, samples: Path, qtbot: QtBot
) -> None:
    grid_file = samples / "map" / "grids.geojson"
    grid = by_row_col(grid_file)
    admin(server, "grid", "load", str(grid_file))
    code, lon, lat = grid[(8, 8)]
    _, lon2, lat2 = grid[(3, 3)]
    table = tmp_path / "resp.csv"
    table.write_text(
        f"grid_code,inspectors,category_class,department\n{code},inspector2,,\n", encoding="utf-8"
    )
    admin(server, "responsibility", "load", str(table))

    def site(name: str, lon: float, lat: float) -> dict[str, object]:
        return {
            "type": "Feature",
            "properties": {"name": name, "kind": "学校", "frequency": "daily", "due": "10:00",
                           "radius_m": 50},
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }  # fmt: skip

    def sites(*features: dict[str, object]) -> Path:
        path = tmp_path / "sites.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
        return path

    # In a cell nobody answers for, or outside every cell: refused, with the reason.
    refused = admin(server, "site", "load", str(sites(site("二小", lon2, lat2),
                                                        site("城外", 117.5, 28.5))), ok=False)  # fmt: skip
    assert "has no responsible inspector" in refused.stderr
    assert "outside every grid cell" in refused.stderr
    loaded = admin(server, "site", "load", str(sites(site("一小", lon, lat))))
    assert "1 new or changed" in loaded.stdout

    tz = WorkingCalendar().tz
    nine = datetime.combine(datetime.now(tz).date(), time(9), tz).astimezone(UTC)
    for user, expected in (("inspector2", ["一小"]), ("demo", [])):
        with LocalStore(tmp_path / user, clock=lambda: nine) as store:
            sign_in(store, server.url, user, user)
            sync(store)
            assert [r.site.name for r in my_rounds(store, nine)] == expected
    # inspector2's Tasks tab lists the round.
    tasks = TaskRunner()
    with LocalStore(tmp_path / "inspector2", clock=lambda: nine) as store:
        panel = RoundsPanel(store, tasks, "en", lambda: None, clock=lambda: nine)
        qtbot.addWidget(panel)
        qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1)
        assert panel.tree.topLevelItem(0).text(0) == "一小"
        tasks.wait()
