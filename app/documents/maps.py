"""Maps for the documents: a case's location in its report, the period's cases in a bulletin.

Drawn by the map's own code (:func:`app.maprender.render.draw_map`, QtGui only) on the basemap
chosen on this computer. Without a basemap — none registered, or its file gone or damaged — the
markers are drawn on the plain background with the scale bar: a document must never fail for
want of a map, and the markers' relative places and the scale still say something.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor, QImage, QPainter

from app.geo.datum import Datum, to_display
from app.geo.errors import MapError
from app.geo.mbtiles import open_basemap
from app.geo.tiles import Viewport, project_many, unproject
from app.maprender.render import MARKER_COLOUR, MARKER_COLOURS, MapLayers, draw_map, draw_marker
from app.maprender.tiles import SyncTiles

#: The rendered map's size in pixels (shown 15 cm wide in the PDF: about 200 dpi).
MAP_SIZE = (1200, 720)
#: A case's location map: close enough to read the streets around it.
CASE_ZOOM = 16
#: The bulletin's map never zooms in further than this (one case would fill the page).
MAX_FIT_ZOOM = 16
#: A marker's radius on a printed map (the screen's 7 px would be under a millimetre).
PRINT_RADIUS = 12.0
#: Marker colour keys (app.maprender.render.MARKER_COLOURS): overdue red, others blue.
OVERDUE, OTHER = "light_red", "submitted"


@dataclass(frozen=True, slots=True)
class MapSource:
    """The basemap the documents draw on: its file and datum (None: the plain background)."""

    path: Path | None = None
    datum: str = Datum.WGS84.value


#: Draws on top of the map, with the view and datum the map was drawn in.
Extra = Callable[[QPainter, Viewport, Datum], None]


def _render(
    source: MapSource,
    center: tuple[float, float],
    zoom: int,
    layers: MapLayers,
    extra: Extra | None = None,
    *,
    size: tuple[int, int] = MAP_SIZE,
) -> QImage:
    image = QImage(size[0], size[1], QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    basemap = None
    if source.path is not None:
        try:
            basemap = open_basemap(source.path, datum=Datum(source.datum))
        except MapError:
            basemap = None  # gone or damaged since: the plain background, not a failure
    painter = QPainter(image)
    try:
        datum = basemap.info.datum if basemap is not None else Datum.WGS84
        shown = to_display(datum, *center)
        view = Viewport(shown[0], shown[1], zoom, size[0], size[1])
        draw_map(
            painter,
            view,
            SyncTiles(basemap) if basemap is not None else None,
            layers,
            datum=datum,
            zoom_range=(basemap.info.minzoom, basemap.info.maxzoom) if basemap else (0, 19),
            attribution=basemap.info.attribution if basemap is not None else "",
        )
        if extra is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            extra(painter, view, datum)
    finally:
        painter.end()
        if basemap is not None:
            basemap.close()
    return image


def location_map(source: MapSource, lat: float, lon: float) -> QImage:
    """A case's location: its marker at the centre, large enough to find on paper."""

    def marker(painter: QPainter, view: Viewport, datum: Datum) -> None:
        x, y = view.to_screen(*to_display(datum, lat, lon))
        draw_marker(painter, x, y, MARKER_COLOUR, PRINT_RADIUS * 1.3)

    return _render(source, (lat, lon), CASE_ZOOM, MapLayers(), marker)


def fit_zoom(lats: Sequence[float], lons: Sequence[float], size: tuple[int, int]) -> int:
    """The largest zoom (≤ :data:`MAX_FIT_ZOOM`) at which every point fits with a margin."""
    xs, ys = project_many(lats, lons)
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    for zoom in range(MAX_FIT_ZOOM, 0, -1):
        scale = 2.0**zoom
        if span_x * scale <= size[0] * 0.85 and span_y * scale <= size[1] * 0.85:
            return zoom
    return 1


def cases_map(source: MapSource, points: Sequence[tuple[float, float, bool]]) -> QImage | None:
    """The period's cases ``(lat, lon, overdue)``, overdue ones in red and drawn last (on top,
    so no red marker hides under another); each case drawn, never clustered (a bulletin counts
    every one). None when no case has a position."""
    if not points:
        return None
    ordered = sorted(points, key=lambda p: p[2])
    lats, lons = [p[0] for p in ordered], [p[1] for p in ordered]
    xs, ys = project_many(lats, lons)
    # The centre of the points' box in Web Mercator (not the mean latitude).
    centre = unproject((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, 0)

    def markers(painter: QPainter, view: Viewport, datum: Datum) -> None:
        for lat, lon, overdue in ordered:
            x, y = view.to_screen(*to_display(datum, lat, lon))
            colour = MARKER_COLOURS[OVERDUE if overdue else OTHER]
            draw_marker(painter, x, y, colour, PRINT_RADIUS)

    zoom = fit_zoom(lats, lons, MAP_SIZE)
    return _render(source, centre, zoom, MapLayers(), markers)
