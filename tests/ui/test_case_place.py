"""The case editor fills the grid code from the position (real widgets, a real store holding the
736 cells of 贵溪市 as the feed brings them) and says where it came from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from shapely.geometry import shape

from app.capture.positions import Fix, FixQuality, PositionSource
from app.domain import load_default_taxonomy
from app.domain.grids import GridSource
from app.geo.basemaps import BasemapRegistry
from app.geo.vector import read_gpkg_layer
from app.storage import LocalStore
from app.storage.grids import apply_cell, apply_responsibility, apply_unit
from app.storage.models import User
from app.ui.case_editor import CaseEditor
from app.ui.tasks import TaskRunner


@pytest.fixture
def cells(store: LocalStore, samples: Path) -> list[dict[str, Any]]:
    data = json.loads((samples / "map" / "grids.geojson").read_text(encoding="utf-8"))
    with store.write() as s:
        for f in data["features"]:
            p = f["properties"]
            rings = [[v for xy in ring for v in xy] for ring in f["geometry"]["coordinates"]]
            apply_cell(s, {"code": p["code"], "street": p["street_name"],
                           "community": p["community_name"], "rings": rings, "version": 1,
                           "removed": False})  # fmt: skip
    return list(data["features"])


def inside(feature: dict[str, Any]) -> tuple[float, float]:
    point = shape(feature["geometry"]).representative_point()
    return point.y, point.x


def manual(lat: float, lon: float) -> Fix:
    return Fix(lat, lon, 5.0, None, None, FixQuality.MANUAL, PositionSource.MANUAL, 2)


def open_editor(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> CaseEditor:
    editor = CaseEditor(store, tasks, load_default_taxonomy(), "en")
    qtbot.addWidget(editor)
    editor.resize(1366, 740)
    editor.show()
    qtbot.waitUntil(editor.is_loaded)
    return editor


def test_the_position_fills_the_grid_code_and_says_so(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, cells: list[dict[str, Any]]
) -> None:
    editor = open_editor(qtbot, store, tasks)
    hint = editor.form.grid_place
    qtbot.waitUntil(lambda: "once it is known" in hint.text())
    feature = cells[200]
    props = feature["properties"]
    with store.write() as s:
        lat, lon = inside(feature)
        s.add(User(id="u-zhang", username="zhang", display_name="张三", role="inspector"))
        s.flush()
        apply_responsibility(
            s, {"grid_code": props["code"], "inspectors": ["u-zhang"], "departments": {}}
        )
        apply_unit(s, {"id": "u-1", "name": "贵溪市人民医院", "contact": "", "letter_no": "MQ-7",
                       "rings": [], "lon": lon, "lat": lat, "radius_m": 25.0, "removed": False})  # fmt: skip
    editor.use_fix(manual(*inside(feature)))
    qtbot.waitUntil(lambda: editor.grid_code.text() == props["code"])
    qtbot.waitUntil(lambda: "From the position" in hint.text())
    assert f"{props['street_name']} · {props['community_name']}" in hint.text()
    assert "门前三包 unit: 贵溪市人民医院 (letter MQ-7)" in hint.text()
    assert "Responsible inspectors: 张三" in hint.text()
    qtbot.waitUntil(lambda: not editor.has_unsaved_changes())
    case_id = editor.case_id()
    assert case_id is not None
    row = store.get_case(case_id)
    assert (row.grid_code, row.grid_source, row.unit_id) == (props["code"], GridSource.AUTO, "u-1")

    # The inspector types another cell's code: kept, and said to be typed.
    other = cells[10]["properties"]
    editor.grid_code.setText(other["code"])
    qtbot.waitUntil(lambda: hint.text().startswith("Typed in: "))
    assert other["street_name"] in hint.text() and props["code"] in hint.text()
    assert "张三" not in hint.text()  # the typed cell has no responsibility
    editor.save_now()
    qtbot.waitUntil(lambda: store.get_case(case_id).grid_source == GridSource.TYPED)
    assert store.get_case(case_id).grid_code == other["code"]


def test_a_position_outside_every_cell_empties_a_looked_up_code(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, cells: list[dict[str, Any]]
) -> None:
    editor = open_editor(qtbot, store, tasks)
    code = cells[3]["properties"]["code"]
    editor.use_fix(manual(*inside(cells[3])))
    qtbot.waitUntil(lambda: editor.grid_code.text() == code)
    editor.use_fix(manual(28.40, 117.40))
    qtbot.waitUntil(lambda: editor.grid_code.text() == "")
    qtbot.waitUntil(lambda: "outside every grid cell" in editor.form.grid_place.text())
    case_id = editor.case_id()
    assert case_id is not None
    qtbot.waitUntil(lambda: store.get_case(case_id).grid_source == GridSource.OUTSIDE)


def test_the_road_layer_proposes_the_address(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, samples: Path, tmp_path: Path
) -> None:
    gpkg = tmp_path / "town.gpkg"
    shutil.copyfile(samples / "map" / "town.gpkg", gpkg)
    BasemapRegistry(store.data_dir).add_overlay(gpkg)
    roads = read_gpkg_layer(gpkg, "roads")
    road = next(f for f in roads.features if f.properties.get("name") == "建设路")
    lon, lat = road.parts[0][len(road.parts[0]) // 2]
    editor = open_editor(qtbot, store, tasks)
    button = editor.form.address_suggestion
    assert not button.isVisibleTo(editor)
    editor.use_fix(manual(lat + 0.0002, lon))
    qtbot.waitUntil(lambda: button.isVisibleTo(editor))
    assert button.text().startswith('Suggested from the road layer: <a href="use">建设路, 近')
    proposal = button.text().removeprefix('Suggested from the road layer: <a href="use">')
    proposal = proposal.removesuffix("</a>")
    button.linkActivated.emit("use")
    assert editor.address.text() == proposal
    assert not button.isVisibleTo(editor)
    qtbot.waitUntil(lambda: not editor.has_unsaved_changes())
    case_id = editor.case_id()
    assert case_id is not None
    qtbot.waitUntil(lambda: store.get_case(case_id).address == proposal)
