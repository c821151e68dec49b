"""The map library without Qt: tile math, datums, MBTiles, vector layers, clusters, the cache."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.capture.positions import haversine_m
from app.geo.basemaps import BasemapRegistry
from app.geo.cache import ByteLRU
from app.geo.cluster import ClusterIndex
from app.geo.datum import Datum, gcj02_to_wgs84, wgs84_to_gcj02
from app.geo.errors import MapError
from app.geo.mbtiles import MBTiles
from app.geo.tiles import Viewport, metres_per_pixel, project, project_many, tms_row, unproject
from app.geo.vector import gpkg_layers, parse_wkb, read_geojson, read_gpkg_layer

# Published reference pairs (WGS84 → GCJ-02) of the eviltransform project's test suites.
REFERENCE_PAIRS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


def test_tile_math_matches_the_slippy_map_convention() -> None:
    # The world is one 256 px tile at zoom 0; (0, 0) is in its centre.
    assert project(0, 0, 0) == pytest.approx((128, 128))
    # Zoom 1: the north-west quarter is tile (0, 0); MBTiles counts rows from the south.
    x, y = project(45, -90, 1)
    assert (int(x // 256), int(y // 256)) == (0, 0)
    assert tms_row(1, 0) == 1
    for lat, lon in [(28.3, 117.22), (-33.9, 151.2), (60.0, -150.0)]:
        assert unproject(*project(lat, lon, 17), 17) == pytest.approx((lat, lon), abs=1e-9)
    many = project_many([28.3, -33.9, 89.9], [117.22, 151.2, 0.0], 17)
    for i, (lat, lon) in enumerate([(28.3, 117.22), (-33.9, 151.2), (89.9, 0.0)]):
        assert (many[0][i], many[1][i]) == pytest.approx(project(lat, lon, 17), abs=1e-6)
    # A pixel at zoom 17 is about 1.19 m at the equator.
    assert metres_per_pixel(0, 17) == pytest.approx(1.1943, abs=1e-3)


def test_viewport_puts_its_centre_in_the_middle_and_lists_its_tiles() -> None:
    view = Viewport(28.3, 117.22, 15, 800, 600)
    assert view.to_screen(28.3, 117.22) == pytest.approx((400, 300))
    assert view.to_lat_lon(400, 300) == pytest.approx((28.3, 117.22))
    tiles = view.tiles()
    assert 12 <= len(tiles) <= 20
    moved = view.moved(100, 0)
    assert moved.to_screen(28.3, 117.22) == pytest.approx((300, 300))
    zoomed = view.zoomed(16, (100, 100))
    assert zoomed.to_lat_lon(100, 100) == pytest.approx(view.to_lat_lon(100, 100), abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE_PAIRS)
def test_gcj02_matches_the_published_reference_pairs(wgs: tuple, gcj: tuple) -> None:
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)
    back = gcj02_to_wgs84(*gcj)
    assert haversine_m(*back, *wgs) < 0.01


def test_gcj02_round_trip_is_within_half_a_metre_across_china() -> None:
    rng = random.Random(13)
    worst = 0.0
    for _ in range(2000):
        lat, lon = rng.uniform(18.2, 53.5), rng.uniform(73.7, 134.7)
        back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
        worst = max(worst, haversine_m(lat, lon, *back))
    assert worst < 0.5
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)  # outside China: unchanged


def test_the_sample_basemap_is_read_with_its_metadata(maps: Path) -> None:
    with MBTiles(maps / "town.mbtiles") as basemap:
        info = basemap.info
        assert (info.format, info.minzoom, info.maxzoom, info.scheme) == ("png", 12, 17, "tms")
        assert info.bounds == pytest.approx((117.19116, 28.28171, 117.25519, 28.32252))
        assert "OpenStreetMap" in info.attribution
        assert info.datum is Datum.WGS84
        # The XYZ tile under the town centre exists; its TMS row is flipped in the file.
        x, y = project(28.30212, 117.22317, 15)
        data = basemap.tile(15, int(x // 256), int(y // 256))
        assert data is not None and data.startswith(b"\x89PNG")
        assert basemap.tile(15, 0, 0) is None
        assert basemap.tile(18, int(x // 64), int(y // 64)) is None  # past maxzoom


def _copy(maps: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.mbtiles"
    shutil.copy(maps / "town.mbtiles", copy)
    copy.chmod(0o644)
    return copy


def _set_metadata(path: Path, name: str, value: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM metadata WHERE name = ?", (name,))
        db.execute("INSERT INTO metadata VALUES (?, ?)", (name, value))
    sqlite3.connect(path).close()


def test_a_truncated_basemap_is_refused_as_damaged(maps: Path, tmp_path: Path) -> None:
    copy = _copy(maps, tmp_path)
    with copy.open("r+b") as f:
        f.truncate(copy.stat().st_size // 2)
    with pytest.raises(MapError) as caught:
        MBTiles(copy)
    assert caught.value.code == "basemap_damaged"
    assert "损坏" in caught.value.text("zh_CN") and "damaged" in caught.value.text("en")


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mbtiles"
    junk.write_bytes(b"<html>404</html>" * 100)
    with pytest.raises(MapError, match="damaged"):
        MBTiles(junk)


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("format", "pbf", "basemap_format"),
        ("format", "jpg", "basemap_format"),  # says JPEG, holds PNG
        ("crs", "EPSG:4326", "basemap_projection"),
        ("srs", "EPSG:4490", "basemap_projection"),
    ],
)
def test_a_basemap_of_another_format_or_projection_is_refused(
    maps: Path, tmp_path: Path, key: str, value: str, code: str
) -> None:
    copy = _copy(maps, tmp_path)
    _set_metadata(copy, key, value)
    with pytest.raises(MapError) as caught:
        MBTiles(copy)
    assert caught.value.code == code
    assert value.rsplit(":", maxsplit=1)[-1] in caught.value.text("en")


def test_a_basemap_declaring_web_mercator_is_accepted(maps: Path, tmp_path: Path) -> None:
    copy = _copy(maps, tmp_path)
    _set_metadata(copy, "crs", "EPSG:3857")
    _set_metadata(copy, "datum", "gcj02")
    with MBTiles(copy) as basemap:
        assert basemap.info.datum is Datum.GCJ02


def test_geopackage_layers_are_read_with_their_geometries(maps: Path) -> None:
    gpkg = maps / "town.gpkg"
    assert "roads" in gpkg_layers(gpkg)
    roads = read_gpkg_layer(gpkg, "roads")
    assert len(roads.features) >= 176
    assert {f.kind for f in roads.features} == {"line"}
    named = [f for f in roads.features if f.properties.get("name") == "建设路"]
    assert named
    west, south, east, north = roads.bbox or (0, 0, 0, 0)
    assert 117.19 <= west < east <= 117.26 and 28.28 <= south < north <= 28.33
    # Culling: a small box in the town centre holds a fraction of the roads.
    seen = list(roads.visible((117.214, 28.287, 117.216, 28.289)))
    assert 0 < len(seen) < len(roads.features) // 4
    places = read_gpkg_layer(gpkg, "places")
    assert {f.kind for f in places.features} == {"point"}
    with pytest.raises(MapError, match="no layer"):
        read_gpkg_layer(gpkg, "nothing")


def test_geojson_grid_cells_are_polygons(maps: Path) -> None:
    grid = read_geojson(maps / "grids.geojson")
    assert len(grid.features) == 736
    assert all(f.kind == "polygon" for f in grid.features)
    assert len(grid.features[0].properties["code"]) == 15


def test_wkb_reader_handles_both_byte_orders_and_z() -> None:
    import struct

    little = struct.pack("<BIdd", 1, 1, 117.2, 28.3)
    big = struct.pack(">BIdd", 0, 1, 117.2, 28.3)
    point_z = struct.pack("<BIddd", 1, 1001, 117.2, 28.3, 40.0)
    for blob in (little, big, point_z):
        assert parse_wkb(blob) == [("point", [[(117.2, 28.3)]])]


def test_clusters_add_up_to_every_point_at_every_zoom() -> None:
    rng = random.Random(1)
    points = [project(rng.uniform(28.28, 28.32), rng.uniform(117.19, 117.25)) for _ in range(5000)]
    index = ClusterIndex([p[0] for p in points], [p[1] for p in points])
    for zoom in range(10, 18):
        cells = index.level(zoom)
        assert sum(c.count for c in cells.values()) == 5000
    assert len(index.level(12)) < len(index.level(15)) < len(index.level(17))
    # Visible clusters: only those of the view, plus a margin.
    view = Viewport(28.30, 117.22, 16, 400, 300)
    inside = index.visible(16, view.world_bounds())
    assert 0 < sum(c.count for c in inside) < 5000
    singles = index.points_in(19, view.zoomed(19).world_bounds())
    assert all(isinstance(i, int) for i in singles)


def test_byte_lru_keeps_within_its_bound() -> None:
    cache: ByteLRU[str] = ByteLRU(1000)
    for i in range(50):
        cache.put(i, f"v{i}", 100)
        assert cache.bytes <= 1000
    assert cache.get(49) == "v49" and cache.get(0) is None
    assert cache.peak_bytes == 1000
    cache.put("huge", "x", 5000)
    assert cache.get("huge") is None


def test_registry_adds_a_checked_basemap_and_resolves_its_name(maps: Path, tmp_path: Path) -> None:
    registry = BasemapRegistry(tmp_path)
    entry = registry.add(maps / "town.mbtiles", name="贵溪")
    assert len(entry.sha256) == 64 and entry.datum == "wgs84"
    assert [b.name for b in BasemapRegistry(tmp_path).entries()] == ["贵溪"]
    assert registry.resolve("贵溪")[0] == (maps / "town.mbtiles").resolve()
    junk = tmp_path / "junk.mbtiles"
    junk.write_bytes(b"x" * 200)
    with pytest.raises(MapError):
        registry.add(junk)
    assert len(registry.entries()) == 1
    registry.remove("贵溪")
    assert registry.entries() == []
    with pytest.raises(MapError, match="No basemap"):
        registry.resolve("贵溪")


def test_registry_keeps_vector_layers_and_refuses_unreadable_ones(
    maps: Path, tmp_path: Path
) -> None:
    registry = BasemapRegistry(tmp_path)
    assert [o.name for o in registry.add_overlay(maps / "grids.geojson")] == ["grids"]
    added = registry.add_overlay(maps / "town.gpkg")
    assert "town/roads" in [o.name for o in added]
    assert len(registry.overlays()) == 1 + len(added)
    assert len(registry.overlays()[0].read().features) == 736
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not a geopackage")
    with pytest.raises(MapError):
        registry.add_overlay(junk)
    registry.remove_overlay("grids")
    assert "grids" not in [o.name for o in registry.overlays()]


def test_a_written_mbtiles_reads_back_tile_for_tile(tmp_path: Path) -> None:
    from app.geo.mbtiles import write_mbtiles

    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    path = write_mbtiles(
        tmp_path / "t.mbtiles",
        {"name": "t", "format": "png", "bounds": "-180,-85,180,85", "datum": "gcj02"},
        [(2, 1, 0, png), (2, 3, 2, png + b"1")],
    )
    with MBTiles(path) as basemap:
        assert (basemap.info.minzoom, basemap.info.maxzoom) == (2, 2)
        assert basemap.info.datum is Datum.GCJ02
        assert basemap.tile(2, 1, 0) == png
        assert basemap.tile(2, 3, 2) == png + b"1"
        assert basemap.tile(2, 1, 3) is None  # the TMS row of (1, 0) is 3: not mixed up
