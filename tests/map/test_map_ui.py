"""The map where the inspector uses it: the Map tab, picking a position, adding a basemap."""

from __future__ import annotations

from pathlib import Path

import pytest
from maphelpers import crossing, gcj02_copy
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from app.capture.positions import PositionSource, haversine_m
from app.domain import CaseFields, load_default_taxonomy
from app.domain.lifecycle import CaseStatus
from app.geo.basemaps import BasemapRegistry
from app.geo.datum import gcj02_to_wgs84
from app.storage import Changes, LocalStore
from app.ui.basemap_settings import BasemapSettings
from app.ui.case_editor import CaseEditor
from app.ui.events import StoreEvents
from app.ui.main_window import MainWindow
from app.ui.tasks import TaskRunner


def test_the_map_tab_shows_the_cases_with_the_list_filters_and_opens_a_clicked_case(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path
) -> None:
    BasemapRegistry(store.data_dir).add(maps / "town.mbtiles", name="贵溪")
    lat, lon = crossing(maps / "town.gpkg", "雄石路", "烧箕山东路")
    target = store.create_case(
        CaseFields(category_code="06010", description="暴露垃圾", lat=lat, lon=lon)
    ).id
    store.create_case(
        CaseFields(category_code="01037", description="路灯", lat=lat + 0.01, lon=lon + 0.01)
    )
    store.create_case(CaseFields(category_code="01037", description="没有位置"))
    window = MainWindow(store, tasks, load_default_taxonomy(), "en")
    qtbot.addWidget(window)
    window.show()
    panel = window.map_panel
    assert window.tabs.tabText(window.tabs.indexOf(panel)) == "Map"
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.map.layers.cases is not None and panel.map.basemap is not None)
    assert len(panel.map.layers.cases or []) == 2  # the one without a position is not drawn
    assert panel.count_label.text() == "2 cases on the map"
    assert panel.basemap_combo.currentText() == "贵溪"
    tasks.wait(5000)  # the inbox has counted its tasks (and named its tab) by now
    qtbot.wait(50)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["Cases", "Tasks", "Map", "Inspections"]

    # A case created elsewhere is announced on the store's events: the map reads again.
    created = store.create_case(
        CaseFields(category_code="01037", description="新", lat=lat - 0.002, lon=lon)
    )
    StoreEvents.of(store).announce(created.changes)
    qtbot.waitUntil(lambda: panel.count_label.text() == "3 cases on the map")

    # The list's filters apply to the map too.
    window.search.setText("暴露")
    window.apply_filters()
    qtbot.waitUntil(lambda: panel.count_label.text() == "1 case on the map")

    # A click on the marker opens the case in the editor.
    view = panel.map
    view.center_on(lat, lon, 17)
    view.repaint()
    x, y = view._shown().to_screen(lat, lon)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(int(x), int(y)))
    qtbot.waitUntil(lambda: len(window._editors) == 1)
    editor = window._editors[0]
    assert isinstance(editor, CaseEditor)
    qtbot.waitUntil(editor.is_loaded)
    assert editor.case_id() == target
    editor.close()

    # The GPS position with its accuracy circle.
    from app.capture.positions import Fix, FixQuality

    window.gps.fix.emit(Fix(lat, lon, 8.0, None, None, FixQuality.GPS, PositionSource.GPS, 3))
    assert view.layers.position == (lat, lon, 8.0)


def test_picking_on_the_map_stores_the_clicked_wgs84_position_as_manual(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path, tmp_path: Path
) -> None:
    # A GCJ-02 basemap: the click must be converted back before it is stored.
    BasemapRegistry(store.data_dir).add(gcj02_copy(maps, tmp_path), name="高德")
    case_id = store.create_case(CaseFields(category_code="06010", description="暴露垃圾")).id
    editor = CaseEditor(store, tasks, load_default_taxonomy(), "en", case_id)
    qtbot.addWidget(editor)
    editor.resize(1100, 900)
    editor.show()
    qtbot.waitUntil(editor.is_loaded)
    panel = editor.position_panel
    assert panel.map_button.isVisible()
    panel.map_button.click()
    picker = panel.picker
    assert picker is not None and picker.picking
    qtbot.waitUntil(lambda: picker.basemap is not None)
    picker.center_on(28.2950, 117.2200, 17)
    picker.repaint()
    x, y = 150, 100
    shown = picker._shown().to_lat_lon(x, y)  # what the basemap shows under the click (GCJ-02)
    expected = gcj02_to_wgs84(*shown)
    qtbot.mouseClick(picker, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    qtbot.waitUntil(lambda: store.case_position(case_id) is not None)
    fix = store.case_position(case_id)
    assert fix is not None and fix.source is PositionSource.MANUAL
    assert haversine_m(fix.lat, fix.lon, *expected) < 0.05
    assert haversine_m(fix.lat, fix.lon, *shown) > 100  # the GCJ-02 shift was undone
    # The picked position is drawn on the picker, and the panel shows it.
    qtbot.waitUntil(lambda: picker.layers.markers == [(fix.lat, fix.lon)])
    assert panel.coordinates_label.text() == f"{fix.lat:.6f}, {fix.lon:.6f}"
    # A manual position wins: a later pick replaces it again.
    qtbot.mouseClick(picker, Qt.MouseButton.LeftButton, pos=QPoint(x + 40, y))
    qtbot.waitUntil(lambda: (store.case_position(case_id) or fix).lon > fix.lon)


def test_a_submitted_case_cannot_be_moved_on_the_map(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path
) -> None:
    BasemapRegistry(store.data_dir).add(maps / "town.mbtiles")
    case_id = store.create_case(
        CaseFields(category_code="06010", description="暴露垃圾", lat=28.30, lon=117.22)
    ).id
    store.submit_case(case_id)
    assert store.get_case(case_id).status is CaseStatus.SUBMITTED
    editor = CaseEditor(store, tasks, load_default_taxonomy(), "en", case_id)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(editor.is_loaded)
    panel = editor.position_panel
    panel.show_map(True)
    picker = panel.picker
    assert picker is not None and not picker.picking
    qtbot.mouseClick(picker, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    tasks.wait(5000)
    fix = store.case_position(case_id)
    assert fix is not None and (fix.lat, fix.lon) == (28.30, 117.22)


def test_a_local_basemap_is_added_in_the_settings_and_a_damaged_one_refused(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path, tmp_path: Path
) -> None:
    section = BasemapSettings(store.data_dir, tasks, "en")
    qtbot.addWidget(section)
    with qtbot.waitSignal(section.changed, timeout=10_000):
        section.add_file(maps / "town.mbtiles")
    assert section.list.count() == 1
    assert "town.mbtiles" in section.list.item(0).text()
    entry = BasemapRegistry(store.data_dir).current()
    assert entry is not None and len(entry.sha256) == 64

    broken = tmp_path / "broken.mbtiles"
    broken.write_bytes((maps / "town.mbtiles").read_bytes()[:50_000])
    section.add_file(broken)
    qtbot.waitUntil(lambda: "damaged" in section.status.text())
    assert section.list.count() == 1
    section.list.setCurrentRow(0)
    section.remove_selected()
    assert section.list.count() == 0 and BasemapRegistry(store.data_dir).entries() == []
    assert Changes() == Changes()  # (the registry is not the store: no store events)


def test_the_patrol_track_grows_on_the_map_as_it_is_recorded(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from app.capture.positions import Fix, FixQuality

    window = MainWindow(store, tasks, load_default_taxonomy(), "en")
    qtbot.addWidget(window)
    window.show()
    panel = window.map_panel
    window.tabs.setCurrentWidget(panel)
    window.patrol.start()
    qtbot.waitUntil(lambda: window.patrol.track_id is not None)
    start = datetime.now(UTC)
    lat, lon = crossing(maps / "town.gpkg", "雄石路", "烧箕山东路")

    def walk(first: int, last: int) -> None:
        for i in range(first, last):
            window.gps.fix.emit(
                Fix(lat, lon + i * 0.0002, 5.0, None, start + timedelta(seconds=10 * i),
                    FixQuality.GPS, PositionSource.GPS, 3)
            )  # fmt: skip
        window.patrol.flush()

    walk(0, 3)
    qtbot.waitUntil(lambda: sum(len(s) for s in panel.map.layers.track) == 3)
    walk(3, 6)  # the next flush: the line grows
    qtbot.waitUntil(lambda: sum(len(s) for s in panel.map.layers.track) == 6)
    assert panel.map.layers.position is not None  # the last fix, with its accuracy circle
    panel.track_check.setChecked(False)
    assert panel.map.layers.track == []
    window.patrol.stop()


def test_vector_layers_added_in_the_settings_are_drawn_on_the_map_tab(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path, tmp_path: Path
) -> None:
    section = BasemapSettings(store.data_dir, tasks, "en")
    qtbot.addWidget(section)
    with qtbot.waitSignal(section.changed, timeout=10_000):
        section.add_layer(maps / "grids.geojson")
    with qtbot.waitSignal(section.changed, timeout=10_000):
        section.add_layer(maps / "town.gpkg")  # every feature layer of it
    assert section.status.text() == "Added 9 layers."
    assert section.list.count() == 10
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    section.add_layer(broken)
    qtbot.waitUntil(lambda: "broken.geojson" in section.status.text())
    assert section.list.count() == 10

    BasemapRegistry(store.data_dir).add(maps / "town.mbtiles")
    window = MainWindow(store, tasks, load_default_taxonomy(), "en")
    qtbot.addWidget(window)
    window.show()
    panel = window.map_panel
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: len(panel.map.layers.overlays) == 10)
    names = [o.layer.name for o in panel.map.layers.overlays]
    assert "grids" in names and "roads" in names
    # The grid cells are drawn: a cell's edge at a known corner is the overlay's red.
    grid = next(o.layer for o in panel.map.layers.overlays if o.layer.name == "grids")
    west, south, _, _ = grid.features[0].bbox
    view = panel.map
    view.center_on(south + 0.0005, west + 0.0005, 17)
    view.repaint()
    image = view.grab().toImage()
    x, y = view._shown().to_screen(south, west + 0.0008)  # on the cell's southern edge
    reds = [
        image.pixelColor(int(x), int(y) + d)
        for d in (-1, 0, 1)
        if image.pixelColor(int(x), int(y) + d).red()
        > image.pixelColor(int(x), int(y) + d).blue() + 40
    ]
    assert reds
    panel.layers_check.setChecked(False)
    assert panel.map.layers.overlays == []


def test_show_on_map_from_the_list_and_a_choice_of_basemaps(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path, tmp_path: Path
) -> None:
    registry = BasemapRegistry(store.data_dir)
    registry.add(maps / "town.mbtiles", name="OSM")
    registry.add(gcj02_copy(maps, tmp_path), name="高德")
    registry.set_current("OSM")
    case_id = store.create_case(
        CaseFields(category_code="06010", description="暴露垃圾", lat=28.2950, lon=117.2200)
    ).id
    window = MainWindow(store, tasks, load_default_taxonomy(), "en")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1 and window.model.case_at(0) is not None)
    window.table.setCurrentIndex(window.model.index(0, 0))
    panel = window.map_panel
    assert panel.map.layers.selected == case_id  # selected in the list, highlighted on the map
    window.show_on_map()
    assert window.tabs.currentWidget() is panel
    qtbot.waitUntil(lambda: panel.map.view.zoom == 18)
    assert (panel.map.view.center_lat, panel.map.view.center_lon) == (28.2950, 117.2200)

    assert [panel.basemap_combo.itemText(i) for i in range(panel.basemap_combo.count())] == [
        "OSM",
        "高德",
    ]
    qtbot.waitUntil(lambda: panel.map.basemap is not None)
    panel.basemap_combo.setCurrentIndex(1)
    panel.basemap_combo.activated.emit(1)
    qtbot.waitUntil(
        lambda: panel.map.basemap is not None and panel.map.basemap.path.name == "gcj.mbtiles"
    )
    assert str(panel.map.datum) == "gcj02"
    assert registry.current() is not None and registry.current().name == "高德"
    # The view stays on the same WGS84 place; the case is drawn where GCJ-02 puts it.
    assert (panel.map.view.center_lat, panel.map.view.center_lon) == (28.2950, 117.2200)
    qtbot.waitUntil(lambda: getattr(panel.map.layers.cases, "datum", None) is panel.map.datum)
    panel.map.repaint()
    (hit,) = [h for h in panel.map._hits if h.case_id == case_id]
    assert (hit.x, hit.y) == pytest.approx((panel.map.width() / 2, panel.map.height() / 2), abs=1)


def test_the_picking_map_shows_where_the_photos_were_taken(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path, samples: Path
) -> None:
    BasemapRegistry(store.data_dir).add(maps / "town.mbtiles")
    case_id = store.create_case(CaseFields(category_code="06010", description="暴露垃圾")).id
    store.attach_photo(case_id, samples / "photos" / "jpg" / "gps" / "DSCN0010.jpg")
    (photo,) = store.photos(case_id)
    assert photo.lat is not None and photo.lon is not None
    editor = CaseEditor(store, tasks, load_default_taxonomy(), "en", case_id)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(editor.is_loaded)
    editor.position_panel.show_map(True)
    picker = editor.position_panel.picker
    assert picker is not None
    qtbot.waitUntil(lambda: picker.layers.photos == [(photo.lat, photo.lon)])
    picker.center_on(photo.lat, photo.lon, 17)
    picker.repaint()
    image = picker.grab().toImage()
    centre = image.pixelColor(picker.width() // 2, picker.height() // 2)
    assert centre.name() == "#263238"  # the photo's square, centred on where it was taken


def test_dragging_the_picked_marker_moves_the_position_and_dragging_the_map_does_not(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, maps: Path
) -> None:
    BasemapRegistry(store.data_dir).add(maps / "town.mbtiles")
    case_id = store.create_case(
        CaseFields(category_code="06010", description="暴露垃圾", lat=28.2950, lon=117.2200)
    ).id
    editor = CaseEditor(store, tasks, load_default_taxonomy(), "en", case_id)
    qtbot.addWidget(editor)
    editor.resize(1100, 900)
    editor.show()
    qtbot.waitUntil(editor.is_loaded)
    panel = editor.position_panel
    panel.show_map(True)
    picker = panel.picker
    assert picker is not None
    qtbot.waitUntil(lambda: picker.basemap is not None)
    picker.center_on(28.2950, 117.2200, 17)
    picker.repaint()
    x, y = (int(v) for v in picker._shown().to_screen(28.2950, 117.2200))

    # Dragging the map elsewhere pans it; the position stays.
    qtbot.mousePress(picker, Qt.MouseButton.LeftButton, pos=QPoint(x + 60, y + 40))
    qtbot.mouseMove(picker, QPoint(x + 90, y + 50))
    qtbot.mouseRelease(picker, Qt.MouseButton.LeftButton, pos=QPoint(x + 90, y + 50))
    tasks.wait(2000)
    fix = store.case_position(case_id)
    assert fix is not None and (fix.lat, fix.lon) == (28.2950, 117.2200)

    # Dragging the marker moves the position to where it is let go.
    x, y = (int(v) for v in picker._shown().to_screen(28.2950, 117.2200))
    qtbot.mousePress(picker, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    for step in range(1, 6):
        qtbot.mouseMove(picker, QPoint(x + 8 * step, y - 4 * step))
    end = QPoint(x + 40, y - 20)
    expected = picker._shown().to_lat_lon(end.x(), end.y())
    qtbot.mouseRelease(picker, Qt.MouseButton.LeftButton, pos=end)
    qtbot.waitUntil(lambda: (store.case_position(case_id) or fix).lon != 117.2200)
    moved = store.case_position(case_id)
    assert moved is not None and moved.source is PositionSource.MANUAL
    assert haversine_m(moved.lat, moved.lon, *expected) < 0.05
