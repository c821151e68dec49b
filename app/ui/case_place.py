"""The case editor's place hint: the grid cell of the position (street, community), where the
grid code came from, the cell's responsible inspectors (定人) and the 门前三包 unit of the
position.

The store fills the grid code from the position on every save (app.storage.grids); the editor
shows the same lookup at once, from the position shown and the code in the field, in the
database lane (:func:`place_job`), and says which it is: looked up, typed in, or outside every
cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication

from app.geo.cells import CellHit, Frontage
from app.geo.roads import road_index
from app.storage.grids import Place
from app.storage.store import LocalStore


@dataclass(frozen=True, slots=True)
class PlaceInfo:
    """What the lookup found for the position and the typed code."""

    place: Place
    unit: Frontage | None
    typed: str
    #: The address the road layer proposes ("建设路, 近贵溪大道"), if any.
    address: str | None = None
    #: The responsible inspectors (定人), by name, of the position's cell and the typed one.
    inspectors: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def auto_code(self) -> str | None:
        return self.place.cell.code if self.place.cell is not None else None


def place_job(
    store: LocalStore, lat: float | None, lon: float | None, typed: str
) -> Callable[[], PlaceInfo]:
    def job() -> PlaceInfo:
        place = store.locate(lat, lon, typed or None)
        address = None
        if lat is not None and lon is not None:
            roads = road_index(store.data_dir)
            address = roads.address(lon, lat) if roads is not None else None
        inspectors: dict[str, tuple[str, ...]] = {}
        for cell in (place.cell, place.typed):
            held = store.responsibility(cell.code) if cell is not None else None
            if cell is not None and held is not None:
                inspectors[cell.code] = tuple(held.inspectors)
        return PlaceInfo(place, place.unit, typed, address, inspectors)

    return job


def _names(cell: CellHit) -> str:
    return " · ".join(n for n in (cell.street, cell.community) if n) or cell.code


def place_text(info: PlaceInfo, has_position: bool) -> str:
    """The hint under the grid code field."""
    place, typed = info.place, info.typed
    shown = typed if typed and typed != info.auto_code else info.auto_code
    if typed and typed != info.auto_code:
        if place.typed is not None:
            line = QCoreApplication.translate("CaseEditor", "Typed in: %1").replace(
                "%1", _names(place.typed)
            )
        else:
            line = QCoreApplication.translate(
                "CaseEditor", "Typed in (not a cell of the grid on this computer)"
            )
        if place.cell is not None:
            line += "\n" + QCoreApplication.translate(
                "CaseEditor", "The position is in cell %1 (%2)"
            ).replace("%1", place.cell.code).replace("%2", _names(place.cell))
    elif place.cell is not None:
        line = QCoreApplication.translate("CaseEditor", "From the position: %1").replace(
            "%1", _names(place.cell)
        )
    elif not has_position:
        line = QCoreApplication.translate(
            "CaseEditor", "Filled in from the position once it is known"
        )
    elif place.grid_known:
        line = QCoreApplication.translate("CaseEditor", "The position is outside every grid cell")
    else:
        line = QCoreApplication.translate(
            "CaseEditor", "No grid on this computer yet: it comes with the next sync"
        )
    names = info.inspectors.get(shown or "", ())
    if names:
        line += "\n" + QCoreApplication.translate(
            "CaseEditor", "Responsible inspectors: %1"
        ).replace("%1", "、".join(names))
    if info.unit is not None:
        unit = info.unit
        line += "\n" + QCoreApplication.translate("CaseEditor", "门前三包 unit: %1").replace(
            "%1", unit.name
        )
        if unit.letter_no:
            line += QCoreApplication.translate("CaseEditor", " (letter %1)").replace(
                "%1", unit.letter_no
            )
    return line
