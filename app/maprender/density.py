"""The density view: where problems concentrate, as a translucent heat map over the basemap.

A kernel-density estimate on a coarse screen grid: the visible cases are counted into cells of
:data:`CELL` pixels, the counts are smoothed by three passes of a separable box filter (which
approaches a Gaussian kernel) whose radius is a fixed distance on the ground
(:data:`BANDWIDTH_M`, so the picture means the same thing at every zoom), and each cell is
coloured from pale yellow to deep red by its share of the densest cell. Pure Python over a grid
of a few thousand cells (no numpy in the installer): a few tens of milliseconds per paint.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from app.geo.tiles import TILE_SIZE, Viewport, metres_per_pixel, world_size

#: Grid cell, in screen pixels.
CELL = 6
#: The kernel's reach on the ground (about a city block and a half).
BANDWIDTH_M = 150.0
#: Below this share of the peak a cell stays clear (no haze over the whole map).
THRESHOLD = 0.06


def density_grid(
    view: Viewport, xs: Sequence[float], ys: Sequence[float]
) -> tuple[list[float], int, int]:
    """Smoothed counts on a ``(columns × rows)`` grid over ``view``; ``xs``/``ys`` are world
    pixels at zoom 0 (as :class:`app.maprender.render.CaseLayer` keeps them)."""
    columns, rows = view.width // CELL + 1, view.height // CELL + 1
    ox, oy = view.origin
    scale = world_size(view.zoom) / TILE_SIZE
    grid = [0.0] * (columns * rows)
    for wx, wy in zip(xs, ys, strict=True):
        gx, gy = int((wx * scale - ox) // CELL), int((wy * scale - oy) // CELL)
        if 0 <= gx < columns and 0 <= gy < rows:
            grid[gy * columns + gx] += 1.0
    metres = metres_per_pixel(view.center_lat, view.zoom) * CELL
    radius = max(1, min(20, round(BANDWIDTH_M / metres / 2)))
    for _ in range(3):
        grid = _box(grid, columns, rows, radius, horizontal=True)
        grid = _box(grid, columns, rows, radius, horizontal=False)
    return grid, columns, rows


def _box(grid: list[float], columns: int, rows: int, r: int, *, horizontal: bool) -> list[float]:
    """One pass of a running-sum box filter of half-width ``r`` along rows or columns."""
    out = [0.0] * len(grid)
    lines, length = (rows, columns) if horizontal else (columns, rows)
    width = 2 * r + 1
    for line in range(lines):
        if horizontal:
            start, step = line * columns, 1
        else:
            start, step = line, columns
        values = grid[start : start + step * length : step]
        total = sum(values[: min(r, length)])
        for i in range(length):
            if i + r < length:
                total += values[i + r]
            if i - r - 1 >= 0:
                total -= values[i - r - 1]
            out[start + i * step] = total / width
    return out


def _ramp(t: float) -> QColor:
    """Pale yellow (sparse) → orange → deep red (densest), more opaque where denser."""
    t = max(0.0, min(1.0, t))
    if t < 0.5:
        u = t / 0.5
        r, g, b = 255, int(235 - 95 * u), int(120 - 100 * u)
    else:
        u = (t - 0.5) / 0.5
        r, g, b = int(255 - 65 * u), int(140 - 130 * u), int(20 + 10 * u)
    return QColor(r, g, b, int(70 + 130 * t))


def draw_density(
    painter: QPainter, view: Viewport, xs: Sequence[float], ys: Sequence[float]
) -> float:
    """Draw the heat map of the points over ``view``; returns the peak (0: nothing drawn)."""
    grid, columns, rows = density_grid(view, xs, ys)
    peak = max(grid, default=0.0)
    if peak <= 0:
        return 0.0
    image = QImage(columns, rows, QImage.Format.Format_ARGB32)
    image.fill(0)
    for gy in range(rows):
        base = gy * columns
        for gx in range(columns):
            share = grid[base + gx] / peak
            if share >= THRESHOLD:
                image.setPixelColor(gx, gy, _ramp(share))
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.drawImage(QRectF(0, 0, columns * CELL, rows * CELL), image)
    painter.restore()
    return peak
