"""The closed loop (闭环) end to end: an inspector and a supervisor, each on a laptop of their own
(a main window on a local store), working one case through a real server with pytest-qt.

report (with a photo) → accept → register → dispatch → handle → re-inspection, failed (with an
"after" photo) → rework → handle → re-inspection, passed → close. Every step is taken where a
person would take it: the case editor, the review panel's keyboard, the case list, the case
history's action buttons and decision dialogs, the Tasks tab and the re-inspection dialog, and
the Sync button. At the end the server's step log holds exactly those twelve steps, and both
laptops show the case closed with that history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from helpers import ApiClient, ServerProcess, run_server_cli
from laptops import laptop, report_case, sync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.domain.lifecycle import STATUS_NAMES, Action, CaseStatus
from app.storage.supervision import departments, timeline
from app.ui.main_window import MainWindow
from app.ui.reinspection import ReinspectionDialog
from app.ui.supervisor import CaseDetailDialog
from app.ui.tasks import TaskRunner

GPS_PHOTOS = "photos/jpg/gps"
#: The laptops' window size.
SIZE = (1280, 760)
THE_LOOP = [
    "submit",
    "accept",
    "register",
    "dispatch",
    "handle",
    "request_reinspection",
    "reinspect_fail",
    "rework",
    "handle",
    "request_reinspection",
    "reinspect_pass",
    "close",
]


def activate(qtbot: QtBot, widget: QWidget) -> None:
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=5_000)


def status_name(status: CaseStatus) -> str:
    return STATUS_NAMES[status].text("en")


def decide(
    qtbot: QtBot,
    detail: CaseDetailDialog,
    action: Action,
    then: CaseStatus,
    *,
    opinion: str = "",
    department: str | None = None,
    assignee: str | None = None,
) -> Decided:
    """Click the action's button in the case history, fill the dialog, click OK; what the
    dialog showed is returned (the dialog is gone once the decision is taken)."""
    qtbot.waitUntil(lambda: action in detail.action_buttons, timeout=10_000)
    detail.action_buttons[action].click()
    dialog = detail.decision
    assert dialog is not None and dialog.action is action
    qtbot.waitUntil(dialog.is_loaded, timeout=10_000)
    if department is not None:
        dialog.department_combo.setCurrentIndex(dialog.department_combo.findData(department))
    proposed_assignee = dialog.assignee_id()
    if assignee is not None:
        dialog.assignee_combo.setCurrentIndex(dialog.assignee_combo.findData(assignee))
    if opinion:
        dialog.opinion_edit.setPlainText(opinion)
    assert dialog.ok_button.isEnabled(), dialog.missing()
    shown = Decided(dialog.deadline(), proposed_assignee, dialog.department_info.text())
    with qtbot.waitSignal(dialog.decided, timeout=10_000):
        dialog.ok_button.click()
    qtbot.waitUntil(lambda: detail.status_label.text() == status_name(then), timeout=10_000)
    return shown


@dataclass(frozen=True)
class Decided:
    """What a decision dialog showed before OK."""

    deadline: datetime | None
    #: The inspector the dialog proposed for a re-inspection.
    proposed_assignee: str | None
    department_info: str


def reinspect(
    qtbot: QtBot, window: MainWindow, case_id: str, *, passed: bool, opinion: str, photo: Path
) -> None:
    """In the Tasks tab: select the re-inspection, "Re-inspect…", add a photo, the result."""
    window.tabs.setCurrentWidget(window.inbox)
    inbox = window.inbox
    qtbot.waitUntil(lambda: window.tabs.tabText(1) == "Tasks (1)", timeout=10_000)
    [row] = [n for n, item in enumerate(inbox.model.items) if item.case_id == case_id]
    inbox.view.setCurrentIndex(inbox.model.index(row))
    assert inbox.reinspect_button.isEnabled()
    inbox.reinspect_button.click()
    [dialog] = [d for d in window.findChildren(ReinspectionDialog) if d.isVisible()]
    assert dialog.case_id == case_id
    qtbot.waitUntil(lambda: dialog.before_list.count() == 1, timeout=10_000)
    dialog.add_files([photo])
    qtbot.waitUntil(lambda: len(dialog.pending_paths()) == 1, timeout=10_000)
    (dialog.pass_radio if passed else dialog.fail_radio).setChecked(True)
    dialog.opinion_edit.setPlainText(opinion)
    with qtbot.waitSignal(dialog.recorded, timeout=30_000):
        dialog.submit_button.click()
    assert not dialog.isVisible()


@pytest.mark.parametrize(
    "reinspector",
    [
        pytest.param("demo", id="reinspected-by-the-reporter"),
        pytest.param("inspector2", id="reinspected-by-another-inspector"),
    ],
)
def test_the_closed_loop_through_the_widgets_of_two_laptops(
    qtbot: QtBot,
    tmp_path: Path,
    tasks: TaskRunner,
    server: ServerProcess,
    samples: Path,
    *,
    reinspector: str,
) -> None:
    run_server_cli(server, "time-limit", "add", "3", "working_days")
    photos = sorted((samples / GPS_PHOTOS).glob("*.jpg"))
    inspector = laptop(qtbot, tasks, server, tmp_path / "inspector", "demo", size=SIZE)
    office = laptop(qtbot, tasks, server, tmp_path / "office", "supervisor", size=SIZE)
    qtbot.waitUntil(lambda: office.review is not None, timeout=10_000)
    review = office.review
    assert review is not None and office.tabs.currentWidget() is review
    assert inspector.review is None and inspector.deadlines is None  # an inspector's laptop
    checker = (
        inspector
        if reinspector == "demo"
        else laptop(qtbot, tasks, server, tmp_path / reinspector, reinspector, size=SIZE)
    )
    checker_account = checker._store.account()
    assert checker_account is not None

    # The inspector reports a case with a photo, in the editor, and syncs.
    case_id = report_case(
        qtbot, inspector, photos[0], "06010", "中山路与人民路交叉口暴露垃圾，堆积约两立方米"
    )
    sync(qtbot, inspector)

    # The supervisor syncs: the case is in the review queue with its photo; A accepts it.
    sync(qtbot, office)
    qtbot.waitUntil(lambda: review.select_case(case_id), timeout=10_000)
    qtbot.waitUntil(lambda: review.details.photo_list.count() == 1, timeout=10_000)
    assert review.details.inspector_label.text() == "演示监督员"
    activate(qtbot, office)
    review.view.setFocus()
    with qtbot.waitSignal(review.decided, timeout=10_000):
        QTest.keyClick(review.view, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: not any(i.case_id == case_id for i in review.items), timeout=10_000)

    # From the case list, a double-click opens the case's history with the actions.
    office.tabs.setCurrentWidget(office.stack)
    model = office.model

    def row_of_case() -> int | None:
        for row in range(model.rowCount()):
            case = model.case_at(row)
            if case is not None and case.id == case_id:
                return row
        return None

    qtbot.waitUntil(lambda: row_of_case() is not None, timeout=10_000)
    index = model.index(row_of_case() or 0, 1)
    office.table.scrollTo(index)
    where = office.table.visualRect(index).center()
    viewport = office.table.viewport()
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    QTest.mouseDClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    qtbot.waitUntil(lambda: bool(office.case_details), timeout=10_000)
    detail = office.case_details[-1]
    assert detail.case_id == case_id
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=10_000)
    assert detail.status_label.text() == "Accepted"
    sanitation = next(d.id for d in departments(office._store) if d.code == "HWC")

    decide(qtbot, detail, Action.REGISTER, CaseStatus.REGISTERED)
    dispatch = decide(
        qtbot,
        detail,
        Action.DISPATCH,
        CaseStatus.DISPATCHED,
        department=sanitation,
        opinion="请三个工作日内清运",
    )
    proposed = dispatch.deadline
    assert proposed is not None  # the time-limit rule's proposal, kept
    decide(qtbot, detail, Action.HANDLE, CaseStatus.HANDLED, opinion="环卫处反馈：已清运")
    checking = decide(
        qtbot,
        detail,
        Action.REQUEST_REINSPECTION,
        CaseStatus.REINSPECTING,
        assignee=checker_account.user_id,
    )
    author = office._store.get_case(case_id).author_id
    assert checking.proposed_assignee == author  # the reporting inspector, proposed
    assert [r[2] for r in _rows(detail)][-5:] == ["Waiting to be sent"] * 5
    sync(qtbot, office)
    qtbot.waitUntil(lambda: {r[2] for r in _rows(detail)} == {"Confirmed"}, timeout=10_000)

    # The inspector finds the re-inspection in the Tasks tab: still dirty, with a photo.
    sync(qtbot, checker)
    reinspect(
        qtbot,
        checker,
        case_id,
        passed=False,
        opinion="垃圾仍有残留，未清理干净",
        photo=photos[1],
    )
    sync(qtbot, checker)

    # The supervisor sees the failure and the "after" photo, and sends it back for rework.
    sync(qtbot, office)
    qtbot.waitUntil(
        lambda: detail.status_label.text() == status_name(CaseStatus.REINSPECTION_FAILED),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: detail.after_list.count() == 1, timeout=10_000)
    rework = decide(
        qtbot,
        detail,
        Action.REWORK,
        CaseStatus.DISPATCHED,
        opinion="请彻底清理残留垃圾",
    )
    assert rework.department_info.startswith("Environmental sanitation office")
    assert rework.deadline is not None
    decide(qtbot, detail, Action.HANDLE, CaseStatus.HANDLED, opinion="环卫处反馈：已彻底清理")
    decide(
        qtbot,
        detail,
        Action.REQUEST_REINSPECTION,
        CaseStatus.REINSPECTING,
        assignee=checker_account.user_id,
    )
    sync(qtbot, office)

    # The inspector passes it; the supervisor closes it.
    sync(qtbot, checker)
    reinspect(qtbot, checker, case_id, passed=True, opinion="现场已清理干净", photo=photos[2])
    sync(qtbot, checker)
    sync(qtbot, office)
    qtbot.waitUntil(
        lambda: detail.status_label.text() == status_name(CaseStatus.REINSPECTION_PASSED),
        timeout=10_000,
    )
    decide(qtbot, detail, Action.CLOSE, CaseStatus.CLOSED)
    sync(qtbot, office)
    for window in {inspector, checker}:
        sync(qtbot, window)

    # The server's log: exactly the loop.
    with ApiClient(server, "supervisor").http as http:
        on_server = http.get(f"/api/v1/cases/{case_id}").json()
    assert on_server["case"]["status"] == "closed"
    assert [s["action"] for s in on_server["steps"]] == THE_LOOP
    opinions = {s["action"]: s["opinion"] for s in on_server["steps"]}
    assert opinions["reinspect_fail"] == "垃圾仍有残留，未清理干净"
    assert opinions["rework"] == "请彻底清理残留垃圾"
    assert datetime.fromisoformat(on_server["steps"][3]["deadline"]) == proposed

    # The office's and the reporter's laptops: closed, with that history, all confirmed.
    for window in (office, inspector):
        store = window._store
        history = timeline(store, case_id)
        # The reporter learns of the re-inspections too, whoever did them.
        assert [e.action for e in history] == THE_LOOP, window.account_label.text()
        assert store.get_case(case_id).status is CaseStatus.CLOSED
        assert {e.state for e in history} == {"confirmed"}
    if checker is not inspector:
        # The other inspector's laptop holds its two results, confirmed by the server.
        mine = [e for e in timeline(checker._store, case_id) if e.action.startswith("reinspect_")]
        assert [(e.action, e.state) for e in mine] == [
            ("reinspect_fail", "confirmed"),
            ("reinspect_pass", "confirmed"),
        ]
        # … and follows the case to its closure.
        assert checker._store.get_case(case_id).status is CaseStatus.CLOSED
    qtbot.waitUntil(lambda: [r[0] for r in _rows(detail)][-1] == "Close", timeout=10_000)
    assert len(_rows(detail)) == len(THE_LOOP)
    assert detail.status_label.text() == "Closed"
    assert detail.before_list.count() == 1 and detail.after_list.count() == 2
    assert set(detail.action_buttons) == {Action.EVALUATE}
    detail.close()
    for window in {office, inspector, checker}:
        window.close()


def _rows(detail: CaseDetailDialog) -> list[tuple[str, str, str]]:
    out = []
    for n in range(detail.timeline.topLevelItemCount()):
        item = detail.timeline.topLevelItem(n)
        assert item is not None
        out.append((item.text(1), item.text(3), item.text(6)))
    return out
