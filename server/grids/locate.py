"""Server-side geocoding: which cell of the current grid holds a pushed case's position.

A laptop fills a case's grid code itself from the cells it has (``app.geo.cells``), but a case
can arrive without one: the laptop had no grid yet, or an older client sent it. The push then
looks the position up here and stores the cell with its source
(:class:`app.domain.grids.GridSource`): ``auto`` (the cell of the position) or ``outside`` (the
grid has no cell there). A code the laptop sent is kept as it came, never overwritten (its
source then stays the laptop's to say: ``None`` on the server).

The index (a shapely ``STRtree`` over the cells' polygons) is built once per grid version and
database and kept in memory; a push asks only for the current version (one indexed ``max``),
and a grid load makes the next push build the new one. A push looks up all its positions in
one vectorised query (:meth:`CellLocator.place_all`): shapely's per-call overhead, not the
search, is what one query a change would cost. A position on the edge two cells share
belongs to the cell with the smaller code (one answer, never two).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry import Polygon
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.grids import GridSource
from server.grids.models import GridCell, GridVersion

#: A position as ``(lat, lon)``.
Position = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a position lies: its cell's code (None: outside every cell) and the source."""

    grid_code: str | None
    grid_source: GridSource


class CellLocator:
    """The cells of one grid version, indexed for point lookups."""

    def __init__(self, version: int, cells: Sequence[tuple[str, list[list[float]]]]) -> None:
        self.version = version
        ordered = sorted(cells)
        self.codes = [code for code, _ in ordered]
        self.shapes = [_polygon(rings) for _, rings in ordered]
        self.tree = shapely.STRtree(self.shapes) if self.shapes else None

    def __len__(self) -> int:
        return len(self.codes)

    def place_all(self, positions: Iterable[Position]) -> dict[Position, Placed]:
        """Where each ``(lat, lon)`` lies, in one query (empty without a grid)."""
        wanted = sorted(set(positions))
        if self.tree is None or not wanted:
            return {}
        points = shapely.points([(lon, lat) for lat, lon in wanted])
        found, cells = self.tree.query(points, predicate="intersects")
        best: dict[int, int] = {}
        for i, j in zip(found.tolist(), cells.tolist(), strict=True):
            if i not in best or j < best[i]:  # on a shared edge: the smaller code
                best[i] = j
        outside = Placed(None, GridSource.OUTSIDE)
        return {
            position: Placed(self.codes[best[i]], GridSource.AUTO) if i in best else outside
            for i, position in enumerate(wanted)
        }


def _polygon(rings: list[list[float]]) -> Polygon:
    pairs = [list(zip(ring[0::2], ring[1::2], strict=True)) for ring in rings]
    return Polygon(pairs[0], pairs[1:])


_lock = threading.Lock()
_cache: dict[str, CellLocator] = {}


def grid_version(session: Session) -> int:
    """The current grid version (0: no grid was ever loaded)."""
    return int(session.scalar(select(func.max(GridVersion.version))) or 0)


def locator(session: Session) -> CellLocator:
    """The index of the current grid of ``session``'s database (built once per version)."""
    key = str(session.get_bind().engine.url)
    version = grid_version(session)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached.version == version:
        return cached
    rows = session.execute(select(GridCell.code, GridCell.rings)).all()
    built = CellLocator(version, [(code, rings) for code, rings in rows])
    with _lock:
        _cache[key] = built
    return built


def place(
    placed: Mapping[Position, Placed], given: str | None, lat: float | None, lon: float | None
) -> tuple[str | None, str | None]:
    """The (grid_code, grid_source) a case is stored with: a ``given`` code kept as it is
    (source None), else the position's cell (``auto``) or ``outside`` as ``placed`` (from
    :meth:`CellLocator.place_all`) says; no position or no grid: nothing."""
    if given:
        return given, None
    found = placed.get((lat, lon)) if lat is not None and lon is not None else None
    if found is None:
        return None, None
    return found.grid_code, found.grid_source.value
