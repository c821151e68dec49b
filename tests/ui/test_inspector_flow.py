"""The inspector's day, end to end, through the real main window against a real server.

Create a case with real photos in the editor, submit, sync; the office returns it; the laptop
learns of it at the next sync and shows it in the Tasks tab; the inspector corrects it and
resubmits; then another inspector receives a re-inspection task and records a pass with an
"after" photo. Every step through widgets, every record checked on the server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from helpers import ApiClient, ServerProcess
from laptops import laptop, sync
from pytestqt.qtbot import QtBot

from app.capture.positions import Fix, FixQuality, PositionSource
from app.domain.lifecycle import CaseStatus
from app.ui.case_editor import CaseEditor
from app.ui.main_window import MainWindow
from app.ui.reinspection import ReinspectionDialog
from app.ui.tasks import TaskRunner


def editor_of(window: MainWindow) -> CaseEditor:
    editors = [e for e in window.findChildren(CaseEditor) if e.isVisible()]
    assert editors
    return editors[-1]


def test_report_return_correct_resubmit_and_reinspect(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess, samples: Path
) -> None:
    photos = sorted((samples / "photos" / "jpg" / "gps").glob("*.jpg"))[:2]
    window = laptop(qtbot, tasks, server, tmp_path / "demo", "demo")
    store = window._store

    # Record a case in the editor: category, description, position, two photos; submit.
    window.new_action.trigger()
    editor = editor_of(window)
    assert editor.picker.choose("01001")
    editor.description.setPlainText("湖南路12号门前供水井盖破损")
    editor.use_fix(
        Fix(32.0655, 118.783, 4.0, None, datetime.now(UTC), FixQuality.GPS, PositionSource.GPS, 3)
    )
    qtbot.waitUntil(lambda: editor.case_id() is not None, timeout=10_000)
    editor.photo_strip.add_paths(photos)
    case_id = editor.case_id()
    assert case_id is not None
    qtbot.waitUntil(lambda: len(store.photos(case_id)) == 2, timeout=30_000)
    editor.submit()
    qtbot.waitUntil(lambda: store.get_case(case_id).status is CaseStatus.SUBMITTED, timeout=10_000)
    editor.close()
    sync(qtbot, window)
    http = ApiClient(server, "supervisor").http
    assert http.get(f"/api/v1/cases/{case_id}").json()["case"]["status"] == "submitted"

    # The office returns it; the next sync brings it to the Tasks tab with the opinion.
    answer = http.post(
        f"/api/v1/cases/{case_id}/actions", json={"action": "return", "opinion": "请补充门牌号"}
    )
    assert answer.status_code == 200, answer.text
    sync(qtbot, window)
    qtbot.waitUntil(lambda: window.tabs.tabText(1) == "Tasks (1)", timeout=10_000)
    window.inbox.open_case.emit(case_id)  # "Correct and resubmit…"
    editor = editor_of(window)
    qtbot.waitUntil(editor.is_loaded, timeout=10_000)
    assert editor.is_editable()
    editor.description.setPlainText("湖南路12号（近地铁站出口）门前供水井盖破损")
    editor.submit()
    qtbot.waitUntil(lambda: store.get_case(case_id).status is CaseStatus.SUBMITTED, timeout=10_000)
    editor.close()
    sync(qtbot, window)
    on_server = http.get(f"/api/v1/cases/{case_id}").json()["case"]
    assert on_server["status"] == "submitted" and "近地铁站出口" in on_server["description"]
    qtbot.waitUntil(lambda: window.tabs.tabText(1) == "Tasks", timeout=10_000)

    # Dispatched, handled, and sent to another inspector for re-inspection.
    checker = laptop(qtbot, tasks, server, tmp_path / "inspector2", "inspector2")
    checker_id = checker._store.account().user_id  # type: ignore[union-attr]
    department = http.get("/api/v1/departments").json()[0]["id"]
    for action, extra in (
        ("accept", {}),
        ("register", {}),
        ("dispatch", {"department_id": department, "deadline": "2030-01-01T00:00:00Z"}),
        ("handle", {"opinion": "已更换井盖"}),
        ("request_reinspection", {"assignee_id": checker_id}),
    ):
        answer = http.post(f"/api/v1/cases/{case_id}/actions", json={"action": action, **extra})
        assert answer.status_code == 200, (action, answer.text)
    sync(qtbot, checker)
    qtbot.waitUntil(lambda: checker.tabs.tabText(1) == "Tasks (1)", timeout=10_000)
    checker.reinspect(case_id)
    dialog = checker.findChild(ReinspectionDialog)
    assert dialog is not None
    dialog.add_files([samples / "photos" / "jpg" / "gps" / "DSCN0040.jpg"])
    qtbot.waitUntil(lambda: len(dialog.pending_paths()) == 1, timeout=10_000)
    dialog.pass_radio.setChecked(True)
    dialog.opinion_edit.setPlainText("井盖已更换，现场恢复正常")
    with qtbot.waitSignal(dialog.recorded, timeout=30_000):
        dialog.submit()
    sync(qtbot, checker)
    detail = http.get(f"/api/v1/cases/{case_id}").json()
    assert detail["case"]["status"] == "reinspection_passed"
    assert detail["steps"][-1]["opinion"] == "井盖已更换，现场恢复正常"
    window.close()
    checker.close()
