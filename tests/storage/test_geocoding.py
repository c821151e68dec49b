"""Offline geocoding in the local store: the cells of 贵溪市 (as the feed brings them) give a
case's grid code, street and community with no typing; a typed code stays typed; a position
outside every cell says so; 门前三包 frontages give a case its unit; 定人定责 proposes a
department. Plus CellIndex against an independent reference (shapely)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from app.capture.positions import Fix, FixQuality, PositionSource
from app.domain.grids import GridSource
from app.domain.validation import CaseFields
from app.geo.cells import CellHit, CellIndex
from app.storage import LocalStore
from app.storage.grids import apply_cell, apply_responsibility, apply_unit
from app.storage.models import Department


def features(samples: Path) -> list[dict[str, Any]]:
    data = json.loads((samples / "map" / "grids.geojson").read_text(encoding="utf-8"))
    return list(data["features"])


def payload(feature: dict[str, Any], **extra: Any) -> dict[str, Any]:
    props = feature["properties"]
    rings = [[v for xy in ring for v in xy] for ring in feature["geometry"]["coordinates"]]
    return {
        "code": props["code"],
        "street": props["street_name"],
        "community": props["community_name"],
        "rings": rings,
        "version": 1,
        "removed": False,
        **extra,
    }


@pytest.fixture
def grid_store(store: LocalStore, samples: Path) -> LocalStore:
    with store.write() as s:
        for feature in features(samples):
            apply_cell(s, payload(feature))
    return store


def centre(feature: dict[str, Any]) -> tuple[float, float]:
    """An inside point of the cell, computed by shapely (lat, lon)."""
    point = shape(feature["geometry"]).representative_point()
    return point.y, point.x


def test_cell_index_agrees_with_shapely_on_every_cell_and_between(samples: Path) -> None:
    cells = features(samples)
    index = CellIndex(
        (CellHit(f["properties"]["code"], "", ""), payload(f)["rings"]) for f in cells
    )
    polygons = [shape(f["geometry"]) for f in cells]
    tree = shapely.STRtree(polygons)
    for feature in cells:
        lat, lon = centre(feature)
        hit = index.locate(lon, lat)
        assert hit is not None and hit.code == feature["properties"]["code"]
    # A lattice of points over the whole area (and beyond): the same answer as shapely.
    for i in range(60):
        for j in range(60):
            lon, lat = 117.188 + i * 0.00012, 28.279 + j * 0.00008
            found = tree.query(shapely.Point(lon, lat), predicate="within")
            hit = index.locate(lon, lat)
            if len(found) == 1:
                assert hit is not None and hit.code == cells[found[0]]["properties"]["code"]
            elif len(found) == 0 and not any(p.touches(shapely.Point(lon, lat)) for p in polygons):
                assert hit is None


def test_a_new_case_gets_its_cell_street_and_community(
    grid_store: LocalStore, samples: Path
) -> None:
    feature = features(samples)[400]
    lat, lon = centre(feature)
    created = grid_store.create_case(CaseFields(category_code="06010", lat=lat, lon=lon))
    row = grid_store.get_case(created.id)
    assert (row.grid_code, row.grid_source) == (feature["properties"]["code"], GridSource.AUTO)
    place = grid_store.locate(lat, lon)
    assert place.cell is not None
    assert (place.cell.street, place.cell.community) == (
        feature["properties"]["street_name"],
        feature["properties"]["community_name"],
    )


def test_typed_codes_stay_and_looked_up_codes_follow_the_position(
    grid_store: LocalStore, samples: Path
) -> None:
    a, b = features(samples)[100], features(samples)[500]
    (lat_a, lon_a), (lat_b, lon_b) = centre(a), centre(b)
    code_a, code_b = a["properties"]["code"], b["properties"]["code"]
    created = grid_store.create_case(CaseFields(category_code="06010", lat=lat_a, lon=lon_a))
    case_id = created.id
    # The editor sends back what it shows (the looked-up code) with a moved position: moved.
    grid_store.update_case(
        case_id, CaseFields(category_code="06010", lat=lat_b, lon=lon_b, grid_code=code_a)
    )
    row = grid_store.get_case(case_id)
    assert (row.grid_code, row.grid_source) == (code_b, GridSource.AUTO)
    # The inspector types another cell's code: kept, and said to be typed.
    grid_store.update_case(
        case_id, CaseFields(category_code="06010", lat=lat_b, lon=lon_b, grid_code=code_a)
    )
    row = grid_store.get_case(case_id)
    assert (row.grid_code, row.grid_source) == (code_a, GridSource.TYPED)
    # A GPS fix moves the position: the typed code stays.
    fix = Fix(lat_a, lon_a, 3.0, None, None, FixQuality.GPS, PositionSource.GPS, 3)
    grid_store.set_case_position(case_id, fix)
    assert grid_store.get_case(case_id).grid_source == GridSource.TYPED
    # Emptied field: looked up again.
    grid_store.update_case(case_id, CaseFields(category_code="06010", lat=lat_b, lon=lon_b))
    row = grid_store.get_case(case_id)
    assert (row.grid_code, row.grid_source) == (code_b, GridSource.AUTO)


def test_a_position_outside_every_cell_is_allowed_and_says_so(grid_store: LocalStore) -> None:
    created = grid_store.create_case(CaseFields(category_code="06010", lat=28.40, lon=117.30))
    row = grid_store.get_case(created.id)
    assert (row.grid_code, row.grid_source) == (None, GridSource.OUTSIDE)
    without = grid_store.create_case(CaseFields(category_code="06010"))
    assert grid_store.get_case(without.id).grid_source is None


def test_without_a_grid_nothing_is_called_outside(store: LocalStore) -> None:
    created = store.create_case(CaseFields(category_code="06010", lat=28.30, lon=117.20))
    row = store.get_case(created.id)
    assert (row.grid_code, row.grid_source) == (None, None)


def test_a_changed_cell_is_seen_at_once(grid_store: LocalStore, samples: Path) -> None:
    feature = features(samples)[10]
    lat, lon = centre(feature)
    assert grid_store.locate(lat, lon).cell is not None
    with grid_store.write() as s:
        apply_cell(s, payload(feature, removed=True, rings=[]))
    assert grid_store.locate(lat, lon).cell is None
    assert grid_store.cell_count() == 735


def test_frontages_give_a_case_its_unit(grid_store: LocalStore, samples: Path) -> None:
    lat, lon = centre(features(samples)[300])
    with grid_store.write() as s:
        apply_unit(s, {"id": "u-1", "name": "贵溪市第一中学", "contact": "0701-1234567",
                       "letter_no": "MQ-2026-001", "rings": [], "lon": lon, "lat": lat,
                       "radius_m": 30.0, "removed": False})  # fmt: skip
    near = grid_store.create_case(CaseFields(category_code="06010", lat=lat + 0.0002, lon=lon))
    far = grid_store.create_case(CaseFields(category_code="06010", lat=lat + 0.0004, lon=lon))
    assert grid_store.get_case(near.id).unit_id == "u-1"  # 22 m away, within 30 m
    assert grid_store.get_case(far.id).unit_id is None  # 44 m away
    unit = grid_store.unit("u-1")
    assert unit is not None and unit.letter_no == "MQ-2026-001"


def test_the_responsible_department_is_proposed_by_class(
    grid_store: LocalStore, samples: Path
) -> None:
    code = features(samples)[0]["properties"]["code"]
    with grid_store.write() as s:
        s.add(Department(id="d-hw", code="HWC", name="环境卫生管理处", name_en="", active=True))
        s.add(Department(id="d-zf", code="CGZF", name="城管执法", name_en="", active=True))
        s.flush()
        apply_responsibility(
            s, {"grid_code": code, "inspectors": [], "departments": {"06": "d-hw", "*": "d-zf"}}
        )
    sanitation = grid_store.propose_department(code, "06010")
    assert sanitation is not None and (sanitation.department_id, sanitation.category_class) == (
        "d-hw",
        "06",
    )
    other = grid_store.propose_department(code, "09006")
    assert other is not None and (other.department_id, other.category_class) == ("d-zf", "*")
    assert grid_store.propose_department(None, "06010") is None
    with grid_store.write() as s:
        apply_responsibility(s, {"grid_code": code, "inspectors": [], "departments": {}})
    assert grid_store.propose_department(code, "06010") is None
