"""Render the map screens, in Chinese and English, into PNG files.

    .venv/bin/python scripts/map_screenshots.py [--out DIR]   (default: ./screenshots, not committed)

A store in a temporary folder gets the sample town's basemap and grid cells
(``../shared/samples/map``) and 400 cases along its roads; then, per language: the Map tab at
zoom 15 and 17 (clusters, markers by status, a selected case, a patrol track, the GPS position
with its accuracy circle, the grid layer), the case editor's position panel with its picking
map, and the settings with the basemaps section. Offscreen, ``QWidget.grab()``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
MAPS = ROOT.parent / "shared" / "samples" / "map"

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.domain import CaseFields, load_default_taxonomy  # noqa: E402
from app.geo.basemaps import BasemapRegistry  # noqa: E402
from app.geo.vector import read_gpkg_layer  # noqa: E402
from app.storage import LocalStore  # noqa: E402
from app.ui.basemap_settings import BasemapSettings  # noqa: E402
from app.ui.case_editor import CaseEditor  # noqa: E402
from app.ui.i18n import install_translators  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
from app.ui.settings import Settings, SettingsDialog  # noqa: E402
from app.ui.tasks import TaskRunner  # noqa: E402


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def shoot(app: QApplication, language: str, out: Path) -> list[Path]:
    install_translators(app, language)
    data = Path(tempfile.mkdtemp(prefix=f"citypatrol-map-{language}-"))
    store = LocalStore(data)
    registry = BasemapRegistry(data)
    registry.add(MAPS / "town.mbtiles", name="贵溪 OSM")
    registry.add_overlay(MAPS / "grids.geojson")
    rng = random.Random(3)
    roads = read_gpkg_layer(MAPS / "town.gpkg", "roads")
    vertices = [
        p
        for f in roads.features
        for ring in f.parts
        for p in ring
        if 117.205 < p[0] < 117.235 and 28.285 < p[1] < 28.300
    ]
    ids = []
    for i in range(400):
        lon, lat = rng.choice(vertices)
        fields = CaseFields(
            category_code=rng.choice(["06010", "01037", "09006"]),
            description=f"案件 {i}",
            lat=lat + rng.gauss(0, 0.0001),
            lon=lon + rng.gauss(0, 0.0001),
        )
        case_id = store.create_case(fields).id
        ids.append(case_id)
        if i % 3 == 0:
            store.submit_case(case_id)
    tasks = TaskRunner()
    shots = []
    window = MainWindow(store, tasks, load_default_taxonomy(), language)
    window.resize(1366, 768)
    window.show()
    window.tabs.setCurrentWidget(window.map_panel)
    wait(1500)
    view = window.map_panel.map
    view.set_track(
        [[(28.2879, 117.2100), (28.2890, 117.2150), (28.2926, 117.2148), (28.2930, 117.2200)]]
    )
    view.set_position(28.2930, 117.2200, 25.0)
    view.set_selected(ids[5])
    for zoom in (15, 17):
        view.center_on(28.2925, 117.2200, zoom)
        wait(1500)
        shots.append(out / f"map-tab-z{zoom}-{language}.png")
        window.grab().save(str(shots[-1]))
    case_id = store.create_case(
        CaseFields(category_code="06010", description="暴露垃圾", lat=28.2879379, lon=117.2152121)
    ).id
    editor = CaseEditor(store, tasks, load_default_taxonomy(), language, case_id)
    editor.resize(1366, 768)
    editor.show()
    wait(800)
    editor.position_panel.show_map(True)
    wait(1500)
    shots.append(out / f"map-picker-{language}.png")
    editor.grab().save(str(shots[-1]))
    editor.close()
    dialog = SettingsDialog(
        Settings.from_file(data / "settings.ini"),
        None,
        basemaps=BasemapSettings(data, tasks, language),
    )
    dialog.show()
    wait(500)
    shots.append(out / f"map-settings-{language}.png")
    dialog.grab().save(str(shots[-1]))
    dialog.close()
    window.close()
    tasks.wait(5000)
    store.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    if not (MAPS / "town.mbtiles").exists():
        raise SystemExit(f"the sample map is missing: {MAPS}")
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    for language in ("zh_CN", "en"):
        for path in shoot(app, language, args.out):
            print(path)


if __name__ == "__main__":
    main()
