"""The case editor driven with pytest-qt: real widgets, a real store, real photos, background lanes."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.capture.positions import EARTH_MEAN_RADIUS_M, Fix, FixQuality, PositionSource
from app.domain import CaseFields, CaseStatus, load_default_taxonomy
from app.domain.validation import DESCRIPTION_MAX
from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.ui.case_editor import CaseEditor
from app.ui.tasks import TaskRunner

LAT, LON = 32.05, 118.78
M_PER_DEG = math.radians(1) * EARTH_MEAN_RADIUS_M


@pytest.fixture
def gps_photos(samples: Path) -> list[Path]:
    return sorted((samples / "photos" / "jpg" / "gps").glob("*.jpg"))


def open_editor(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, case_id: str | None = None
) -> CaseEditor:
    editor = CaseEditor(store, tasks, load_default_taxonomy(), "en", case_id)
    qtbot.addWidget(editor)
    editor.resize(1366, 740)
    editor.show()
    qtbot.waitUntil(editor.is_loaded)
    return editor


def gps_fix(lat: float, lon: float, accuracy: float | None) -> Fix:
    return Fix(lat, lon, accuracy, None, None, FixQuality.GPS, PositionSource.GPS, 3)


def drop(widget: QWidget, paths: list[Path]) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(event)  # type: ignore[attr-defined]
    return event


def only_case(store: LocalStore) -> str:
    page = store.list_cases()
    assert page.total == 1, page.rows
    return page.rows[0].id


def wait_idle(qtbot: QtBot, editor: CaseEditor) -> None:
    qtbot.waitUntil(lambda: not editor.has_unsaved_changes() and not editor.photo_strip.busy())


def double_click(qtbot: QtBot, viewport: QWidget, pos: QPoint) -> None:
    # Qt's item views see a double click only after the press/release that precedes it.
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=pos)


def click_item(qtbot: QtBot, editor: CaseEditor, code: str) -> None:
    item = editor.picker.item_for(code)
    assert item is not None
    tree = editor.picker.tree
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# -- typing and autosave ----------------------------------------------------------------------


def test_typing_saves_a_draft_without_clicking(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    editor = open_editor(qtbot, store, tasks)
    assert editor.case_id() is None and store.list_cases().total == 0
    saved: list[str] = []
    editor.saved.connect(saved.append)
    editor.description.setFocus()
    qtbot.keyClicks(editor.description, "Street light out")
    editor.description.insertPlainText("，路灯不亮")  # what an input method commits
    qtbot.keyClicks(editor.address, "Zhongshan Rd 8")
    qtbot.waitUntil(lambda: store.list_cases().total == 1, timeout=4000)
    case_id = only_case(store)
    qtbot.waitUntil(lambda: store.get_case(case_id).address == "Zhongshan Rd 8", timeout=4000)
    row = store.get_case(case_id)
    assert row.description == "Street light out，路灯不亮"
    assert row.status is CaseStatus.DRAFT
    assert editor.case_id() == case_id and saved and set(saved) == {case_id}
    qtbot.waitUntil(lambda: editor.save_state_label.text().startswith("Draft saved"))
    # Saving as one types: one creation and at most one (coalesced) update travel.
    ops = [op for _, _, entity, op in store.pending_outbox() if entity == case_id]
    assert ops[0] == "create" and ops.count("update") <= 1 and len(ops) <= 2
    editor.urgency.setCurrentIndex(editor.urgency.findData("urgent"))
    qtbot.waitUntil(lambda: store.get_case(case_id).urgency == "urgent", timeout=4000)


def test_nothing_typed_is_lost_on_close(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> None:
    editor = open_editor(qtbot, store, tasks)
    closed: list[bool] = []
    editor.closed.connect(lambda: closed.append(True))
    editor.description.insertPlainText("井盖缺失，有行人跌落危险")
    assert editor.has_unsaved_changes()
    editor.close()  # well before the autosave delay
    assert closed == [True]
    tasks.wait()
    qtbot.waitUntil(lambda: store.list_cases().total == 1)
    assert store.get_case(only_case(store)).description == "井盖缺失，有行人跌落危险"


def test_save_shortcut_saves_at_once(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> None:
    editor = open_editor(qtbot, store, tasks)
    qtbot.waitUntil(editor.isActiveWindow)
    editor.description.setFocus()
    qtbot.keyClicks(editor.description, "abc")
    assert editor._save_timer.isActive()
    qtbot.keyClick(editor.description, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not editor._save_timer.isActive()  # handed to the store, not waiting for the timer
    tasks.wait()
    qtbot.waitUntil(lambda: store.list_cases().total == 1)
    assert store.get_case(only_case(store)).description == "abc"


def test_opening_a_case_does_not_write_it(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    case_id = store.create_case(CaseFields(category_code="06010", description="已有草稿")).id
    revision = store.get_case(case_id).revision
    editor = open_editor(qtbot, store, tasks, case_id)
    assert editor.description.toPlainText() == "已有草稿"
    assert editor.picker.current_code() == "06010"
    assert "06010 Exposed garbage" in editor.category_value.text()
    editor.save_now()
    editor.close()
    tasks.wait()
    assert store.get_case(case_id).revision == revision


# -- category picker --------------------------------------------------------------------------


def test_pick_a_category_by_searching_chinese_and_by_code(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    editor = open_editor(qtbot, store, tasks)
    picker = editor.picker
    picker.search.setFocus()
    picker.search.insert("垃圾")
    visible = picker.visible_codes()
    assert "06010" in visible and "06042" in visible and "03005" in visible
    assert "01037" not in visible and "09006" not in visible
    click_item(qtbot, editor, "06010")
    assert picker.current_code() == "06010"
    assert editor.category_value.text().startswith("06010 Exposed garbage")
    qtbot.waitUntil(lambda: store.list_cases().total == 1)
    case_id = only_case(store)
    qtbot.waitUntil(lambda: store.get_case(case_id).category_code == "06010")

    picker.search.clear()
    qtbot.keyClicks(picker.search, "09006")
    assert picker.visible_codes() == ["09006"]
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    assert picker.current_code() == "09006"
    qtbot.waitUntil(lambda: store.get_case(case_id).category_code == "09006")

    picker.search.setText("garbage")  # English names too
    assert "06010" in picker.visible_codes()
    picker.search.setText("no such thing")
    assert picker.visible_codes() == [] and picker.empty_label.isVisible()


def test_the_most_used_categories_come_first(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    for code in ("09009", "09009", "01037"):
        store.create_case(CaseFields(category_code=code))
    editor = open_editor(qtbot, store, tasks)
    qtbot.waitUntil(lambda: editor.picker.visible_codes()[:2] == ["09009", "01037"])
    # Only matters (管理事项) can be chosen: a major class is a heading.
    assert not editor.picker.choose("01")
    assert not editor.picker.choose("99999")


# -- photos -----------------------------------------------------------------------------------


def test_dropped_photos_and_folders_are_imported_and_the_broken_one_is_named(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, samples: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    gps = samples / "photos" / "jpg" / "gps"
    for name in ("DSCN0021.jpg", "DSCN0025.jpg"):
        shutil.copy(gps / name, folder / name)
    shutil.copy(samples / "photos" / "jpg" / "corrupted.jpg", folder / "corrupted.jpg")
    (tmp_path / "notes.jpg").write_text("not a photo at all")
    editor = open_editor(qtbot, store, tasks)
    strip = editor.photo_strip
    imported: list[tuple[list[str], list[str]]] = []
    strip.imported.connect(lambda ids, refused: imported.append((ids, refused)))
    event = drop(strip, [gps / "DSCN0010.jpg", folder, tmp_path / "notes.jpg"])
    assert event.isAccepted()
    qtbot.waitUntil(lambda: bool(imported), timeout=20_000)
    case_id = only_case(store)  # the drop created the case
    assert editor.case_id() == case_id
    attached, refused = imported[0]
    assert len(attached) == 3 and len(refused) == 2
    assert sorted(p.original_name for p in store.photos(case_id)) == [
        "DSCN0010.jpg",
        "DSCN0021.jpg",
        "DSCN0025.jpg",
    ]
    assert strip.list.count() == 3
    assert all(not strip.list.item(i).icon().isNull() for i in range(3))
    assert strip.refused_panel.isVisible()
    text = strip.refused_label.text()
    assert "corrupted.jpg" in text and "notes.jpg" in text
    assert strip.title_label.text() == "Photos (3)"
    strip.dismiss_button.click()
    assert not strip.refused_panel.isVisible()


def test_photos_added_through_the_import_dialog(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, gps_photos: list[Path]
) -> None:
    case_id = store.create_case(CaseFields(description="占道经营")).id
    editor = open_editor(qtbot, store, tasks, case_id)
    strip = editor.photo_strip
    strip.add_button.click()
    dialog = strip.file_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setDirectory(str(gps_photos[0].parent))
    dialog.selectFile(f'"{gps_photos[0].name}" "{gps_photos[1].name}"')
    dialog.accept()
    qtbot.waitUntil(lambda: strip.list.count() == 2, timeout=20_000)
    assert {p.original_name for p in store.photos(case_id)} == {
        gps_photos[0].name,
        gps_photos[1].name,
    }
    assert not strip.refused_panel.isVisible()


def test_remove_a_photo_with_the_delete_key(
    qtbot: QtBot,
    store: LocalStore,
    tasks: TaskRunner,
    gps_photos: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = store.create_case(CaseFields(description="路灯不亮")).id
    store.attach_photos(case_id, gps_photos[:2])
    editor = open_editor(qtbot, store, tasks, case_id)
    strip = editor.photo_strip
    qtbot.waitUntil(lambda: strip.list.count() == 2)
    asked: list[str] = []

    def yes(*args: object, **kwargs: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    strip.list.setFocus()
    strip.list.setCurrentRow(0)
    gone = strip.selected_photo()
    assert gone is not None and strip.remove_button.isEnabled()
    qtbot.keyClick(strip.list, Qt.Key.Key_Delete)
    assert asked and gone.original_name in asked[0]
    qtbot.waitUntil(lambda: strip.list.count() == 1)
    assert [p.id for p in store.photos(case_id)] != [gone.id]
    assert len(store.photos(case_id)) == 1
    assert gone.path.exists()  # the stored file is kept
    assert gone.id not in {entity for _, _, entity, _ in store.pending_outbox()}


def test_the_large_viewer_shows_the_photo_upright(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, samples: Path
) -> None:
    rotated = samples / "photos" / "jpg" / "orientation" / "landscape_6.jpg"  # stored 450×600
    case_id = store.create_case(CaseFields(description="横幅")).id
    store.attach_photo(case_id, rotated)
    editor = open_editor(qtbot, store, tasks, case_id)
    strip = editor.photo_strip
    qtbot.waitUntil(lambda: strip.list.count() == 1)
    item = strip.list.item(0)
    rect = strip.list.visualItemRect(item)
    double_click(qtbot, strip.list.viewport(), rect.center())
    viewer = strip.viewer
    assert viewer is not None and viewer.isVisible()
    qtbot.waitUntil(lambda: viewer.image is not None, timeout=10_000)
    assert viewer.image is not None
    assert viewer.image.width() > viewer.image.height()  # EXIF orientation 6 applied
    assert "landscape_6.jpg" in viewer.windowTitle()
    viewer.close()


# -- position ---------------------------------------------------------------------------------


def test_use_the_photo_position(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, gps_photos: list[Path]
) -> None:
    case_id = store.create_case(CaseFields(description="暴露垃圾")).id
    editor = open_editor(qtbot, store, tasks, case_id)
    panel = editor.position_panel
    assert not panel.photo_button.isEnabled()
    editor.photo_strip.add_paths([gps_photos[0]])
    qtbot.waitUntil(panel.photo_button.isEnabled, timeout=20_000)
    (photo,) = store.photos(case_id)
    panel.photo_button.click()
    qtbot.waitUntil(lambda: store.case_position(case_id) is not None)
    fix = store.case_position(case_id)
    assert fix is not None and fix.source is PositionSource.PHOTO
    assert (fix.lat, fix.lon) == (photo.lat, photo.lon)
    qtbot.waitUntil(lambda: panel.coordinates_label.text().startswith(f"{photo.lat:.6f}"))
    assert "photo" in panel.detail_label.text()
    # A photo's GPS tags say nothing about their accuracy: the inspector is told.
    assert panel.warning_label.isVisible() and "unknown" in panel.warning_label.text()


def test_manual_position_is_validated_field_by_field(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    editor = open_editor(qtbot, store, tasks)
    panel = editor.position_panel
    panel.manual_button.click()
    dialog = panel.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.lat_edit.setText("北纬")
    dialog.lon_edit.setText("200")
    dialog.accuracy_edit.setText("-3")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible()
    assert dialog.errors["lat"].text() == "Enter a number, such as 32.041234"
    assert dialog.errors["lon"].text() == "Longitude must be between -180 and 180"
    assert dialog.errors["accuracy_m"].text() == "The accuracy cannot be negative"
    dialog.lat_edit.setText("95")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.isVisible()
    assert dialog.errors["lat"].text() == "Latitude must be between -90 and 90"
    assert dialog.errors["lon"].text() == "Longitude must be between -180 and 180"
    assert dialog.errors["accuracy_m"].text() == "The accuracy cannot be negative"
    assert store.list_cases().total == 0  # nothing written
    dialog.lat_edit.setText(f"{LAT}, {LON}")  # a pasted pair fills both fields
    dialog.accuracy_edit.setText("5")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: store.list_cases().total == 1)
    case_id = only_case(store)
    qtbot.waitUntil(lambda: store.case_position(case_id) is not None)
    fix = store.case_position(case_id)
    assert fix is not None and fix.source is PositionSource.MANUAL
    assert (fix.lat, fix.lon, fix.accuracy_m) == (LAT, LON, 5.0)
    qtbot.waitUntil(lambda: panel.coordinates_label.text() == "32.050000, 118.780000")
    assert not panel.warning_label.isVisible()


def test_poor_accuracy_is_flagged_and_a_better_fix_clears_it(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    editor = open_editor(qtbot, store, tasks)
    panel = editor.position_panel
    assert not panel.current_button.isEnabled()  # no fix yet
    editor.set_current_fix(gps_fix(LAT, LON, 45.0))
    assert panel.current_button.isEnabled()
    panel.current_button.click()
    qtbot.waitUntil(panel.warning_label.isVisible)
    assert "±45 m" in panel.warning_label.text() and "20 m" in panel.warning_label.text()
    case_id = only_case(store)
    editor.set_current_fix(gps_fix(LAT + 0.00001, LON, 3.0))
    panel.current_button.click()
    qtbot.waitUntil(lambda: not panel.warning_label.isVisible())
    fix = store.case_position(case_id)
    assert fix is not None and fix.accuracy_m == 3.0 and fix.source is PositionSource.GPS
    # A worse fix does not silently replace a better one: the panel says so.
    editor.set_current_fix(gps_fix(LAT, LON, 12.0))
    panel.current_button.click()
    qtbot.waitUntil(panel.note_label.isVisible)
    assert "more accurate" in panel.note_label.text()
    assert store.case_position(case_id) == fix


# -- submission -------------------------------------------------------------------------------


def test_submit_shows_errors_next_to_fields_then_submits(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    editor = open_editor(qtbot, store, tasks)
    editor.description.insertPlainText("人民路占道经营")
    editor.submit_button.click()
    assert editor.category_error.isVisible() and editor.category_error.text() == "Choose a category"
    assert not editor.description_error.isVisible()
    assert "Set the position of the problem" in editor.position_panel.error_label.text()
    assert editor.banner.isVisible()
    assert editor.picker.search.hasFocus() or not editor.isActiveWindow()
    qtbot.waitUntil(lambda: store.list_cases().total == 1, timeout=4000)
    case_id = only_case(store)
    assert store.get_case(case_id).status is CaseStatus.DRAFT
    # Errors update as the fields are corrected.
    assert editor.picker.choose("09006")
    assert not editor.category_error.isVisible()
    editor.set_current_fix(gps_fix(LAT, LON, 4.0))
    editor.position_panel.current_button.click()
    qtbot.waitUntil(lambda: not editor.position_panel.error_label.isVisible())
    submitted: list[str] = []
    editor.submitted.connect(submitted.append)
    editor.submit_button.click()
    qtbot.waitUntil(lambda: submitted == [case_id])
    row = store.get_case(case_id)
    assert row.status is CaseStatus.SUBMITTED and row.category_code == "09006"
    assert row.description == "人民路占道经营"
    assert_read_only(editor)


def assert_read_only(editor: CaseEditor) -> None:
    assert not editor.is_editable()
    assert editor.description.isReadOnly() and editor.address.isReadOnly()
    assert not editor.urgency.isEnabled()
    assert not editor.picker.tree.isEnabled()
    assert not editor.submit_button.isVisible()
    panel = editor.position_panel
    assert not any(
        b.isEnabled() for b in (panel.current_button, panel.photo_button, panel.manual_button)
    )
    assert not editor.photo_strip.add_button.isVisible()
    assert not editor.photo_strip.acceptDrops()


def test_a_submitted_case_opens_read_only(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, gps_photos: list[Path]
) -> None:
    case_id = store.create_case(
        CaseFields(category_code="06010", description="已上报", lat=LAT, lon=LON)
    ).id
    store.attach_photos(case_id, gps_photos[:1])
    store.submit_case(case_id)
    revision = store.get_case(case_id).revision
    editor = open_editor(qtbot, store, tasks, case_id)
    assert_read_only(editor)
    assert "Submitted" in editor.banner.text() and "cannot be edited" in editor.banner.text()
    assert editor.status_label.text() == "Submitted"
    qtbot.waitUntil(lambda: editor.photo_strip.list.count() == 1)
    drop(editor.photo_strip, gps_photos[1:2])
    editor.description.setFocus()
    qtbot.keyClicks(editor.description, "more")
    editor.save_now()
    tasks.wait()
    assert store.get_case(case_id).revision == revision
    assert len(store.photos(case_id)) == 1


def test_a_returned_case_shows_the_opinion_and_can_be_resubmitted(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    case_id = store.create_case(
        CaseFields(category_code="06010", description="暴露垃圾", lat=LAT, lon=LON)
    ).id
    store.submit_case(case_id)
    decision = {
        "kind": "decision",
        "seq": 1,
        "entity_id": case_id,
        "at": "2026-03-01T09:00:00+00:00",
        "payload": {
            "status": "returned",
            "revision": 2,
            "step_id": "step-return-1",
            "event": "return",
            "opinion": "请补充近景照片和门牌号",
        },
    }
    SyncLedger(store).apply_feed([decision], 1, "supervisor-1")
    editor = open_editor(qtbot, store, tasks, case_id)
    assert editor.is_editable() and editor.submit_button.isVisible()
    assert "请补充近景照片和门牌号" in editor.banner.text()
    assert editor.status_label.text() == "Returned for correction"
    editor.address.setText("人民路12号")
    submitted: list[str] = []
    editor.submitted.connect(submitted.append)
    editor.submit_button.click()
    qtbot.waitUntil(lambda: submitted == [case_id])
    row = store.get_case(case_id)
    assert row.status is CaseStatus.SUBMITTED and row.address == "人民路12号"


def test_the_description_stops_at_its_maximum_length(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    editor = open_editor(qtbot, store, tasks)
    editor.description.insertPlainText("路" * (DESCRIPTION_MAX - 2))
    editor.description.insertPlainText("井盖缺失")  # pasted past the limit
    assert editor.description.toPlainText() == "路" * (DESCRIPTION_MAX - 2) + "井盖"
    assert editor.description_error.isVisible()
    assert editor.description_counter.text() == f"{DESCRIPTION_MAX} / {DESCRIPTION_MAX}"
    editor.save_now()
    qtbot.waitUntil(lambda: store.list_cases().total == 1)
    case_id = only_case(store)
    qtbot.waitUntil(lambda: len(store.get_case(case_id).description) == DESCRIPTION_MAX)


def test_a_new_case_dropped_only_a_broken_photo_still_exists_and_says_why(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, samples: Path
) -> None:
    editor = open_editor(qtbot, store, tasks)
    saved: list[str] = []
    editor.saved.connect(saved.append)
    drop(editor.photo_strip, [samples / "photos" / "jpg" / "corrupted.jpg"])
    qtbot.waitUntil(editor.photo_strip.refused_panel.isVisible, timeout=20_000)
    assert "corrupted.jpg" in editor.photo_strip.refused_label.text()
    assert "damaged" in editor.photo_strip.refused_label.text()
    case_id = only_case(store)
    assert editor.case_id() == case_id and saved == [case_id]
    assert editor.title_label.text() != "New case"
    assert store.photos(case_id) == []


def test_photos_dropped_anywhere_on_the_editor(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, gps_photos: list[Path]
) -> None:
    editor = open_editor(qtbot, store, tasks)
    drop(editor, gps_photos[:1])
    qtbot.waitUntil(lambda: editor.photo_strip.list.count() == 1, timeout=20_000)
    assert len(store.photos(only_case(store))) == 1


def test_a_case_submitted_elsewhere_meanwhile_turns_read_only(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    case_id = store.create_case(
        CaseFields(category_code="06010", description="暴露垃圾", lat=LAT, lon=LON)
    ).id
    editor = open_editor(qtbot, store, tasks, case_id)
    assert editor.is_editable()
    store.submit_case(case_id)  # say, with the command line, while the editor is open
    editor.address.setText("人民路")
    editor.submit_button.click()
    qtbot.waitUntil(lambda: not editor.is_editable())
    assert store.get_case(case_id).address == ""
    assert editor.status_label.text() == "Submitted"
    assert_read_only(editor)
    # An autosave that finds the case out of the inspector's hands does the same.
    other = store.create_case(
        CaseFields(category_code="09006", description="占道经营", lat=LAT, lon=LON)
    ).id
    editor = open_editor(qtbot, store, tasks, other)
    store.submit_case(other)
    editor.address.setText("中山路")
    editor.save_now()
    qtbot.waitUntil(lambda: not editor.is_editable())
    assert editor.address.text() == "" and store.get_case(other).address == ""


# -- duplicate check --------------------------------------------------------------------------


def test_nearby_open_case_of_the_same_category_is_flagged(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    earlier = store.create_case(
        CaseFields(category_code="06010", description="人民路口垃圾堆", lat=LAT, lon=LON)
    ).id
    store.submit_case(earlier)
    editor = open_editor(qtbot, store, tasks)
    assert editor.picker.choose("06010")
    editor.set_current_fix(gps_fix(LAT + 12 / M_PER_DEG, LON, 4.0))  # 12 m north
    editor.position_panel.current_button.click()
    qtbot.waitUntil(editor.duplicates_box.isVisible)
    assert [c.id for c in editor.duplicates()] == [earlier]
    text = editor.duplicates_list.item(0).text()
    assert "12 m away" in text and "人民路口垃圾堆" in text and "Submitted" in text
    assert "Possibly already reported" in editor.duplicates_title.text()
    opened: list[str] = []
    editor.open_case_requested.connect(opened.append)
    rect = editor.duplicates_list.visualItemRect(editor.duplicates_list.item(0))
    double_click(qtbot, editor.duplicates_list.viewport(), rect.center())
    assert opened == [earlier]
    # Another category at the same spot is not a duplicate.
    assert editor.picker.choose("06011")
    qtbot.waitUntil(lambda: not editor.duplicates_box.isVisible())


# -- layout -----------------------------------------------------------------------------------


def test_the_editor_fits_a_1366x768_screen(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, gps_photos: list[Path], tmp_path: Path
) -> None:
    case_id = store.create_case(
        CaseFields(category_code="06010", description="人民路与解放路交叉口暴露垃圾堆积约2立方米")
    ).id
    store.attach_photos(case_id, gps_photos[:5])
    store.set_case_position(case_id, gps_fix(LAT, LON, 35.0))
    editor = open_editor(qtbot, store, tasks, case_id)
    qtbot.waitUntil(lambda: editor.photo_strip.list.count() == 5)
    hint = editor.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768 - 80, hint  # window frame and taskbar
    assert editor.position_panel.warning_label.isVisible()
    shot = tmp_path / "editor.png"
    assert editor.grab().save(str(shot))
    assert shot.stat().st_size > 20_000
    for button in (editor.submit_button, editor.close_button, editor.photo_strip.add_button):
        corner = button.mapTo(editor, QPoint(button.width(), button.height()))
        assert editor.rect().contains(corner)
