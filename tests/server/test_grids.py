"""Grid cells on the server: ``grid load`` of the 736 real-format cells of 贵溪市 (GeoJSON and
GeoPackage), refused files with their reasons (damaged, bad codes, self-intersecting, overlapping,
projected without saying so), a non-WGS84 file transformed, gaps reported, and a reload that
announces only what changed. On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from server.db import create_db_engine, migrate, session_factory
from server.grids.cells import FileRefusedError, list_cells, list_versions, load_grid
from server.grids.files import GeoFileError
from server.models import FeedEntry


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def grid(samples: Path) -> dict[str, Any]:
    return dict(json.loads((samples / "map" / "grids.geojson").read_text(encoding="utf-8")))


def write(tmp_path: Path, data: dict[str, Any], name: str = "grid.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def load(sessions: sessionmaker[Session], path: Path) -> Any:
    with sessions.begin() as session:
        return load_grid(session, path)


def grid_entries(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    with sessions() as session:
        rows = session.scalars(
            select(FeedEntry).where(FeedEntry.kind == "grid_cell").order_by(FeedEntry.seq)
        )
        return [r.payload for r in rows]


def test_the_sample_grid_loads_as_version_1_and_reaches_the_feed(
    sessions: sessionmaker[Session], samples: Path, grid: dict[str, Any]
) -> None:
    done = load(sessions, samples / "map" / "grids.geojson")
    assert (done.version, done.cells, done.added, done.changed, done.removed) == (1, 736, 736, 0, 0)
    assert done.warnings == []  # the sample is seamless
    with sessions() as session:
        cells = {c.code: c for c in list_cells(session)}
    first = grid["features"][0]["properties"]
    assert cells[first["code"]].street == first["street_name"] == "滨江镇"
    assert cells[first["code"]].community == first["community_name"]
    entries = grid_entries(sessions)
    assert len(entries) == 736 and {e["code"] for e in entries} == set(cells)
    # Compact: one ring of five corners, 10 numbers, rounded to 1e-7°.
    assert all(len(e["rings"]) == 1 and len(e["rings"][0]) == 10 for e in entries)
    assert len(json.dumps(entries[0])) < 400


def test_a_reload_is_a_new_version_and_sends_only_what_changed(
    sessions: sessionmaker[Session], samples: Path, grid: dict[str, Any], tmp_path: Path
) -> None:
    load(sessions, samples / "map" / "grids.geojson")
    same = load(sessions, samples / "map" / "grids.geojson")
    assert (same.version, same.added, same.changed, same.removed) == (2, 0, 0, 0)
    assert len(grid_entries(sessions)) == 736  # nothing new announced

    changed = copy.deepcopy(grid)
    removed_code = changed["features"].pop()["properties"]["code"]
    renamed = changed["features"][0]["properties"]
    renamed["community_name"] = "柏里村（新）"
    done = load(sessions, write(tmp_path, changed))
    assert (done.version, done.cells, done.added, done.changed, done.removed) == (3, 735, 0, 1, 1)
    news = grid_entries(sessions)[736:]
    assert sorted((e["code"], e["removed"]) for e in news) == sorted(
        [(renamed["code"], False), (removed_code, True)]
    )
    with sessions() as session:
        assert [v.version for v in list_versions(session)] == [1, 2, 3]
        assert {c.code for c in list_cells(session)} == {
            f["properties"]["code"] for f in changed["features"]
        }


def test_a_geopackage_grid_loads_like_its_geojson(
    sessions: sessionmaker[Session], samples: Path, tmp_path: Path
) -> None:
    gpkg = tmp_path / "grids.gpkg"
    source = samples / "map" / "grids.geojson"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(gpkg), str(source)], check=True)
    done = load(sessions, gpkg)
    assert (done.cells, done.crs, done.transformed) == (736, "EPSG:4326", False)
    with sessions() as session:
        gpkg_rings = {c.code: c.rings for c in list_cells(session)}
    again = load(sessions, source)
    assert again.changed == 0  # the same cells, to 1e-7°
    assert len(gpkg_rings) == 736


def test_a_projected_grid_is_transformed_to_wgs84(
    sessions: sessionmaker[Session], samples: Path, grid: dict[str, Any], tmp_path: Path
) -> None:
    """CGCS2000 / 3-degree Gauss-Krüger CM 117E (EPSG:4548), as a city's GIS office keeps it."""
    projected = tmp_path / "grids-4548.gpkg"
    source = samples / "map" / "grids.geojson"
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:4548", str(projected), str(source)], check=True
    )
    done = load(sessions, projected)
    assert (done.cells, done.crs, done.transformed) == (736, "EPSG:4548", True)
    with sessions() as session:
        cells = {c.code: c.rings for c in list_cells(session)}
    for feature in grid["features"][::50]:
        original = shape(feature["geometry"])
        ring = cells[feature["properties"]["code"]][0]
        back = shapely.Polygon(list(zip(ring[0::2], ring[1::2], strict=True)))
        # The same cell within centimetres (EPSG:4548 → 4326 is a projection, no datum shift).
        assert original.symmetric_difference(back).area < 1e-10


def test_refused_files_say_why_and_load_nothing(
    sessions: sessionmaker[Session], grid: dict[str, Any], tmp_path: Path
) -> None:
    bad = copy.deepcopy(grid)
    features = bad["features"]
    features[3]["properties"]["code"] = "36068101700100"  # 14 digits
    features[4]["properties"]["code"] = "3606810170010AB"
    features[5]["properties"]["code"] = features[6]["properties"]["code"]  # twice
    # A bow tie: the ring crosses itself.
    (w, s), (e, n) = features[7]["geometry"]["coordinates"][0][0], (0.0, 0.0)
    e, n = w + 0.002, s - 0.002
    features[7]["geometry"]["coordinates"] = [[[w, s], [e, n], [e, s], [w, n], [w, s]]]
    features[8]["geometry"] = {"type": "LineString", "coordinates": [[w, s], [e, n]]}
    # Cell 9 moved half a cell onto cell 10 (and leaving a gap behind).
    ring = features[9]["geometry"]["coordinates"][0]
    features[9]["geometry"]["coordinates"] = [[[x + 0.001, y] for x, y in ring]]
    with pytest.raises(FileRefusedError) as refused:
        load(sessions, write(tmp_path, bad))
    text = "\n".join(refused.value.reasons)
    assert "feature 4 (36068101700100): grid code '36068101700100' is not 15 digits" in text
    assert "feature 5 (3606810170010AB)" in text
    assert "the code of feature 6 again" in text
    assert "feature 8" in text and "Self-intersection" in text
    assert "feature 9" in text and "not a LineString" in text
    codes = [f["properties"]["code"] for f in features]
    assert any(f"cells {codes[9]} and {codes[10]} overlap by" in r for r in refused.value.reasons)
    assert len(refused.value.reasons) == 6
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(FeedEntry)) == 0
        assert list_cells(session) == []


def test_gaps_are_reported_and_the_grid_still_loads(
    sessions: sessionmaker[Session], grid: dict[str, Any], tmp_path: Path
) -> None:
    holed = copy.deepcopy(grid)
    middle = next(
        f
        for f in holed["features"]
        if f["properties"]["grid_row"] == 5 and f["properties"]["grid_col"] == 5
    )
    holed["features"].remove(middle)
    done = load(sessions, write(tmp_path, holed))
    assert done.cells == 735
    assert len(done.warnings) == 1 and done.warnings[0].startswith("gap of ")
    area = float(done.warnings[0].split()[2])
    assert 30_000 < area < 50_000  # about 200 m × 200 m


def test_unusable_files_are_refused_clearly(
    sessions: sessionmaker[Session], grid: dict[str, Any], tmp_path: Path, samples: Path
) -> None:
    damaged = tmp_path / "damaged.geojson"
    damaged.write_bytes((samples / "map" / "grids.geojson").read_bytes()[:5000])
    with pytest.raises(GeoFileError, match="neither GeoJSON nor a GeoPackage"):
        load(sessions, damaged)
    unknown = copy.deepcopy(grid)
    unknown["crs"] = {"type": "name", "properties": {"name": "EPSG:999999"}}
    with pytest.raises(GeoFileError, match="unknown coordinate reference system"):
        load(sessions, write(tmp_path, unknown))
    # Metres in a file that says nothing (so: WGS84 degrees).
    metres = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "360681001001001"},
         "geometry": {"type": "Polygon", "coordinates": [[[500000, 3130000], [500200, 3130000],
                                                          [500200, 3130200], [500000, 3130000]]]}}
    ]}  # fmt: skip
    with pytest.raises(GeoFileError, match="not longitude/latitude degrees"):
        load(sessions, write(tmp_path, metres))
    town = samples / "map" / "town.gpkg"  # several layers, none named
    with pytest.raises(GeoFileError, match="several feature layers"):
        load(sessions, town)
    with sessions() as session:
        assert list_cells(session) == []


def test_cgcs2000_is_taken_as_it_is_and_a_cut_geopackage_is_refused(
    sessions: sessionmaker[Session], samples: Path, tmp_path: Path
) -> None:
    cgcs = tmp_path / "grids-4490.gpkg"
    source = samples / "map" / "grids.geojson"
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", "-a_srs", "EPSG:4490", str(cgcs), str(source)], check=True
    )
    done = load(sessions, cgcs)
    assert (done.cells, done.crs, done.transformed) == (736, "EPSG:4490", False)
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(cgcs.read_bytes()[:20_000])
    with pytest.raises(GeoFileError, match="not a readable GeoPackage"):
        load(sessions, cut)
    with sessions() as session:
        assert len(list_versions(session)) == 1  # the cut file changed nothing


def test_units_load_replace_and_refuse_with_reasons(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    from server.grids.units import list_units, load_units

    def unit(name: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
        return {"type": "Feature", "properties": {"name": name, **props}, "geometry": geometry}

    square = {"type": "Polygon", "coordinates": [[[117.2, 28.3], [117.2005, 28.3],
              [117.2005, 28.3005], [117.2, 28.3005], [117.2, 28.3]]]}  # fmt: skip
    point = {"type": "Point", "coordinates": [117.21, 28.29]}
    good = {"type": "FeatureCollection", "features": [
        unit("雄石商店", square, letter_no="MQ-1", contact="张三"),
        unit("第一中学", point, letter_no="MQ-2", radius_m=30),
    ]}  # fmt: skip
    with sessions.begin() as session:
        done = load_units(session, write(tmp_path, good, "units.geojson"))
    assert (done.units, done.added, done.changed, done.removed) == (2, 2, 0, 0)
    changed = copy.deepcopy(good)
    changed["features"][0]["properties"]["contact"] = "李四"
    del changed["features"][1]
    with sessions.begin() as session:
        done = load_units(session, write(tmp_path, changed, "units.geojson"))
        names = [(u.name, u.contact) for u in list_units(session)]
    assert (done.units, done.added, done.changed, done.removed) == (1, 0, 1, 1)
    assert names == [("雄石商店", "李四")]
    with sessions() as session:
        rows = session.scalars(
            select(FeedEntry).where(FeedEntry.kind == "unit").order_by(FeedEntry.seq)
        ).all()
    assert [(r.payload["name"], r.payload["removed"]) for r in rows] == [
        ("雄石商店", False), ("第一中学", False), ("雄石商店", False), ("第一中学", True),
    ]  # fmt: skip

    bowtie = {"type": "Polygon", "coordinates": [[[117.2, 28.3], [117.201, 28.301],
              [117.201, 28.3], [117.2, 28.301], [117.2, 28.3]]]}  # fmt: skip
    bad = {"type": "FeatureCollection", "features": [
        unit("", point),
        unit("无半径", point),
        unit("自交", bowtie),
        unit("线", {"type": "LineString", "coordinates": [[117.2, 28.3], [117.21, 28.31]]}),
        unit("重复", point, letter_no="MQ-9", radius_m=10),
        unit("重复二", point, letter_no="MQ-9", radius_m=10),
    ]}  # fmt: skip
    with pytest.raises(FileRefusedError) as refused, sessions.begin() as session:
        load_units(session, write(tmp_path, bad, "bad-units.geojson"))
    assert refused.value.reasons == [
        "feature 1: no name property",
        "feature 2 (无半径): a point needs a radius_m of 1 to 500 m",
        "feature 3 (自交): invalid polygon: Self-intersection[117.2005 28.3005]",
        "feature 4 (线): a frontage is a polygon or a point, not a LineString",
        "feature 6: unit 'MQ-9' appears twice",
    ]
    with sessions() as session:
        assert [u.name for u in list_units(session)] == ["雄石商店"]


def test_responsibilities_load_set_remove_and_announce_changed_cells(
    sessions: sessionmaker[Session], samples: Path, grid: dict[str, Any], tmp_path: Path
) -> None:
    from app.domain.lifecycle import Role
    from server.accounts.users import add_user
    from server.grids.responsibility import (
        describe,
        load_responsibilities,
        remove_responsibility,
        set_responsibility,
    )
    from server.reference.departments import add_department

    load(sessions, samples / "map" / "grids.geojson")
    a, b = (f["properties"]["code"] for f in grid["features"][:2])
    with sessions.begin() as session:
        add_user(session, "zhang", "a long enough password", Role.INSPECTOR, "张三", policy=False)
        add_user(session, "chief", "a long enough password", Role.SUPERVISOR, "", policy=False)
        add_department(session, "HWC", "环境卫生管理处")
        add_department(session, "CGZF", "城管执法")

    def entries() -> list[dict[str, Any]]:
        with sessions() as session:
            rows = session.scalars(
                select(FeedEntry).where(FeedEntry.kind == "responsibility").order_by(FeedEntry.seq)
            )
            return [r.payload for r in rows]

    rules = tmp_path / "resp.csv"
    rules.write_text(
        f"grid_code,inspectors,category_class,department\n{a},zhang,06,HWC\n{b},,*,CGZF\n",
        encoding="utf-8",
    )
    with sessions.begin() as session:
        assert load_responsibilities(session, rules) == 2
    assert [e["grid_code"] for e in entries()] == sorted([a, b])
    with sessions.begin() as session:  # the same file again: nothing changed, nothing sent
        load_responsibilities(session, rules)
    assert len(entries()) == 2
    with sessions.begin() as session:
        set_responsibility(session, a, category_class="09", department="CGZF")
        with pytest.raises(ValueError, match="no inspector account named chief"):
            set_responsibility(session, a, inspectors=["chief"])  # a supervisor
    last = entries()[-1]
    assert last["grid_code"] == a and sorted(last["departments"]) == ["06", "09"]
    with sessions.begin() as session:
        remove_responsibility(session, b, None)
        assert describe(session) == [f"{a}\tzhang\t06=HWC 09=CGZF"]
    assert entries()[-1] == {"grid_code": b, "inspectors": [], "departments": {}}

    # A reload without cell a says its responsibilities are left behind.
    without = copy.deepcopy(grid)
    without["features"] = [f for f in without["features"] if f["properties"]["code"] != a]
    done = load(sessions, write(tmp_path, without))
    assert done.removed == 1
    assert done.warnings == [
        f"1 removed cell(s) still have responsibilities (定人定责): {a}; "
        "load the responsibilities again"
    ]
