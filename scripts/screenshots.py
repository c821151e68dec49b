"""Render each main screen of the app, in Chinese and English, into PNG files.

    .venv/bin/python scripts/screenshots.py [--out DIR]     (default: ./screenshots, not committed)

A real demo server (SQLite, demo accounts) and a real store are set up in a temporary folder: a
few cases with real photos from ../shared/samples (when present), synced, one returned by the
supervisor with an opinion and one sent to the inspector for re-inspection. Then, for each
language, the main window (cases and tasks tabs), the case editor, the re-inspection dialog,
the delivery ledger, the settings and the sign-in dialog, the update notice and dialog, and the
supervisor's review, deadlines, requests and dashboard tabs, a case's history, a decision, the export and bulletin
dialogs, the department's tasks, report of handling and extension request, and place (the
editor's grid cell, 门前三包 unit and proposed address; dispatch preselecting the responsible
department, 定人定责) are rendered at 1366×768 with
``QWidget.grab()``; the inspector's, the supervisor's (and its dashboard) and the department's
windows also at 1024×768, the smallest screen the navigation is made for (``small-*.png``;
``--only small`` renders just those). Runs on Qt's offscreen platform (or Xvfb when ``DISPLAY`` is set) — the
CJK font must be installed (scripts/setup.sh does it).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
SAMPLES = ROOT.parent / "shared" / "samples" / "photos" / "jpg" / "gps"
MAPS = ROOT.parent / "shared" / "samples" / "map"

import httpx  # noqa: E402
from helpers import ServerProcess, run_server_cli  # noqa: E402
from PySide6.QtCore import QCoreApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.domain import CaseFields, load_default_taxonomy  # noqa: E402
from app.domain.lifecycle import RequestKind  # noqa: E402
from app.domain.validation import Urgency  # noqa: E402
from app.storage import LocalStore  # noqa: E402
from app.storage.handling import ask, report_handled, sign_for  # noqa: E402
from app.sync.engine import Originals, SyncEngine, SyncOptions  # noqa: E402
from app.sync.session import sign_in  # noqa: E402
from app.ui.i18n import install_translators  # noqa: E402
from app.ui.ledger_dialog import LedgerDialog  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
from app.ui.photo_strip import PhotoViewer  # noqa: E402
from app.ui.reinspection import ReinspectionDialog  # noqa: E402
from app.ui.settings import Settings, SettingsDialog  # noqa: E402
from app.ui.sign_in import SignInDialog  # noqa: E402
from app.ui.tasks import TaskRunner  # noqa: E402

CASES = (
    (
        "06010",
        "人民路与解放路交叉口东南角暴露垃圾堆积约2立方米",
        "鼓楼区人民路88号",
        32.0603,
        118.7969,
    ),
    ("01037", "中山北路3号路灯夜间不亮", "鼓楼区中山北路3号", 32.0712, 118.7810),
    ("01001", "湖南路12号门前供水井盖破损", "鼓楼区湖南路12号", 32.0655, 118.7830),
    ("09006", "湖南路地铁站出口占道经营水果摊", "鼓楼区湖南路地铁站", 32.0650, 118.7835),
    ("09009", "北京东路机动车乱停放占用盲道", "玄武区北京东路41号", 32.0580, 118.8010),
    # Dispatched to the sanitation office (环卫) for the department's views (issue 15).
    ("06042", "广州路与宁海路路口垃圾箱满溢", "鼓楼区广州路200号", 32.0590, 118.7760),
    ("06011", "汉口路小区门口积存建筑垃圾渣土", "鼓楼区汉口路22号", 32.0575, 118.7790),
)
#: The cases submitted (the others stay drafts).
SUBMITTED = (0, 1, 2, 3, 5, 6)


def settle(app: QApplication, seconds: float = 1.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, path: Path, app: QApplication) -> None:
    settle(app, 1.2)
    widget.grab().save(str(path))
    print(path)


def patrol_walks(store: LocalStore, seed: int) -> None:
    """Three days of a morning's patrol (2 h, a fix every 5 s) through the centre of 贵溪."""
    import math
    import random
    from datetime import UTC, datetime, timedelta

    from app.capture.positions import Fix, FixQuality, PositionSource

    rng = random.Random(seed)
    today = datetime.now(UTC).replace(hour=0, minute=30, second=0, microsecond=0)
    for day in range(3):
        lat, lon = 28.292 + rng.uniform(0, 0.02), 117.20 + rng.uniform(0, 0.04)
        heading = rng.uniform(0, 2 * math.pi)
        start = today - timedelta(days=day)
        fixes = []
        for i in range(1440):
            heading += rng.gauss(0, 0.12)
            lat = min(max(lat + math.sin(heading) * 6.3e-5, 28.283), 28.321)
            lon = min(max(lon + math.cos(heading) * 7.1e-5, 117.192), 117.254)
            fixes.append(
                Fix(lat, lon, 4.0, None, start + timedelta(seconds=5 * i), FixQuality.GPS,
                    PositionSource.GPS, 3)
            )  # fmt: skip
        store.import_track(fixes)


def load_key_sites(root: Path, server: ServerProcess) -> None:
    """Three key sites of the demo inspector's (a school, a hospital, a weekly market)."""
    import json
    import subprocess

    def point(name: str, kind: str, lat: float, lon: float, due: str) -> dict[str, object]:
        return {
            "type": "Feature",
            "properties": {"name": name, "kind": kind, "frequency": "daily", "due": due,
                           "inspector": "demo", "radius_m": 80},
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }  # fmt: skip

    ring = [[117.220, 28.300], [117.222, 28.300], [117.222, 28.302], [117.220, 28.302]]
    market = {
        "type": "Feature",
        "properties": {"name": "东门农贸市场", "kind": "农贸市场", "frequency": "weekly",
                       "weekday": 7, "due": "17:00", "inspector": "demo"},
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    }  # fmt: skip
    features = [
        point("贵溪市第一小学", "学校", 28.3005, 117.2150, "08:00"),
        point("贵溪市人民医院", "医院", 28.3050, 117.2250, "23:30"),
        market,
    ]
    path = root / "sites.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "site", "load",
         str(path)],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip


def prepare(
    root: Path, server: ServerProcess
) -> tuple[LocalStore, LocalStore, LocalStore, list[str]]:
    demo = LocalStore(root / "demo")
    sign_in(demo, server.url, "demo", "demo")
    ids = []
    photos = sorted(SAMPLES.glob("*.jpg")) if SAMPLES.is_dir() else []
    for i, (code, text, address, lat, lon) in enumerate(CASES):
        fields = CaseFields(code, text, address, Urgency.NORMAL, lat, lon, 4.0)
        case_id = demo.create_case(fields).id
        if photos:
            demo.attach_photos(case_id, photos[i : i + 2])
        if i in SUBMITTED:
            demo.submit_case(case_id)
        ids.append(case_id)
    SyncEngine(demo).run()
    token = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "supervisor", "password": "supervisor"}
    ).json()["token"]
    office = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
    office.post(
        f"/api/v1/cases/{ids[1]}/actions",
        json={"action": "return", "opinion": "请补充路灯编号和近景照片"},
    )
    departments = office.get("/api/v1/departments").json()
    sanitation = next(d["id"] for d in departments if d["code"] == "HWC")
    checker = LocalStore(root / "inspector2")
    account, _ = sign_in(checker, server.url, "inspector2", "inspector2")
    now = datetime.now(UTC)
    for n, due in ((2, now + timedelta(days=30)), (3, now + timedelta(days=3)),
                   (5, now + timedelta(hours=2)), (6, now - timedelta(hours=5))):  # fmt: skip
        for action, extra in (
            ("accept", {}),
            ("register", {}),
            ("dispatch", {"department_id": sanitation, "deadline": due.isoformat()}),
        ):
            office.post(f"/api/v1/cases/{ids[n]}/actions", json={"action": action, **extra})
    # The sanitation office works its tasks on its own laptop (issue 15).
    department = LocalStore(root / "handler")
    sign_in(department, server.url, "handler", "handler")
    SyncEngine(department).run()
    sign_for(department, ids[2])
    report_handled(department, ids[2], "已清运并冲洗路面", photos[4:5] or [])
    sign_for(department, ids[3])
    ask(
        department,
        ids[3],
        RequestKind.EXTENSION,
        "需协调渣土车，申请延期两天",
        now + timedelta(days=5),
    )
    sign_for(department, ids[6])
    SyncEngine(department).run()
    office.post(
        f"/api/v1/cases/{ids[2]}/actions",
        json={"action": "request_reinspection", "assignee_id": account.user_id},
    )
    SyncEngine(department).run()
    patrol_walks(demo, 1)
    patrol_walks(checker, 2)
    load_key_sites(root, server)
    SyncEngine(demo).run()
    SyncEngine(checker).run()
    inspections(root, server, demo, photos)
    chief = LocalStore(root / "supervisor")
    sign_in(chief, server.url, "supervisor", "supervisor")
    town = ROOT.parent / "shared" / "samples" / "map" / "town.mbtiles"
    if town.is_file():  # the office map's tracks over the town (© OpenStreetMap contributors)
        from app.geo.basemaps import BasemapRegistry

        BasemapRegistry(chief.data_dir).add(town, name="town")
    SyncEngine(chief).run()
    return demo, checker, chief, department, ids


def handler_views(  # noqa: PLR0917 - a script's helper
    store: LocalStore,
    tasks: TaskRunner,
    language: str,
    settings: Settings,
    ids: list[str],
    out: Path,
    app: QApplication,
) -> None:
    """The department's workspace (issue 15): its tasks, a report of handling, a request."""
    from app.domain.lifecycle import Action
    from app.ui.handler import HandledDialog
    from app.ui.supervisor import DecisionDialog

    window = MainWindow(store, tasks, load_default_taxonomy(), language, settings, autosync=False)
    window.resize(1366, 768)
    window.show()
    settle(app, 1.0)
    assert window.handler is not None
    window.tabs.setCurrentWidget(window.handler)
    window.handler.select_case(ids[6])
    save(window, out / f"handler-tasks-{language}.png", app)
    handled = HandledDialog(store, tasks, language, ids[6], window)
    handled.add_files(sorted(SAMPLES.glob("*.jpg"))[5:7] if SAMPLES.is_dir() else [])
    handled.opinion_edit.setPlainText("建筑垃圾已清运，门口已清扫")
    handled.show()
    save(handled, out / f"handler-handled-{language}.png", app)
    handled.close()
    request = DecisionDialog(
        store, tasks, language, ids[6], Action.REQUEST_EXTENSION, parent=window
    )
    request.opinion_edit.setPlainText("需调派铲车，申请延期一天")
    request.show()
    save(request, out / f"handler-extension-{language}.png", app)
    request.close()
    window.close()


def place_setup(
    root: Path, server: ServerProcess, demo: LocalStore, chief: LocalStore
) -> tuple[str, str]:
    """The grid of 贵溪市, a responsibility and a 门前三包 unit on the server, the town's roads
    as an overlay on the inspector's laptop, and two cases on 建设路 (their cell looked up): a
    draft (the editor offers the road layer's address) and a submitted one (to dispatch)."""
    import json

    from app.geo.basemaps import BasemapRegistry

    lat, lon = 28.2942, 117.2324  # 25 m from 建设路, in the sample grid
    run_server_cli(server, "grid", "load", str(MAPS / "grids.geojson"))
    SyncEngine(demo).run()
    code = demo.locate(lat, lon).cell
    assert code is not None, "the sample grid does not hold the screenshot's position"
    rules = root / "responsibility.csv"
    # demo also answers for a band of 40 cells (the Coverage tab's blind spots).
    features = json.loads((MAPS / "grids.geojson").read_text(encoding="utf-8"))["features"]
    band = "".join(
        f"{f['properties']['code']},demo,,\n"
        for f in features[:40]
        if f["properties"]["code"] != code.code
    )
    rules.write_text(
        f"grid_code,inspectors,category_class,department\n{code.code},demo,06,HWC\n{band}",
        encoding="utf-8",
    )
    run_server_cli(server, "responsibility", "load", str(rules))
    units = root / "units.geojson"
    units.write_text(
        json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"name": "贵溪市建设路小学", "contact": "0701-3322110",
                           "letter_no": "MQ-2026-017", "radius_m": 40},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}]}, ensure_ascii=False),
        encoding="utf-8",
    )  # fmt: skip
    run_server_cli(server, "unit", "load", str(units))
    BasemapRegistry(demo.data_dir).add_overlay(MAPS / "town.gpkg")
    SyncEngine(demo).run()
    fields = CaseFields("06010", "建设路小学门口暴露垃圾", "", Urgency.NORMAL, lat, lon, 4.0)
    case_id = demo.create_case(fields).id
    demo.submit_case(case_id)
    SyncEngine(demo).run()
    SyncEngine(chief).run()
    draft = demo.create_case(dataclasses.replace(fields, description="建设路井盖缺失")).id
    return draft, case_id


def inspections(root: Path, server: ServerProcess, demo: LocalStore, photos: list[Path]) -> None:
    """Scored inspections (issue 18): a checklist and two streets loaded on the server; one
    unannounced inspection finished and synced, another still being recorded."""
    from app.domain.inspections import InspectionMode
    from app.storage import inspections as records

    template = ROOT / "resources" / "checklists" / "street-sanitation.json"
    run_server_cli(server, "checklist", "load", str(template))
    objects = root / "objects.csv"
    objects.write_text(
        "kind,id,name,department_code\n"
        "street_section,S-001,建设路（人民路—正义路）,HWC\n"
        "street_section,S-002,人民路（站前路—建设路）,HWC\n",
        encoding="utf-8",
    )
    run_server_cli(server, "inspection-object", "load", str(objects))
    SyncEngine(demo).run()
    (checklist,) = records.checklist_templates(demo)
    streets = records.inspectable_objects(demo)
    for n, (target, items) in enumerate(
        ((streets[1], ["A1", "A1", "B2"]), (streets[0], ["A3", "B1"]))
    ):
        iid = records.begin_inspection(demo, checklist, target, InspectionMode.UNANNOUNCED).id
        for i, code in enumerate(items):
            photo = photos[(i + 3 * n) % len(photos)] if photos else None
            records.add_deduction(demo, iid, code, note=f"{code} 现场发现", photo=photo)
        if n == 0:
            records.finish_inspection(demo, iid)
    SyncEngine(demo).run()


def supervisor_views(  # noqa: PLR0917 - a script's helper
    store: LocalStore,
    tasks: TaskRunner,
    language: str,
    settings: Settings,
    ids: list[str],
    out: Path,
    app: QApplication,
) -> None:
    """The supervisor's workspace: review, deadlines, dashboard, a case's history, a decision,
    the export and bulletin dialogs."""
    from app.domain.lifecycle import Action
    from app.ui.export_dialog import BulletinDialog, ExportDialog
    from app.ui.supervisor import DecisionDialog

    window = MainWindow(store, tasks, load_default_taxonomy(), language, settings, autosync=False)
    window.resize(1366, 768)
    window.show()
    settle(app, 1.0)
    assert window.review is not None and window.deadlines is not None
    window.tabs.setCurrentWidget(window.review)
    save(window, out / f"supervisor-review-{language}.png", app)
    window.tabs.setCurrentWidget(window.deadlines)
    save(window, out / f"supervisor-deadlines-{language}.png", app)
    if window.requests is not None:  # the departments' requests (issue 15)
        window.tabs.setCurrentWidget(window.requests)
        save(window, out / f"supervisor-requests-{language}.png", app)
    if window.coverage is not None:
        window.tabs.setCurrentWidget(window.coverage)
        settle(app, 2.0)
        save(window, out / f"supervisor-coverage-{language}.png", app)
    if window.supervisor_map is not None:
        office_map = window.supervisor_map
        window.tabs.setCurrentWidget(office_map)
        settle(app, 1.0)
        office_map.track_filter.setCurrentIndex(min(2, office_map.track_filter.count() - 1))
        office_map.map.center_on(28.302, 117.222, 14)
        settle(app, 2.0)
        save(window, out / f"supervisor-tracks-{language}.png", app)
    window.tabs.setCurrentWidget(window.inspections)
    window.inspections.list.setCurrentItem(window.inspections.list.topLevelItem(0))
    save(window, out / f"supervisor-inspections-{language}.png", app)
    window.tabs.setCurrentWidget(window.assessment)
    save(window, out / f"assessment-{language}.png", app)
    if window.dashboard is not None:
        window.tabs.setCurrentWidget(window.dashboard)
        settle(app, 2.0)
        save(window, out / f"supervisor-dashboard-{language}.png", app)
    detail = window.open_case_detail(ids[2])
    detail.resize(1100, 760)
    save(detail, out / f"supervisor-case-{language}.png", app)
    detail.close()
    decision = DecisionDialog(store, tasks, language, ids[0], Action.REJECT, parent=window)
    decision.show()
    save(decision, out / f"supervisor-decision-{language}.png", app)
    decision.close()
    # 定人定责: the dispatch dialog preselects the responsible department and says why.
    dispatch = DecisionDialog(store, tasks, language, ids[-1], Action.DISPATCH, parent=window)
    dispatch.show()
    save(dispatch, out / f"supervisor-dispatch-{language}.png", app)
    dispatch.close()
    export = ExportDialog(store, tasks, language, window)
    export.show()
    save(export, out / f"export-{language}.png", app)
    export.close()
    from app.domain.deadlines import WorkingCalendar
    from app.domain.indicators import month

    now = time.gmtime()
    bulletin = BulletinDialog(
        store, tasks, month(now.tm_year, now.tm_mon, WorkingCalendar().tz), language, window
    )
    bulletin.show()
    save(bulletin, out / f"bulletin-{language}.png", app)
    bulletin.close()
    window.close()


def admin_setup(root: Path, server: ServerProcess) -> LocalStore:
    """An admin's laptop with the sample checklist (issue 18: templates edited in the app)."""
    template = ROOT / "resources" / "checklists" / "street-sanitation.json"
    run_server_cli(server, "checklist", "load", str(template))  # a no-op when loaded already
    admin = LocalStore(root / "admin")
    sign_in(admin, server.url, "admin", "admin")
    SyncEngine(admin).run()
    return admin


def admin_views(  # noqa: PLR0917 - a script's helper
    store: LocalStore,
    tasks: TaskRunner,
    language: str,
    settings: Settings,
    out: Path,
    app: QApplication,
) -> None:
    """The admin's Checklists tab and the template editor: an edit in progress (a new item,
    a changed cap) with the problem it leaves (the declared total) and the preview."""
    from app.ui.inspections.template_editor import CAP, DEDUCTION, TEXT_EN, TEXT_ZH

    window = MainWindow(store, tasks, load_default_taxonomy(), language, settings, autosync=False)
    window.resize(1366, 768)
    window.show()
    settle(app, 1.0)
    panel = window.checklists
    assert panel is not None
    window.tabs.setCurrentWidget(panel)
    settle(app, 0.5)
    panel.list.setCurrentItem(panel.list.topLevelItem(0))
    save(window, out / f"checklists-{language}.png", app)
    editor = panel.edit_selected()
    assert editor is not None
    editor.resize(1280, 760)
    road = editor.tree.topLevelItem(0)
    road.child(0).setText(CAP, "8")
    editor.tree.setCurrentItem(road.child(2))
    added = editor.add_item()
    assert added is not None
    added.setText(TEXT_ZH, "人行道有积雪未清")
    added.setText(TEXT_EN, "Snow left on the pavement")
    added.setText(DEDUCTION, "2")
    save(editor, out / f"checklist-editor-problems-{language}.png", app)
    editor.total_edit.setText("110")
    save(editor, out / f"checklist-editor-{language}.png", app)
    editor.close()
    window.close()


def small_screen_views(  # noqa: PLR0917 - a script's helper
    stores: dict[str, LocalStore],
    tasks: TaskRunner,
    language: str,
    settings: Settings,
    out: Path,
    app: QApplication,
) -> None:
    """Each account's window at 1024×768: the navigation by group and the page it opens on
    (the supervisor's dashboard too, with the departments' loop)."""
    for name, store in stores.items():
        window = MainWindow(
            store, tasks, load_default_taxonomy(), language, settings, autosync=False
        )
        window.resize(1024, 768)
        window.show()
        settle(app, 1.0)
        save(window, out / f"small-{name}-{language}.png", app)
        if window.dashboard is not None:
            window.show_page(window.dashboard)
            settle(app, 2.0)
            save(window, out / f"small-{name}-dashboard-{language}.png", app)
        window.close()


def add_release(server: ServerProcess, root: Path) -> None:
    """An installer newer than this copy, offered for this platform (random bytes)."""
    import subprocess

    from app.sync.updates import this_platform

    platform = this_platform()
    assert platform is not None
    file = root / "citypatrol_99.0.0_amd64.deb"
    file.write_bytes(os.urandom(3_200_000))
    subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "release",
         "add", "99.0.0", "--platform", platform.value, str(file)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip


def update_views(  # noqa: PLR0917 - a script's helper
    store: LocalStore,
    tasks: TaskRunner,
    language: str,
    settings: Settings,
    out: Path,
    app: QApplication,
) -> None:
    """The update notice in the status bar, the update dialog before and after the download."""
    from app.sync.updates import check_store_update

    offer = check_store_update(store)
    assert offer is not None
    window = MainWindow(store, tasks, load_default_taxonomy(), language, settings, autosync=False)
    window.resize(1366, 768)
    window.show()
    window.updates.show_offer(offer)
    save(window, out / f"update-notice-{language}.png", app)
    dialog = window.updates.show_dialog()
    assert dialog is not None
    save(dialog, out / f"update-offer-{language}.png", app)
    saved: list[object] = []
    dialog.downloaded.connect(saved.append)
    dialog.download()
    end = time.monotonic() + 60
    while not saved and time.monotonic() < end:
        settle(app, 0.1)
    save(dialog, out / f"update-downloaded-{language}.png", app)
    dialog.close()
    window.close()


def photo_offline_views(
    root: Path, server: ServerProcess, case_id: str, out: Path, app: QApplication
) -> None:
    """An office synced with originals on demand opens a photo while the server is down: the
    thumbnail, and the note saying why the original is not shown (issue 16). Stops the server."""
    office = LocalStore(root / "office-on-demand")
    sign_in(office, server.url, "supervisor", "supervisor")
    SyncEngine(office, SyncOptions(originals=Originals.ON_DEMAND)).run()
    server.stop()
    photos = office.photos(case_id)
    if not photos:
        return
    for language in ("zh_CN", "en"):
        install_translators(app, language)
        tasks = TaskRunner()
        viewer = PhotoViewer(tasks, language, photos, 0, store=office)
        viewer.resize(900, 640)
        viewer.show()
        done: list[bool] = []
        viewer.fetch_finished.connect(lambda done=done: done.append(True))
        end = time.monotonic() + 30
        while not done and time.monotonic() < end:
            settle(app, 0.1)
        save(viewer, out / f"photo-offline-{language}.png", app)
        viewer.close()
        tasks.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument(
        "--only",
        choices=["all", "updates", "checklists", "small"],
        default="all",
        help="render only these views",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    with tempfile.TemporaryDirectory(prefix="screens-") as tmp:
        root = Path(tmp)
        server = ServerProcess(root / "server", "--demo")
        try:
            if args.only == "checklists":
                admin = admin_setup(root, server)
                for language in ("zh_CN", "en"):
                    install_translators(app, language)
                    tasks = TaskRunner()
                    settings = Settings.from_file(root / f"settings-{language}.ini")
                    admin_views(admin, tasks, language, settings, args.out, app)
                    tasks.wait()
                return 0
            demo, checker, chief, department, ids = prepare(root, server)
            draft, placed = place_setup(root, server, demo, chief)
            ids.append(placed)
            add_release(server, root)
            admin = admin_setup(root, server)
            for language in ("zh_CN", "en"):
                install_translators(app, language)
                tasks = TaskRunner()
                settings = Settings.from_file(root / f"settings-{language}.ini")
                small = {"inspector": demo, "supervisor": chief, "handler": department}
                if args.only in ("all", "small"):
                    small_screen_views(small, tasks, language, settings, args.out, app)
                if args.only != "small":
                    update_views(demo, tasks, language, settings, args.out, app)
                if args.only != "all":
                    tasks.wait()
                    continue
                window = MainWindow(
                    demo, tasks, load_default_taxonomy(), language, settings, autosync=False
                )
                window.resize(1366, 768)
                window.show()
                save(window, args.out / f"main-{language}.png", app)
                window.tabs.setCurrentIndex(1)
                save(window, args.out / f"tasks-{language}.png", app)
                window.tabs.setCurrentWidget(window.inspections)
                settle(app, 0.5)
                window.inspections.list.setCurrentItem(window.inspections.list.topLevelItem(0))
                save(window, args.out / f"inspection-{language}.png", app)
                window.tabs.setCurrentIndex(0)
                window.open_case(ids[0])
                editor = window._editors[-1]
                editor.resize(1100, 700)
                save(editor, args.out / f"editor-{language}.png", app)
                editor.close()
                window.open_case(None)
                editor = window._editors[-1]
                editor.resize(1100, 700)
                save(editor, args.out / f"editor-new-{language}.png", app)
                editor.close()
                # The grid cell, the 门前三包 unit and the road layer's address proposal.
                window.open_case(draft)
                editor = window._editors[-1]
                editor.resize(1100, 700)
                save(editor, args.out / f"editor-place-{language}.png", app)
                editor.close()
                ledger = LedgerDialog(demo, tasks, ids[0], language, window)
                ledger.show()
                save(ledger, args.out / f"ledger-{language}.png", app)
                ledger.close()
                dialog = SettingsDialog(settings, window)
                dialog.show()
                save(dialog, args.out / f"settings-{language}.png", app)
                dialog.close()
                signin = SignInDialog(demo, tasks, settings, window, language=language)
                signin.show()
                save(signin, args.out / f"sign-in-{language}.png", app)
                signin.close()
                checker_window = MainWindow(
                    checker, tasks, load_default_taxonomy(), language, settings, autosync=False
                )
                checker_window.resize(1366, 768)
                checker_window.show()
                checker_window.tabs.setCurrentIndex(1)
                save(checker_window, args.out / f"reinspection-task-{language}.png", app)
                reinspect = ReinspectionDialog(checker, tasks, language, ids[2], checker_window)
                reinspect.show()
                save(reinspect, args.out / f"reinspection-{language}.png", app)
                reinspect.close()
                checker_window.close()
                supervisor_views(chief, tasks, language, settings, ids, args.out, app)
                handler_views(department, tasks, language, settings, ids, args.out, app)
                admin_views(admin, tasks, language, settings, args.out, app)
                window.close()
                tasks.wait()
                QCoreApplication.processEvents()
            if args.only == "all":
                photo_offline_views(root, server, ids[2], args.out, app)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
