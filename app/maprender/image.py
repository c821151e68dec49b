"""Render a map view to an image file without a window (``citypatrol map render``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QImage, QPainter

from app.documents.pdf import gui_application
from app.geo.datum import Datum, to_display
from app.geo.errors import map_error
from app.geo.mbtiles import open_basemap
from app.geo.tiles import Viewport
from app.maprender.render import CaseLayer, MapLayers, draw_map
from app.maprender.tiles import SyncTiles
from app.storage.map_points import CasePoints


def render_image(
    basemap_path: Path,
    *,
    center: tuple[float, float],
    zoom: int,
    size: tuple[int, int],
    markers: Sequence[tuple[float, float]] = (),
    cases: CasePoints | None = None,
    datum: Datum | None = None,
) -> QImage:
    """The view centred on the WGS84 ``center`` at ``zoom``; needs a QGuiApplication."""
    with open_basemap(basemap_path, datum=datum) as basemap:
        info = basemap.info
        shown = to_display(info.datum, *center)
        view = Viewport(shown[0], shown[1], zoom, size[0], size[1])
        layers = MapLayers(markers=list(markers))
        if cases is not None:
            layers.cases = CaseLayer(cases.ids, cases.lats, cases.lons, cases.statuses, info.datum)
        image = QImage(size[0], size[1], QImage.Format.Format_ARGB32_Premultiplied)
        painter = QPainter(image)
        try:
            draw_map(
                painter,
                view,
                SyncTiles(basemap),
                layers,
                datum=info.datum,
                zoom_range=(info.minzoom, info.maxzoom),
                attribution=info.attribution,
            )
        finally:
            painter.end()
    return image


def render_png(
    out: Path,
    basemap_path: Path,
    *,
    center: tuple[float, float],
    zoom: int,
    size: tuple[int, int],
    markers: Sequence[tuple[float, float]] = (),
    cases: CasePoints | None = None,
    datum: Datum | None = None,
) -> Path:
    """Write the view to ``out`` (PNG), through a temporary file renamed when complete."""
    _app = gui_application()  # fonts need it (no widgets); held while drawing
    image = render_image(
        basemap_path, center=center, zoom=zoom, size=size, markers=markers, cases=cases, datum=datum
    )
    out = Path(out)
    tmp = out.with_name(f".{out.stem}.part.png")  # the suffix tells Qt the format
    if not image.save(str(tmp)):
        tmp.unlink(missing_ok=True)
        raise map_error("map_not_written", f"无法写入 {out}", f"Cannot write {out}")
    os.replace(tmp, out)
    return out
