"""The map widget: an offline basemap with overlays, cases, the patrol track and the position.

One ``paintEvent`` draws everything through :func:`app.maprender.render.draw_map` (the same code
as ``citypatrol map render``) — no graphics item per marker: 100,000 cases are culled by the
visible extent and clustered on a grid per zoom, so a paint draws a few hundred shapes.

Tiles are decoded in the task runner's *tiles* lane into a cache bounded in bytes; while a tile
decodes, its nearest cached ancestor is drawn scaled up, so panning never shows holes for long
and never waits. Past the basemap's last level the last level is scaled up (over-zoom).
Positions are WGS84 everywhere in the API; a GCJ-02 basemap only shifts what is drawn, and a
picked position is converted back before :attr:`MapView.position_picked` carries it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QToolButton, QWidget

from app.geo.cache import ByteLRU
from app.geo.datum import Datum, from_display, to_display
from app.geo.mbtiles import MBTiles
from app.geo.tiles import Viewport, fit_zoom
from app.geo.vector import VectorLayer
from app.maprender.render import (
    MARKER_RADIUS,
    CaseLayer,
    Hit,
    MapLayers,
    OverlayStyle,
    ProjectedOverlay,
    draw_map,
)
from app.maprender.tiles import decode_tile, image_bytes
from app.storage.map_points import CasePoints
from app.ui.operations import Lane, Operations
from app.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

#: Decoded tiles kept (ARGB32: 256 KiB a tile, so 64 MiB is 256 tiles, four full screens).
DEFAULT_CACHE_BYTES = 64 << 20
#: How far the view may zoom past the basemap's last level (scaled tiles).
OVER_ZOOM = 2
#: A press that moves less than this is a click, not a drag.
CLICK_SLOP_PX = 4
#: Where the map opens without a basemap or cases: Guixi, the sample town (any place will do).
DEFAULT_CENTER = (28.30212, 117.22317)


class MapView(QWidget):
    """A slippy map of one basemap with layers; see the module docstring."""

    #: A case marker was clicked: its id.
    case_clicked = Signal(str)
    #: In picking mode, a click on the map (not on a marker): WGS84 latitude, longitude.
    position_picked = Signal(float, float)
    #: The centre or the zoom changed.
    view_changed = Signal()
    #: Cases were (re)loaded: how many are on the map.
    cases_loaded = Signal(int)

    def __init__(
        self,
        tasks: TaskRunner,
        language: str = "zh_CN",
        parent: QWidget | None = None,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        picking: bool = False,
    ) -> None:
        super().__init__(parent)
        self._language = language
        self._ops = Operations(self, tasks, language)
        self.cache: ByteLRU[QImage] = ByteLRU(cache_bytes)
        self._basemap: MBTiles | None = None
        self._serial = 0  # which basemap a cached tile belongs to
        self._pending: set[tuple[int, int, int, int]] = set()
        self._wanted: set[tuple[int, int, int, int]] = set()
        self._tile_error = ""
        self.layers = MapLayers()
        self._overlay_sources: list[tuple[VectorLayer, OverlayStyle]] = []
        self._load_cases: Callable[[], CasePoints] | None = None
        self._hits: list[Hit] = []
        self._view = Viewport(*DEFAULT_CENTER, 15, 400, 300)
        self._press: QPointF | None = None
        self._last: QPointF | None = None
        self._dragged = False
        self._moving_marker = False
        self._wheel = 0
        self.picking = picking
        self._placed = False  # whether someone centred the view (a basemap then keeps it)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self.setMinimumSize(200, 150)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

        self.zoom_in_button = self._button("+", self.tr("Zoom in"), self.zoom_in)
        self.zoom_out_button = self._button("−", self.tr("Zoom out"), self.zoom_out)
        self.all_button = self._button("⤢", self.tr("Show all cases"), self.zoom_to_all)
        self.zoom_in_button.setObjectName("map_zoom_in")
        self.zoom_out_button.setObjectName("map_zoom_out")
        self.all_button.setObjectName("map_zoom_all")
        self.all_button.setVisible(not picking)  # a picker shows no cases to fit

    def _button(self, text: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setFixedSize(30, 30)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setStyleSheet("QToolButton { font-size: 17px; font-weight: bold; }")
        button.clicked.connect(slot)
        return button

    # -- state ---------------------------------------------------------------------------------

    @property
    def view(self) -> Viewport:
        return self._view

    @property
    def datum(self) -> Datum:
        return self._basemap.info.datum if self._basemap is not None else Datum.WGS84

    @property
    def basemap(self) -> MBTiles | None:
        return self._basemap

    def zoom_range(self) -> tuple[int, int]:
        if self._basemap is None:
            return 3, 19
        info = self._basemap.info
        return info.minzoom, info.maxzoom + OVER_ZOOM

    def set_basemap(self, basemap: MBTiles | None) -> None:
        """Show ``basemap`` (None: cases on a plain background). The first basemap centres the
        view on itself; later ones keep the view, within their zoom range."""
        before = self.datum
        first = self._basemap is None and basemap is not None
        self._basemap = basemap
        self._serial += 1
        self._pending.clear()
        self._tile_error = ""
        if first and basemap is not None and not self._placed:
            info = basemap.info
            west, south, east, north = info.bounds
            lat, lon = (south + north) / 2, (west + east) / 2
            zoom = info.center[2] if info.center else info.minzoom + 2
            if info.center:
                lon, lat = info.center[0], info.center[1]
            # The view is kept in WGS84 terms: the centre is converted when drawn.
            self._view = Viewport(*from_display(info.datum, lat, lon), zoom, *self._size())
        if self.datum is not before:
            self._rebuild_overlays()
            self.reload_cases()
        self._clamp_zoom()
        self.update()

    def set_basemap_later(self, open_basemap: Callable[[], MBTiles | None]) -> None:
        """Open a basemap off the main thread (opening checks the file), then show it; a
        refusal is shown on the map in words."""
        self._ops.run(
            open_basemap,
            self.set_basemap,
            lane=Lane.TILES,
            key="basemap",
            on_error=self._basemap_refused,
        )

    def _basemap_refused(self, exc: BaseException) -> None:
        text = getattr(exc, "text", None)
        self._tile_error = text(self._language) if callable(text) else str(exc)
        self.update()

    def _size(self) -> tuple[int, int]:
        return max(1, self.width()), max(1, self.height())

    # -- layers --------------------------------------------------------------------------------

    def load_cases(self, read: Callable[[], CasePoints]) -> None:
        """Show the cases ``read`` returns (run in the database lane, with the projection and
        the clusters built there too, so the main thread only draws)."""
        self._load_cases = read
        self.reload_cases()

    def reload_cases(self) -> None:
        read = self._load_cases
        if read is None:
            return
        datum = self.datum

        def build() -> CaseLayer:
            points = read()
            layer = CaseLayer(points.ids, points.lats, points.lons, points.statuses, datum)
            layer.index.level(0)  # every zoom's clusters, built here rather than while painting
            return layer

        self._ops.run(build, self._cases_built, key="cases")

    def _cases_built(self, layer: CaseLayer) -> None:
        self.layers.cases = layer
        self.cases_loaded.emit(len(layer))
        self.update()

    def set_density(self, on: bool) -> None:
        """Show the cases' density (a heat map under the markers) or not."""
        self.layers.density = on
        self.update()

    def set_selected(self, case_id: str | None) -> None:
        self.layers.selected = case_id
        self.update()

    def set_track(self, segments: list[list[tuple[float, float]]]) -> None:
        self.layers.track = segments
        self.update()

    def set_position(self, lat: float, lon: float, accuracy_m: float | None) -> None:
        self.layers.position = (lat, lon, accuracy_m)
        self.update()

    def clear_position(self) -> None:
        self.layers.position = None
        self.update()

    def set_photos(self, positions: list[tuple[float, float]]) -> None:
        """Where a case's photos were taken (small camera squares)."""
        self.layers.photos = positions
        self.update()

    def set_markers(self, markers: list[tuple[float, float]]) -> None:
        self.layers.markers = markers
        self.update()

    def add_overlay(self, layer: VectorLayer, style: OverlayStyle | None = None) -> None:
        self._overlay_sources.append((layer, style or OverlayStyle()))
        self._rebuild_overlays()
        self.update()

    def clear_overlays(self) -> None:
        self._overlay_sources.clear()
        self._rebuild_overlays()
        self.update()

    def _rebuild_overlays(self) -> None:
        self.layers.overlays = [
            ProjectedOverlay(layer, style, self.datum) for layer, style in self._overlay_sources
        ]

    # -- navigation ----------------------------------------------------------------------------

    def center_on(self, lat: float, lon: float, zoom: int | None = None) -> None:
        """Centre the view on a WGS84 position (and zoom there if given)."""
        self._placed = True
        self._set_view(Viewport(lat, lon, self._view.zoom if zoom is None else zoom, *self._size()))

    def set_zoom(self, zoom: int, anchor: tuple[float, float] | None = None) -> None:
        low, high = self.zoom_range()
        zoom = max(low, min(high, zoom))
        if zoom == self._view.zoom:
            return
        shown = self._shown()
        new = shown.zoomed(zoom, anchor)
        self._set_shown(new)

    def zoom_in(self) -> None:
        self.set_zoom(self._view.zoom + 1)

    def zoom_out(self) -> None:
        self.set_zoom(self._view.zoom - 1)

    def pan(self, dx: float, dy: float) -> None:
        """Move the view by ``(dx, dy)`` pixels (the map moves the other way)."""
        self._set_shown(self._shown().moved(dx, dy))

    def zoom_to_case(self, case_id: str, zoom: int = 18) -> bool:
        cases = self.layers.cases
        i = cases.position_of.get(case_id) if cases is not None else None
        if cases is None or i is None:
            return False
        self.layers.selected = case_id
        self.center_on(cases.lats[i], cases.lons[i], min(zoom, self.zoom_range()[1]))
        return True

    def zoom_to_all(self) -> None:
        """Fit every case (or, with none, the basemap) in the view."""
        cases = self.layers.cases
        if cases is not None and len(cases):
            box = (min(cases.lons), min(cases.lats), max(cases.lons), max(cases.lats))
        elif self._basemap is not None:
            box = self._basemap.info.bounds
        else:
            return
        west, south, east, north = box
        zoom = fit_zoom(west, south, east, north, *self._size())
        low, high = self.zoom_range()
        self.center_on((south + north) / 2, (west + east) / 2, max(low, min(high - 1, zoom)))

    def _shown(self) -> Viewport:
        """The view in the basemap's datum (what is on screen)."""
        v = self._view
        lat, lon = to_display(self.datum, v.center_lat, v.center_lon)
        return Viewport(lat, lon, v.zoom, *self._size())

    def _set_shown(self, shown: Viewport) -> None:
        lat, lon = from_display(self.datum, shown.center_lat, shown.center_lon)
        self._set_view(Viewport(lat, lon, shown.zoom, shown.width, shown.height))

    def _set_view(self, view: Viewport) -> None:
        self._view = view
        self._clamp_zoom()
        self.view_changed.emit()
        self.update()

    def _clamp_zoom(self) -> None:
        low, high = self.zoom_range()
        v = self._view
        if not low <= v.zoom <= high:
            self._view = Viewport(
                v.center_lat, v.center_lon, max(low, min(high, v.zoom)), v.width, v.height
            )
        self.zoom_in_button.setEnabled(self._view.zoom < high)
        self.zoom_out_button.setEnabled(self._view.zoom > low)

    # -- tiles ---------------------------------------------------------------------------------

    def _tile(self, z: int, x: int, y: int) -> QImage | None:
        """The cached tile, or None; a tile at the level the view wants is asked for."""
        key = (self._serial, z, x, y)
        image = self.cache.get(key)
        if image is not None:
            return None if image.isNull() else image
        if z == self._tile_zoom and key not in self._pending and self._basemap is not None:
            self._request(key)
        return None

    @property
    def _tile_zoom(self) -> int:
        if self._basemap is None:
            return -1
        info = self._basemap.info
        return max(info.minzoom, min(info.maxzoom, self._view.zoom))

    def _request(self, key: tuple[int, int, int, int]) -> None:
        basemap = self._basemap
        assert basemap is not None
        self._pending.add(key)
        wanted = self._wanted

        def decode() -> QImage | None:
            if key not in wanted:  # panned away before its turn came: skip the work
                return None
            _, z, x, y = key
            return decode_tile(basemap, z, x, y)

        def done(image: QImage | None) -> None:
            self._pending.discard(key)
            if image is None:
                return
            self.cache.put(key, image, image_bytes(image))
            if key[0] == self._serial:
                self.update()

        def failed(exc: BaseException) -> None:
            self._pending.discard(key)
            text = getattr(exc, "text", None)
            self._tile_error = text(self._language) if callable(text) else str(exc)
            self.update()

        self._ops.run(decode, done, lane=Lane.TILES, on_error=failed)

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        shown = self._shown()
        basemap = self._basemap
        # The tiles this paint wants: a queued decode of any other is skipped.
        self._wanted.clear()
        if basemap is not None:
            tz = self._tile_zoom
            up = shown.zoom - tz
            for _, x, y, _, _ in shown.tiles():
                self._wanted.add(
                    (self._serial, tz, x >> up, y >> up) if up > 0 else (self._serial, tz, x, y)
                )
        painter = QPainter(self)
        try:
            drawn = draw_map(
                painter,
                shown,
                self._tile if basemap is not None else None,
                self.layers,
                datum=self.datum,
                zoom_range=(basemap.info.minzoom, basemap.info.maxzoom) if basemap else (0, 0),
                attribution=basemap.info.attribution if basemap else "",
            )
            self._hits = drawn.hits
            message = self._tile_error or (
                ""
                if basemap is not None
                else self.tr("No basemap: add an MBTiles file in Settings.")
            )
            if message:
                self._draw_message(painter, message)
        finally:
            painter.end()

    def _draw_message(self, painter: QPainter, text: str) -> None:
        rect = QRectF(10, 10, self.width() - 60, 40)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 225))
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(QColor("#8a1c1c") if self._tile_error else QColor("#333333"))
        painter.drawText(
            rect.adjusted(8, 0, -8, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap,
            text,
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._view = self._view.resized(*self._size())
        x = self.width() - 38
        for row, button in enumerate((self.zoom_in_button, self.zoom_out_button, self.all_button)):
            button.move(x, 8 + row * 34)

    # -- input ---------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = self._last = event.position()
            self._dragged = False
            # Picking: a press on the picked position's marker drags the marker, not the map.
            self._moving_marker = self.picking and self._on_marker(event.position())
            self.setFocus(Qt.FocusReason.MouseFocusReason)

    def _on_marker(self, pos: QPointF) -> bool:
        if not self.layers.markers:
            return False
        lat, lon = self.layers.markers[0]
        x, y = self._shown().to_screen(*to_display(self.datum, lat, lon))
        return (x - pos.x()) ** 2 + (y - pos.y()) ** 2 <= (MARKER_RADIUS + 4) ** 2

    def _wgs84_at(self, pos: QPointF) -> tuple[float, float]:
        return from_display(self.datum, *self._shown().to_lat_lon(pos.x(), pos.y()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None or self._last is None:
            return
        pos = event.position()
        if not self._dragged and (pos - self._press).manhattanLength() < CLICK_SLOP_PX:
            return
        self._dragged = True
        if self._moving_marker:
            self.set_markers([self._wgs84_at(pos)])
            return
        self.setCursor(Qt.CursorShape.ClosedHandCursor)
        delta = pos - self._last
        self._last = pos
        self.pan(-delta.x(), -delta.y())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        self._press = None
        self.unsetCursor()
        if self._moving_marker and self._dragged:
            self._moving_marker = False
            self.position_picked.emit(*self._wgs84_at(event.position()))
        elif not self._dragged:
            self.click_at(event.position().x(), event.position().y())

    def click_at(self, x: float, y: float) -> None:
        """What a click at viewport pixel ``(x, y)`` does: open a case, zoom into a cluster,
        or (picking) choose that position."""
        hit = self.hit_at(x, y)
        if hit is not None and hit.case_id is not None and not self.picking:
            self.layers.selected = hit.case_id
            self.update()
            self.case_clicked.emit(hit.case_id)
            return
        if hit is not None and hit.case_id is None and not self.picking:
            self.set_zoom(self._view.zoom + 2, (hit.x, hit.y))
            return
        if self.picking:
            lat, lon = self._wgs84_at(QPointF(x, y))
            self.position_picked.emit(lat, lon)

    def hit_at(self, x: float, y: float) -> Hit | None:
        """The topmost marker or cluster drawn under ``(x, y)``."""
        for hit in reversed(self._hits):
            if (hit.x - x) ** 2 + (hit.y - y) ** 2 <= hit.radius**2:
                return hit
        return None

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._wheel += event.angleDelta().y()
        steps = int(self._wheel / 120)
        if steps:
            self._wheel -= steps * 120
            pos = event.position()
            self.set_zoom(self._view.zoom + steps, (pos.x(), pos.y()))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        step_x, step_y = self.width() / 4, self.height() / 4
        moves = {
            Qt.Key.Key_Left: (-step_x, 0.0),
            Qt.Key.Key_Right: (step_x, 0.0),
            Qt.Key.Key_Up: (0.0, -step_y),
            Qt.Key.Key_Down: (0.0, step_y),
        }
        if key in moves:
            self.pan(*moves[key])
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif key == Qt.Key.Key_Home:
            self.zoom_to_all()
        else:
            super().keyPressEvent(event)
            return
        event.accept()
