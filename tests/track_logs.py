"""NMEA logs of walks through known cells of the 贵溪 grid (``../shared/samples/map/grids.geojson``),
for the coverage tests: what a receiver would log on a route whose cells are known."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path

from app.capture.nmea import nmea_checksum
from app.capture.positions import haversine_m
from app.storage import LocalStore
from app.storage.grids import apply_cell


def by_row_col(grid_file: Path) -> dict[tuple[int, int], tuple[str, float, float]]:
    """(row, col) → (code, centre lon, centre lat)."""
    out = {}
    for f in json.loads(grid_file.read_text(encoding="utf-8"))["features"]:
        ring = f["geometry"]["coordinates"][0][:-1]
        lon = sum(x for x, _ in ring) / len(ring)
        lat = sum(y for _, y in ring) / len(ring)
        p = f["properties"]
        out[(p["grid_row"], p["grid_col"])] = (p["code"], lon, lat)
    return out


def load_grid(store: LocalStore, grid_file: Path) -> None:
    """The grid's cells into the store as the feed brings them (its ``grid_cell`` handler)."""
    with store.write() as s:
        for f in json.loads(grid_file.read_text(encoding="utf-8"))["features"]:
            p = f["properties"]
            rings = [[v for xy in ring for v in xy] for ring in f["geometry"]["coordinates"]]
            apply_cell(s, {"code": p["code"], "rings": rings, "version": 1})


def _dm(value: float, width: int) -> str:
    degrees = int(value)
    return f"{degrees:0{width}d}{(value - degrees) * 60:07.4f}"


def nmea_log(waypoints: list[tuple[float, float]], start: datetime, speed: float = 1.4) -> str:
    """What a receiver would log walking straight between ``waypoints`` (lon, lat), a fix a
    second: GGA and RMC sentences with their checksums."""
    lines = ["# synthetic walk through known grid cells"]
    at = start
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(waypoints):
        steps = max(1, int(haversine_m(lat1, lon1, lat2, lon2) / speed))
        for i in range(steps):
            lon = lon1 + (lon2 - lon1) * i / steps
            lat = lat1 + (lat2 - lat1) * i / steps
            hms = at.strftime("%H%M%S.00")
            for body in (
                f"GPGGA,{hms},{_dm(lat, 2)},N,{_dm(lon, 3)},E,1,09,0.9,45.0,M,-5.0,M,,",
                f"GPRMC,{hms},A,{_dm(lat, 2)},N,{_dm(lon, 3)},E,2.7,90.0,{at:%d%m%y},,,A",
            ):
                lines.append(f"${body}*{nmea_checksum(body):02X}")
            at += timedelta(seconds=1)
    return "\r\n".join(lines) + "\r\n"
