"""The main window driven with pytest-qt: real widgets, a real store, work in the background lanes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain import CaseFields, load_default_taxonomy
from app.storage import LocalStore
from app.ui.i18n import install_translators
from app.ui.main_window import MainWindow
from app.ui.tasks import TaskRunner


def open_window(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, language: str = "en"
) -> MainWindow:
    window = MainWindow(store, tasks, load_default_taxonomy(), language)
    qtbot.addWidget(window)
    window.show()
    return window


def test_new_user_sees_the_empty_state(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> None:
    window = open_window(qtbot, store, tasks)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.empty_label)
    assert "No cases yet" in window.empty_label.text()
    assert window.count_label.text() == "0 cases"


def test_cases_are_listed_newest_first_with_their_category(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    store.create_case(CaseFields(category_code="01037", description="路灯不亮"))
    store.create_case(CaseFields(category_code="06010", description="暴露垃圾"))
    window = open_window(qtbot, store, tasks)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    model = window.model
    qtbot.waitUntil(lambda: model.data(model.index(0, 2)) == "暴露垃圾")
    assert model.data(model.index(1, 2)) == "路灯不亮"
    assert model.data(model.index(0, 1)) == "06010 Exposed garbage"
    assert model.data(model.index(0, 0)) == "Draft"
    assert model.data(model.index(0, 6)) == "Pending"
    assert window.stack.currentWidget() is window.table
    assert window.count_label.text() == "2 cases"


def test_search_box_filters_by_chinese_substring(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    store.create_case(CaseFields(description="中山路井盖缺失"))
    store.create_case(CaseFields(description="人民路暴露垃圾"))
    window = open_window(qtbot, store, tasks)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    window.search.setFocus()
    # QTest cannot type non-Latin keys; an input method commits Chinese text as a whole like this.
    window.search.insert("井盖")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=3000)
    qtbot.waitUntil(lambda: window.model.data(window.model.index(0, 2)) == "中山路井盖缺失")
    window.search.setText("没有这个")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.empty_label, timeout=3000)
    assert window.empty_label.text() == "No cases match the search."


def test_status_filter(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> None:
    submitted = store.create_case(
        CaseFields(category_code="06010", description="已上报的", lat=32.0, lon=118.0)
    )
    store.submit_case(submitted.id)
    store.create_case(CaseFields(description="草稿"))
    window = open_window(qtbot, store, tasks)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    window.status_filter.setCurrentIndex(window.status_filter.findData("submitted"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    qtbot.waitUntil(lambda: window.model.data(window.model.index(0, 2)) == "已上报的")


def test_many_cases_are_fetched_lazily(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> None:
    for i in range(450):
        store.create_case(CaseFields(description=f"案件{i:03d}"))
    window = open_window(qtbot, store, tasks)
    qtbot.waitUntil(lambda: window.model.rowCount() == 450)
    model = window.model
    assert model.case_at(449) is None  # not shown yet, so not fetched
    assert model.data(model.index(449, 2)) == "…"
    qtbot.waitUntil(lambda: model.data(model.index(449, 2)) == "案件000")


def test_chinese_interface_renders_translated_text(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, tmp_path: Path
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    translators = install_translators(app, "zh_CN")
    try:
        store.create_case(CaseFields(category_code="06010", description="人民路暴露垃圾"))
        window = open_window(qtbot, store, tasks, "zh_CN")
        window.resize(1366, 768)
        qtbot.waitUntil(lambda: window.model.rowCount() == 1)
        qtbot.waitUntil(lambda: window.model.data(window.model.index(0, 0)) == "草稿")
        assert window.model.headerData(0, Qt.Orientation.Horizontal) == "状态"
        assert window.search.placeholderText() == "搜索问题描述或地址…"
        assert window.count_label.text() == "共 1 件案件"
        assert window.model.data(window.model.index(0, 1)) == "06010 暴露垃圾"
        shot = tmp_path / "main_window_zh.png"
        assert window.grab().save(str(shot))
        assert shot.stat().st_size > 5000
    finally:
        for translator in translators:
            app.removeTranslator(translator)
    assert QCoreApplication.translate("MainWindow", "All statuses") == "All statuses"
    install_translators(app, "en")  # back to the session's English (its plural forms)


def test_cjk_font_is_installed() -> None:
    # Without a CJK font Qt draws boxes for Chinese; set-up installs fonts-wqy-microhei.
    result = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip(), "no font with Chinese glyphs is installed"


def test_background_errors_reach_the_ui_thread(qtbot: QtBot, tasks: TaskRunner) -> None:
    errors: list[BaseException] = []

    def boom() -> None:
        raise ValueError("disk on fire")

    tasks.run_db(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ValueError)
    results: list[int] = []
    tasks.run_net(lambda: 6 * 7, results.append)
    qtbot.waitUntil(lambda: results == [42])


def test_new_case_from_the_main_window_opens_the_editor_and_lists_the_saved_draft(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    from app.ui.case_editor import CaseEditor

    window = open_window(qtbot, store, tasks)
    window.new_action.trigger()
    editor = window.findChild(CaseEditor)
    assert editor is not None and editor.isVisible()
    assert editor.picker.choose("06010")
    editor.description.setPlainText("路口暴露垃圾")  # (QTest types ASCII only)
    editor.save_now()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: window.model.data(window.model.index(0, 2)) == "路口暴露垃圾")
    editor.close()
    # Double-clicking the row opens it again, as it was saved.
    window.table.setCurrentIndex(window.model.index(0, 0))
    window.open_selected()
    qtbot.waitUntil(lambda: len(window.findChildren(CaseEditor)) >= 1)
    reopened = [e for e in window.findChildren(CaseEditor) if e.isVisible()][-1]
    qtbot.waitUntil(reopened.is_loaded)
    assert reopened.description.toPlainText() == "路口暴露垃圾"
    window.close()


def test_filters_by_delivery_date_and_category_class(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    store.create_case(CaseFields(category_code="01037", description="路灯不亮"))
    store.create_case(CaseFields(category_code="06010", description="暴露垃圾"))
    window = open_window(qtbot, store, tasks)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    garbage_class = load_default_taxonomy().matter("06010").major_code  # type: ignore[union-attr]
    window.category_filter.setCurrentIndex(window.category_filter.findData(garbage_class))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    qtbot.waitUntil(lambda: window.model.data(window.model.index(0, 2)) == "暴露垃圾")
    window.category_filter.setCurrentIndex(0)
    window.date_filter.setCurrentIndex(1)  # today: both
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    window.delivery_filter.setCurrentIndex(2)  # confirmed: none yet
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.empty_label)
    assert "No cases match" in window.empty_label.text()
    window.delivery_filter.setCurrentIndex(1)  # not yet delivered: both
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    window.close()


def test_sort_order_oldest_first(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> None:
    store.create_case(CaseFields(description="先记录的"))
    store.create_case(CaseFields(description="后记录的"))
    window = open_window(qtbot, store, tasks)
    qtbot.waitUntil(lambda: window.model.data(window.model.index(0, 2)) == "后记录的")
    window.sort_order.setCurrentIndex(window.sort_order.findData("oldest"))
    qtbot.waitUntil(lambda: window.model.data(window.model.index(0, 2)) == "先记录的")
    window.close()


def test_a_saved_case_re_reads_its_own_row_only(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    """A save is announced on the store's events: the list re-reads the saved row in place
    (no new query, no reset) and the inbox is not read again; a new case re-runs the query."""
    from app.ui.case_editor import CaseEditor

    first = store.create_case(CaseFields(category_code="06010", description="暴露垃圾"))
    store.create_case(CaseFields(category_code="01037", description="路灯不亮"))
    window = open_window(qtbot, store, tasks)
    model = window.model
    qtbot.waitUntil(lambda: model.data(model.index(1, 2)) == "暴露垃圾")
    # The inbox's first read is queued behind the list's first screen (start-up): let it land
    # before counting the reads a save causes.
    tasks.wait()
    qtbot.wait(50)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    inbox_reads: list[int] = []
    window.inbox.counts_changed.connect(lambda *_: inbox_reads.append(1))

    window.open_case(first.id)
    editor = window.findChild(CaseEditor)
    assert editor is not None
    qtbot.waitUntil(editor.is_loaded)
    editor.description.setPlainText("暴露垃圾已清理一半")
    editor.save_now()
    qtbot.waitUntil(lambda: model.data(model.index(1, 2)) == "暴露垃圾已清理一半")
    tasks.wait()
    qtbot.wait(50)
    assert resets == [] and inbox_reads == []
    assert model.rowCount() == 2

    window.events.announce(store.create_case(CaseFields(description="新案件")).changes)
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    assert resets
    editor.close()
    window.close()
