"""Exporting the local cases to CSV, GeoJSON or a GeoPackage, for a spreadsheet or a GIS.

Every format carries the same attributes, in the same order (:data:`FIELDS`), one record per
case, oldest first:

- **CSV** — UTF-8 with a byte-order mark (so Excel opens Chinese text correctly), a header
  row, RFC 4180 quoting and ``\\r\\n`` line ends; text that Excel would run as a formula
  (``=``, ``+``, ``-``, ``@`` first) is written with a ``'`` before it.
- **GeoJSON** (RFC 7946) — a FeatureCollection of WGS84 points in lon/lat order; a case
  without a position is a feature with ``"geometry": null``. Text is written as UTF-8, not as
  ``\\u`` escapes.
- **GeoPackage** (OGC GeoPackage 1.3) — one point layer ``cases`` in EPSG:4326; a case without
  a position has a NULL geometry. It is written with the standard library's ``sqlite3``
  following the specification, on purpose without GDAL or pyogrio: those would bring GDAL
  (tens of megabytes of native libraries) into the desktop installer for one point layer that
  the specification defines in four tables and a 13-byte header per geometry.

Cases are streamed from one read transaction (a consistent snapshot) in batches, so memory
stays flat however many cases there are. The file is written to a temporary file next to the
destination and moved over it (``os.replace``) only once complete: a failure (full disk,
cancellation, any error) never leaves a half-written file at the destination, and an existing
file there is left untouched. Failures are raised as :class:`ExportError` with a message in
both languages.
"""

from __future__ import annotations

import csv
import enum
import errno
import io
import json
import math
import os
import sqlite3
import struct
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import aliased

from app.domain.errors import CityPatrolError, Message
from app.domain.lifecycle import STATUS_NAMES, CaseStatus
from app.storage.models import Case, Department, ResponsibilityUnit, User
from app.storage.queries import PHOTO_COUNT
from app.storage.store import LocalStore

DEFAULT_BATCH = 2000

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    GEOJSON = "geojson"
    GPKG = "gpkg"


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote: how many cases, where, and the file's size in bytes."""

    count: int
    path: Path
    bytes: int


class ExportError(CityPatrolError):
    """An export that could not be completed; nothing was written at the destination.

    ``code`` is one of ``unknown_format``, ``no_folder``, ``is_folder``, ``not_writable``,
    ``disk_full``, ``cancelled`` or ``write_failed``. (Not a :class:`DomainError`: no rule of
    the domain is broken, the file system or the user stopped the export, as for a
    :class:`~app.storage.db.StoreError`.)
    """


#: Attribute name and GeoPackage column type of every exported field, in output order.
FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "TEXT"),
    ("status", "TEXT"),
    ("status_name", "TEXT"),
    ("category_code", "TEXT"),
    ("category_name", "TEXT"),
    ("description", "TEXT"),
    ("address", "TEXT"),
    ("urgency", "TEXT"),
    ("lat", "REAL"),
    ("lon", "REAL"),
    ("accuracy_m", "REAL"),
    ("position_source", "TEXT"),
    ("grid_code", "TEXT"),
    ("grid_source", "TEXT"),
    ("unit", "TEXT"),
    ("observed_at", "DATETIME"),
    ("submitted_at", "DATETIME"),
    ("updated_at", "DATETIME"),
    ("author", "TEXT"),
    ("department", "TEXT"),
    ("deadline", "DATETIME"),
    ("photo_count", "INTEGER"),
)
FIELD_NAMES: tuple[str, ...] = tuple(name for name, _ in FIELDS)
_LAT = FIELD_NAMES.index("lat")
_LON = FIELD_NAMES.index("lon")

Record = tuple[Any, ...]


def export_cases(
    store: LocalStore,
    fmt: ExportFormat | str,
    out: Path,
    *,
    language: str = "zh_CN",
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    batch: int = DEFAULT_BATCH,
) -> ExportResult:
    """Write every case of ``store`` to ``out`` in ``fmt``; names in ``language`` (zh_CN | en).

    ``progress(done, total)`` is called once before the first case and after every batch;
    ``cancelled()`` is asked before every batch and stops the export with an
    :class:`ExportError` (code ``cancelled``) when it returns true.
    """
    try:
        fmt = ExportFormat(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in ExportFormat)
        raise ExportError(
            "unknown_format",
            Message(
                f"未知的导出格式 {fmt}（可选：{choices}）",
                f"Unknown export format {fmt} ({choices})",
            ),
        ) from None
    out = Path(out).absolute()
    _check_destination(out)
    write = _WRITERS[fmt]
    batch = max(1, batch)
    tmp = _create_temp(out)
    try:
        with store.read() as session:
            total = int(session.scalar(select(func.count()).select_from(Case)) or 0)
            if progress is not None:
                progress(0, total)
            # Core, not ORM, execution: SQLite's cursor steps through the result as it is
            # fetched, so fetchmany(batch) holds one batch (the ORM would buffer every row, or
            # with yield_per the next batch too).
            rows = session.connection().execute(_CASES)
            batches = _records(
                rows.fetchmany,
                store,
                batch=batch,
                language=language,
                total=total,
                progress=progress,
                cancelled=cancelled,
            )
            with _translate(out):
                count = write(tmp, batches)
                _fsync(tmp)
        _move(tmp, out)
    except BaseException:
        _remove(tmp)
        raise
    _fsync_folder(out.parent)
    return ExportResult(count, out, out.stat().st_size)


# -- reading ------------------------------------------------------------------------------


_AUTHOR = aliased(User)
_DEPARTMENT = aliased(Department)
_UNIT = aliased(ResponsibilityUnit)


def _text(column: Any) -> Any:
    """A time column as its stored ISO text (formatted in Python without parsing, fast)."""
    return type_coerce(column, String).label(column.key)


#: Every case with its author, department and photo count, oldest first.
_CASES = (
    select(
        Case.id,
        Case.status,
        Case.category_code,
        Case.description,
        Case.address,
        Case.urgency,
        Case.lat,
        Case.lon,
        Case.accuracy_m,
        Case.position_source,
        Case.grid_code,
        Case.grid_source,
        _UNIT.name.label("unit"),
        _text(Case.observed_at),
        _text(Case.submitted_at),
        _text(Case.updated_at),
        func.coalesce(func.nullif(_AUTHOR.display_name, ""), _AUTHOR.username).label("author"),
        _DEPARTMENT.name.label("department_zh"),
        _DEPARTMENT.name_en.label("department_en"),
        _text(Case.deadline),
        PHOTO_COUNT,
    )
    .outerjoin(_AUTHOR, _AUTHOR.id == Case.author_id)
    .outerjoin(_DEPARTMENT, _DEPARTMENT.id == Case.department_id)
    .outerjoin(_UNIT, _UNIT.id == Case.unit_id)
    .order_by(Case.created_at, Case.pk)
)


def _records(
    fetch: Callable[[int], Sequence[Any]],
    store: LocalStore,
    *,
    batch: int,
    language: str,
    total: int,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> Iterator[list[Record]]:
    """Each batch of rows as export records, reporting progress and honouring cancellation."""
    zh = language.lower().startswith("zh")
    statuses: dict[str, str] = {}
    categories: dict[str | None, str | None] = {None: None}

    def status_name(code: str) -> str:
        name = statuses.get(code)
        if name is None:
            try:
                name = STATUS_NAMES[CaseStatus(code)].text(language)
            except (ValueError, KeyError):
                name = code
            statuses[code] = name
        return name

    def category_name(code: str | None) -> str | None:
        if code not in categories:
            category = store.taxonomy.matter(code) if code else None
            categories[code] = category.display_name(language) if category else None
        return categories[code]

    done = 0
    if cancelled is not None and cancelled():
        raise _cancelled()
    while rows := fetch(batch):
        records = [
            (
                case_id,
                status,
                status_name(status),
                category_code,
                category_name(category_code),
                description,
                address,
                urgency,
                _finite(lat),
                _finite(lon),
                _finite(accuracy_m),
                position_source,
                grid_code,
                grid_source,
                unit,
                _utc(observed_at),
                _utc(submitted_at),
                _utc(updated_at),
                author,
                department_zh if zh else department_en or department_zh,
                _utc(deadline),
                int(photo_count),
            )
            for (
                case_id,
                status,
                category_code,
                description,
                address,
                urgency,
                lat,
                lon,
                accuracy_m,
                position_source,
                grid_code,
                grid_source,
                unit,
                observed_at,
                submitted_at,
                updated_at,
                author,
                department_zh,
                department_en,
                deadline,
                photo_count,
            ) in rows
        ]
        del rows  # only one batch is ever held: not this one's rows beside the next one's
        done += len(records)
        yield records
        del records
        if progress is not None:
            progress(done, total)
        if cancelled is not None and cancelled():
            raise _cancelled()


def _utc(stored: str | None) -> str | None:
    """A stored time (ISO text, see models.UTCDateTime) in the export's form."""
    if stored is None:
        return None
    if len(stored) == 32 and stored[19] == "." and stored.endswith("+00:00"):
        return stored[:23] + "Z"  # the stored form: cut to milliseconds, as isoformat would
    value = datetime.fromisoformat(stored)
    return _iso(value if value.tzinfo else value.replace(tzinfo=UTC))


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and ``Z``: the GeoPackage DATETIME form, used everywhere."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# -- writers ------------------------------------------------------------------------------


class _Sink(io.FileIO):
    """The temporary file's raw writes, under the text formats' buffer (where the disk fills up)."""


@contextmanager
def _text_file(path: Path, encoding: str = "utf-8") -> Iterator[io.TextIOWrapper]:
    """``path`` opened for writing text through a buffer, line ends written as given."""
    with (
        _Sink(path, "w") as raw,
        io.BufferedWriter(raw, buffer_size=1 << 16) as buffered,
        io.TextIOWrapper(buffered, encoding=encoding, newline="") as text,
    ):
        yield text


#: A text cell starting with one of these is a formula to Excel (CSV injection): a report's
#: description could run ``=HYPERLINK(…)`` on the supervisor's computer.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell Excel shows as text: a leading formula character gets a ``'`` before it
    (OWASP's advice; the GeoJSON and GeoPackage exports keep the text exactly)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _write_csv(path: Path, batches: Iterable[list[Record]]) -> int:
    count = 0
    # utf-8-sig writes the byte-order mark Excel needs to read UTF-8 (else it guesses GBK).
    with _text_file(path, "utf-8-sig") as text:
        writer = csv.writer(text, lineterminator="\r\n")  # RFC 4180 quoting and line ends
        writer.writerow(FIELD_NAMES)
        for records in batches:
            writer.writerows([tuple(map(_cell, record)) for record in records])
            count += len(records)
            del records  # let the next batch replace this one rather than join it in memory
    return count


def _write_geojson(path: Path, batches: Iterable[list[Record]]) -> int:
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    count = 0
    with _text_file(path) as text:
        text.write('{"type":"FeatureCollection","features":[')
        for records in batches:
            for record in records:
                lat, lon = record[_LAT], record[_LON]
                geometry = (
                    None
                    if lat is None or lon is None
                    else {"type": "Point", "coordinates": [lon, lat]}
                )
                text.write(",\n" if count else "\n")
                text.write(
                    encode(
                        {
                            "type": "Feature",
                            "id": record[0],
                            "geometry": geometry,
                            "properties": dict(zip(FIELD_NAMES, record, strict=True)),
                        }
                    )
                )
                count += 1
            del records
        text.write("\n]}\n")
    return count


# GeoPackage 1.3 (OGC 12-128r18): the required tables, and the rows Requirement 11 asks for.
GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_USER_VERSION = 10300
GPKG_LAYER = "cases"
GPKG_SRS_ID = 4326
_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
_SPATIAL_REF_SYS = (
    (
        "Undefined cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined cartesian coordinate reference system",
    ),
    (
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system",
    ),
    (
        "WGS 84 geodetic",
        GPKG_SRS_ID,
        "EPSG",
        4326,
        _WGS84_WKT,
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
    ),
)
_GPKG_COLUMNS = ",\n  ".join(f'"{name}" {kind}' for name, kind in FIELDS)
_GPKG_SCHEMA = f"""
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE "{GPKG_LAYER}" (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom POINT,
  {_GPKG_COLUMNS}
);
"""
# The geometry column is declared with its geometry type name (POINT), as the specification's
# data types (clause 1.1.1.1.3, "<geometry_type_name>") and GDAL do; to SQLite it is a BLOB.

#: GeoPackageBinary header flags: bit 0 = little-endian, bits 1-3 = envelope contents
#: indicator (0: no envelope — a point is its own envelope), bit 4 = empty, bit 5 = extended.
_GP_FLAGS = 0b0000_0001
_GP_POINT = struct.Struct("<2sBBiBIdd")  # header: magic, version, flags, srs_id; then WKB Point
_WKB_LITTLE_ENDIAN = 1
_WKB_POINT = 1


def gpkg_point(lon: float, lat: float, srs_id: int = GPKG_SRS_ID) -> bytes:
    """A GeoPackageBinary point: the header (no envelope) and a little-endian WKB Point."""
    return _GP_POINT.pack(b"GP", 0, _GP_FLAGS, srs_id, _WKB_LITTLE_ENDIAN, _WKB_POINT, lon, lat)


def _connect_gpkg(path: Path) -> sqlite3.Connection:
    """The connection the GeoPackage is written through (a seam for the tests)."""
    conn = sqlite3.connect(path, isolation_level=None)
    # A file nobody sees until it is complete needs no rollback journal: a failure discards it.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def _write_gpkg(path: Path, batches: Iterable[list[Record]]) -> int:
    columns = ", ".join(f'"{name}"' for name in FIELD_NAMES)
    marks = ", ".join("?" * (len(FIELD_NAMES) + 1))
    insert = f'INSERT INTO "{GPKG_LAYER}" (geom, {columns}) VALUES ({marks})'
    count = 0
    min_x = min_y = math.inf
    max_x = max_y = -math.inf
    conn = _connect_gpkg(path)
    try:
        conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
        conn.execute("BEGIN")
        for statement in _GPKG_SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.executemany(
            "INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, "
            "organization_coordsys_id, definition, description) VALUES (?, ?, ?, ?, ?, ?)",
            _SPATIAL_REF_SYS,
        )
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
            "VALUES (?, 'features', ?, ?, ?)",
            (GPKG_LAYER, GPKG_LAYER, "CityPatrol cases 城市巡查案件", GPKG_SRS_ID),
        )
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POINT', ?, 0, 0)",
            (GPKG_LAYER, GPKG_SRS_ID),
        )
        for records in batches:
            rows = []
            for record in records:
                lat, lon = record[_LAT], record[_LON]
                if lat is None or lon is None:
                    geom = None
                else:
                    geom = gpkg_point(lon, lat)
                    min_x, max_x = min(min_x, lon), max(max_x, lon)
                    min_y, max_y = min(min_y, lat), max(max_y, lat)
                rows.append((geom, *record))
            conn.executemany(insert, rows)
            count += len(records)
            del records, rows
        extent = (min_x, min_y, max_x, max_y) if min_x <= max_x else (None, None, None, None)
        conn.execute(
            "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, "
            "last_change = ? WHERE table_name = ?",
            (*extent, _iso(datetime.now(UTC)), GPKG_LAYER),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return count


_WRITERS: dict[ExportFormat, Callable[[Path, Iterable[list[Record]]], int]] = {
    ExportFormat.CSV: _write_csv,
    ExportFormat.GEOJSON: _write_geojson,
    ExportFormat.GPKG: _write_gpkg,
}


# -- files and errors ---------------------------------------------------------------------


def _check_destination(out: Path) -> None:
    folder = out.parent
    if not folder.is_dir():
        raise _no_folder(folder)
    if out.is_dir():
        raise ExportError(
            "is_folder",
            Message(
                f"导出失败：{out} 是一个文件夹，请给出文件名。",
                f"Export failed: {out} is a folder; give a file name.",
            ),
        )


def _create_temp(out: Path) -> Path:
    """A new empty file next to ``out`` (same file system, so the final move is atomic)."""
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:12]}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    with _translate(out):
        os.close(os.open(tmp, flags, 0o666))  # permissions from the umask, as for any new file
    return tmp


def _move(tmp: Path, out: Path) -> None:
    """Put the finished file in place of ``out`` in one step (atomic on one file system)."""
    try:
        os.replace(tmp, out)
    except PermissionError as exc:  # Windows: the old file is open in Excel or a GIS
        raise ExportError(
            "not_writable",
            Message(
                f"无法替换 {out}：该文件可能正被其他程序（如 Excel）打开，或没有写入权限。"
                "请关闭该文件或换一个文件名后重试。",
                f"Cannot replace {out}: it may be open in another program (such as Excel), "
                "or it is not writable. Close it or choose another name and try again.",
            ),
        ) from exc
    except OSError as exc:
        with _translate(out):
            raise exc from None


def _fsync(path: Path) -> None:
    """Flush the finished file to disk before it replaces the destination."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable too (POSIX); best effort, the export itself is complete."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(tmp: Path) -> None:
    for path in (tmp, tmp.with_name(tmp.name + "-journal")):
        with suppress(OSError):
            path.unlink(missing_ok=True)


def _no_folder(folder: Path) -> ExportError:
    return ExportError(
        "no_folder",
        Message(
            f"导出失败：文件夹 {folder} 不存在。",
            f"Export failed: the folder {folder} does not exist.",
        ),
    )


def _cancelled() -> ExportError:
    return ExportError(
        "cancelled",
        Message("导出已取消，未写入任何文件。", "The export was cancelled; no file was written."),
    )


def _disk_full(out: Path) -> ExportError:
    return ExportError(
        "disk_full",
        Message(
            f"磁盘空间不足，无法导出到 {out}。未写入任何文件；请释放磁盘空间或换一个位置后重试。",
            f"The disk is full; cannot export to {out}. No file was written; "
            "free some space or choose another place and try again.",
        ),
    )


@contextmanager
def _translate(out: Path) -> Iterator[None]:
    """Turn file-system and SQLite failures while writing ``out`` into :class:`ExportError`."""
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if (isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL) or "full" in str(exc):
            raise _disk_full(out) from exc
        raise _write_failed(out, str(exc)) from exc
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise _disk_full(out) from exc
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise ExportError(
                "not_writable",
                Message(
                    f"导出失败：没有写入 {out.parent} 的权限（或该位置只读）。请换一个文件夹。",
                    f"Export failed: {out.parent} is not writable. Choose another folder.",
                ),
            ) from exc
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise _no_folder(out.parent) from exc
        raise _write_failed(out, exc.strerror or str(exc)) from exc


def _write_failed(out: Path, reason: str) -> ExportError:
    return ExportError(
        "write_failed",
        Message(f"无法写入 {out}：{reason}", f"Cannot write {out}: {reason}"),
    )
