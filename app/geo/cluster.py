"""Markers clustered on a grid, per zoom, for maps with a hundred thousand cases.

Points are kept in world pixels at zoom 0 (projected once). At zoom ``z`` the grid cell is
``CELL_PX`` screen pixels, i.e. ``CELL_PX / 2**z`` world pixels at zoom 0 — so every cell of
zoom ``z - 1`` is exactly four cells of zoom ``z``. The finest level is built from the points
once (O(n)); each coarser level from the one below (O(cells)); a level is built when first
asked for and kept. A cell sums its members' coordinates, so a cluster is drawn at their mean,
not at the cell's corner, and the grid does not show.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: The grid cell in screen pixels: markers closer than about this merge into a count.
CELL_PX = 48
#: Above this zoom every marker is drawn on its own (streets are wide enough).
MAX_CLUSTER_ZOOM = 17


@dataclass(slots=True)
class Cell:
    """The points of one grid cell: their sums (for the mean), count and the first index."""

    sx: float
    sy: float
    count: int
    first: int
    #: The point indexes (kept at the finest level only, for views past the clustering zoom).
    members: list[int] | None = None
    #: How many of the points are flagged (an overdue case: a cluster must not hide it).
    flagged: int = 0

    @property
    def x(self) -> float:
        return self.sx / self.count

    @property
    def y(self) -> float:
        return self.sy / self.count


class ClusterIndex:
    """Grid clusters of a fixed set of points (x, y in world pixels at zoom 0)."""

    def __init__(
        self, xs: Sequence[float], ys: Sequence[float], flags: Sequence[bool] | None = None
    ) -> None:
        self.xs = xs
        self.ys = ys
        #: Points to count in each cell's ``flagged`` (none when not given).
        self.flags = flags
        self._levels: dict[int, dict[tuple[int, int], Cell]] = {}

    def __len__(self) -> int:
        return len(self.xs)

    def level(self, zoom: int) -> dict[tuple[int, int], Cell]:
        """The cells of ``zoom`` (clamped to 0 … MAX_CLUSTER_ZOOM), built on first use."""
        zoom = max(0, min(MAX_CLUSTER_ZOOM, zoom))
        cells = self._levels.get(zoom)
        if cells is not None:
            return cells
        if zoom == MAX_CLUSTER_ZOOM:
            cells = self._from_points(zoom)
        else:
            cells = {}
            for (kx, ky), c in self.level(zoom + 1).items():
                key = (kx >> 1, ky >> 1)
                parent = cells.get(key)
                if parent is None:
                    cells[key] = Cell(c.sx, c.sy, c.count, c.first, None, c.flagged)
                else:
                    parent.sx += c.sx
                    parent.sy += c.sy
                    parent.count += c.count
                    parent.first = min(parent.first, c.first)
                    parent.flagged += c.flagged
        self._levels[zoom] = cells
        return cells

    def _from_points(self, zoom: int) -> dict[tuple[int, int], Cell]:
        scale = 2.0**zoom / CELL_PX
        cells: dict[tuple[int, int], Cell] = {}
        floor = math.floor
        for i, (x, y) in enumerate(zip(self.xs, self.ys, strict=True)):
            key = (floor(x * scale), floor(y * scale))
            c = cells.get(key)
            if c is None:
                cells[key] = Cell(x, y, 1, i, [i])
            else:
                c.sx += x
                c.sy += y
                c.count += 1
                c.members.append(i)  # type: ignore[union-attr]
        if self.flags is not None:
            for c in cells.values():
                c.flagged = sum(1 for i in c.members or () if self.flags[i])
        return cells

    def visible(
        self, zoom: int, bounds: tuple[float, float, float, float], margin: float = CELL_PX
    ) -> list[Cell]:
        """Clusters of ``zoom`` inside ``bounds`` — ``(left, top, right, bottom)`` in world
        pixels at ``zoom`` — widened by ``margin`` pixels so edge markers are not cut."""
        cells = self.level(zoom)
        z = max(0, min(MAX_CLUSTER_ZOOM, zoom))
        # Cells are CELL_PX at level z; at a deeper view zoom they are 2**(zoom-z) times larger.
        cell = CELL_PX * 2.0 ** (zoom - z)
        left, top, right, bottom = bounds
        k0, k1 = math.floor((left - margin) / cell), math.floor((right + margin) / cell)
        j0, j1 = math.floor((top - margin) / cell), math.floor((bottom + margin) / cell)
        if (k1 - k0 + 1) * (j1 - j0 + 1) < len(cells):
            out = []
            for kx in range(k0, k1 + 1):
                for ky in range(j0, j1 + 1):
                    c = cells.get((kx, ky))
                    if c is not None:
                        out.append(c)
            return out
        return [c for (kx, ky), c in cells.items() if k0 <= kx <= k1 and j0 <= ky <= j1]

    def points_in(self, zoom: int, bounds: tuple[float, float, float, float]) -> list[int]:
        """Indexes of the points inside ``bounds`` (world pixels at ``zoom``, widened by
        CELL_PX), for views past the clustering zoom: the finest cells' members."""
        left, top, right, bottom = bounds
        scale = 2.0**zoom
        out: list[int] = []
        for c in self.visible(zoom, bounds):
            for i in c.members or ():
                px, py = self.xs[i] * scale, self.ys[i] * scale
                if (
                    left - CELL_PX <= px <= right + CELL_PX
                    and top - CELL_PX <= py <= bottom + CELL_PX
                ):
                    out.append(i)
        return out
