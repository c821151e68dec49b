"""Render each main screen of the app, in Chinese and English, into PNG files.

    .venv/bin/python scripts/screenshots.py [--out DIR]     (default: ./screenshots, not committed)

A real demo server (SQLite, demo accounts) and a real store are set up in a temporary folder: a
few cases with real photos from ../shared/samples (when present), synced, one returned by the
supervisor with an opinion and one sent to the inspector for re-inspection. Then, for each
language, the main window (cases and tasks tabs), the case editor, the re-inspection dialog,
the delivery ledger, the settings and the sign-in dialog, and the supervisor's review,
deadlines and dashboard tabs, a case's history, a decision, the export and bulletin dialogs
are rendered at 1366×768 with
``QWidget.grab()``. Runs on Qt's offscreen platform (or Xvfb when ``DISPLAY`` is set) — the
CJK font must be installed (scripts/setup.sh does it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
SAMPLES = ROOT.parent / "shared" / "samples" / "photos" / "jpg" / "gps"

import httpx  # noqa: E402
from helpers import ServerProcess, run_server_cli  # noqa: E402
from PySide6.QtCore import QCoreApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.domain import CaseFields, load_default_taxonomy  # noqa: E402
from app.domain.validation import Urgency  # noqa: E402
from app.storage import LocalStore  # noqa: E402
from app.sync.engine import SyncEngine  # noqa: E402
from app.sync.session import sign_in  # noqa: E402
from app.ui.i18n import install_translators  # noqa: E402
from app.ui.ledger_dialog import LedgerDialog  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
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
)


def settle(app: QApplication, seconds: float = 1.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, path: Path, app: QApplication) -> None:
    settle(app, 1.2)
    widget.grab().save(str(path))
    print(path)


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
        if i < 4:
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
    department = office.get("/api/v1/departments").json()[0]["id"]
    checker = LocalStore(root / "inspector2")
    account, _ = sign_in(checker, server.url, "inspector2", "inspector2")
    for action, extra in (
        ("accept", {}),
        ("register", {}),
        ("dispatch", {"department_id": department, "deadline": "2030-01-01T00:00:00Z"}),
        ("handle", {"opinion": "已更换井盖"}),
        ("request_reinspection", {"assignee_id": account.user_id}),
    ):
        office.post(f"/api/v1/cases/{ids[2]}/actions", json={"action": action, **extra})
    SyncEngine(demo).run()
    SyncEngine(checker).run()
    inspections(root, server, demo, photos)
    chief = LocalStore(root / "supervisor")
    sign_in(chief, server.url, "supervisor", "supervisor")
    SyncEngine(chief).run()
    return demo, checker, chief, ids


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication([])
    with tempfile.TemporaryDirectory(prefix="screens-") as tmp:
        root = Path(tmp)
        server = ServerProcess(root / "server", "--demo")
        try:
            demo, checker, chief, ids = prepare(root, server)
            for language in ("zh_CN", "en"):
                install_translators(app, language)
                tasks = TaskRunner()
                settings = Settings.from_file(root / f"settings-{language}.ini")
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
                window.close()
                tasks.wait()
                QCoreApplication.processEvents()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
