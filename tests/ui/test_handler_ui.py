"""The department's workspace and the supervisors' requests queue with pytest-qt, offline: real
widgets on a real store, no server (a department on the road works without a network; its
steps wait in the outbox)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from laptops import sign_in_as
from pytestqt.qtbot import QtBot
from report_builders import add_case_with_steps, add_department
from sqlalchemy import select

from app.domain.deadlines import TrafficLight
from app.domain.lifecycle import Action, CaseStatus, RequestKind, Role
from app.storage import LocalStore
from app.storage.models import Case, OutboxEntry
from app.storage.states import OutboxEntity
from app.ui.handler import HandledDialog, HandlerPanel
from app.ui.supervisor import CaseDetailDialog, DecisionDialog, RequestsPanel
from app.ui.tasks import TaskRunner

GPS_PHOTOS = "photos/jpg/gps"
NOW = datetime.now(UTC).replace(microsecond=0)


def dispatched(store: LocalStore, department: str, *, start: datetime, due: datetime) -> str:
    return add_case_with_steps(
        store,
        [
            ("submit", start - timedelta(hours=3)),
            ("accept", start - timedelta(hours=2)),
            ("register", start - timedelta(hours=1)),
            ("dispatch", start, {"department_id": department, "deadline": due}),
        ],
        description=f"到期 {due:%m-%d %H:%M}",
    )


def test_the_department_works_offline_from_its_task_list(
    qtbot: QtBot, tasks: TaskRunner, store: LocalStore, samples: Path
) -> None:
    hwc = add_department(store, "环卫所", code="HWC")
    szss = add_department(store, "市政处", code="SZSS")
    later = dispatched(store, hwc, start=NOW - timedelta(hours=1), due=NOW + timedelta(days=5))
    late = dispatched(store, hwc, start=NOW - timedelta(days=2), due=NOW - timedelta(hours=1))
    theirs = dispatched(store, szss, start=NOW, due=NOW + timedelta(days=1))
    sign_in_as(store, Role.HANDLER, hwc)

    panel = HandlerPanel(store, tasks, "en")
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.refresh()
    # Its department's tasks only, the overdue one first.
    assert [r.case_id for r in panel.rows] == [late, later]
    assert panel.rows[0].light is TrafficLight.RED and theirs not in {r.case_id for r in panel.rows}
    assert panel.summary_label.text() == "Open: 2   ·   to sign for: 2"

    assert panel.select_case(later)
    assert panel.sign_button.isEnabled()
    assert not panel.handled_button.isEnabled()
    assert not any(b.isEnabled() for b in panel.request_buttons.values())
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.sign_button.click()
    task = panel.current_task()
    assert task is not None and task.signed and task.waiting
    assert not panel.sign_button.isEnabled() and panel.handled_button.isEnabled()

    # Ask to return it: a reason is required; the request then waits, one at a time.
    panel.request_buttons[Action.REQUEST_RETURN].click()
    dialog = panel.dialog
    assert isinstance(dialog, DecisionDialog) and dialog.action is Action.REQUEST_RETURN
    qtbot.waitUntil(dialog.is_loaded, timeout=10_000)
    assert not dialog.ok_button.isEnabled()
    assert not dialog.deadline_edit.isVisibleTo(dialog)  # a return proposes no deadline
    dialog.opinion_edit.setPlainText("属于市政设施，非本部门职责")
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        dialog.ok_button.click()
    task = panel.current_task()
    assert task is not None and task.request is RequestKind.RETURN
    assert panel.tree.currentItem().text(4) == "Return request (waiting)"
    assert not any(b.isEnabled() for b in panel.request_buttons.values())

    # Report the other one handled: not without a photo.
    assert panel.select_case(late)
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.sign_button.click()
    panel.handled_button.click()
    handled = panel.dialog
    assert isinstance(handled, HandledDialog)
    qtbot.waitUntil(lambda: handled.heading.text() != "Loading the case…", timeout=10_000)
    handled.opinion_edit.setPlainText("已清运")
    assert not handled.ok_button.isEnabled()
    handled.add_files(sorted((samples / GPS_PHOTOS).glob("*.jpg"))[:1])
    assert handled.ok_button.isEnabled()
    with qtbot.waitSignal(panel.loaded, timeout=30_000):
        handled.ok_button.click()
    assert [r.case_id for r in panel.rows] == [later]
    assert store.get_case(late).status is CaseStatus.HANDLED
    [photo] = store.photos(late)
    assert photo.role == "handled"

    # Everything waits in the outbox, in the order taken.
    with store.read() as s:
        queued = [
            (e.entity_id, e.op)
            for e in s.query(OutboxEntry)
            .filter(OutboxEntry.entity == OutboxEntity.DECISION)
            .order_by(OutboxEntry.seq)
        ]
    assert queued == [
        (later, "sign_for"),
        (later, "request_return"),
        (late, "sign_for"),
        (late, "handle"),
    ]


def test_the_requests_queue_approves_and_refuses(
    qtbot: QtBot, tasks: TaskRunner, store: LocalStore
) -> None:
    from app.storage.handling import ask, sign_for

    hwc = add_department(store, "环卫所", name_en="Sanitation", code="HWC")
    returned = dispatched(store, hwc, start=NOW - timedelta(hours=1), due=NOW + timedelta(days=2))
    extended = dispatched(store, hwc, start=NOW - timedelta(hours=1), due=NOW + timedelta(days=2))
    sign_in_as(store, Role.HANDLER, hwc)
    for case_id in (returned, extended):
        sign_for(store, case_id)
    ask(store, returned, RequestKind.RETURN, "不属于本部门")
    ask(store, extended, RequestKind.EXTENSION, "需采购", NOW + timedelta(days=4))
    sign_in_as(store, Role.SUPERVISOR)  # the office's view of the same cases

    panel = RequestsPanel(store, tasks, "en")
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.refresh()
    assert {(i.case_id, i.kind) for i in panel.items} == {
        (returned, RequestKind.RETURN),
        (extended, RequestKind.EXTENSION),
    }
    assert panel.summary_label.text() == "Waiting: 2"

    # The case history offers the answers that fit the request waiting, and only those.
    detail = CaseDetailDialog(store, tasks, "en", extended)
    qtbot.addWidget(detail)
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=10_000)
    assert set(detail.action_buttons) == {
        Action.EXTEND,
        Action.SUSPEND,
        Action.HANDLE,
        Action.APPROVE_EXTENSION,
        Action.REFUSE_REQUEST,
    }

    # A refusal needs a reason.
    assert panel.select_case(extended)
    panel.refuse_button.click()
    refusal = panel.decision
    assert refusal is not None and refusal.action is Action.REFUSE_REQUEST
    qtbot.waitUntil(refusal.is_loaded, timeout=10_000)
    assert not refusal.ok_button.isEnabled()
    refusal.opinion_edit.setPlainText("请先行处置")
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        refusal.ok_button.click()
    assert [i.case_id for i in panel.items] == [returned]
    assert store.get_case(extended).status is CaseStatus.DISPATCHED
    qtbot.waitUntil(
        lambda: set(detail.action_buttons) == {Action.EXTEND, Action.SUSPEND, Action.HANDLE},
        timeout=10_000,
    )
    detail.close()

    # Approving the return puts the case back for dispatch.
    assert panel.select_case(returned)
    panel.approve_button.click()
    approval = panel.decision
    assert approval is not None and approval.action is Action.APPROVE_RETURN
    qtbot.waitUntil(approval.is_loaded, timeout=10_000)
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        approval.ok_button.click()
    assert panel.items == [] and panel.stack.currentWidget() is panel.empty_label
    with store.read() as s:
        case = s.scalar(select(Case).where(Case.id == returned))
        assert case is not None
        assert (case.status, case.department_id, case.request) == (
            CaseStatus.REGISTERED,
            None,
            None,
        )
