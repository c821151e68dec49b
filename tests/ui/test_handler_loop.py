"""The closed loop with the department in it (issue 15), end to end through the widgets of
three laptops — an inspector's, the office's and the department's — against a real server, once
on SQLite and once on PostgreSQL.

report → accept → register → dispatch → the department signs for it → asks for an extension →
the office approves → the department reports it handled with a photo → re-inspection, passed
(the inspector sees the department's photo beside the report's) → close. At the end the
server's step log holds exactly those steps: no supervisor acted for the department.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import ApiClient, ServerProcess, run_server_cli
from laptops import laptop, report_case, sync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_closed_loop import GPS_PHOTOS, SIZE, decide, status_name

from app.domain.lifecycle import Action, CaseStatus, RequestKind
from app.storage.handling import handling_report
from app.storage.supervision import departments, timeline
from app.ui.handler import HandledDialog
from app.ui.reinspection import ReinspectionDialog
from app.ui.supervisor import DecisionDialog
from app.ui.tasks import TaskRunner

THE_LOOP = [
    "submit",
    "accept",
    "register",
    "dispatch",
    "sign_for",
    "request_extension",
    "approve_extension",
    "handle",
    "request_reinspection",
    "reinspect_pass",
    "close",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    extra = ["--demo"]
    if request.param == "postgresql":
        extra += ["--database-url", request.getfixturevalue("postgres").create_database()]
    process = ServerProcess(tmp_path / "server", *extra)
    yield process
    process.stop()


def fill_and_ok(qtbot: QtBot, dialog: DecisionDialog, opinion: str = "") -> datetime | None:
    """Fill a decision dialog's opinion, click OK; the deadline it had."""
    qtbot.waitUntil(dialog.is_loaded, timeout=10_000)
    if opinion:
        dialog.opinion_edit.setPlainText(opinion)
    assert dialog.ok_button.isEnabled(), dialog.missing()
    deadline = dialog.deadline()
    with qtbot.waitSignal(dialog.decided, timeout=10_000):
        dialog.ok_button.click()
    return deadline


def test_the_loop_through_the_department_on_three_laptops(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess, samples: Path
) -> None:
    run_server_cli(
        server, "--database-url", server.database_url, "time-limit", "add", "3", "working_days"
    )
    photos = sorted((samples / GPS_PHOTOS).glob("*.jpg"))
    inspector = laptop(qtbot, tasks, server, tmp_path / "inspector", "demo", size=SIZE)
    office = laptop(qtbot, tasks, server, tmp_path / "office", "supervisor", size=SIZE)
    department = laptop(qtbot, tasks, server, tmp_path / "department", "handler", size=SIZE)
    qtbot.waitUntil(lambda: department.handler is not None, timeout=10_000)
    panel = department.handler
    assert panel is not None and department.tabs.currentWidget() is panel
    assert department.review is None and office.handler is None and inspector.handler is None
    qtbot.waitUntil(lambda: office.requests is not None, timeout=10_000)
    requests = office.requests
    assert requests is not None

    case_id = report_case(qtbot, inspector, photos[0], "01001", "解放路 12 号门前供水井盖破损")
    sync(qtbot, inspector)

    # The office accepts, registers and dispatches it to the sanitation office (环卫).
    sync(qtbot, office)
    detail = office.open_case_detail(case_id)
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=10_000)
    sanitation = next(d.id for d in departments(office._store) if d.code == "HWC")
    decide(qtbot, detail, Action.ACCEPT, CaseStatus.ACCEPTED)
    decide(qtbot, detail, Action.REGISTER, CaseStatus.REGISTERED)
    dispatched = decide(
        qtbot, detail, Action.DISPATCH, CaseStatus.DISPATCHED, department=sanitation
    ).deadline
    assert dispatched is not None
    sync(qtbot, office)

    # The department finds the task, signs for it and asks for two more days.
    sync(qtbot, department)
    qtbot.waitUntil(lambda: panel.select_case(case_id), timeout=10_000)
    assert panel.sign_button.isEnabled() and not panel.handled_button.isEnabled()
    assert department.tabs.tabText(department.tabs.indexOf(panel)) == (
        "Department tasks (1 to sign for)"
    )
    panel.sign_button.click()
    qtbot.waitUntil(lambda: (t := panel.current_task()) is not None and t.signed, timeout=10_000)
    assert panel.handled_button.isEnabled()
    extension = panel.request_buttons[Action.REQUEST_EXTENSION]
    assert extension.isEnabled()
    extension.click()
    dialog = panel.dialog
    assert isinstance(dialog, DecisionDialog) and dialog.action is Action.REQUEST_EXTENSION
    qtbot.waitUntil(dialog.is_loaded, timeout=10_000)
    assert dialog.ok_button.isEnabled() is False  # a reason is required
    proposed = fill_and_ok(qtbot, dialog, "井盖需定制，申请延期两天")
    assert proposed is not None and proposed > dispatched
    qtbot.waitUntil(
        lambda: (t := panel.current_task()) is not None and t.request is RequestKind.EXTENSION,
        timeout=10_000,
    )
    assert not extension.isEnabled()  # one request at a time
    sync(qtbot, department)

    # The office sees the request in its queue and approves it.
    sync(qtbot, office)
    qtbot.waitUntil(lambda: requests.select_case(case_id), timeout=10_000)
    assert office.tabs.tabText(office.tabs.indexOf(requests)) == "Requests (1)"
    [waiting] = [i for i in requests.items if i.case_id == case_id]
    assert waiting.reason == "井盖需定制，申请延期两天"
    requests.approve_button.click()
    answer = requests.decision
    assert answer is not None and answer.action is Action.APPROVE_EXTENSION
    fill_and_ok(qtbot, answer)
    qtbot.waitUntil(lambda: not requests.items, timeout=10_000)
    sync(qtbot, office)

    # The department hears the answer at its next sync, then reports it handled with a photo.
    sync(qtbot, department)
    qtbot.waitUntil(
        lambda: (
            (t := panel.current_task()) is not None
            and t.request is None
            and t.deadline is not None
            and abs((t.deadline - proposed).total_seconds()) < 1
        ),
        timeout=10_000,
    )
    panel.handled_button.click()
    handled = panel.dialog
    assert isinstance(handled, HandledDialog)
    handled.opinion_edit.setPlainText("已更换新井盖")
    assert not handled.ok_button.isEnabled()  # the photo is required
    handled.add_files([photos[1]])
    qtbot.waitUntil(handled.ok_button.isEnabled, timeout=10_000)
    with qtbot.waitSignal(handled.recorded, timeout=30_000):
        handled.ok_button.click()
    qtbot.waitUntil(lambda: panel.current_task() is None, timeout=10_000)
    sync(qtbot, department)

    # The office asks the reporter to re-inspect; the reporter sees the department's photo.
    sync(qtbot, office)
    qtbot.waitUntil(
        lambda: detail.status_label.text() == status_name(CaseStatus.HANDLED), timeout=10_000
    )
    account = inspector._store.account()
    assert account is not None
    decide(
        qtbot,
        detail,
        Action.REQUEST_REINSPECTION,
        CaseStatus.REINSPECTING,
        assignee=account.user_id,
    )
    sync(qtbot, office)
    sync(qtbot, inspector)
    inspector.tabs.setCurrentWidget(inspector.inbox)
    inbox = inspector.inbox
    qtbot.waitUntil(lambda: any(i.case_id == case_id for i in inbox.model.items), timeout=10_000)
    [row] = [n for n, item in enumerate(inbox.model.items) if item.case_id == case_id]
    inbox.view.setCurrentIndex(inbox.model.index(row))
    inbox.reinspect_button.click()
    [check] = [d for d in inspector.findChildren(ReinspectionDialog) if d.isVisible()]
    qtbot.waitUntil(lambda: check.before_list.count() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: check.department_list.count() == 1, timeout=10_000)
    assert check.after_list.count() == 0
    # Beside the department's photo: its report of handling (opinion, who, when), from the task.
    report = handling_report(inspector._store, case_id)
    assert report is not None and report.opinion == "已更换新井盖"
    assert report.handler and report.photos == tuple(check._department_photos)
    shown = check.handling_label.text()
    assert "已更换新井盖" in shown and report.handler in shown
    assert shown.startswith("Reported handled by")
    # The department's photo opens full size (the original: the case is open, so it came).
    viewer = check.open_viewer(check.department_list, check.department_list.item(0))
    assert viewer is not None
    qtbot.waitUntil(lambda: viewer.image is not None, timeout=10_000)
    assert not viewer.showing_thumbnail and viewer.current_photo().id in report.photos
    viewer.close()
    check.add_files([photos[2]])
    qtbot.waitUntil(lambda: len(check.pending_paths()) == 1, timeout=10_000)
    check.pass_radio.setChecked(True)
    check.opinion_edit.setPlainText("井盖已更换，现场正常")
    with qtbot.waitSignal(check.recorded, timeout=30_000):
        check.submit_button.click()
    sync(qtbot, inspector)

    # The office closes it.
    sync(qtbot, office)
    qtbot.waitUntil(
        lambda: detail.status_label.text() == status_name(CaseStatus.REINSPECTION_PASSED),
        timeout=10_000,
    )
    decide(qtbot, detail, Action.CLOSE, CaseStatus.CLOSED)
    sync(qtbot, office)
    sync(qtbot, department)

    with ApiClient(server, "supervisor").http as http:
        on_server = http.get(f"/api/v1/cases/{case_id}").json()
    assert on_server["case"]["status"] == "closed"
    assert [s["action"] for s in on_server["steps"]] == THE_LOOP
    roles = {s["action"]: s["role"] for s in on_server["steps"]}
    assert {roles[a] for a in ("sign_for", "request_extension", "handle")} == {"handler"}
    assert roles["approve_extension"] == "supervisor"
    [handle] = [s for s in on_server["steps"] if s["action"] == "handle"]
    assert len(handle["attachments"]) == 1
    assert report.at == datetime.fromisoformat(handle["at"])
    handler = department._store.account()
    assert handler is not None and handle["actor_id"] == handler.user_id
    assert report.handler in (handler.display_name, handler.username)
    # The department's laptop holds the case's whole history, to the closure, confirmed.
    history = timeline(department._store, case_id)
    assert [e.action for e in history] == THE_LOOP
    assert {e.state for e in history} == {"confirmed"}
    assert department._store.get_case(case_id).status is CaseStatus.CLOSED
    assert timedelta(0) < proposed - dispatched
    for window in (inspector, office, department):
        window.close()
    QApplication.processEvents()
