"""The tasks inbox and the re-inspection dialog, driven with pytest-qt over a real store.

The inbox items come in through :meth:`SyncLedger.apply_feed` with pages shaped exactly like
the server's ``GET /api/v1/feed`` (server/cases/decisions.py ``apply_decision``); the photos are the shared samples.
Screenshots are saved to /tmp for a person to look at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot

from app.domain import CaseFields
from app.domain.ids import new_id
from app.domain.lifecycle import CaseStatus, Role
from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.storage.store import Account
from app.ui.inbox import InboxWidget
from app.ui.reinspection import ReinspectionDialog
from app.ui.tasks import TaskRunner

GPS_PHOTOS = "photos/jpg/gps"
SHOTS = Path("/tmp")


@pytest.fixture
def me(store: LocalStore) -> str:
    user_id = new_id()
    store.set_account(
        Account("http://127.0.0.1:9", user_id, "inspector2", "李巡查", Role.INSPECTOR)
    )
    return user_id


def feed_entry(
    seq: int, kind: str, case_id: str, payload: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": kind,
        "entity_id": case_id,
        "at": at.isoformat(),
        "payload": payload,
    }


def decision(event: str, status: str, revision: int, opinion: str) -> dict[str, Any]:
    return {
        "event": event,
        "status": status,
        "revision": revision,
        "opinion": opinion,
        "step_id": new_id(),
    }


def department_entry(seq: int, at: datetime) -> tuple[str, dict[str, Any]]:
    department_id = new_id()
    payload = {
        "id": department_id,
        "code": "SZ01",
        "name": "鼓楼区市政管理所",
        "name_en": "Gulou Municipal Works",
        "active": True,
    }
    return department_id, feed_entry(seq, "department", department_id, payload, at)


def give_task(
    store: LocalStore, me: str, seq: int, at: datetime, *, deadline: datetime, **fields: Any
) -> str:
    """A re-inspection task for ``me``, as the server's feed brings it."""
    case_id = new_id()
    department_id, department = department_entry(seq, at)
    case = {
        "id": case_id,
        "author_id": new_id(),
        "status": "reinspecting",
        "category_code": "01001",
        "description": "供水井盖缺失，行人有跌落危险",
        "address": "鼓楼区中山路 100 号（新街口地铁站 3 号口旁）",
        "urgency": "urgent",
        "lat": 32.0603,
        "lon": 118.7969,
        "accuracy_m": 4.0,
        "position_source": "gps",
        "observed_at": (at - timedelta(days=3)).isoformat(),
        "created_at": (at - timedelta(days=3)).isoformat(),
        "submitted_at": (at - timedelta(days=3)).isoformat(),
        "updated_at": at.isoformat(),
        "revision": 6,
        "department_id": department_id,
        "deadline": deadline.isoformat(),
        "assignee_id": me,
        **fields,
    }
    payload = {
        **decision("request_reinspection", "reinspecting", 6, "请到现场核查井盖是否已更换"),
        "case": case,
    }
    SyncLedger(store).apply_feed(
        [department, feed_entry(seq + 1, "task", case_id, payload, at)], seq + 1, me
    )
    return case_id


def give_back(store: LocalStore, me: str, seq: int, at: datetime) -> str:
    """One of my submitted cases, returned for correction with the supervisor's opinion."""
    case_id = store.create_case(
        CaseFields(
            category_code="06010",
            description="人民路与中山路交叉口暴露垃圾",
            address="鼓楼区人民路 8 号",
            lat=32.06,
            lon=118.79,
        )
    ).id
    store.submit_case(case_id)
    SyncLedger(store).apply_feed(
        [
            feed_entry(
                seq, "decision", case_id, decision("return", "returned", 3, "请补充近景照片"), at
            )
        ],
        seq,
        me,
    )
    return case_id


def photos(samples: Path, count: int, skip: int = 0) -> list[Path]:
    return sorted((samples / GPS_PHOTOS).glob("*.jpg"))[skip : skip + count]


def open_inbox(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> InboxWidget:
    widget = InboxWidget(store, tasks, "en")
    qtbot.addWidget(widget)
    widget.resize(900, 460)
    widget.show()
    return widget


def open_dialog(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, case_id: str
) -> ReinspectionDialog:
    dialog = ReinspectionDialog(store, tasks, "en", case_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.submit_button.isEnabled)
    return dialog


def drop_files(target: QWidget, paths: list[Path]) -> bool:
    """Drag files from a file manager and drop them on ``target``; True if they were taken.

    Qt hands a drag to the nearest widget that accepts drops, from ``target`` up.
    """
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(
        QPoint(40, 40),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(
        QPointF(40, 40),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()


# -- the inbox ---------------------------------------------------------------------------------


def test_the_inbox_lists_returned_cases_and_reinspections(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, me: str
) -> None:
    now = datetime.now(UTC)
    returned = give_back(store, me, 1, now - timedelta(hours=3))
    task = give_task(store, me, 2, now - timedelta(hours=1), deadline=now + timedelta(days=2))
    overdue = give_task(
        store,
        me,
        4,
        now - timedelta(hours=2),
        deadline=now - timedelta(days=1),
        category_code="01037",
        description="路灯不亮",
        address="玄武区北京东路 41 号",
    )
    store.create_case(CaseFields(description="我的草稿，不是待办"))
    counts: list[tuple[int, int]] = []

    widget = open_inbox(qtbot, store, tasks)
    widget.counts_changed.connect(lambda r, i: counts.append((r, i)))
    qtbot.waitUntil(lambda: widget.model.rowCount() == 3)

    model = widget.model
    assert [i.case_id for i in model.items] == [task, overdue, returned]  # newest first
    first = model.data(model.index(0))
    assert first.startswith("Re-inspection — 01001 ") and "请到现场核查井盖是否已更换" in first
    assert model.data(model.index(2)).startswith("Returned for correction — 06010 Exposed garbage")
    assert "请补充近景照片" in model.data(model.index(2), Qt.ItemDataRole.ToolTipRole)
    assert widget.stack.currentWidget() is widget.view
    assert widget.summary_label.text() == "Returned for correction: 1   ·   Re-inspections: 2"
    shot = SHOTS / "inbox-en.png"
    assert widget.grab().save(str(shot))

    # The first item is selected; Enter starts its re-inspection.
    assert widget.reinspect_button.isEnabled() and not widget.open_button.isEnabled()
    widget.view.setFocus()
    with qtbot.waitSignal(widget.reinspect) as started:
        qtbot.keyClick(widget.view, Qt.Key.Key_Return)
    assert started.args == [task]
    # Down twice: the returned case, opened for correction with the button.
    qtbot.keyClick(widget.view, Qt.Key.Key_Down)
    qtbot.keyClick(widget.view, Qt.Key.Key_Down)
    assert widget.current_item().case_id == returned  # type: ignore[union-attr]
    assert widget.open_button.isEnabled() and not widget.reinspect_button.isEnabled()
    with qtbot.waitSignal(widget.open_case) as opened:
        qtbot.mouseClick(widget.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [returned]

    # Once the returned case is resubmitted, a refresh drops it and keeps the selection sane.
    store.submit_case(returned)
    widget.refresh()
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    assert counts[-1] == (0, 2)


def test_an_empty_inbox_says_what_will_appear_there(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, me: str
) -> None:
    widget = open_inbox(qtbot, store, tasks)
    qtbot.waitUntil(lambda: widget.stack.currentWidget() is widget.empty_label)
    assert "Nothing to do" in widget.empty_label.text()
    assert not widget.open_button.isEnabled() and not widget.reinspect_button.isEnabled()
    assert widget.grab().save(str(SHOTS / "inbox-empty-en.png"))


# -- the re-inspection dialog ------------------------------------------------------------------


def test_a_pass_is_recorded_with_after_photos_added_by_drop_and_by_file(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, me: str, samples: Path
) -> None:
    now = datetime.now(UTC)
    case_id = give_task(store, me, 1, now, deadline=now + timedelta(days=1))
    # The case's own photos, as if they had come down with it (shown on the "before" side).
    store.attach_photos(case_id, photos(samples, 2))
    dialog = open_dialog(qtbot, store, tasks, case_id)
    qtbot.waitUntil(lambda: dialog.before_list.count() == 2)
    assert "供水井盖缺失" in dialog.description_label.text()
    assert "请到现场核查井盖是否已更换" in dialog.supervisor_label.text()
    assert "Department: Gulou Municipal Works" in dialog.details_label.text()
    assert dialog.deadline_label.text().startswith("Deadline: ")
    assert dialog.after_list.count() == 0

    after = photos(samples, 3, skip=2)
    assert drop_files(dialog.after_list.viewport(), after[:2])  # on the photo strip
    dialog.add_files([after[2], after[0]])  # as the file dialog would; a duplicate is ignored
    qtbot.waitUntil(lambda: dialog.after_list.count() == 3 and not dialog._checking)
    assert dialog.pending_paths() == after
    assert all(not dialog.after_list.item(i).icon().isNull() for i in range(3))
    assert "3 new" in dialog.after_group.title()
    dialog.after_list.item(1).setSelected(True)
    assert dialog.remove_button.isEnabled()
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert dialog.pending_paths() == [after[0], after[2]]

    dialog.pass_radio.setChecked(True)
    dialog.opinion_edit.setPlainText("井盖已更换，现场恢复正常")
    dialog.resize(980, 680)
    qtbot.wait(100)  # the icon grid lays itself out after a resize
    assert dialog.grab().save(str(SHOTS / "reinspection-en.png"))
    with qtbot.waitSignal(dialog.recorded, timeout=30_000):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.changes is not None and case_id in dialog.changes.cases
    row = store.get_case(case_id)
    assert (row.status, row.delivery) == (CaseStatus.REINSPECTION_PASSED, "pending")
    after_rows = [p for p in store.photos(case_id) if p.role == "after"]
    assert sorted(p.original_name for p in after_rows) == sorted([after[0].name, after[2].name])
    assert store.steps(case_id)[-1].opinion == "井盖已更换，现场恢复正常"


def test_a_failure_without_an_opinion_is_refused_next_to_the_field(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, me: str
) -> None:
    now = datetime.now(UTC)
    case_id = give_task(store, me, 1, now, deadline=now + timedelta(days=1))
    dialog = open_dialog(qtbot, store, tasks, case_id)

    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)  # nothing chosen yet
    assert dialog.result_error.isVisible()
    assert "passed or failed" in dialog.result_error.text()

    dialog.fail_radio.setFocus()
    qtbot.keyClick(dialog.fail_radio, Qt.Key.Key_Space)
    assert dialog.fail_radio.isChecked() and not dialog.result_error.isVisible()
    assert "required" in dialog.opinion_title.text()
    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)

    assert dialog.opinion_error.isVisible()
    assert dialog.opinion_error.text() == "An opinion is required when the re-inspection fails."
    assert dialog.opinion_edit.hasFocus() or not dialog.isActiveWindow()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    dialog.resize(980, 680)
    qtbot.wait(100)
    assert dialog.grab().save(str(SHOTS / "reinspection-fail-en.png"))
    tasks.wait()
    assert store.get_case(case_id).status is CaseStatus.REINSPECTING

    dialog.opinion_edit.setPlainText("井盖仍未更换")
    assert not dialog.opinion_error.isVisible()
    with qtbot.waitSignal(dialog.recorded):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert store.get_case(case_id).status is CaseStatus.REINSPECTION_FAILED


def test_a_file_that_is_not_a_photo_is_named_and_not_added(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, me: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    case_id = give_task(store, me, 1, now, deadline=now + timedelta(days=1))
    dialog = open_dialog(qtbot, store, tasks, case_id)
    fake = tmp_path / "scan.jpg"
    fake.write_bytes(b"not a jpeg at all")
    assert drop_files(dialog, [fake])
    qtbot.waitUntil(lambda: not dialog._checking)
    assert dialog.after_list.count() == 0
    assert dialog.photo_note.isVisible() and "scan.jpg" in dialog.photo_note.text()


def test_a_case_that_is_not_my_task_cannot_be_answered(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, me: str
) -> None:
    case_id = store.create_case(CaseFields(description="我的草稿")).id
    dialog = ReinspectionDialog(store, tasks, "en", case_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.error_label.isVisible)
    assert "not awaiting a re-inspection by you" in dialog.error_label.text()
    assert "draft" in dialog.error_label.text().lower()
    assert not dialog.submit_button.isEnabled()
    assert not drop_files(dialog, [Path("/tmp")])


def test_a_photo_spoilt_before_submitting_is_named_and_nothing_is_recorded(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, me: str, samples: Path
) -> None:
    now = datetime.now(UTC)
    case_id = give_task(store, me, 1, now, deadline=now + timedelta(days=1))
    folder = store.data_dir.parent  # the test's own temporary folder
    good, spoilt = folder / "现场1.jpg", folder / "现场2.jpg"
    for copy, source in zip((good, spoilt), photos(samples, 2), strict=True):
        copy.write_bytes(source.read_bytes())
    dialog = open_dialog(qtbot, store, tasks, case_id)
    dialog.add_files([good, spoilt])
    qtbot.waitUntil(lambda: dialog.after_list.count() == 2 and not dialog._checking)
    spoilt.write_bytes(b"truncated by a card reader")  # changed on disk meanwhile
    dialog.pass_radio.setChecked(True)

    qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "现场2.jpg" in dialog.photo_note.text())
    assert dialog.isVisible() and store.get_case(case_id).status is CaseStatus.REINSPECTING
    # The good photo is saved now (listed as such); the spoilt one is gone from the list.
    qtbot.waitUntil(lambda: dialog.after_list.count() == 1 and not dialog.pending_paths())
    assert dialog.after_list.item(0).text() == "现场1.jpg"
    with qtbot.waitSignal(dialog.recorded):
        qtbot.mouseClick(dialog.submit_button, Qt.MouseButton.LeftButton)
    assert store.get_case(case_id).status is CaseStatus.REINSPECTION_PASSED
    assert [p.original_name for p in store.photos(case_id)] == ["现场1.jpg"]


def test_the_inbox_reads_again_only_when_steps_or_its_cases_change(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, me: str
) -> None:
    from app.storage.store import Changes
    from app.ui.events import StoreEvents

    widget = open_inbox(qtbot, store, tasks)
    qtbot.waitUntil(lambda: widget.stack.currentWidget() is widget.empty_label)
    tasks.wait()
    qtbot.wait(20)
    reads: list[tuple[int, int]] = []
    widget.counts_changed.connect(lambda *counts: reads.append(counts))
    events = StoreEvents.of(store)
    draft = store.create_case(CaseFields(description="路灯不亮"))
    events.announce(draft.changes)  # a new draft: never in the inbox
    events.announce(Changes(tracks=frozenset({"t"})))
    tasks.wait()
    qtbot.wait(50)
    assert reads == []
    events.announce(Changes(cases=frozenset({draft.id}), steps=True, outbox=True))
    qtbot.waitUntil(lambda: len(reads) == 1)
