"""Render the demo town's raster basemap (MBTiles) from the OpenStreetMap extract kept in the
repository (``resources/demo/guixi-osm.geojson``, ODbL), with QPainter — the project's own map
drawing, no tile server and no download.

    .venv/bin/python scripts/demo_basemap.py OUT.mbtiles [--max-zoom 17]

``scripts/demo.py`` runs it at the first demo start and keeps the result in the demo folder.
Landuse and water are filled, waterways, railways and roads stroked (roads with a casing, wider
by class and zoom), buildings from zoom 15; road names are written along the longest part of
each named road from zoom 16. Tiles are 256 px PNG in TMS rows (MBTiles 1.3).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QColor,
    QFont,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
)

from app.documents.pdf import gui_application  # noqa: E402
from app.geo.mbtiles import write_mbtiles  # noqa: E402
from app.geo.tiles import TILE_SIZE, project  # noqa: E402

EXTRACT = ROOT / "resources" / "demo" / "guixi-osm.geojson"
BACKGROUND = QColor("#f2efe9")
LANDUSE = {
    "residential": "#e6e1dc",
    "commercial": "#f2dad9",
    "retail": "#f2dad9",
    "industrial": "#ebdbe8",
    "park": "#cdebb0",
    "grass": "#cdebb0",
    "forest": "#add19e",
    "farmland": "#eef0d5",
}
WATER = QColor("#aad3df")
#: Road class → (fill colour, width in px at zoom 16); the casing is 1.5 px wider each side.
ROADS = {
    "motorway": ("#e892a2", 9.0),
    "trunk": ("#f9b29c", 9.0),
    "primary": ("#fcd6a4", 8.0),
    "secondary": ("#f7fabf", 7.0),
    "tertiary": ("#ffffff", 6.0),
    "secondary_link": ("#f7fabf", 4.0),
    "residential": ("#ffffff", 4.5),
    "living_street": ("#ededed", 4.0),
    "unclassified": ("#ffffff", 4.0),
    "service": ("#ffffff", 2.5),
    "construction": ("#ffffff", 3.0),
    "track": ("#d6c7a6", 1.5),
}
ORDER = list(ROADS)[::-1]  # minor roads first, major on top


@dataclass(slots=True)
class Shape:
    layer: str
    props: dict[str, object]
    kind: str  # polygon | line
    parts: list[list[tuple[float, float]]]  # world px at zoom 0
    bbox: tuple[float, float, float, float]


def load(path: Path = EXTRACT) -> tuple[list[Shape], str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    shapes = []
    for f in data["features"]:
        geom = f["geometry"]
        if geom["type"] == "Point":
            continue
        rings = geom["coordinates"]
        parts = [[project(lat, lon) for lon, lat in ring] for ring in rings]
        xs = [x for p in parts for x, _ in p]
        ys = [y for p in parts for _, y in p]
        kind = "polygon" if geom["type"] == "Polygon" else "line"
        props = f["properties"]
        shapes.append(
            Shape(props["layer"], props, kind, parts, (min(xs), min(ys), max(xs), max(ys)))
        )
    return shapes, str(data.get("attribution", "© OpenStreetMap contributors"))


def _path(shape: Shape, scale: float, ox: float, oy: float) -> QPainterPath:
    path = QPainterPath()
    for ring in shape.parts:
        path.moveTo(ring[0][0] * scale - ox, ring[0][1] * scale - oy)
        for x, y in ring[1:]:
            path.lineTo(x * scale - ox, y * scale - oy)
        if shape.kind == "polygon":
            path.closeSubpath()
    return path


def render_tile(shapes: list[Shape], z: int, x: int, y: int) -> QImage | None:
    """The tile's image, or None when nothing of the extract is on it."""
    scale = float(1 << z)
    ox, oy = x * TILE_SIZE, y * TILE_SIZE
    pad = 24.0  # wide roads and labels reach over the edge
    box = (
        (ox - pad) / scale,
        (oy - pad) / scale,
        (ox + TILE_SIZE + pad) / scale,
        (oy + TILE_SIZE + pad) / scale,
    )
    here = [
        s
        for s in shapes
        if s.bbox[0] <= box[2]
        and s.bbox[2] >= box[0]
        and s.bbox[1] <= box[3]
        and s.bbox[3] >= box[1]
    ]
    if not here:
        return None
    image = QImage(TILE_SIZE, TILE_SIZE, QImage.Format.Format_RGB32)
    image.fill(BACKGROUND)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    width_scale = 2.0 ** (z - 16)
    try:
        p.setPen(Qt.PenStyle.NoPen)
        for s in here:
            if s.layer == "landuse":
                p.setBrush(QColor(LANDUSE.get(str(s.props.get("class", "")), "#e8e4dc")))
                p.drawPath(_path(s, scale, ox, oy))
        for s in here:
            if s.layer == "water" and s.kind == "polygon":
                p.setBrush(WATER)
                p.drawPath(_path(s, scale, ox, oy))
        p.setBrush(Qt.BrushStyle.NoBrush)
        for s in here:
            if s.layer == "waterways":
                p.setPen(
                    QPen(
                        WATER,
                        max(1.0, 6 * width_scale),
                        Qt.PenStyle.SolidLine,
                        Qt.PenCapStyle.RoundCap,
                    )
                )
                p.drawPath(_path(s, scale, ox, oy))
        if z >= 15:
            p.setPen(QPen(QColor("#c4b6ab"), 0.8))
            p.setBrush(QColor("#d9d0c9"))
            for s in here:
                if s.layer == "buildings" and s.kind == "polygon":
                    p.drawPath(_path(s, scale, ox, oy))
            p.setBrush(Qt.BrushStyle.NoBrush)
        for s in here:
            if s.layer == "railways":
                p.setPen(QPen(QColor("#999999"), max(1.0, 3 * width_scale)))
                p.drawPath(_path(s, scale, ox, oy))
        roads = sorted(
            (s for s in here if s.layer == "roads"),
            key=lambda s: (
                ORDER.index(str(s.props.get("highway"))) if s.props.get("highway") in ROADS else -1
            ),
        )
        paths = [(s, _path(s, scale, ox, oy)) for s in roads]
        for casing in (True, False):
            for s, path in paths:
                colour, width = ROADS.get(str(s.props.get("highway")), ("#ffffff", 3.0))
                w = max(1.0, width * width_scale)
                pen = QPen(
                    QColor("#b3a79c") if casing else QColor(colour), w + (3.0 if casing else 0.0)
                )
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
                p.setPen(pen)
                p.drawPath(path)
        if z >= 16:
            _labels(p, roads, scale, ox, oy)
    finally:
        p.end()
    return image


def _labels(p: QPainter, roads: list[Shape], scale: float, ox: float, oy: float) -> None:
    """Each named road's name once per tile, along its longest segment there (drawn in world
    coordinates, so a name cut by a tile edge continues on the next tile)."""
    font = QFont()
    font.setPixelSize(12)
    p.setFont(font)
    for s in roads:
        name = str(s.props.get("name") or "")
        if not name:
            continue
        best = None
        for ring in s.parts:
            for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                length = math.hypot(x1 - x0, y1 - y0) * scale
                if best is None or length > best[0]:
                    best = (length, x0, y0, x1, y1)
        if best is None or best[0] < 14 * len(name):
            continue
        _, x0, y0, x1, y1 = best
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
        if angle > 90 or angle < -90:
            angle += 180
        cx, cy = (x0 + x1) / 2 * scale - ox, (y0 + y1) / 2 * scale - oy
        p.save()
        p.translate(cx, cy)
        p.rotate(angle)
        text_w = p.fontMetrics().horizontalAdvance(name)
        path = QPainterPath()
        path.addText(QPointF(-text_w / 2, 4), font, name)
        p.setPen(QPen(QColor(255, 255, 255, 230), 3))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#333333"))
        p.drawPath(path)
        p.restore()


def _png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def build(out: Path, min_zoom: int = 12, max_zoom: int = 17, extract: Path = EXTRACT) -> Path:
    """Render every tile of the extract's area at ``min_zoom``–``max_zoom`` into ``out``."""
    _app = gui_application()  # fonts need a QGuiApplication (offscreen will do)
    shapes, attribution = load(extract)
    west_x = min(s.bbox[0] for s in shapes)
    north_y = min(s.bbox[1] for s in shapes)
    east_x = max(s.bbox[2] for s in shapes)
    south_y = max(s.bbox[3] for s in shapes)
    bounds = "117.19116,28.28171,117.25519,28.32252"

    def tiles():  # type: ignore[no-untyped-def]
        for z in range(min_zoom, max_zoom + 1):
            n = 1 << z
            for tx in range(int(west_x * n / TILE_SIZE), int(east_x * n / TILE_SIZE) + 1):
                for ty in range(int(north_y * n / TILE_SIZE), int(south_y * n / TILE_SIZE) + 1):
                    image = render_tile(shapes, z, tx, ty)
                    if image is not None:
                        yield z, tx, ty, _png(image)

    metadata = {
        "name": "贵溪 (demo, OpenStreetMap)",
        "format": "png",
        "type": "baselayer",
        "version": "1",
        "minzoom": str(min_zoom),
        "maxzoom": str(max_zoom),
        "bounds": bounds,
        "center": "117.2150,28.3005,15",
        "attribution": "© OpenStreetMap contributors",
        "description": f"Rendered by CityPatrol from resources/demo/guixi-osm.geojson ({attribution})",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".building")
    write_mbtiles(tmp, metadata, tiles())
    tmp.replace(out)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--min-zoom", type=int, default=12)
    parser.add_argument("--max-zoom", type=int, default=17)
    args = parser.parse_args()
    path = build(args.out, args.min_zoom, args.max_zoom)
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
