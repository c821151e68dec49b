"""Addresses proposed from the office's road layer (town.gpkg's OSM roads of 贵溪市): the nearest
named road and the next one, checked against shapely's distances; rivers and railways are no
roads; ``citypatrol case new`` without --address takes the proposal and says so."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import shapely
from helpers import run_cli
from shapely.geometry import LineString

from app.geo.basemaps import BasemapRegistry
from app.geo.roads import RoadIndex, is_road_layer, road_index
from app.geo.vector import read_gpkg_layer

M_PER_DEG = 111_320.0


def metres(line: LineString, lon: float, lat: float) -> float:
    """shapely's distance on the same local projection around the point (the reference)."""
    k = math.cos(math.radians(lat)) * M_PER_DEG
    scaled = shapely.affinity.scale(line, xfact=k, yfact=M_PER_DEG, origin=(0, 0))
    return float(scaled.distance(shapely.Point(lon * k, lat * M_PER_DEG)))


def test_the_nearest_roads_agree_with_shapely(samples: Path) -> None:
    gpkg = samples / "map" / "town.gpkg"
    roads = read_gpkg_layer(gpkg, "roads")
    assert is_road_layer(roads, "town/roads")
    assert not is_road_layer(read_gpkg_layer(gpkg, "waterways"), "town/waterways")
    assert not is_road_layer(read_gpkg_layer(gpkg, "railways"), "town/railways")
    index = RoadIndex([roads])
    lines: dict[str, list[LineString]] = {}
    for f in roads.features:
        if f.properties.get("name") and f.properties.get("highway"):
            lines.setdefault(str(f.properties["name"]), []).extend(
                LineString(p) for p in f.parts if len(p) > 1
            )
    checked = 0
    for i in range(12):
        for j in range(8):
            lon, lat = 117.195 + i * 0.005, 28.285 + j * 0.005
            found = index.nearest(lon, lat)
            reference = sorted(
                (min(metres(g, lon, lat) for g in geoms), name) for name, geoms in lines.items()
            )
            within = {n: d for d, n in reference if d <= 400}
            assert {r.name: round(r.distance_m, 3) for r in found} == {
                n: round(d, 3) for n, d in within.items()
            }
            assert [r.distance_m for r in found] == sorted(r.distance_m for r in found)
            checked += bool(found)
    assert checked > 20  # most of the lattice is near a named road


def test_an_address_is_proposed_near_a_road(samples: Path) -> None:
    roads = read_gpkg_layer(samples / "map" / "town.gpkg", "roads")
    index = RoadIndex([roads])
    jianshe = next(f for f in roads.features if f.properties.get("name") == "建设路")
    lon, lat = jianshe.parts[0][len(jianshe.parts[0]) // 2]
    address = index.address(lon, lat + 0.0002)  # 22 m off the road
    assert address is not None and address.startswith("建设路, 近")
    assert index.address(117.22, 28.31) is None  # no road within 150 m


def test_case_new_takes_the_proposed_address(samples: Path, tmp_path: Path) -> None:
    data = tmp_path / "laptop"
    data.mkdir()
    gpkg = tmp_path / "town.gpkg"
    shutil.copyfile(samples / "map" / "town.gpkg", gpkg)
    assert road_index(data) is None  # no road layer yet: nothing proposed
    BasemapRegistry(data).add_overlay(gpkg)
    index = road_index(data)
    assert index is not None
    roads = read_gpkg_layer(gpkg, "roads")
    jianshe = next(f for f in roads.features if f.properties.get("name") == "建设路")
    lon, lat = jianshe.parts[0][len(jianshe.parts[0]) // 2]
    made = run_cli("case", "new", "--category", "06010", "--description", "井盖缺失",
                   "--lat", str(lat), "--lon", str(lon), data_dir=data)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "address (from the road layer): 建设路, 近" in made.stderr
    typed = run_cli("case", "new", "--category", "06010", "--description", "手填地址",
                    "--lat", str(lat), "--lon", str(lon), "--address", "雄石路 8 号",
                    data_dir=data)  # fmt: skip
    assert "road layer" not in typed.stderr
    listed = {
        r["description"]: r
        for r in json.loads(run_cli("case", "list", "--json", data_dir=data).stdout)
    }
    assert listed["井盖缺失"]["address"].startswith("建设路, 近")
    assert listed["手填地址"]["address"] == "雄石路 8 号"
