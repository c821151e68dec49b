"""Helpers of the map tests (imported by name: tests/map is on sys.path like tests/)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from app.geo.vector import read_gpkg_layer


def crossing(gpkg: Path, first: str, second: str) -> tuple[float, float]:
    """The vertex two named roads share (OSM joins roads at a shared node): ``(lat, lon)``."""
    roads = read_gpkg_layer(gpkg, "roads")

    def vertices(name: str) -> set[tuple[float, float]]:
        return {
            p
            for f in roads.features
            if f.properties.get("name") == name
            for ring in f.parts
            for p in ring
        }

    shared = vertices(first) & vertices(second)
    assert len(shared) == 1, shared
    lon, lat = shared.pop()
    return lat, lon


def gcj02_copy(maps: Path, tmp_path: Path) -> Path:
    """The sample basemap declared GCJ-02 (its tiles then count as shifted)."""
    copy = tmp_path / "gcj.mbtiles"
    shutil.copy(maps / "town.mbtiles", copy)
    copy.chmod(0o644)
    with sqlite3.connect(copy) as db:
        db.execute("INSERT INTO metadata VALUES ('datum', 'gcj02')")
    return copy
