"""Render the map screens, in Chinese and English, into PNG files.

    .venv/bin/python scripts/map_screenshots.py [--out DIR]   (default: ./screenshots, not committed)

A store in a temporary folder gets the sample town's basemap and grid cells
(``../shared/samples/map``) and 400 cases along its roads; then, per language: the Map tab at
zoom 15 and 17 (clusters, markers by status, a selected case, a patrol track, the GPS position
with its accuracy circle, the grid layer), the case editor's position panel with its picking
map, and the settings with the basemaps section; the supervisor's office map by traffic light
and with its density view, and the PDF pages holding the case report's location map and the
bulletin's map of the period's cases (``pdftoppm``). Offscreen, ``QWidget.grab()``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
MAPS = ROOT.parent / "shared" / "samples" / "map"

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.documents.pdf import write_bulletin_pdf, write_case_report  # noqa: E402
from app.domain import CaseFields, load_default_taxonomy  # noqa: E402
from app.domain.indicators import Period  # noqa: E402
from app.domain.lifecycle import Action, CaseStatus  # noqa: E402
from app.geo.basemaps import BasemapRegistry  # noqa: E402
from app.geo.vector import read_gpkg_layer  # noqa: E402
from app.storage import LocalStore  # noqa: E402
from app.storage.bulletin import bulletin_data  # noqa: E402
from app.storage.models import Case, CaseStep, Department  # noqa: E402
from app.ui.basemap_settings import BasemapSettings  # noqa: E402
from app.ui.case_editor import CaseEditor  # noqa: E402
from app.ui.i18n import install_translators  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
from app.ui.settings import Settings, SettingsDialog  # noqa: E402
from app.ui.supervisor import SupervisorMapPanel  # noqa: E402
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


def _dispatch(
    store: LocalStore, case_id: str, department: str, start: datetime, days: float
) -> None:
    """Make a case dispatched at ``start`` with ``days`` to handle it (a local log, as the
    feed would bring it), so the office map has green, yellow and red assignments."""
    with store.write() as s:
        case = s.scalars(select(Case).where(Case.id == case_id)).one()
        case.status = CaseStatus.DISPATCHED.value
        case.department_id = department
        case.deadline = start + timedelta(days=days)
        s.add(
            CaseStep(
                id=str(uuid.uuid4()),
                case_id=case_id,
                action=Action.DISPATCH.value,
                from_status=CaseStatus.REGISTERED.value,
                to_status=CaseStatus.DISPATCHED.value,
                role="supervisor",
                at=start,
                department_id=department,
                deadline=case.deadline,
                attachments=[],
            )
        )


def shoot_office(app: QApplication, language: str, out: Path) -> list[Path]:
    """The supervisor's map (by traffic light; with density) and PDF pages with their maps."""
    install_translators(app, language)
    data = Path(tempfile.mkdtemp(prefix=f"citypatrol-office-{language}-"))
    store = LocalStore(data)
    BasemapRegistry(data).add(MAPS / "town.mbtiles", name="贵溪 OSM")
    department = str(uuid.uuid4())
    with store.write() as s:
        s.add(Department(id=department, code="HW", name="市容环卫局", name_en="Sanitation bureau"))
    rng = random.Random(5)
    roads = read_gpkg_layer(MAPS / "town.gpkg", "roads")
    vertices = [p for f in roads.features for ring in f.parts for p in ring]
    # Problems concentrate around the old town (雄石) and along 贵溪大道: two hot spots.
    hot = [(117.2150, 28.2930), (117.2290, 28.3010)]
    now = datetime.now(UTC)
    ids = []
    for i in range(300):
        lon, lat = rng.choice(vertices)
        if i % 2:
            cx, cy = hot[i % 4 // 2]
            candidates = [v for v in rng.sample(vertices, 40)]
            lon, lat = min(candidates, key=lambda v: (v[0] - cx) ** 2 + (v[1] - cy) ** 2)
        fields = CaseFields(
            category_code=rng.choice(["06010", "01037", "09006"]),
            description=f"雄石路问题 {i}",
            address="贵溪市雄石路",
            lat=lat + rng.gauss(0, 0.00015),
            lon=lon + rng.gauss(0, 0.00015),
            accuracy_m=5.0,
        )
        case_id = store.create_case(fields).id
        store.submit_case(case_id)
        ids.append(case_id)
    for i, case_id in enumerate(ids[:60]):
        _dispatch(store, case_id, department, now - timedelta(days=[1, 2.6, 5][i % 3]), 3)
    tasks = TaskRunner()
    shots = []
    panel = SupervisorMapPanel(store, tasks, language)
    panel.resize(1366, 768)
    panel.show()
    wait(1500)
    panel.map.center_on(28.2975, 117.2215, 15)
    wait(1200)
    shots.append(out / f"office-map-{language}.png")
    panel.grab().save(str(shots[-1]))
    panel.density_button.setChecked(True)
    wait(800)
    shots.append(out / f"office-map-density-{language}.png")
    panel.grab().save(str(shots[-1]))
    panel.close()
    tasks.wait(5000)
    case_pdf = write_case_report(store, ids[0], out / f"case-{language}.pdf", language)
    period = Period(now - timedelta(days=30), now + timedelta(hours=1))
    bulletin = write_bulletin_pdf(
        bulletin_data(store, period, language=language), out / f"bulletin-{language}.pdf", language
    )
    for pdf in (case_pdf, bulletin):
        page = _map_page(pdf)
        stem = out / f"{pdf.stem}-map"
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(page), "-l", str(page),
             str(pdf), str(stem)],
            check=True,
        )  # fmt: skip
        shots.append(stem.with_suffix(".png"))
    store.close()
    return shots


def _map_page(pdf: Path) -> int:
    """The page holding the map (the widest image) of a PDF, per ``pdfimages -list``."""
    rows = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    # The last page it is drawn on: the layout may paint it clipped on the page before.
    widest = max((line.split() for line in rows), key=lambda r: (int(r[3]), int(r[0])))
    return int(widest[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    if not (MAPS / "town.mbtiles").exists():
        raise SystemExit(f"the sample map is missing: {MAPS}")
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    for language in ("zh_CN", "en"):
        for path in [*shoot(app, language, args.out), *shoot_office(app, language, args.out)]:
            print(path)


if __name__ == "__main__":
    main()
