"""The map widget with the real sample basemap: tiles, markers, panning, zooming, clicks."""

from __future__ import annotations

from pathlib import Path

import pytest
from maphelpers import crossing, gcj02_copy
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.capture.positions import haversine_m
from app.geo.datum import wgs84_to_gcj02
from app.geo.mbtiles import MBTiles
from app.geo.tiles import Viewport
from app.maprender.render import MARKER_COLOUR, STATUS_COLOURS
from app.storage.map_points import CasePoints
from app.ui.map_view import MapView
from app.ui.tasks import TaskRunner

SIZE = (480, 360)


def make_view(qtbot: QtBot, tasks: TaskRunner, basemap: Path | None, **kwargs: object) -> MapView:
    view = MapView(tasks, "en", **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(view)
    view.resize(*SIZE)
    view.show()
    qtbot.waitExposed(view)
    if basemap is not None:
        view.set_basemap(MBTiles(basemap))
    return view


def settle(qtbot: QtBot, view: MapView) -> None:
    """Paint until every tile the view wants is decoded."""

    def ready() -> None:
        view.repaint()
        assert view._wanted and all(key in view.cache for key in view._wanted)

    qtbot.waitUntil(ready, timeout=10_000)
    view.repaint()


def test_tiles_decode_in_the_background_and_a_marker_lands_on_the_crossing(
    qtbot: QtBot, tasks: TaskRunner, maps: Path
) -> None:
    lat, lon = crossing(maps / "town.gpkg", "雄石路", "烧箕山东路")
    view = make_view(qtbot, tasks, maps / "town.mbtiles")
    view.center_on(lat + 0.0003, lon + 0.0005, 17)
    view.set_markers([(lat, lon)])
    settle(qtbot, view)
    assert len(view.cache) >= 4
    image = view.grab().toImage()
    x, y = Viewport(lat + 0.0003, lon + 0.0005, 17, *SIZE).to_screen(lat, lon)
    assert QColor(image.pixel(int(x), int(y))) == MARKER_COLOUR
    # The basemap is drawn: plenty of colours, not the empty background.
    assert len({image.pixel(i, j) for i in range(0, SIZE[0], 7) for j in range(0, SIZE[1], 7)}) > 5


def test_drag_keys_wheel_and_buttons_move_and_zoom(
    qtbot: QtBot, tasks: TaskRunner, maps: Path
) -> None:
    view = make_view(qtbot, tasks, maps / "town.mbtiles")
    view.center_on(28.30, 117.22, 15)
    before = view.view
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    for step in range(1, 11):
        qtbot.mouseMove(view, QPoint(200 + 10 * step, 200 + 5 * step))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 250))
    # The map followed the mouse: what was at (200, 200) is now under (300, 250).
    moved = Viewport(view.view.center_lat, view.view.center_lon, 15, *SIZE)
    assert moved.to_screen(*before.to_lat_lon(200, 200)) == pytest.approx((300, 250), abs=1)

    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.view.zoom == 16
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.view.zoom == 15
    centre = (view.view.center_lat, view.view.center_lon)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.view.center_lon > centre[1] and view.view.center_lat == pytest.approx(centre[0])

    anchor = QPointF(100, 80)
    under = view.view.to_lat_lon(100, 80)
    wheel = QWheelEvent(
        anchor, view.mapToGlobal(anchor), QPoint(), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(view, wheel)
    assert view.view.zoom == 16
    assert view.view.to_screen(*under) == pytest.approx((100, 80), abs=1)

    qtbot.mouseClick(view.zoom_out_button, Qt.MouseButton.LeftButton)
    assert view.view.zoom == 15
    # The zoom range: the basemap's levels and two of over-zoom, no further.
    for _ in range(10):
        view.zoom_in()
    assert view.view.zoom == 19 and not view.zoom_in_button.isEnabled()
    for _ in range(10):
        view.zoom_out()
    assert view.view.zoom == 12


def _points(n: int, lat: float, lon: float, spread: float) -> CasePoints:
    points = CasePoints()
    for i in range(n):
        points.ids.append(f"case-{i}")
        points.lats.append(lat + spread * ((i * 37) % 101 - 50) / 50)
        points.lons.append(lon + spread * ((i * 53) % 97 - 48) / 48)
        points.statuses.append("submitted" if i % 2 else "closed")
    return points


def test_clicking_a_marker_emits_its_case_and_a_cluster_zooms_in(
    qtbot: QtBot, tasks: TaskRunner, maps: Path
) -> None:
    view = make_view(qtbot, tasks, maps / "town.mbtiles")
    lone = CasePoints(["lone"], [28.2950], [117.2300], ["dispatched"])
    crowd = _points(300, 28.3050, 117.2100, 0.002)
    both = CasePoints(
        lone.ids + crowd.ids, lone.lats + crowd.lats, lone.lons + crowd.lons,
        lone.statuses + crowd.statuses,
    )  # fmt: skip
    with qtbot.waitSignal(view.cases_loaded, timeout=10_000) as loaded:
        view.load_cases(lambda: both)
    assert loaded.args == [301]
    view.center_on(28.2950, 117.2300, 16)
    view.repaint()
    x, y = view.view.to_screen(28.2950, 117.2300)
    assert QColor(view.grab().toImage().pixel(int(x), int(y))) == STATUS_COLOURS["dispatched"]
    with qtbot.waitSignal(view.case_clicked) as clicked:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(int(x), int(y)))
    assert clicked.args == ["lone"]
    assert view.layers.selected == "lone"

    view.center_on(28.3050, 117.2100, 13)
    view.repaint()
    clusters = [h for h in view._hits if h.case_id is None]
    assert (
        clusters and sum(h.count for h in clusters) + sum(1 for h in view._hits if h.case_id) >= 300
    )
    biggest = max(clusters, key=lambda h: h.count)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(int(biggest.x), int(biggest.y)))
    assert view.view.zoom == 15

    assert view.zoom_to_case("case-7")
    assert view.view.zoom == 18 and view.layers.selected == "case-7"
    view.zoom_to_all()
    assert view.view.zoom <= 15


def test_picking_on_a_gcj02_basemap_gives_back_the_wgs84_position(
    qtbot: QtBot, tasks: TaskRunner, maps: Path, tmp_path: Path
) -> None:
    view = make_view(qtbot, tasks, gcj02_copy(maps, tmp_path), picking=True)
    target = (28.30000, 117.22000)  # WGS84
    view.center_on(*target, 17)
    view.repaint()
    # Drawn where GCJ-02 puts it: hundreds of metres from the WGS84 spot on screen.
    gx, gy = view._shown().to_screen(*wgs84_to_gcj02(*target))
    assert (gx, gy) == pytest.approx((SIZE[0] / 2, SIZE[1] / 2), abs=0.01)
    with qtbot.waitSignal(view.position_picked) as picked:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(int(gx), int(gy)))
    lat, lon = picked.args
    # The click is at most half a pixel (0.6 m at zoom 17) from the centre, and the datum
    # conversion adds under a millimetre.
    assert haversine_m(lat, lon, *target) < 1.0


def test_the_tile_cache_stays_within_its_bound_while_panning(
    qtbot: QtBot, tasks: TaskRunner, maps: Path
) -> None:
    bound = 10 * 256 * 1024  # ten decoded tiles: one screen of this size and a little
    view = make_view(qtbot, tasks, maps / "town.mbtiles", cache_bytes=bound)
    view.center_on(28.30, 117.21, 16)
    for _ in range(12):
        view.pan(150, 40)
        settle(qtbot, view)
        assert view.cache.bytes <= bound
    assert view.cache.peak_bytes <= bound


def test_without_a_basemap_the_map_says_how_to_add_one(qtbot: QtBot, tasks: TaskRunner) -> None:
    view = make_view(qtbot, tasks, None)
    view.repaint()
    assert view.zoom_range() == (3, 19)
