"""Place through the server: ``grid load``, ``responsibility load`` and ``unit load`` on a real
server → the laptop's sync → ``citypatrol case new`` fills the grid code with no typing, the
case list shows it, a reload sends only what changed. A real server process on 127.0.0.1."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ROOT, ApiClient, ServerProcess, run_cli
from shapely.geometry import shape

from app.domain.grids import GridSource
from app.storage import LocalStore
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in


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


def inside(feature: dict[str, Any]) -> tuple[float, float]:
    point = shape(feature["geometry"]).representative_point()
    return point.y, point.x


def test_cells_reach_the_laptop_and_cases_get_their_codes(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    source = samples / "map" / "grids.geojson"
    grid = json.loads(source.read_text(encoding="utf-8"))
    loaded = admin(server, "grid", "load", str(source)).stdout
    assert "grid version 1 loaded" in loaded and "736 cells" in loaded
    assert "360681017001001\t滨江镇\t柏里村\tv1" in admin(server, "grid", "list").stdout

    laptop = tmp_path / "laptop"
    with LocalStore(laptop) as store:
        sign_in(store, server.url, "demo", "demo")
        sync(store)
        assert store.cell_count() == 736

    feature = grid["features"][321]
    lat, lon = inside(feature)
    made = run_cli("case", "new", "--category", "06010", "--description", "暴露垃圾",
                   "--lat", str(lat), "--lon", str(lon), data_dir=laptop)  # fmt: skip
    assert made.returncode == 0, made.stderr
    code = feature["properties"]["code"]
    assert f"grid cell {code}" in made.stderr and "from the position" in made.stderr
    assert feature["properties"]["street_name"] in made.stderr
    outside = run_cli("case", "new", "--category", "06010", "--description", "城外",
                      "--lat", "28.5", "--lon", "117.5", data_dir=laptop)  # fmt: skip
    assert "outside every grid cell" in outside.stderr
    typed = run_cli("case", "new", "--category", "06010", "--description", "手填",
                    "--lat", str(lat), "--lon", str(lon), "--grid-code", "360681001001001",
                    data_dir=laptop)  # fmt: skip
    assert "typed in" in typed.stderr
    listed = json.loads(run_cli("case", "list", "--json", data_dir=laptop).stdout)
    by_text = {r["description"]: r for r in listed}
    assert (by_text["暴露垃圾"]["grid_code"], by_text["暴露垃圾"]["grid_source"]) == (
        code,
        GridSource.AUTO,
    )
    assert by_text["城外"]["grid_code"] is None
    assert by_text["城外"]["grid_source"] == GridSource.OUTSIDE
    assert by_text["手填"]["grid_code"] == "360681001001001"

    # A reload that moves one cell's name and drops another sends two entries, not 736.
    changed = copy.deepcopy(grid)
    gone = changed["features"].pop(0)
    changed["features"][0]["properties"]["community_name"] = "改名社区"
    changed_file = tmp_path / "grids-v2.geojson"
    changed_file.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    assert "1 changed, 1 removed" in admin(server, "grid", "load", str(changed_file)).stdout
    client = ApiClient(server, "demo")
    kinds = [e["kind"] for e in client.everything()]
    assert kinds.count("grid_cell") == 738
    with LocalStore(laptop) as store:
        sync(store)
        assert store.cell_count() == 735
        assert store.locate(*inside(gone)).cell is None
        renamed = store.locate(*inside(changed["features"][0])).cell
        assert renamed is not None and renamed.community == "改名社区"


def test_responsibilities_and_units_reach_the_laptop(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    source = samples / "map" / "grids.geojson"
    grid = json.loads(source.read_text(encoding="utf-8"))
    admin(server, "grid", "load", str(source))
    code = grid["features"][5]["properties"]["code"]
    csv_file = tmp_path / "resp.csv"
    csv_file.write_text(
        "grid_code,inspectors,category_class,department\n"
        f"{code},demo;inspector2,,\n"
        f"{code},,06,HWC\n"
        f"{code},,*,CGZF\n",
        encoding="utf-8",
    )
    assert "1 cells" in admin(server, "responsibility", "load", str(csv_file)).stdout
    listed = admin(server, "responsibility", "list").stdout
    assert f"{code}\tdemo;inspector2\t*=CGZF 06=HWC" in listed

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "grid_code,inspectors,category_class,department\n"
        "360681999999999,demo,,\n"
        f"{code},nobody,,\n"
        f"{code},,6,HWC\n"
        f"{code},,09,NOPE\n",
        encoding="utf-8",
    )
    refused = admin(server, "responsibility", "load", str(bad), ok=False).stderr
    assert "4 problem(s), nothing loaded" in refused
    assert "line 2: cell 360681999999999 is not in the grid" in refused
    assert "line 3: 'nobody' is no inspector account" in refused
    assert "line 4: category class '6'" in refused
    assert "line 5: no department has the code 'NOPE'" in refused

    admin(server, "responsibility", "set", code, "--class", "09", "--department", "CGZF")
    admin(server, "responsibility", "remove", code, "--class", "*")
    assert (
        f"{code}\tdemo;inspector2\t06=HWC 09=CGZF" in admin(server, "responsibility", "list").stdout
    )

    lat, lon = inside(grid["features"][5])
    units = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "贵溪市第一中学", "contact": "0701-1234567",
                                           "letter_no": "MQ-001", "radius_m": 40},
         "geometry": {"type": "Point", "coordinates": [lon, lat]}},
    ]}  # fmt: skip
    units_file = tmp_path / "units.geojson"
    units_file.write_text(json.dumps(units, ensure_ascii=False), encoding="utf-8")
    assert "1 units, 1 added" in admin(server, "unit", "load", str(units_file)).stdout
    assert "MQ-001\t贵溪市第一中学\t0701-1234567\tr=40 m" in admin(server, "unit", "list").stdout

    with LocalStore(tmp_path / "laptop") as store:
        sign_in(store, server.url, "supervisor", "supervisor")
        sync(store)
        held = store.responsibility(code)
        assert held is not None and sorted(held.inspectors) == ["演示监督员", "演示监督员二"]
        proposed = store.propose_department(code, "06010")
        assert proposed is not None and proposed.category_class == "06"
        assert store.propose_department(code, "01037") is None  # no class 01, no * any more
        place = store.locate(lat, lon)
        assert place.unit is not None and place.unit.name == "贵溪市第一中学"
