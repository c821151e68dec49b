"""Read raster MBTiles 1.3 basemaps: metadata, tiles by XYZ address, refusal of bad files.

An MBTiles file is an SQLite database: ``metadata(name, value)`` and
``tiles(zoom_level, tile_column, tile_row, tile_data)`` with rows in TMS order (row 0 is the
south). The file is opened read-only (``mode=ro``, never created or written, so a basemap on a
read-only medium or shared by two processes is safe) and checked before use: a truncated or
damaged file, a vector (``pbf``) basemap, or one that declares another projection than
EPSG:3857 is refused with a reason a person can read — never a crash half-way through drawing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.geo.datum import Datum
from app.geo.errors import MapError, map_error
from app.geo.tiles import tms_row

#: Tile formats a raster basemap may hold (MBTiles 1.3 ``format``) and their first bytes.
RASTER_FORMATS = {"png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",), "webp": (b"RIFF",)}
#: How the spec's projection may be named by tools that write a projection key.
WEB_MERCATOR = {"epsg:3857", "epsg:900913", "epsg:3785", "epsg:102100", "epsg:102113", "3857"}
_PROJECTION_KEYS = ("crs", "srs", "projection", "proj", "spatial_reference")


@dataclass(frozen=True, slots=True)
class BasemapInfo:
    """What a basemap file says about itself."""

    path: Path
    name: str
    format: str
    minzoom: int
    maxzoom: int
    #: ``(west, south, east, north)`` in degrees, of the tiles' datum.
    bounds: tuple[float, float, float, float]
    center: tuple[float, float, int] | None  # (lon, lat, zoom) as the spec writes it
    attribution: str
    datum: Datum
    #: ``tms`` (the spec) or ``xyz`` (some tools write it and say so)
    scheme: str


class MBTiles:
    """One open MBTiles basemap; :meth:`tile` may be called from any thread."""

    def __init__(self, path: Path, *, datum: Datum | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise map_error(
                "basemap_missing",
                f"底图文件不存在：{self.path}",
                f"The basemap file does not exist: {self.path}",
            )
        _check_header(self.path)
        try:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            # One connection for every thread, one query at a time (tile reads are ~0.1 ms).
            self._lock = threading.Lock()
            self.info = self._read_info(datum)
            self._check_tiles()
        except sqlite3.DatabaseError as exc:
            raise _damaged(self.path, str(exc)) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> MBTiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The encoded image of XYZ tile ``(z, x, y)``, None where the basemap has none."""
        if z < self.info.minzoom or z > self.info.maxzoom or not (0 <= x < 1 << z):
            return None
        if not (0 <= y < 1 << z):
            return None
        row = tms_row(z, y) if self.info.scheme == "tms" else y
        try:
            with self._lock:
                found = self._db.execute(
                    "SELECT tile_data FROM tiles "
                    "WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                    (z, x, row),
                ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise _damaged(self.path, str(exc)) from exc
        return bytes(found[0]) if found and found[0] else None

    # -- checks -----------------------------------------------------------------------------

    def _read_info(self, datum: Datum | None) -> BasemapInfo:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        if not {"metadata", "tiles"} <= tables:
            raise map_error(
                "basemap_not_mbtiles",
                f"{self.path.name} 不是 MBTiles 底图（缺少 metadata 或 tiles 表）",
                f"{self.path.name} is not an MBTiles basemap (no metadata or tiles table)",
            )
        meta = {str(k).strip().lower(): str(v) for k, v in self._db.execute(_METADATA)}
        for key in _PROJECTION_KEYS:
            value = meta.get(key, "").strip().lower().replace(" ", "")
            if value and value not in WEB_MERCATOR:
                raise map_error(
                    "basemap_projection",
                    f"{self.path.name} 的投影是 {meta[key]}，只能使用 Web 墨卡托（EPSG:3857）瓦片",
                    f"{self.path.name} is in {meta[key]}; only Web Mercator (EPSG:3857) tiles can be used",
                )
        fmt = meta.get("format", "png").strip().lower()
        fmt = "jpg" if fmt == "jpeg" else fmt
        if fmt not in RASTER_FORMATS:
            raise map_error(
                "basemap_format",
                f"{self.path.name} 的瓦片格式是“{fmt}”，只能使用 PNG、JPEG 或 WebP 栅格底图",
                f"{self.path.name} holds “{fmt}” tiles; only PNG, JPEG or WebP raster basemaps can be used",
            )
        zooms = self._db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        if zooms is None or zooms[0] is None:
            raise map_error(
                "basemap_empty",
                f"{self.path.name} 中没有瓦片",
                f"{self.path.name} holds no tiles",
            )
        minzoom = _int(meta.get("minzoom"), int(zooms[0]))
        maxzoom = _int(meta.get("maxzoom"), int(zooms[1]))
        bounds = _floats(meta.get("bounds"), 4) or (-180.0, -85.0511, 180.0, 85.0511)
        west, south, east, north = bounds
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise map_error(
                "basemap_bounds",
                f"{self.path.name} 的范围（bounds）不是经纬度：{meta.get('bounds')}",
                f"The bounds of {self.path.name} are not in degrees: {meta.get('bounds')}",
            )
        center = _floats(meta.get("center"), 3)
        scheme = meta.get("scheme", "tms").strip().lower()
        declared = meta.get("datum", "").strip().lower()
        return BasemapInfo(
            path=self.path,
            name=meta.get("name", self.path.stem),
            format=fmt,
            minzoom=max(0, min(minzoom, maxzoom)),
            maxzoom=max(minzoom, maxzoom),
            bounds=(west, south, east, north),
            center=(center[0], center[1], int(center[2])) if center else None,
            attribution=meta.get("attribution", "").strip(),
            datum=datum or (Datum.GCJ02 if declared == Datum.GCJ02.value else Datum.WGS84),
            scheme="xyz" if scheme == "xyz" else "tms",
        )

    def _check_tiles(self) -> None:
        """The first tile's bytes must be of the declared format (catches a wrong ``format``)."""
        first = self._db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        data = bytes(first[0]) if first and first[0] else b""
        if data and not data.startswith(RASTER_FORMATS[self.info.format]):
            raise map_error(
                "basemap_format",
                f"{self.path.name} 声明的瓦片格式是 {self.info.format}，但瓦片数据不是",
                f"{self.path.name} declares {self.info.format} tiles, but its tiles are not",
            )


_METADATA = "SELECT name, value FROM metadata WHERE name IS NOT NULL AND value IS NOT NULL"


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite or was cut short, before SQLite reads it page by page
    (a truncated file otherwise opens and fails on the first tile past the cut)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise _damaged(path, "not an SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header is valid when its "version-valid-for" matches the change
    # counter (every SQLite since 3.7.0 keeps it so).
    if header[24:28] == header[92:96] and pages and size < pages * page_size:
        raise _damaged(path, f"{size} bytes, the header says {pages * page_size}")


def _damaged(path: Path, detail: str) -> MapError:
    return map_error(
        "basemap_damaged",
        f"底图文件 {path.name} 已损坏或不完整，无法使用（{detail}）。请重新复制该文件。",
        f"The basemap file {path.name} is damaged or incomplete ({detail}). Copy it again.",
    )


def _int(text: str | None, default: int) -> int:
    try:
        return int(float(text)) if text is not None else default
    except ValueError:
        return default


def _floats(text: str | None, count: int) -> tuple[float, ...] | None:
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        return None
    return values if len(values) == count else None


def write_mbtiles(
    path: Path, metadata: dict[str, str], tiles: Iterable[tuple[int, int, int, bytes]]
) -> Path:
    """Write an MBTiles 1.3 file: ``metadata`` rows and ``(z, x, y, data)`` tiles given in XYZ
    order (stored in TMS rows, as the spec says). For the self-test, tests and, later, the
    demo basemap built from OpenStreetMap data."""
    path = Path(path)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute("CREATE TABLE metadata (name text, value text)")
            db.execute(
                "CREATE TABLE tiles (zoom_level integer, tile_column integer, "
                "tile_row integer, tile_data blob)"
            )
            db.execute("CREATE UNIQUE INDEX name ON metadata (name)")
            db.execute(
                "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)"
            )
            db.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
            db.executemany(
                "INSERT INTO tiles VALUES (?, ?, ?, ?)",
                ((z, x, tms_row(z, y), data) for z, x, y, data in tiles),
            )
    finally:
        db.close()
    return path


def open_basemap(path: Path, *, datum: Datum | None = None) -> MBTiles:
    """Open and check a basemap file (raises :class:`MapError` with the reason)."""
    return MBTiles(path, datum=datum)


__all__ = ["BasemapInfo", "MBTiles", "MapError", "open_basemap"]
