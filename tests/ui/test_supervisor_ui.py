"""The supervisor's workspace driven with pytest-qt: real widgets on real stores synced with a
real server (``--demo`` accounts: demo and inspector2 inspect, supervisor decides).

The review queue is worked with the keyboard (J/K, A, R, T) and in bulk; the decision dialog
shows only the fields of its action and the state machine's refusal next to the field; a dispatch
gets the deadline the time-limit rules propose; the case history lists the server's steps, then
the decisions waiting to be sent or refused; the traffic light turns yellow near the deadline
(the widgets take a clock, so "near the deadline" needs no waiting). Screenshots of every
widget in both languages are saved to /tmp/sup-*.png for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import ApiClient, ServerProcess, run_server_cli
from laptops import signed_in
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QTreeWidgetItem, QWidget
from pytestqt.qtbot import QtBot

from app.domain import CaseFields, load_default_taxonomy
from app.domain.deadlines import WORKING_DAYS, TrafficLight, WorkingCalendar, add_time
from app.domain.lifecycle import (
    Action,
    CaseStatus,
    Need,
    needs,
)
from app.domain.validation import Urgency
from app.storage import LocalStore, reports
from app.storage.store import Changes
from app.storage.supervision import departments, inspectors, record_decision, timeline
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions
from app.ui.common.style import ERROR_COLOUR
from app.ui.common.text import local_time
from app.ui.events import StoreEvents
from app.ui.i18n import install_translators
from app.ui.main_window import MainWindow
from app.ui.settings import Settings
from app.ui.supervisor import (
    ITEM_ROLE,
    LIGHT_COLOURS,
    AssignmentsPanel,
    CaseDetailDialog,
    DecisionDialog,
    ReviewPanel,
)
from app.ui.tasks import TaskRunner

FAST = SyncOptions(backoff=Backoff(base_s=0.01, cap_s=0.05))
GPS_PHOTOS = "photos/jpg/gps"
SHOTS = Path("/tmp")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own for each test: what one test reports is not in another's queue."""
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def english(qapp: QApplication) -> None:
    """English with its plural forms, whatever an earlier test left installed."""
    install_translators(qapp, "en")


def synced(store: LocalStore) -> None:
    report = SyncEngine(store, FAST).run()
    assert report.ok, report.lines("en")


def report(store: LocalStore, description: str, code: str = "06010", **fields: object) -> str:
    values: dict[str, object] = {
        "category_code": code,
        "description": description,
        "address": "鼓楼区中山路 100 号",
        "urgency": Urgency.NORMAL,
        "lat": 32.0603,
        "lon": 118.7969,
        "accuracy_m": 5.0,
        **fields,
    }
    case_id = store.create_case(CaseFields(**values)).id  # type: ignore[arg-type]
    store.submit_case(case_id)
    return case_id


def department(store: LocalStore, code: str) -> str:
    return next(d.id for d in departments(store) if d.code == code)


def activate(qtbot: QtBot, widget: QWidget) -> None:
    """Shortcuts go to the active window only."""
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=5_000)


def review_panel(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> ReviewPanel:
    panel = ReviewPanel(store, tasks, "en")
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    activate(qtbot, panel)
    return panel


def current_id(panel: ReviewPanel) -> str | None:
    item = panel.current_item()
    return item.case_id if item is not None else None


def actions_on_server(server: ServerProcess, case_id: str) -> list[tuple[str, str]]:
    with ApiClient(server, "supervisor").http as http:
        steps = http.get(f"/api/v1/cases/{case_id}").json()["steps"]
    return [(s["action"], s["opinion"]) for s in steps]


# -- the review queue --------------------------------------------------------------------------


def test_a_decision_in_the_review_panel_is_announced_once_and_every_view_follows(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess
) -> None:
    """The panel's write goes through Operations.write: its Changes reach the store's events
    once, and the queue and an open case history read themselves again from that alone."""
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    ids = [report(inspector, f"暴露垃圾 第{n}处") for n in range(2)]
    synced(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    synced(office)
    panel = review_panel(qtbot, office, tasks)
    qtbot.waitUntil(lambda: len(panel.items) == 2, timeout=10_000)
    history = CaseDetailDialog(office, tasks, "en", ids[1])
    qtbot.addWidget(history)
    qtbot.waitUntil(lambda: history.detail is not None, timeout=10_000)
    announced: list[Changes] = []
    StoreEvents.of(office).changed.connect(announced.append)

    assert current_id(panel) == ids[1]
    with (
        qtbot.waitSignal(history.loaded, timeout=10_000),
        qtbot.waitSignal(panel.decided, timeout=10_000),
    ):
        panel.accept_current()
    assert len(announced) == 1
    assert announced[0].cases == {ids[1]} and announced[0].steps
    qtbot.waitUntil(lambda: [i.case_id for i in panel.items] == [ids[0]], timeout=10_000)
    assert history.status_label.text() == "Accepted"
    qtbot.wait(200)
    assert len(announced) == 1


def test_the_keyboard_moves_accepts_rejects_and_returns_and_selects_the_next_case(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess, samples: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    ids = [report(inspector, f"暴露垃圾 第{n}处", lat=32.06 + n * 0.01) for n in range(4)]
    inspector.attach_photos(ids[3], sorted((samples / GPS_PHOTOS).glob("*.jpg"))[:2])
    synced(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    synced(office)

    panel = review_panel(qtbot, office, tasks)
    qtbot.waitUntil(lambda: len(panel.items) == 4, timeout=10_000)
    newest_first = list(reversed(ids))
    assert [i.case_id for i in panel.items] == newest_first
    assert panel.summary_label.text() == "4 cases waiting for review"
    assert current_id(panel) == ids[3]
    # The details of the selected case, with its photos (downloaded by the sync).
    assert panel.details.heading.text() == "06010 Exposed garbage"
    assert panel.details.description_label.text() == "暴露垃圾 第3处"
    assert panel.details.inspector_label.text() == "演示监督员"
    assert "±5 m" in panel.details.position_label.text()
    qtbot.waitUntil(lambda: panel.details.photo_list.count() == 2, timeout=10_000)
    viewer = panel.details.photo_list.open_viewer(0)
    assert viewer is not None
    qtbot.waitUntil(lambda: viewer.image is not None, timeout=10_000)
    viewer.close()

    activate(qtbot, panel)
    panel.view.setFocus()
    QTest.keyClick(panel.view, Qt.Key.Key_J)
    assert current_id(panel) == ids[2]
    QTest.keyClick(panel.view, Qt.Key.Key_J)
    assert current_id(panel) == ids[1]
    QTest.keyClick(panel.view, Qt.Key.Key_K)
    QTest.keyClick(panel.view, Qt.Key.Key_K)
    assert current_id(panel) == ids[3]
    QTest.keyClick(panel.view, Qt.Key.Key_Down)
    assert current_id(panel) == ids[2]
    QTest.keyClick(panel.view, Qt.Key.Key_Up)
    assert current_id(panel) == ids[3]

    # A accepts the selected case; the next one is selected.
    with qtbot.waitSignal(panel.decided, timeout=10_000):
        QTest.keyClick(panel.view, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: len(panel.items) == 3 and current_id(panel) == ids[2], timeout=10_000)
    assert office.get_case(ids[3]).status is CaseStatus.ACCEPTED
    assert "Accept" in panel.message_label.text()

    # R asks for the reason under the details; it cannot be confirmed empty.
    QTest.keyClick(panel.view, Qt.Key.Key_R)
    assert panel.opinion_box.isVisible()
    assert panel.opinion_edit.hasFocus()
    assert not panel.opinion_confirm.isEnabled()
    QTest.keyClick(panel.opinion_edit, Qt.Key.Key_A)  # typed into the field: no accept
    assert panel.opinion_edit.toPlainText() == "a"
    assert office.get_case(ids[2]).status is CaseStatus.SUBMITTED
    panel.opinion_edit.setPlainText("不属实，现场无垃圾")
    assert panel.opinion_confirm.isEnabled()
    # A sync reloads the queue meanwhile: what is being typed stays.
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.refresh()
    assert panel.opinion_box.isVisible()
    assert panel.opinion_edit.toPlainText() == "不属实，现场无垃圾"
    assert current_id(panel) == ids[2]
    with qtbot.waitSignal(panel.decided, timeout=10_000):
        QTest.keyClick(panel.opinion_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(panel.items) == 2 and current_id(panel) == ids[1], timeout=10_000)
    assert not panel.opinion_box.isVisible()
    assert office.get_case(ids[2]).status is CaseStatus.REJECTED

    # T returns for correction; Esc first cancels without deciding.
    panel.view.setFocus()
    QTest.keyClick(panel.view, Qt.Key.Key_T)
    assert panel.opinion_box.isVisible()
    QTest.keyClick(panel.opinion_edit, Qt.Key.Key_Escape)
    assert not panel.opinion_box.isVisible()
    assert office.get_case(ids[1]).status is CaseStatus.SUBMITTED
    QTest.keyClick(panel.view, Qt.Key.Key_T)
    panel.opinion_edit.setPlainText("请补充门牌号")
    with qtbot.waitSignal(panel.decided, timeout=10_000):
        panel.opinion_confirm.click()
    qtbot.waitUntil(lambda: len(panel.items) == 1 and current_id(panel) == ids[0], timeout=10_000)
    assert office.get_case(ids[1]).status is CaseStatus.RETURNED

    # The decisions wait in the outbox, then reach the server in the order taken.
    pending = [e for i in ids[1:] for e in timeline(office, i) if e.state == "pending"]
    assert [(e.action, e.opinion) for e in pending] == [
        ("return", "请补充门牌号"),
        ("reject", "不属实，现场无垃圾"),
        ("accept", ""),
    ]
    synced(office)
    assert actions_on_server(server, ids[3])[-1] == ("accept", "")
    assert actions_on_server(server, ids[2])[-1] == ("reject", "不属实，现场无垃圾")
    assert actions_on_server(server, ids[1])[-1] == ("return", "请补充门牌号")
    assert actions_on_server(server, ids[0]) == [("submit", "")]


def test_bulk_accept_takes_the_selection_and_names_the_cases_it_could_not_accept(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    ids = [report(inspector, f"占道经营 {n}", code="09006") for n in range(3)]
    synced(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    synced(office)
    panel = review_panel(qtbot, office, tasks)
    qtbot.waitUntil(lambda: len(panel.items) == 3, timeout=10_000)
    # Possible duplicates: the two others, at the same place, same category.
    qtbot.waitUntil(lambda: panel.details.nearby_list.count() == 2, timeout=10_000)
    assert panel.details.nearby_title.text() == "Possible duplicates nearby (2)"
    assert "0 m" in panel.details.nearby_list.item(0).text()
    with qtbot.waitSignal(panel.open_case, timeout=5_000) as opened:
        panel.details.nearby_list.itemActivated.emit(panel.details.nearby_list.item(0))
    assert opened.args[0] in ids[:2]

    panel.view.selectAll()
    assert panel.bulk_button.text() == "Accept &selected (3)"
    # Meanwhile another decision on the oldest case (the panel still lists it).
    record_decision(office, ids[0], Action.REJECT, opinion="重复上报")

    with qtbot.waitSignal(panel.decided, timeout=10_000) as decided:
        panel.bulk_button.click()
    assert decided.args[0].cases == frozenset(ids[1:])
    qtbot.waitUntil(lambda: not panel.items, timeout=10_000)
    assert panel.list_stack.currentWidget() is panel.empty_label
    assert panel.message_label.text() == "Accepted 2 cases."
    assert panel.error_label.isVisible()
    assert "Cannot accept: the case is rejected" in panel.error_label.text()
    assert "09006 Street vending" in panel.error_label.text()
    assert [office.get_case(i).status for i in ids] == [
        CaseStatus.REJECTED,
        CaseStatus.ACCEPTED,
        CaseStatus.ACCEPTED,
    ]


# -- the decision dialog -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "shown", "opinion_title"),
    [
        (Action.DISPATCH, {"department", "deadline"}, "&Opinion (optional):"),
        (Action.EXTEND, {"deadline"}, "&Opinion (required):"),
        (Action.REWORK, {"deadline", "department_info"}, "&Opinion (required):"),
        (Action.HANDLE, set(), "&Opinion (required):"),
        (Action.REQUEST_REINSPECTION, {"assignee"}, "&Opinion (optional):"),
        (Action.CLOSE, set(), "&Opinion (optional):"),
    ],
)
def test_the_decision_dialog_shows_only_the_fields_its_action_needs(
    qtbot: QtBot,
    store: LocalStore,
    tasks: TaskRunner,
    *,
    action: Action,
    shown: set[str],
    opinion_title: str,
) -> None:
    case_id = store.create_case(CaseFields(category_code="01037", description="路灯不亮")).id
    dialog = DecisionDialog(store, tasks, "en", case_id, action)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    fields = {
        "department": dialog.department_combo,
        "department_info": dialog.department_info,
        "deadline": dialog.deadline_edit,
        "assignee": dialog.assignee_combo,
    }
    assert {name for name, widget in fields.items() if widget.isVisibleTo(dialog)} == shown
    assert dialog.opinion_edit.isVisibleTo(dialog)
    box = dialog.opinion_edit.parentWidget()
    assert box is not None
    label = dialog.form.labelForField(box)
    assert isinstance(label, QLabel) and label.text() == opinion_title
    assert (
        dialog.ok_button.text()
        == dict(
            [
                (Action.DISPATCH, "Dispatch"),
                (Action.EXTEND, "Extend the deadline"),
                (Action.REWORK, "Send back for rework"),
                (Action.HANDLE, "Report as handled"),
                (Action.REQUEST_REINSPECTION, "Request re-inspection"),
                (Action.CLOSE, "Close"),
            ]
        )[action]
    )
    # Nothing required may be left empty: OK waits for every required field.
    assert dialog.ok_button.isEnabled() == (not dialog.missing())
    if Need.OPINION in needs(action):
        assert "opinion" in dialog.missing()
        dialog.opinion_edit.setPlainText("   ")
        assert not dialog.ok_button.isEnabled()
    if action is Action.DISPATCH:
        # No time-limit rule here: no proposal, the deadline is to choose. A day picked in the
        # calendar is due at the end of its working day.
        assert dialog.deadline() is None
        assert dialog.deadline_edit.text() == "Choose a deadline"
        assert set(dialog.missing()) == {"department", "deadline"}
        day = QDate.currentDate().addDays(2)
        dialog.deadline_edit.setDate(day)
        assert dialog.deadline_edit.dateTime() == QDateTime(day, QTime(17, 0))
        assert dialog.missing() == ["department"]


def test_a_refused_decision_is_explained_next_to_its_field_and_nothing_is_queued(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = report(inspector, "井盖缺失", code="01001")
    synced(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    synced(office)
    deadline = (datetime.now(UTC) + timedelta(days=5)).replace(second=0, microsecond=0)
    record_decision(office, case_id, Action.ACCEPT)
    record_decision(office, case_id, Action.REGISTER)
    record_decision(
        office,
        case_id,
        Action.DISPATCH,
        department_id=department(office, "SZSS"),
        deadline=deadline,
    )
    queued = len(timeline(office, case_id))

    dialog = DecisionDialog(office, tasks, "en", case_id, Action.EXTEND)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    assert dialog.deadline() == deadline + timedelta(days=1)  # a day more, to change
    assert f"Current deadline: {local_time(deadline)}" in dialog.deadline_note.text()
    assert not dialog.ok_button.isEnabled()  # extending needs a reason
    dialog.opinion_edit.setPlainText("部门申请延期：需要协调施工")
    assert dialog.ok_button.isEnabled()
    # Earlier than the current deadline: the state machine refuses, next to the deadline.
    dialog.deadline_edit.setDateTime(dialog.deadline_edit.dateTime().addDays(-3))
    dialog.ok_button.click()
    qtbot.waitUntil(dialog.deadline_error.isVisible, timeout=10_000)
    assert dialog.deadline_error.text() == "The new deadline must be later than the current one"
    assert not dialog.opinion_error.isVisible() and not dialog.error_label.isVisible()
    assert dialog.isVisible()
    # In the past: refused before the state machine is asked.
    dialog.deadline_edit.setDateTime(dialog.deadline_edit.minimumDateTime().addSecs(60))
    dialog.ok_button.click()
    assert dialog.deadline_error.text() == "The deadline must be in the future."
    assert len(timeline(office, case_id)) == queued  # nothing was queued

    # A decision the case's state does not allow: the reason under the form.
    closing = DecisionDialog(office, tasks, "en", case_id, Action.CLOSE)
    qtbot.addWidget(closing)
    with qtbot.waitSignal(closing.loaded, timeout=10_000):
        closing.show()
    closing.ok_button.click()
    qtbot.waitUntil(closing.error_label.isVisible, timeout=10_000)
    assert closing.error_label.text().startswith("Closing needs a passed re-inspection")
    assert office.get_case(case_id).status is CaseStatus.DISPATCHED
    assert len(timeline(office, case_id)) == queued


def test_dispatch_proposes_the_deadline_of_the_time_limit_rules_and_sends_it(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess
) -> None:
    run_server_cli(server, "time-limit", "add", "3", "working_days")
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = report(inspector, "路灯不亮", code="01037")
    synced(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    synced(office)  # the rule and the working calendar come with the feed
    record_decision(office, case_id, Action.ACCEPT)
    record_decision(office, case_id, Action.REGISTER)
    now = datetime.now(UTC)
    proposal = add_time(WorkingCalendar(), now, 3, WORKING_DAYS)
    assert reports.propose_deadline(office, case_id, now) == proposal

    dialog = DecisionDialog(office, tasks, "en", case_id, Action.DISPATCH, clock=lambda: now)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    assert dialog.deadline() == proposal
    assert dialog.deadline_edit.text() == local_time(proposal)
    assert dialog.deadline_note.text().startswith(
        "Proposed from the time-limit rules and the working calendar: " + local_time(proposal)
    )
    assert not dialog.ok_button.isEnabled()  # no department yet
    names = [dialog.department_combo.itemText(i) for i in range(dialog.department_combo.count())]
    assert "Municipal facilities management office (SZSS)" in names
    dialog.department_combo.setCurrentIndex(
        dialog.department_combo.findData(department(office, "SZSS"))
    )
    assert dialog.ok_button.isEnabled()
    dialog.opinion_edit.setPlainText("请三个工作日内修复")
    with qtbot.waitSignal(dialog.decided, timeout=10_000):
        dialog.ok_button.click()
    assert not dialog.isVisible()
    assert office.get_case(case_id).status is CaseStatus.DISPATCHED

    synced(office)
    with ApiClient(server, "supervisor").http as http:
        detail = http.get(f"/api/v1/cases/{case_id}").json()
    assert detail["case"]["status"] == "dispatched"
    assert datetime.fromisoformat(detail["case"]["deadline"]) == proposal
    assert detail["steps"][-1]["action"] == "dispatch"
    assert detail["steps"][-1]["opinion"] == "请三个工作日内修复"
    last = timeline(office, case_id)[-1]
    assert (last.action, last.state, last.deadline) == ("dispatch", "confirmed", proposal)


# -- the case history --------------------------------------------------------------------------


def timeline_rows(dialog: CaseDetailDialog) -> list[tuple[str, str, str]]:
    rows = []
    for n in range(dialog.timeline.topLevelItemCount()):
        item = dialog.timeline.topLevelItem(n)
        assert item is not None
        rows.append((item.text(1), item.text(3), item.text(6)))
    return rows


def test_the_history_lists_the_steps_then_the_decisions_waiting_or_refused(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess, samples: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = report(inspector, "人行道暴露垃圾")
    inspector.attach_photos(case_id, sorted((samples / GPS_PHOTOS).glob("*.jpg"))[:1])
    synced(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    synced(office)
    record_decision(office, case_id, Action.ACCEPT)
    record_decision(office, case_id, Action.REGISTER)
    with ApiClient(server, "demo").http as http:
        answer = http.post(f"/api/v1/cases/{case_id}/comments", json={"text": "垃圾越堆越多了"})
        assert answer.status_code == 201, answer.text
    synced(office)
    # Offline: two decisions waiting to be sent.
    record_decision(
        office,
        case_id,
        Action.DISPATCH,
        department_id=department(office, "HWC"),
        deadline=datetime.now(UTC) + timedelta(days=2),
    )
    record_decision(office, case_id, Action.HANDLE, opinion="已清运")

    dialog = CaseDetailDialog(office, tasks, "en", case_id)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    assert timeline_rows(dialog) == [
        ("Submit", "", "Confirmed"),
        ("Accept", "", "Confirmed"),
        ("Register", "", "Confirmed"),
        ("Dispatch", "", "Waiting to be sent"),
        ("Report as handled", "已清运", "Waiting to be sent"),
    ]
    dispatch = dialog.timeline.topLevelItem(3)
    assert dispatch is not None
    assert dispatch.text(4) == "Environmental sanitation office"
    assert dispatch.font(1).italic()
    submit = dialog.timeline.topLevelItem(0)
    assert submit is not None and not submit.font(1).italic()
    assert submit.text(2) == "演示监督员"
    assert dialog.status_label.text() == "Handled"
    assert set(dialog.action_buttons) == {Action.REQUEST_REINSPECTION}
    assert dialog.before_list.count() == 1 and dialog.after_list.count() == 0
    assert dialog.before_group.title() == "Before (1)"
    assert dialog.comments_list.count() == 1
    comment = dialog.comments_list.item(0)
    assert comment is not None
    assert comment.text().endswith("演示监督员 (Inspector): 垃圾越堆越多了")

    # Meanwhile a colleague voids the case on the server: both decisions are refused.
    with ApiClient(server, "supervisor").http as http:
        answer = http.post(
            f"/api/v1/cases/{case_id}/actions", json={"action": "void", "opinion": "重复立案"}
        )
        assert answer.status_code == 200, answer.text
    assert not SyncEngine(office, FAST).run().ok
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.load()
    rows = timeline_rows(dialog)
    assert [r[0] for r in rows] == [
        "Submit",
        "Accept",
        "Register",
        "Void",
        "Dispatch",
        "Report as handled",
    ]
    assert rows[3] == ("Void", "重复立案", "Confirmed")
    assert rows[4][2].startswith("Refused: ")
    assert (
        rows[5][2] == "Refused: An earlier decision on this case was refused; this one was not sent"
    )
    refused = dialog.timeline.topLevelItem(4)
    assert refused is not None
    assert refused.foreground(6).color() == QColor(ERROR_COLOUR)
    assert refused.font(6).bold()
    assert dialog.status_label.text() == "Void"
    assert not dialog.action_buttons and dialog.no_actions.isVisibleTo(dialog)


def test_the_traffic_light_turns_yellow_near_the_deadline_and_red_past_it(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = report(inspector, "机动车乱停放", code="09009")
    synced(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    synced(office)
    record_decision(office, case_id, Action.ACCEPT)
    record_decision(office, case_id, Action.REGISTER)
    record_decision(
        office,
        case_id,
        Action.DISPATCH,
        department_id=department(office, "CGZF"),
        deadline=datetime.now(UTC) + timedelta(hours=10),
    )
    synced(office)
    [dispatch] = [e for e in timeline(office, case_id) if e.action == "dispatch"]
    assert dispatch.deadline is not None
    start, limit = dispatch.at, dispatch.deadline - dispatch.at

    def detail_at(moment: datetime) -> CaseDetailDialog:
        dialog = CaseDetailDialog(office, tasks, "en", case_id, clock=lambda: moment)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.loaded, timeout=10_000):
            dialog.show()
        return dialog

    def dot(dialog: CaseDetailDialog) -> QColor:
        pixmap = dialog.light.dot.pixmap()
        return pixmap.toImage().pixelColor(pixmap.width() // 2, pixmap.height() // 2)

    early = detail_at(start + limit * 0.5)
    assert early.light.light is TrafficLight.GREEN
    assert "time used 50 %" in early.light.text.text()
    near = detail_at(start + limit * 0.85)
    assert near.light.light is TrafficLight.YELLOW
    assert dot(near) == QColor(LIGHT_COLOURS[TrafficLight.YELLOW])
    text = near.light.text.text()
    assert "time used 85 %" in text
    assert "Urban management law enforcement brigade" in text
    assert f"Deadline {local_time(dispatch.deadline)}" in text
    late = detail_at(start + limit * 1.2)
    assert late.light.light is TrafficLight.RED
    assert dot(late) == QColor(LIGHT_COLOURS[TrafficLight.RED])
    assert late.light.text.text().endswith("time used 120 %  ·  overdue")

    # The deadlines panel at the same moments: due soon (yellow), then overdue (red).
    def panel_at(moment: datetime) -> AssignmentsPanel:
        panel = AssignmentsPanel(office, tasks, "en", clock=lambda: moment)
        qtbot.addWidget(panel)
        with qtbot.waitSignal(panel.loaded, timeout=10_000):
            panel.show()
        return panel

    soon = panel_at(start + limit * 0.85)
    [row] = [r for r in soon.rows if r.case_id == case_id]
    assert (row.light, row.due_soon, row.overdue) == (TrafficLight.YELLOW, True, False)
    due = grouped(soon)
    assert [title for title in due if title.startswith("Due soon")]
    [mine] = [
        row
        for title, rows in due.items()
        if title.startswith("Due soon")
        for row in rows
        if row.data(0, ITEM_ROLE) == case_id
    ]
    assert mine.text(1) == "Urban management law enforcement brigade"
    assert mine.text(3) == "85 %"
    assert not any(
        row.data(0, ITEM_ROLE) == case_id
        for title, rows in due.items()
        if title.startswith("Overdue")
        for row in rows
    )

    overdue = panel_at(start + limit * 1.2)
    late_rows = grouped(overdue)
    [title] = [t for t in late_rows if any(r.data(0, ITEM_ROLE) == case_id for r in late_rows[t])]
    assert title.startswith("Overdue (")
    assert overdue.summary_label.text().startswith("Overdue: ")
    # Filtering by another department hides it; double-clicking opens its history.
    overdue.department_filter.setCurrentIndex(
        overdue.department_filter.findData(department(office, "HWC"))
    )
    assert not any(
        r.data(0, ITEM_ROLE) == case_id for rows in grouped(overdue).values() for r in rows
    )
    overdue.department_filter.setCurrentIndex(
        overdue.department_filter.findData(department(office, "CGZF"))
    )
    [item] = [
        r for rows in grouped(overdue).values() for r in rows if r.data(0, ITEM_ROLE) == case_id
    ]
    with qtbot.waitSignal(overdue.open_case, timeout=5_000) as opened:
        overdue.tree.itemActivated.emit(item, 0)
    assert opened.args == [case_id]


def grouped(panel: AssignmentsPanel) -> dict[str, list[QTreeWidgetItem]]:
    """The panel's groups by title, with their rows."""
    out: dict[str, list[QTreeWidgetItem]] = {}
    for n in range(panel.tree.topLevelItemCount()):
        group = panel.tree.topLevelItem(n)
        assert group is not None
        rows = [group.child(i) for i in range(group.childCount())]
        out[group.text(0)] = [r for r in rows if r is not None]
    return out


# -- the main window, both languages -----------------------------------------------------------

ASCII_WORD = re.compile(r"[A-Za-z]{3,}")
#: Words that stay as they are in Chinese (key names, units).
KEPT = {"Esc", "Ctrl", "Enter", "PDF"}


def english_left(root: QWidget) -> list[str]:
    """Visible labels and buttons of ``root`` still in English (data shown is not checked)."""
    left = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or widget.objectName() in {"traffic_light_text"}:
            continue
        if isinstance(widget, (QLabel, QAbstractButton)):
            text = widget.text()
            words = set(ASCII_WORD.findall(re.sub(r"<[^>]+>", "", text))) - KEPT
            if words and not text.startswith(("0", "1", "2", "3")):
                left.append(text)
    return left


def test_the_supervisor_workspace_in_both_languages(
    qtbot: QtBot,
    qapp: QApplication,
    tmp_path: Path,
    *,
    tasks: TaskRunner,
    server: ServerProcess,
    samples: Path,
) -> None:
    run_server_cli(server, "time-limit", "add", "3", "working_days")
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    photos = sorted((samples / GPS_PHOTOS).glob("*.jpg"))
    first = report(inspector, "人民路与解放路交叉口东南角暴露垃圾堆积约2立方米")
    inspector.attach_photos(first, photos[:2])
    report(inspector, "人民路88号门前垃圾桶满溢", lat=32.06031)
    lamp = report(inspector, "中山北路3号路灯夜间不亮", code="01037", lat=32.0712)
    cover = report(inspector, "湖南路12号门前供水井盖破损", code="01001", lat=32.0655)
    inspector.attach_photos(cover, photos[2:3])
    parked = report(inspector, "北京东路机动车乱停放占用盲道", code="09009", lat=32.058)
    registered = report(inspector, "湖南路地铁站出口占道经营水果摊", code="09006", lat=32.065)
    synced(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    synced(office)
    me = next(p.id for p in inspectors(office) if p.name == "演示监督员")
    now = datetime.now(UTC)
    # Due soon, overdue (its deadline passes at once), and one handled and sent for checking.
    for case_id, code, deadline in (
        (lamp, "SZSS", now + timedelta(hours=3)),
        (parked, "CGZF", now + timedelta(milliseconds=10)),
        (cover, "SZSS", now + timedelta(days=2)),
    ):
        record_decision(office, case_id, Action.ACCEPT)
        record_decision(office, case_id, Action.REGISTER)
        record_decision(
            office,
            case_id,
            Action.DISPATCH,
            department_id=department(office, code),
            deadline=deadline,
        )
    record_decision(office, registered, Action.ACCEPT)
    record_decision(office, registered, Action.REGISTER)
    synced(office)
    record_decision(office, cover, Action.HANDLE, opinion="已更换井盖")
    record_decision(office, cover, Action.REQUEST_REINSPECTION, assignee_id=me)

    try:
        for language in ("en", "zh_CN"):
            install_translators(qapp, language)
            left = shoot(
                qtbot,
                tasks,
                office,
                tmp_path,
                language,
                first=first,
                dispatched=cover,
                registered=registered,
            )
            if language.startswith("zh"):
                assert not left, f"untranslated: {left}"
    finally:
        install_translators(qapp, "en")
    for name in ("review", "review-reject", "deadlines", "detail", "dispatch"):
        for language in ("en", "zh_CN"):
            assert (SHOTS / f"sup-{name}-{language}.png").stat().st_size > 10_000


def shoot(
    qtbot: QtBot,
    tasks: TaskRunner,
    office: LocalStore,
    tmp_path: Path,
    language: str,
    *,
    first: str,
    dispatched: str,
    registered: str,
) -> list[str]:
    """Screenshots of the workspace in ``language``; the texts of it left in English."""
    settings = Settings.from_file(tmp_path / f"settings-{language}.ini")
    window = MainWindow(office, tasks, load_default_taxonomy(), language, settings, autosync=False)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitUntil(lambda: window.review is not None, timeout=10_000)
    review, deadlines = window.review, window.deadlines
    assert review is not None and deadlines is not None
    assert window.tabs.currentWidget() is review
    assert window.dashboard is not None
    qtbot.waitUntil(lambda: len(review.items) == 2, timeout=10_000)
    review.select_case(first)
    qtbot.waitUntil(lambda: review.details.photo_list.count() == 2, timeout=10_000)
    qtbot.waitUntil(lambda: review.details.nearby_list.count() == 1, timeout=10_000)
    window.grab().save(str(SHOTS / f"sup-review-{language}.png"))
    review.ask_opinion(Action.REJECT)
    review.opinion_edit.setPlainText("与另一案件重复")
    window.grab().save(str(SHOTS / f"sup-review-reject-{language}.png"))
    left = english_left(review)
    review.cancel_opinion()

    window.tabs.setCurrentWidget(deadlines)
    deadlines.show_all.setCurrentIndex(1)
    qtbot.waitUntil(lambda: len(deadlines.rows) == 2, timeout=10_000)
    assert [(r.overdue, r.due_soon) for r in deadlines.rows] == [(True, False), (False, True)]
    window.grab().save(str(SHOTS / f"sup-deadlines-{language}.png"))
    left += english_left(deadlines)
    left += [
        window.tabs.tabText(n)
        for n in range(window.tabs.count())
        if ASCII_WORD.search(window.tabs.tabText(n))
    ]

    detail = window.open_case_detail(dispatched)
    detail.resize(1100, 760)
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=10_000)
    qtbot.waitUntil(lambda: detail.before_list.count() == 1, timeout=10_000)
    detail.grab().save(str(SHOTS / f"sup-detail-{language}.png"))
    left += english_left(detail)
    detail.close()

    dispatch = DecisionDialog(office, tasks, language, registered, Action.DISPATCH, parent=window)
    qtbot.addWidget(dispatch)
    with qtbot.waitSignal(dispatch.loaded, timeout=10_000):
        dispatch.show()
    dispatch.grab().save(str(SHOTS / f"sup-dispatch-{language}.png"))
    left += english_left(dispatch)
    dispatch.close()
    window.close()
    return left
