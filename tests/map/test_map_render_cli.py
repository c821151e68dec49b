"""``citypatrol map render``: the real basemap and GeoPackage, a marker on a real crossing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers import run_cli
from maphelpers import crossing
from PySide6.QtGui import QColor, QImage

from app.geo.tiles import Viewport
from app.maprender.render import MARKER_COLOUR

SIZE = (640, 480)
ZOOM = 17


def render(out: Path, basemap: Path, center: tuple[float, float], *extra: str) -> QImage:
    result = run_cli(
        "map", "render", str(out), "--basemap", str(basemap),
        "--center", f"{center[0]},{center[1]}", "--zoom", str(ZOOM),
        "--size", f"{SIZE[0]}x{SIZE[1]}", *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == SIZE
    return image


def test_a_marker_at_a_street_crossing_is_drawn_on_the_crossing(
    maps: Path, tmp_path: Path, qapp: object
) -> None:
    lat, lon = crossing(maps / "town.gpkg", "雄石路", "烧箕山东路")
    # Off-centre on purpose, so the test checks the tile math rather than "the middle".
    center = (lat + 0.0004, lon - 0.0007)
    expected = Viewport(center[0], center[1], ZOOM, *SIZE).to_screen(lat, lon)
    assert 60 < expected[0] < SIZE[0] - 60 and 60 < expected[1] < SIZE[1] - 60

    plain = render(tmp_path / "plain.png", maps / "town.mbtiles", center)
    marked = render(
        tmp_path / "marked.png", maps / "town.mbtiles", center, "--marker", f"{lat},{lon}"
    )

    # The anchor pixel is the marker's colour, and the marker is centred on the crossing
    # within 1 px (the centroid of its pixels).
    ax, ay = int(expected[0]), int(expected[1])
    assert QColor(marked.pixel(ax, ay)) == MARKER_COLOUR
    inside = [
        (x + 0.5, y + 0.5)
        for x in range(ax - 15, ax + 16)
        for y in range(ay - 15, ay + 16)
        if QColor(marked.pixel(x, y)) == MARKER_COLOUR
    ]
    assert len(inside) > 50
    cx = sum(p[0] for p in inside) / len(inside)
    cy = sum(p[1] for p in inside) / len(inside)
    assert abs(cx - expected[0]) <= 1 and abs(cy - expected[1]) <= 1

    # Under it, the basemap draws a road: road-white pixels at the crossing, none of the
    # background's colour right there.
    def road(x: int, y: int) -> bool:
        c = QColor(plain.pixel(x, y))
        return min(c.red(), c.green(), c.blue()) >= 250

    near = [(x, y) for x in range(ax - 2, ax + 3) for y in range(ay - 2, ay + 3) if road(x, y)]
    assert len(near) >= 10, near
    # …and the roads really lead away in several directions (a crossing, not a blob).
    rays = {
        (dx, dy)
        for dx, dy in ((8, 0), (-8, 0), (0, 8), (0, -8), (6, 6), (-6, 6), (6, -6), (-6, -6))
        if any(road(ax + dx + e, ay + dy + f) for e in (-1, 0, 1) for f in (-1, 0, 1))
    }
    assert len(rays) >= 3, rays
    # Elsewhere the marker leaves the basemap as it was.
    assert marked.pixel(5, 5) == plain.pixel(5, 5)


def test_the_attribution_and_scale_bar_are_drawn(maps: Path, tmp_path: Path, qapp: object) -> None:
    image = render(tmp_path / "m.png", maps / "town.mbtiles", (28.30212, 117.22317))
    # The attribution box's white backdrop sits in the bottom-right corner.
    corner = QColor(image.pixel(SIZE[0] - 3, SIZE[1] - 3))
    assert min(corner.red(), corner.green(), corner.blue()) >= 240


def test_over_zoom_past_the_last_level_still_draws_the_basemap(maps: Path, tmp_path: Path) -> None:
    out = tmp_path / "z19.png"
    lat, lon = crossing(maps / "town.gpkg", "雄石路", "烧箕山东路")
    result = run_cli(
        "map", "render", str(out), "--basemap", str(maps / "town.mbtiles"),
        "--center", f"{lat},{lon}", "--zoom", "19", "--size", "256x256",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    colours = {image.pixel(x, y) for x in range(0, 256, 8) for y in range(0, 200, 8)}
    assert len(colours) > 3  # roads drawn from the zoom-17 tile, scaled up


def test_cases_of_the_store_are_drawn(maps: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    lat, lon = crossing(maps / "town.gpkg", "雄石路", "烧箕山东路")
    made = run_cli(
        "case", "new", "--category", "06010", "--description", "暴露垃圾",
        "--lat", str(lat), "--lon", str(lon), data_dir=data,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    out = tmp_path / "cases.png"
    result = run_cli(
        "map", "render", str(out), "--basemap", str(maps / "town.mbtiles"),
        "--center", f"{lat},{lon}", "--zoom", "17", "--size", "200x200", "--cases",
        data_dir=data,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert QColor(image.pixel(100, 100)) == QColor("#8c8c8c")  # a draft's grey, centred


def _broken(maps: Path, tmp_path: Path, how: str) -> Path:
    copy = tmp_path / f"{how}.mbtiles"
    shutil.copy(maps / "town.mbtiles", copy)
    copy.chmod(0o644)
    if how == "truncated":
        with copy.open("r+b") as f:
            f.truncate(copy.stat().st_size * 2 // 3)
    else:
        key, value = {"format": ("format", "pbf"), "projection": ("crs", "EPSG:4326")}[how]
        with sqlite3.connect(copy) as db:
            db.execute("DELETE FROM metadata WHERE name = ?", (key,))
            db.execute("INSERT INTO metadata VALUES (?, ?)", (key, value))
    return copy


@pytest.mark.parametrize(
    ("how", "english", "chinese"),
    [
        ("truncated", "damaged or incomplete", "已损坏"),
        ("format", "only PNG, JPEG or WebP", "栅格底图"),
        ("projection", "only Web Mercator (EPSG:3857)", "EPSG:3857"),
    ],
)
def test_a_damaged_basemap_is_refused_with_a_clear_message(
    maps: Path, tmp_path: Path, how: str, english: str, chinese: str
) -> None:
    basemap = _broken(maps, tmp_path, how)
    out = tmp_path / "out.png"
    for lang, words in (("en", english), ("zh_CN", chinese)):
        result = run_cli(
            "--lang", lang, "map", "render", str(out), "--basemap", str(basemap),
            "--center", "28.30212,117.22317", "--zoom", "15", "--size", "300x200",
        )  # fmt: skip
        assert result.returncode == 1
        assert words in result.stderr
        assert "Traceback" not in result.stderr
        assert not out.exists()


def test_an_unknown_basemap_name_is_refused(tmp_path: Path) -> None:
    result = run_cli(
        "map", "render", str(tmp_path / "x.png"), "--basemap", "nowhere",
        "--center", "28.3,117.2", "--zoom", "15", data_dir=tmp_path / "data",
    )  # fmt: skip
    assert result.returncode == 1
    assert "nowhere" in result.stderr and "Traceback" not in result.stderr


def test_a_registered_basemap_by_name_and_a_gcj02_datum(
    maps: Path, tmp_path: Path, qapp: object
) -> None:
    from app.geo.basemaps import BasemapRegistry
    from app.geo.datum import wgs84_to_gcj02

    data = tmp_path / "data"
    BasemapRegistry(data).add(maps / "town.mbtiles", name="贵溪")
    lat, lon = crossing(maps / "town.gpkg", "雄石路", "烧箕山东路")
    center = (lat + 0.0004, lon - 0.0007)
    for datum in ("wgs84", "gcj02"):
        out = tmp_path / f"{datum}.png"
        result = run_cli(
            "map", "render", str(out), "--basemap", "贵溪", "--datum", datum,
            "--center", f"{center[0]},{center[1]}", "--zoom", "17", "--size", "640x480",
            "--marker", f"{lat},{lon}", data_dir=data,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        image = QImage(str(out))
        shift = wgs84_to_gcj02 if datum == "gcj02" else (lambda a, b: (a, b))
        view = Viewport(*shift(*center), 17, 640, 480)
        x, y = view.to_screen(*shift(lat, lon))
        assert QColor(image.pixel(int(x), int(y))) == MARKER_COLOUR
