"""The grid cells the server distributes are drawn on the Map tab, and follow the feed: a cell
removed by a reload disappears at the next store change that says reference data changed."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.domain import load_default_taxonomy
from app.storage import Changes, LocalStore
from app.storage.grids import GRID_LAYER, apply_cell
from app.ui.events import StoreEvents
from app.ui.main_window import MainWindow
from app.ui.tasks import TaskRunner


def cell_payloads(maps: Path) -> list[dict[str, object]]:
    data = json.loads((maps / "grids.geojson").read_text(encoding="utf-8"))
    return [
        {"code": f["properties"]["code"], "street": f["properties"]["street_name"],
         "community": f["properties"]["community_name"], "version": 1, "removed": False,
         "rings": [[v for xy in r for v in xy] for r in f["geometry"]["coordinates"]]}
        for f in data["features"]
    ]  # fmt: skip


def grid_features(window: MainWindow) -> int:
    layers = [o.layer for o in window.map_panel.map.layers.overlays if o.layer.name == GRID_LAYER]
    return len(layers[0].features) if layers else 0


def test_the_servers_grid_is_drawn_and_follows_the_feed(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path
) -> None:
    assert store.grid_layer() is None
    cells = cell_payloads(maps)
    with store.write() as s:
        for payload in cells:
            apply_cell(s, payload)
    window = MainWindow(store, tasks, load_default_taxonomy(), "en")
    qtbot.addWidget(window)
    window.show()
    window.tabs.setCurrentWidget(window.map_panel)
    qtbot.waitUntil(lambda: grid_features(window) == 736)
    assert window.map_panel.layers_check.isEnabled()
    with store.write() as s:
        apply_cell(s, {**cells[0], "removed": True, "rings": []})
    StoreEvents.of(store).announce(Changes(reference=True))  # as a sync's feed does
    qtbot.waitUntil(lambda: grid_features(window) == 735)
    window.map_panel.layers_check.setChecked(False)
    assert grid_features(window) == 0
