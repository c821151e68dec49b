"""The objects inspections look at, end to end: a real server loads a grid, 定人定责, a
门前三包 unit and checklists for cells, units and departments; an inspector's laptop is offered
exactly those objects after a sync, inspects one of each offline, and the server accepts them
all; each department's handler laptop then holds the inspections of its own objects only."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import ROOT, ServerProcess
from shapely.geometry import shape

from app.domain.checklists import ObjectKind
from app.domain.inspections import InspectionMode
from app.storage import LocalStore
from app.storage.inspection_sync import open_work
from app.storage.inspections import (
    add_deduction,
    begin_inspection,
    checklist_templates,
    finish_inspection,
    inspectable_objects,
    list_inspections,
)
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in

TEMPLATE = ROOT / "resources" / "checklists" / "street-sanitation.json"
CELL = "360681017001001"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


def admin(server: ServerProcess, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), *args],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def sync(store: LocalStore) -> None:
    options = SyncOptions(attempts=3, backoff=Backoff(base_s=0.01, cap_s=0.05))
    report = SyncEngine(store, options, transport=httpx.HTTPTransport()).run()
    assert report.ok, report.lines("en")


def laptop(server: ServerProcess, folder: Path, user: str) -> LocalStore:
    store = LocalStore(folder)
    sign_in(store, server.url, user, user)
    sync(store)
    return store


def test_cells_units_and_departments_are_inspected_and_seen_by_their_department(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    raw = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    for kind in ("grid_cell", "unit", "department"):
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps({**raw, "code": f"t-{kind}", "object_kind": kind}), "utf-8")
        admin(server, "checklist", "load", str(path))
    grid_file = samples / "map" / "grids.geojson"
    admin(server, "grid", "load", str(grid_file))
    duties = tmp_path / "duties.csv"
    duties.write_text(f"grid_code,inspectors,category_class,department\n{CELL},demo,*,HWC\n")
    admin(server, "responsibility", "load", str(duties))
    cell = next(
        f for f in json.loads(grid_file.read_text("utf-8"))["features"]
        if f["properties"]["code"] == CELL
    )  # fmt: skip
    point = shape(cell["geometry"]).representative_point()
    units = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "贵溪市第一中学", "letter_no": "MQ-001",
                                           "radius_m": 40},
         "geometry": {"type": "Point", "coordinates": [point.x, point.y]}},
    ]}  # fmt: skip
    units_file = tmp_path / "units.geojson"
    units_file.write_text(json.dumps(units, ensure_ascii=False), encoding="utf-8")
    admin(server, "unit", "load", str(units_file))

    inspector = laptop(server, tmp_path / "inspector", "demo")
    offered = {(o.kind, o.id): o for o in inspectable_objects(inspector)}
    cells = [o for o in offered.values() if o.kind is ObjectKind.GRID_CELL]
    assert len(cells) == 736
    the_cell = offered[(ObjectKind.GRID_CELL, CELL)]
    assert the_cell.department_code == "HWC" and the_cell.name.startswith(CELL)
    (unit,) = (o for o in offered.values() if o.kind is ObjectKind.UNIT)
    assert unit.name == "贵溪市第一中学" and unit.department_code is None
    streets = offered[(ObjectKind.DEPARTMENT, "SZSS")]
    assert streets.department_code == "SZSS"

    templates = {t.object_kind: t for t in checklist_templates(inspector)}
    made = {}
    for target in (the_cell, unit, streets):
        created = begin_inspection(inspector, templates[target.kind], target, InspectionMode.OPEN)
        add_deduction(inspector, created.id, "A1", note="路面有垃圾")
        finish_inspection(inspector, created.id)
        made[target.kind] = created.id
    sync(inspector)
    assert open_work(inspector) == (0, 0)  # all three sent, none refused

    seen = {
        user: {v.id for v in list_inspections(laptop(server, tmp_path / user, user))}
        for user in ("handler", "handler2", "inspector2", "supervisor")
    }
    assert seen["handler"] == {made[ObjectKind.GRID_CELL]}  # 环卫: its cell
    assert seen["handler2"] == {made[ObjectKind.DEPARTMENT]}  # 市政: itself
    assert seen["inspector2"] == set(made.values()) == seen["supervisor"]
