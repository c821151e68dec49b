"""The main window's grouped navigation (app.ui.navigation) with pytest-qt, offline: real
windows on real stores, for an inspector, a supervisor and a department's handler.

Every page is reached by a click in the list and by its View-menu shortcut, the list's titles
carry the pages' counts, the arrow keys skip the group headers, and the window fits 1024 px.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from laptops import sign_in_as
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget
from pytestqt.qtbot import QtBot
from report_builders import add_case_with_steps, add_department

from app.domain import load_default_taxonomy
from app.domain.lifecycle import Role
from app.storage import LocalStore
from app.ui.i18n import install_translators
from app.ui.main_window import MainWindow
from app.ui.navigation import NavGroup
from app.ui.settings import Settings
from app.ui.tasks import TaskRunner

NOW = datetime.now(UTC).replace(microsecond=0)
#: The smallest screen the window must work on.
SMALL_SCREEN = (1024, 768)
COUNT = re.compile(r" \(.*\)$")


def open_window(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, tmp_path: Path, language: str = "en"
) -> MainWindow:
    settings = Settings.from_file(tmp_path / f"settings-{language}.ini")
    window = MainWindow(store, tasks, load_default_taxonomy(), language, settings, autosync=False)
    qtbot.addWidget(window)
    window.resize(*SMALL_SCREEN)
    window.show()
    return window


def listed(window: MainWindow) -> list[tuple[str, QWidget | None]]:
    """The navigation top to bottom, the titles without their counts."""
    return [(COUNT.sub("", text), page) for text, page in window.nav.listed()]


def click(qtbot: QtBot, window: MainWindow, page: QWidget | None) -> None:
    """A click on the navigation's row of ``page`` (None: on the first group header)."""
    nav = window.nav.list
    item = nav.item(0) if page is None else window.nav.item_of(page)
    nav.scrollToItem(item)
    rect = nav.visualItemRect(item)
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def press(window: MainWindow, sequence: QKeySequence) -> None:
    combination = sequence[0]
    QTest.keyClick(window, combination.key(), combination.keyboardModifiers())


def supervisor_window(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, tmp_path: Path, language: str = "en"
) -> MainWindow:
    sign_in_as(store, Role.SUPERVISOR)
    window = open_window(qtbot, store, tasks, tmp_path, language)
    qtbot.waitUntil(lambda: window.review is not None, timeout=10_000)
    return window


def test_the_supervisors_pages_in_three_groups_by_click_and_by_shortcut(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, tmp_path: Path
) -> None:
    add_case_with_steps(store, [("submit", NOW - timedelta(hours=1))], description="待审")
    window = supervisor_window(qtbot, store, tasks, tmp_path)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    assert window.review is not None and window.dashboard is not None
    assert window.nav.currentWidget() is window.review  # the office's queue first
    assert listed(window) == [
        ("Patrol", None),
        ("Cases", window.stack),
        ("Tasks", window.inbox),
        ("Map", window.map_panel),
        ("Inspections", window.inspections),
        ("Office", None),
        ("Review", window.review),
        ("Requests", window.requests),
        ("Deadlines", window.deadlines),
        ("Office map", window.supervisor_map),
        ("Analysis", None),
        ("Dashboard", window.dashboard),
        ("Coverage", window.coverage),
        ("Assessment", window.assessment),
    ]
    pages = [page for _, page in listed(window) if page is not None]
    assert window.nav.group_of(window.coverage) is NavGroup.ANALYSIS  # type: ignore[arg-type]

    # By click: each row shows its page; a click on a header changes nothing.
    for page in reversed(pages):
        click(qtbot, window, page)
        assert window.nav.currentWidget() is page
    click(qtbot, window, None)
    assert window.nav.currentWidget() is pages[0]

    # By shortcut: each page has its own, in the View menu, in the navigation's order.
    actions = [window._page_actions[id(page)] for page in pages]
    shortcuts = [a.shortcut().toString() for a in actions]
    assert shortcuts == [
        "Ctrl+1",
        "Ctrl+2",
        "Ctrl+6",
        "Ctrl+7",
        "Ctrl+3",
        "Ctrl+8",
        "Ctrl+4",
        "Ctrl+9",
        "Ctrl+5",
        "Ctrl+0",
        "Ctrl+Shift+A",
    ]
    menu = [a for a in window.view_menu.actions() if a in actions]
    assert menu == actions
    window.activateWindow()
    for page, action in reversed(list(zip(pages, actions, strict=True))):
        press(window, action.shortcut())
        qtbot.waitUntil(lambda page=page: window.nav.currentWidget() is page, timeout=3000)
        # The keyboard is on the page (its list, its table…), else on the navigation.
        focused = QApplication.focusWidget()
        on_page = focused is page or page.isAncestorOf(focused)
        assert on_page or focused is window.nav.list, (page, focused)
        if page in (window.stack, window.review):
            assert focused in (window.table, window.review.view), focused


def test_the_keyboard_walks_the_pages_and_skips_the_headers(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, tmp_path: Path
) -> None:
    window = supervisor_window(qtbot, store, tasks, tmp_path)
    nav = window.nav
    nav.setCurrentWidget(window.inspections)
    nav.list.setFocus()
    QTest.keyClick(nav.list, Qt.Key.Key_Down)  # over the "Office" header
    assert nav.currentWidget() is window.review
    QTest.keyClick(nav.list, Qt.Key.Key_Up)
    assert nav.currentWidget() is window.inspections
    QTest.keyClick(nav.list, Qt.Key.Key_Home)  # the first page, not the "Patrol" header
    assert nav.currentWidget() is window.stack
    QTest.keyClick(nav.list, Qt.Key.Key_End)
    assert nav.currentWidget() is window.assessment
    # Ctrl+PgDown / Ctrl+PgUp: the next and the previous page, wrapping around.
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert nav.currentWidget() is window.stack
    QTest.keyClick(window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert nav.currentWidget() is window.assessment
    QTest.keyClick(window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert nav.currentWidget() is window.coverage
    # What a screen reader says.
    assert nav.list.accessibleName() == "Navigation"
    item = nav.item_of(window.review)
    assert item.data(Qt.ItemDataRole.AccessibleTextRole) == "Review (Office)"
    assert nav.pages.accessibleName() == "Coverage"


def test_counts_show_in_the_navigation(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, tmp_path: Path
) -> None:
    start = NOW - timedelta(hours=1)
    for n in range(2):
        add_case_with_steps(store, [("submit", start)], description=f"待审 {n}")
    window = supervisor_window(qtbot, store, tasks, tmp_path)
    review = window.review
    assert review is not None
    qtbot.waitUntil(lambda: window.nav.title(review) == "Review (2)", timeout=10_000)
    item = window.nav.item_of(review)
    assert item.text() == "Review (2)"
    assert item.data(Qt.ItemDataRole.AccessibleTextRole) == "Review (2) (Office)"
    # The QTabWidget-shaped access code and tests use reads the same title.
    assert window.tabs.tabText(window.tabs.indexOf(review)) == "Review (2)"
    # The View menu keeps the page's plain name.
    assert window._page_actions[id(review)].text() == "Review"


def test_a_department_has_its_tasks_in_their_own_group(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, tmp_path: Path
) -> None:
    hwc = add_department(store, "环卫所", name_en="Sanitation", code="HWC")
    add_case_with_steps(
        store,
        [
            ("submit", NOW - timedelta(hours=4)),
            ("accept", NOW - timedelta(hours=3)),
            ("register", NOW - timedelta(hours=2)),
            ("dispatch", NOW - timedelta(hours=1), {"department_id": hwc, "deadline": NOW}),
        ],
    )
    sign_in_as(store, Role.HANDLER, hwc)
    window = open_window(qtbot, store, tasks, tmp_path)
    qtbot.waitUntil(lambda: window.handler is not None, timeout=10_000)
    handler = window.handler
    assert handler is not None
    assert window.nav.currentWidget() is handler
    qtbot.waitUntil(
        lambda: window.nav.title(handler) == "Department tasks (1 to sign for)", timeout=10_000
    )
    assert [text for text, _ in listed(window)] == [
        "Patrol",
        "Cases",
        "Tasks",
        "Map",
        "Inspections",
        "Department",
        "Department tasks",
    ]
    click(qtbot, window, window.inbox)
    assert window.nav.currentWidget() is window.inbox
    window.activateWindow()
    press(window, QKeySequence("Ctrl+3"))
    assert window.nav.currentWidget() is handler
    assert window.review is None  # no office pages for a department


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.SUPERVISOR, Role.HANDLER])
def test_the_window_fits_a_1024_pixel_screen(
    qtbot: QtBot,
    *,
    store: LocalStore,
    tasks: TaskRunner,
    tmp_path: Path,
    qapp: QApplication,
    language: str,
    role: Role,
) -> None:
    department = (
        add_department(store, "环卫所", name_en="Sanitation") if role is Role.HANDLER else None
    )
    sign_in_as(store, role, department)
    install_translators(qapp, language)
    try:
        window = open_window(qtbot, store, tasks, tmp_path, language)
        qtbot.waitUntil(lambda: "example.invalid" in window.account_label.text(), timeout=10_000)
        pages = [page for _, page in window.nav.listed() if page is not None]
        assert len(pages) == {Role.INSPECTOR: 4, Role.SUPERVISOR: 11, Role.HANDLER: 5}[role]
        assert window.minimumSizeHint().width() <= SMALL_SCREEN[0]
        qtbot.waitUntil(lambda: window.width() == SMALL_SCREEN[0], timeout=3000)
        assert window.nav.list.width() < 240  # the pages keep most of the width
        wide = []
        for page in pages:  # every page, shown at 1024 px, fits without scrolling sideways
            window.nav.setCurrentWidget(page)
            frame = window.nav.pages.currentWidget()
            assert isinstance(frame, QScrollArea) and frame.widget() is page
            qtbot.waitUntil(lambda frame=frame: frame.viewport().width() > 600, timeout=3000)
            if page.minimumSizeHint().width() > frame.viewport().width():
                wide.append(page)
        assert wide == [], [type(p).__name__ for p in wide]
        if language == "zh_CN":
            assert listed(window)[0][0] == "巡查"
    finally:
        install_translators(qapp, "en")
