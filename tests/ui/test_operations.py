"""The operation helper (app.ui.operations) and the store events (app.ui.events)."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.domain import CaseFields
from app.domain.errors import DomainError, Message
from app.storage import LocalStore
from app.storage.store import Changes
from app.ui.events import EVERYTHING, StoreEvents
from app.ui.operations import Lane, Operations, changes_of
from app.ui.tasks import TaskRunner


def test_only_the_latest_result_under_a_key_is_delivered(qtbot: QtBot, tasks: TaskRunner) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    ops = Operations(owner, tasks, "en")
    release = threading.Event()
    got: list[str] = []
    ops.run(lambda: release.wait(5) and "old", got.append, key="search")
    ops.run(lambda: "new", got.append, key="search")
    ops.run(lambda: "other key", got.append, key="count")
    release.set()
    qtbot.waitUntil(lambda: "new" in got and "other key" in got)
    tasks.wait()
    qtbot.wait(20)
    assert sorted(got) == ["new", "other key"]


def test_cancel_drops_a_running_result(qtbot: QtBot, tasks: TaskRunner) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    ops = Operations(owner, tasks, "en")
    got: list[int] = []
    release = threading.Event()
    ops.run(lambda: release.wait(5) and 1, got.append, key="k")
    ops.cancel("k")
    release.set()
    tasks.wait()
    qtbot.wait(20)
    assert got == []


def test_a_dead_owner_gets_nothing(qtbot: QtBot, tasks: TaskRunner) -> None:
    owner = QWidget()
    ops = Operations(owner, tasks, "en")
    release = threading.Event()
    got: list[object] = []
    ops.run(lambda: release.wait(5) and "late", got.append)
    ops.run(lambda: (release.wait(5), 1 / 0), got.append, on_error=got.append)
    owner.deleteLater()
    qtbot.waitUntil(lambda: _deleted(ops), timeout=2000)
    release.set()
    tasks.wait()
    qtbot.wait(20)
    assert got == []


def _deleted(ops: Operations) -> bool:
    return not shiboken6.isValid(ops)


def test_a_failure_is_shown_in_words_by_default(qtbot: QtBot, tasks: TaskRunner) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    shown: list[str] = []
    ops = Operations(owner, tasks, "en", show_error=shown.append)

    def refuse() -> None:
        raise DomainError("not_editable", Message("案件不可编辑", "The case cannot be edited"))

    with qtbot.waitSignal(ops.failed) as failed:
        ops.run(refuse)
    assert failed.args == ["The case cannot be edited"]
    assert shown == ["The case cannot be edited"]


def test_without_a_place_to_show_it_the_runner_reports_the_failure(
    qtbot: QtBot, tasks: TaskRunner
) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    ops = Operations(owner, tasks, "zh_CN")
    with qtbot.waitSignal(tasks.error) as error:
        ops.run(lambda: 1 / 0, lane=Lane.NET)
    assert isinstance(error.args[0], ZeroDivisionError)


def test_busy_toggles_around_busy_work(qtbot: QtBot, tasks: TaskRunner) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    ops = Operations(owner, tasks, "en")
    states: list[bool] = []
    ops.busy_changed.connect(states.append)
    release = threading.Event()
    ops.run(lambda: release.wait(5), busy=True)
    ops.run(lambda: release.wait(5), busy=True)
    ops.run(lambda: None)  # not counted
    assert ops.busy
    release.set()
    qtbot.waitUntil(lambda: not ops.busy)
    assert states == [True, False]


def test_a_write_announces_its_changes_even_after_its_owner_is_gone(
    qtbot: QtBot, tasks: TaskRunner, store: LocalStore
) -> None:
    owner = QWidget()
    ops = Operations(owner, tasks, "en", store=store)
    events = StoreEvents.of(store)
    assert StoreEvents.of(store) is events
    seen: list[Changes] = []
    events.changed.connect(seen.append)
    got: list[object] = []
    release = threading.Event()

    def create() -> object:
        release.wait(5)
        return store.create_case(CaseFields(description="井盖缺失"))

    ops.write(create, got.append)
    owner.deleteLater()
    qtbot.waitUntil(lambda: _deleted(ops), timeout=2000)
    release.set()
    qtbot.waitUntil(lambda: bool(seen))
    assert seen[0].created and seen[0].outbox
    assert got == []


def test_changes_are_found_in_what_a_write_returns(store: LocalStore) -> None:
    created = store.create_case(CaseFields(description="路灯不亮"))
    assert changes_of(created) == created.changes
    assert changes_of(Changes(steps=True)) == Changes(steps=True)
    assert changes_of(None) is None
    assert (Changes(steps=True) | EVERYTHING).everything
