"""Draw a map: basemap tiles (over-zoomed past the file's last level), vector overlays, the
patrol track, case markers coloured by status and clustered when dense, the current position
with its accuracy circle, a scale bar and the basemap's attribution (always visible).

Positions come in WGS84; on a GCJ-02 basemap they are shifted for display only
(:func:`app.geo.datum.to_display`). Case positions are projected once, when the layer is built,
into world pixels at zoom 0, so a paint is a multiplication per visible marker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)

from app.geo.cluster import MAX_CLUSTER_ZOOM, ClusterIndex
from app.geo.datum import Datum, to_display
from app.geo.tiles import (
    TILE_SIZE,
    Viewport,
    metres_per_pixel,
    project,
    project_many,
    world_size,
)
from app.geo.vector import Feature, VectorLayer
from app.maprender.density import draw_density

#: Tile lookup: the decoded XYZ tile, or None when it is not (yet) available.
TileLookup = Callable[[int, int, int], QImage | None]

BACKGROUND = QColor("#eeeae3")
MARKER_RADIUS = 7.0
SELECTED_RADIUS = 10.0
#: The colour of a ``--marker`` (a position given on the command line).
MARKER_COLOUR = QColor("#e4007f")

#: Marker colours by status: one hue per stage of the closed loop.
STATUS_COLOURS: dict[str, QColor] = {
    "draft": QColor("#8c8c8c"),
    "submitted": QColor("#1f6fd1"),
    "accepted": QColor("#1f6fd1"),
    "returned": QColor("#f08c00"),
    "rejected": QColor("#6b4f3a"),
    "registered": QColor("#7b3fc4"),
    "dispatched": QColor("#d62828"),
    "suspended": QColor("#a05a2c"),
    "handled": QColor("#e0b000"),
    "reinspecting": QColor("#e0b000"),
    "reinspection_failed": QColor("#d62828"),
    "reinspection_passed": QColor("#2a9d3a"),
    "closed": QColor("#2a9d3a"),
    "evaluated": QColor("#2a9d3a"),
    "void": QColor("#5a5a5a"),
}
#: Marker colours of an open assignment by its deadline's traffic light (the supervisor's map:
#: app.storage.map_points.supervisor_points gives the keys); the same hues as the deadlines list.
LIGHT_MARKER_COLOURS: dict[str, QColor] = {
    "light_green": QColor("#2e7d32"),
    "light_yellow": QColor("#e0a100"),
    "light_red": QColor("#c62828"),
}
MARKER_COLOURS: dict[str, QColor] = {**STATUS_COLOURS, **LIGHT_MARKER_COLOURS}
#: The colour key of an overdue assignment (a cluster holding one is ringed in its red).
OVERDUE_KEY = "light_red"
#: Clusters in slate, a colour no status uses, so a count never reads as a status.
CLUSTER_COLOUR = QColor(55, 71, 79, 225)


@dataclass(frozen=True, slots=True)
class OverlayStyle:
    pen: QColor = field(default_factory=lambda: QColor(30, 90, 200, 200))
    fill: QColor | None = None
    width: float = 1.5
    label_field: str | None = None


def default_style(layer: VectorLayer) -> OverlayStyle:
    """A style by what the layer holds: areas (grid cells, districts) as thin red outlines, not
    filled (a tint over hundreds of cells would wash out the basemap), lines (roads, rivers) in
    blue, points as blue dots."""
    kinds = {f.kind for f in layer.features[:50]}
    if "polygon" in kinds:
        return OverlayStyle(QColor(200, 40, 40, 130), None, 1.0)
    if "line" in kinds:
        return OverlayStyle(QColor(31, 100, 200, 190), None, 2.0)
    return OverlayStyle(QColor(31, 100, 200, 220), QColor(31, 100, 200, 120), 1.0)


class ProjectedOverlay:
    """A vector layer with its features projected (world px at zoom 0) on first use."""

    def __init__(self, layer: VectorLayer, style: OverlayStyle, datum: Datum) -> None:
        self.layer = layer
        self.style = style
        self.datum = datum
        self._projected: dict[int, list[list[tuple[float, float]]]] = {}

    def parts(self, feature: Feature) -> list[list[tuple[float, float]]]:
        key = id(feature)
        found = self._projected.get(key)
        if found is None:
            found = [
                [project(*to_display(self.datum, lat, lon)) for lon, lat in ring]
                for ring in feature.parts
            ]
            self._projected[key] = found
        return found


class CaseLayer:
    """Cases as markers: ids, statuses and positions projected once, and their clusters."""

    def __init__(
        self,
        ids: Sequence[str],
        lats: Sequence[float],
        lons: Sequence[float],
        statuses: Sequence[str],
        datum: Datum = Datum.WGS84,
    ) -> None:
        self.datum = datum
        self.ids = list(ids)
        self.statuses = list(statuses)
        self.lats = list(lats)
        self.lons = list(lons)
        if datum is Datum.GCJ02:
            shifted = [to_display(datum, lat, lon) for lat, lon in zip(lats, lons, strict=True)]
            lats, lons = [p[0] for p in shifted], [p[1] for p in shifted]
        xs, ys = project_many(lats, lons)
        # Overdue cases are counted per cluster, so a cluster holding one is ringed in red.
        flags = [s == OVERDUE_KEY for s in self.statuses]
        self.index = ClusterIndex(xs, ys, flags if any(flags) else None)

    @cached_property
    def position_of(self) -> dict[str, int]:
        """Index of each case id (built when first needed: a selection, a zoom to a case)."""
        return {case_id: i for i, case_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(slots=True)
class MapLayers:
    """What is drawn over the basemap (positions WGS84)."""

    overlays: list[ProjectedOverlay] = field(default_factory=list)
    cases: CaseLayer | None = None
    selected: str | None = None
    #: Plain markers (``--marker``, a picked position): ``(lat, lon)``.
    markers: list[tuple[float, float]] = field(default_factory=list)
    #: Where a case's photos were taken: ``(lat, lon)``.
    photos: list[tuple[float, float]] = field(default_factory=list)
    #: The patrol track: segments of ``(lat, lon)``.
    track: list[list[tuple[float, float]]] = field(default_factory=list)
    #: The current position: ``(lat, lon, accuracy_m or None)``.
    position: tuple[float, float, float | None] | None = None
    #: Attributions of overlays, shown after the basemap's.
    attributions: list[str] = field(default_factory=list)
    #: Draw the cases' density (a heat map) under their markers (app.maprender.density).
    density: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """Something drawn that a click can land on: a case (``case_id``) or a cluster."""

    x: float
    y: float
    radius: float
    case_id: str | None
    count: int
    #: A cluster's centre in WGS84-display coordinates is not needed: zoom in on (x, y).


@dataclass(slots=True)
class Drawn:
    hits: list[Hit] = field(default_factory=list)
    markers: int = 0
    clusters: int = 0
    tiles_missing: int = 0


def draw_map(
    painter: QPainter,
    view: Viewport,
    tiles: TileLookup | None,
    layers: MapLayers,
    *,
    datum: Datum = Datum.WGS84,
    zoom_range: tuple[int, int] = (0, 19),
    attribution: str = "",
) -> Drawn:
    """Draw ``view`` on ``painter`` (the device is ``view.width`` × ``view.height``)."""
    drawn = Drawn()
    painter.save()
    painter.fillRect(QRectF(0, 0, view.width, view.height), BACKGROUND)
    if tiles is not None:
        drawn.tiles_missing = _draw_tiles(painter, view, tiles, zoom_range)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for overlay in layers.overlays:
        _draw_overlay(painter, view, overlay)
    _draw_track(painter, view, layers.track, datum)
    # A layer projected for another datum (the basemap just changed; the new one is being
    # built) would put every marker hundreds of metres off: better none for a moment.
    if layers.cases is not None and layers.cases.datum is datum:
        if layers.density:
            draw_density(painter, view, layers.cases.index.xs, layers.cases.index.ys)
        _draw_cases(painter, view, layers.cases, layers.selected, drawn)
    for lat, lon in layers.photos:
        x, y = view.to_screen(*to_display(datum, lat, lon))
        sprite = _sprite(("photo",), painter, _photo_square, 8)
        painter.drawImage(QPointF(round(x - 8), round(y - 8)), sprite)
    for lat, lon in layers.markers:
        x, y = view.to_screen(*to_display(datum, lat, lon))
        _marker(painter, x, y, MARKER_COLOUR, MARKER_RADIUS)
        drawn.markers += 1
    if layers.position is not None:
        _draw_position(painter, view, layers.position, datum)
    _draw_scale_bar(painter, view)
    text = "  ".join(t for t in [attribution, *layers.attributions] if t)
    if text:
        _draw_attribution(painter, view, text)
    painter.restore()
    return drawn


# -- basemap ---------------------------------------------------------------------------------


def _draw_tiles(
    painter: QPainter, view: Viewport, tiles: TileLookup, zoom_range: tuple[int, int]
) -> int:
    """Each tile of the view, or the nearest ancestor available scaled up: past the file's
    last level (over-zoom) and, in the widget, while the tile itself is still decoding."""
    minzoom, maxzoom = zoom_range
    missing = 0
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    for z, x, y, sx, sy in view.tiles():
        target = QRectF(sx, sy, TILE_SIZE, TILE_SIZE)
        for up in range(max(0, z - maxzoom), z - minzoom + 1):
            image = tiles(z - up, x >> up, y >> up)
            if image is None:
                continue
            span = TILE_SIZE / (1 << up)
            source = QRectF((x & ((1 << up) - 1)) * span, (y & ((1 << up) - 1)) * span, span, span)
            painter.drawImage(target, image, source)
            break
        else:
            missing += 1
    return missing


# -- overlays and track ----------------------------------------------------------------------


def _draw_overlay(painter: QPainter, view: Viewport, overlay: ProjectedOverlay) -> None:
    west, south, east, north = view.bounds()
    margin = 0.01 if overlay.datum is Datum.GCJ02 else 0.0  # the shift is under ~700 m
    bbox = (west - margin, south - margin, east + margin, north + margin)
    scale = world_size(view.zoom) / TILE_SIZE
    ox, oy = view.origin
    style = overlay.style
    painter.setPen(QPen(style.pen, style.width))
    painter.setBrush(QBrush(style.fill) if style.fill is not None else Qt.BrushStyle.NoBrush)
    for feature in overlay.layer.visible(bbox):
        parts = overlay.parts(feature)
        if feature.kind == "polygon":
            path = QPainterPath()
            path.setFillRule(Qt.FillRule.OddEvenFill)
            for ring in parts:
                path.addPolygon(
                    QPolygonF([QPointF(x * scale - ox, y * scale - oy) for x, y in ring])
                )
                path.closeSubpath()
            painter.drawPath(path)
        elif feature.kind == "line":
            for ring in parts:
                painter.drawPolyline(
                    QPolygonF([QPointF(x * scale - ox, y * scale - oy) for x, y in ring])
                )
        else:
            for ring in parts:
                for x, y in ring:
                    painter.drawEllipse(QPointF(x * scale - ox, y * scale - oy), 3, 3)


def _draw_track(
    painter: QPainter, view: Viewport, track: list[list[tuple[float, float]]], datum: Datum
) -> None:
    for segment in track:
        if len(segment) < 2:
            continue
        line = QPolygonF([QPointF(*view.to_screen(*to_display(datum, a, b))) for a, b in segment])
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(255, 255, 255, 220), 6, c=Qt.PenCapStyle.RoundCap))
        painter.drawPolyline(line)
        painter.setPen(QPen(QColor("#0b63ce"), 3.5, c=Qt.PenCapStyle.RoundCap))
        painter.drawPolyline(line)


# -- cases -----------------------------------------------------------------------------------


def _marker(painter: QPainter, x: float, y: float, colour: QColor, radius: float) -> None:
    """A case marker: a disc of ``colour`` centred on its position (to the nearest pixel),
    ringed in white with a dark edge so it reads on any basemap.

    Drawn as a pre-rendered sprite: one blit instead of two antialiased ellipses with pen and
    brush changes, which makes a paint of a thousand markers several times cheaper."""
    sprite = _sprite(
        ("marker", colour.rgba(), radius),
        painter,
        lambda p, c: _disc(p, c, colour, radius),
        radius + 4,
    )
    half = sprite.width() / sprite.devicePixelRatio() / 2
    painter.drawImage(QPointF(round(x - half), round(y - half)), sprite)


#: A case marker drawn by hand (the documents' maps draw every case, unclustered).
draw_marker = _marker


def _photo_square(painter: QPainter, centre: QPointF) -> None:
    """A photo's position: a small dark square with a white edge (a camera, not a case)."""
    painter.setPen(QPen(QColor("white"), 2))
    painter.setBrush(QColor("#263238"))
    painter.drawRoundedRect(QRectF(centre.x() - 5, centre.y() - 5, 10, 10), 2, 2)


def _disc(painter: QPainter, centre: QPointF, colour: QColor, radius: float) -> None:
    painter.setPen(QPen(QColor(40, 40, 40, 200), 1.0))
    painter.setBrush(QColor("white"))
    painter.drawEllipse(centre, radius + 2.5, radius + 2.5)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(centre, radius, radius)


_SPRITES: dict[tuple[object, ...], QImage] = {}


def _sprite(
    key: tuple[object, ...],
    painter: QPainter,
    draw: Callable[[QPainter, QPointF], None],
    half: float,
) -> QImage:
    """A small image drawn once by ``draw`` around its centre, kept for later paints (per
    device pixel ratio, so markers stay crisp on a high-density screen)."""
    ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
    full = (*key, ratio)
    sprite = _SPRITES.get(full)
    if sprite is None:
        size = 2 * math.ceil(half)
        sprite = QImage(
            round(size * ratio), round(size * ratio), QImage.Format.Format_ARGB32_Premultiplied
        )
        sprite.setDevicePixelRatio(ratio)
        sprite.fill(0)
        p = QPainter(sprite)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        draw(p, QPointF(size / 2, size / 2))
        p.end()
        if len(_SPRITES) > 2000:  # cluster counts are many; keep the cache small
            _SPRITES.clear()
        _SPRITES[full] = sprite
    return sprite


def _draw_cases(
    painter: QPainter, view: Viewport, cases: CaseLayer, selected: str | None, drawn: Drawn
) -> None:
    ox, oy = view.origin
    bounds = view.world_bounds()
    scale = world_size(view.zoom) / TILE_SIZE
    index = cases.index
    singles: list[int] = []
    if view.zoom > MAX_CLUSTER_ZOOM:
        singles = index.points_in(view.zoom, bounds)
    else:
        for cell in index.visible(view.zoom, bounds):
            if cell.count == 1:
                singles.append(cell.first)
                continue
            x, y = cell.x * scale - ox, cell.y * scale - oy
            radius = min(24.0, 11.0 + 3.0 * math.log10(cell.count))
            text = _count_text(cell.count)
            alert = cell.flagged > 0
            sprite = _sprite(
                ("cluster", text, radius, alert),
                painter,
                partial(_cluster, radius=radius, text=text, alert=alert),
                radius + 3,
            )
            half = sprite.width() / sprite.devicePixelRatio() / 2
            painter.drawImage(QPointF(round(x - half), round(y - half)), sprite)
            drawn.hits.append(Hit(x, y, radius, None, cell.count))
            drawn.clusters += 1
    chosen = cases.position_of.get(selected) if selected is not None else None
    for i in singles:
        if i == chosen:
            continue
        x, y = index.xs[i] * scale - ox, index.ys[i] * scale - oy
        _marker(painter, x, y, MARKER_COLOURS.get(cases.statuses[i], MARKER_COLOUR), MARKER_RADIUS)
        drawn.hits.append(Hit(x, y, MARKER_RADIUS + 2, cases.ids[i], 1))
        drawn.markers += 1
    if chosen is not None:  # on top of everything, even inside a cluster
        x, y = index.xs[chosen] * scale - ox, index.ys[chosen] * scale - oy
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 200, 0, 150))
        painter.drawEllipse(QPointF(x, y), SELECTED_RADIUS + 8, SELECTED_RADIUS + 8)
        colour = MARKER_COLOURS.get(cases.statuses[chosen], MARKER_COLOUR)
        _marker(painter, x, y, colour, SELECTED_RADIUS)
        drawn.hits.append(Hit(x, y, SELECTED_RADIUS + 2, cases.ids[chosen], 1))
        drawn.markers += 1


def _cluster(
    painter: QPainter, centre: QPointF, radius: float, text: str, alert: bool = False
) -> None:
    """A count in a slate disc; ringed in red when it holds an overdue case (``alert``)."""
    ring = LIGHT_MARKER_COLOURS[OVERDUE_KEY] if alert else QColor("white")
    painter.setPen(QPen(ring, 3.5 if alert else 2))
    painter.setBrush(CLUSTER_COLOUR)
    painter.drawEllipse(centre, radius, radius)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(11)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    box = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _count_text(count: int) -> str:
    if count < 1000:
        return str(count)
    if count < 10000:
        return f"{count / 1000:.1f}k"
    return f"{count // 1000}k"


# -- position, scale, attribution ------------------------------------------------------------


def _draw_position(
    painter: QPainter, view: Viewport, position: tuple[float, float, float | None], datum: Datum
) -> None:
    lat, lon, accuracy = position
    x, y = view.to_screen(*to_display(datum, lat, lon))
    if accuracy is not None and math.isfinite(accuracy) and accuracy > 0:
        radius = accuracy / metres_per_pixel(lat, view.zoom)
        painter.setPen(QPen(QColor(11, 99, 206, 160), 1))
        painter.setBrush(QColor(11, 99, 206, 45))
        painter.drawEllipse(QPointF(x, y), radius, radius)
    painter.setPen(QPen(QColor("white"), 2.5))
    painter.setBrush(QColor("#0b63ce"))
    painter.drawEllipse(QPointF(x, y), 6, 6)


def scale_bar(lat: float, zoom: int, max_px: float = 110) -> tuple[float, str]:
    """``(length_px, label)`` of the longest round distance (1, 2, 5 × 10ⁿ m) within max_px."""
    mpp = metres_per_pixel(lat, zoom)
    metres = max_px * mpp
    step = 10 ** math.floor(math.log10(metres))
    nice = max(m * step for m in (1, 2, 5) if m * step <= metres)
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    return nice / mpp, label


def _draw_scale_bar(painter: QPainter, view: Viewport) -> None:
    length, label = scale_bar(view.center_lat, view.zoom)
    x, y = 10.0, view.height - 12.0
    font = QFont()
    font.setPixelSize(11)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255, 190))
    painter.drawRect(QRectF(x - 4, y - 18, max(length, metrics.horizontalAdvance(label)) + 8, 24))
    pen = QPen(QColor("#222222"), 2)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    painter.setPen(pen)
    painter.drawPolyline(
        QPolygonF(
            [QPointF(x, y - 5), QPointF(x, y), QPointF(x + length, y), QPointF(x + length, y - 5)]
        )
    )
    painter.drawText(QPointF(x + 2, y - 6), label)


def _draw_attribution(painter: QPainter, view: Viewport, text: str) -> None:
    font = QFont()
    font.setPixelSize(11)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    width = min(view.width - 4.0, metrics.horizontalAdvance(text) + 10)
    rect = QRectF(
        view.width - width, view.height - metrics.height() - 4, width, metrics.height() + 4
    )
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(255, 255, 255, 200))
    painter.drawRect(rect)
    painter.setPen(QColor("#333333"))
    elided = metrics.elidedText(text, Qt.TextElideMode.ElideLeft, width - 10)
    painter.drawText(
        rect.adjusted(5, 0, -5, 0),
        Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
        elided,
    )
