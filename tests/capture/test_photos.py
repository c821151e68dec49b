"""Evidence photos: every shared sample, exiftool as an independent oracle, hostile files,
thumbnails, previews and upload copies (app.capture.photos)."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from app.capture import photo_structure, photos
from app.capture.photos import (
    PhotoError,
    PhotoInfo,
    PhotoLimits,
    UploadSizePolicy,
    inspect_photo,
    inspect_with_thumbnail,
    make_preview,
    make_thumbnail,
    make_upload_copy,
)
from app.domain.errors import CityPatrolError

pytestmark = pytest.mark.timeout(60)

PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "photos"
ALL_SAMPLES = (
    sorted(p.relative_to(PHOTOS).as_posix() for p in PHOTOS.rglob("*") if p.is_file())
    if PHOTOS.is_dir()
    else []
)

# The outcome of every sample that must NOT import, with the reason. Everything else must.
REFUSED = {
    # 16 KB of the compressed data are overwritten with 0xFF: libjpeg skips the damage with a
    # warning Pillow never shows, and paints the last rows grey. Found from the markers.
    "jpg/corrupted.jpg": "broken",
}

# Facts we know about particular samples (checked beside the generic plausibility checks).
KNOWN: dict[str, dict[str, Any]] = {
    "heic/mobile/iphone_13_pro_max.HEIC": {
        "format": "HEIF", "mime": "image/heic", "width": 4032, "height": 3024,
        "orientation": 6, "display_width": 3024, "display_height": 4032,
        "taken_at": datetime(2022, 2, 16, 12, 55, 41, 762000, timezone(timedelta(hours=1))),
        "make": "Apple", "model": "iPhone 13 Pro Max", "gps_lat": None,
    },
    # The container rotates it (irot 270) although its EXIF Orientation says 1: irot wins.
    "heic/mobile/HMD_Nokia_8.3_5G.heif": {
        "orientation": 6, "width": 4608, "height": 3456, "display_width": 3456,
        "gps_time": datetime(2022, 2, 3, 14, 44, 9, tzinfo=UTC), "taken_at_local": None,
    },
    "heic/IMG_5195.HEIC": {
        "orientation": 1, "width": 2566, "height": 3313,
        "taken_at": datetime(2021, 4, 11, 15, 47, 53, 54000, timezone(timedelta(hours=-5))),
    },
    "jpg/mobile/HMD_Nokia_8.3_5G.jpg": {
        "taken_at": datetime(2022, 8, 14, 14, 12, 31, tzinfo=timezone(timedelta(hours=3))),
        "gps_time": datetime(2022, 8, 14, 11, 12, 32, tzinfo=UTC),
    },
    "jpg/gps/DSCN0010.jpg": {
        "taken_at": None, "taken_at_local": datetime(2008, 10, 22, 16, 28, 39),
        "gps_time": datetime(2008, 10, 23, 14, 27, 7, 240000, tzinfo=UTC),
        "make": "NIKON", "model": "COOLPIX P6000", "gps_altitude": None,
    },
    "jpg/Kodak_CX7530.jpg": {"make": "EASTMAN KODAK COMPANY"},  # latitude S 0°22.278'
    "jpg/WWL_(Polaroid)_ION230.jpg": {"make": "WWL", "model": "ION230"},  # "ION230\0F"
    "jpg/Konica_Minolta_DiMAGE_Z3.jpg": {"make": "KONICA MINOLTA"},  # trailing blanks
    # Its Exif sub-directory pointer has the wrong type; the capture time is in XMP, in UTC.
    "jpg/tests/30-type_error.jpg": {
        "taken_at": datetime(2013, 7, 5, 3, 18, 27, tzinfo=UTC), "warnings_contain": "Exif",
    },
    "jpg/tests/87_OSError.jpg": {"gps_altitude": 42.123},
    "jpg/orientation/portrait_8.jpg": {"orientation": 8, "width": 600, "display_width": 450},
    "jpg/Reconyx_HC500_Hyperfire.jpg": {"orientation": None, "width": 2048},
}  # fmt: skip

MIMES = {"JPEG": {"image/jpeg"}, "PNG": {"image/png"}, "HEIF": {"image/heic", "image/heif"}}


def assert_refused(exc: PhotoError, code: str, path: Path) -> None:
    assert isinstance(exc, CityPatrolError)
    assert exc.code == code, f"{exc.code}: {exc.message}"
    assert path.name in exc.message.zh and path.name in exc.message.en, exc.message
    assert exc.message.zh != exc.message.en


def refused(path: Path, limits: PhotoLimits = photos.DEFAULT_LIMITS) -> PhotoError:
    with pytest.raises(PhotoError) as caught:
        inspect_photo(path, limits)
    return caught.value


_cache: dict[str, PhotoInfo] = {}


def inspected(samples: Path, rel: str) -> PhotoInfo:
    """Each sample is inspected once per test run (HEIC decodes take a while)."""
    if rel not in _cache:
        _cache[rel] = inspect_photo(samples / "photos" / rel)
    return _cache[rel]


# ---------------------------------------------------------------------------------------------
# Every shared sample: imports with plausible metadata, or a clear refusal — never anything else
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", ALL_SAMPLES)
def test_every_sample_imports_or_is_refused_clearly(samples: Path, rel: str) -> None:
    path = samples / "photos" / rel
    if rel in REFUSED:
        with pytest.raises(PhotoError) as caught:
            inspect_photo(path)
        assert_refused(caught.value, REFUSED[rel], path)
        return
    info = inspected(samples, rel)
    data = path.read_bytes()
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size_bytes == len(data)
    assert info.mime in MIMES[info.format]
    assert info.width > 0 and info.height > 0
    assert info.orientation is None or 1 <= info.orientation <= 8
    swap = info.orientation in (5, 6, 7, 8)
    assert (info.display_width, info.display_height) == (
        (info.height, info.width) if swap else (info.width, info.height)
    )
    assert (info.gps_lat is None) == (info.gps_lon is None)
    if info.gps_lat is not None and info.gps_lon is not None:
        assert -90 <= info.gps_lat <= 90 and -180 <= info.gps_lon <= 180
    if info.taken_at_local is not None:
        assert 1990 <= info.taken_at_local.year <= 2030 and info.taken_at_local.tzinfo is None
    if info.taken_at is not None:
        assert info.taken_at.utcoffset() is not None
        assert info.taken_at.replace(tzinfo=None) == info.taken_at_local
    if info.gps_time is not None:
        assert info.gps_time.utcoffset() == timedelta(0)
    for text in (info.make, info.model):
        assert text is None or (text == text.strip() and "\x00" not in text and text)
    assert all(isinstance(w, str) and w for w in info.warnings)
    encoded = json.loads(json.dumps(info.to_json(), ensure_ascii=False))
    assert encoded["sha256"] == info.sha256 and encoded["path"] == str(path)
    for field, expected in KNOWN.get(rel, {}).items():
        if field == "warnings_contain":
            assert any(expected in w for w in info.warnings), info.warnings
        else:
            assert getattr(info, field) == expected, field


def test_the_expected_outcomes_name_real_samples(samples: Path) -> None:
    for rel in [*REFUSED, *KNOWN]:
        assert (samples / "photos" / rel).is_file(), rel
    assert len(ALL_SAMPLES) >= 70


def test_the_type_comes_from_the_content_not_the_name(samples: Path, tmp_path: Path) -> None:
    jpeg = samples / "photos" / "jpg" / "gps" / "DSCN0010.jpg"
    for name in ("photo.png", "photo.heic", "photo"):
        shutil.copyfile(jpeg, tmp_path / name)
        assert inspect_photo(tmp_path / name).format == "JPEG"
    png = tmp_path / "really-a-png.heic"
    Image.new("RGB", (40, 30), (10, 200, 30)).save(png, "PNG")
    info = inspect_photo(png)
    assert (info.format, info.mime, info.width, info.height) == ("PNG", "image/png", 40, 30)


# ---------------------------------------------------------------------------------------------
# Independent oracle: exiftool reads the same files
# ---------------------------------------------------------------------------------------------


def exiftool(*paths: Path, numeric: bool = True, groups: bool = False) -> list[dict[str, Any]]:
    if shutil.which("exiftool") is None:
        pytest.fail("exiftool is not installed (scripts/setup.sh installs libimage-exiftool-perl)")
    args = ["exiftool", "-json", "-r", *(["-n"] if numeric else []), *(["-G"] if groups else [])]
    run = subprocess.run([*args, *map(str, paths)], capture_output=True, text=True, check=False)
    assert run.stdout, run.stderr
    result: list[dict[str, Any]] = json.loads(run.stdout)
    return result


def exiftool_utc(text: str) -> datetime:
    """exiftool's composite GPSDateTime ("2008:10:23 14:27:07.24Z") as an aware datetime."""
    text = text.removesuffix("Z")
    layout = "%Y:%m:%d %H:%M:%S.%f" if "." in text else "%Y:%m:%d %H:%M:%S"
    return datetime.strptime(text, layout).replace(tzinfo=UTC)


ORACLE_DIRS = ("jpg/gps", "jpg/orientation", "heic")


@pytest.fixture(scope="module")
def oracle() -> dict[str, dict[str, Any]]:
    if not PHOTOS.is_dir():
        pytest.skip("shared samples not found")
    rows = exiftool(*(PHOTOS / d for d in ORACLE_DIRS))
    return {
        Path(r["SourceFile"]).resolve().relative_to(PHOTOS.resolve()).as_posix(): r for r in rows
    }


ORACLE_FILES = [r for r in ALL_SAMPLES if r.startswith(ORACLE_DIRS) and r not in REFUSED]
# exiftool's QuickTime:Rotation for HEIF (the irot box, degrees) as an EXIF orientation.
ROTATION_TO_ORIENTATION = {0: 1, 90: 8, 180: 3, 270: 6}


@pytest.mark.parametrize("rel", ORACLE_FILES)
def test_metadata_agrees_with_exiftool(
    samples: Path, rel: str, oracle: dict[str, dict[str, Any]]
) -> None:
    info = inspected(samples, rel)
    ref = oracle[rel]
    assert (info.width, info.height) == (ref["ImageWidth"], ref["ImageHeight"])
    if info.format == "HEIF":
        # A HEIF photo is displayed as its container's rotation says; the EXIF tag inside is
        # not authoritative (one Nokia sample says 1 beside a 270° rotation).
        assert "MirrorFlip" not in ref
        assert info.orientation == ROTATION_TO_ORIENTATION[ref.get("Rotation", 0)]
    else:
        assert info.orientation == ref.get("Orientation")
    if "GPSLatitude" in ref:
        assert info.gps_lat is not None and info.gps_lon is not None
        assert abs(info.gps_lat - ref["GPSLatitude"]) < 1e-6  # signed: the composite tag
        assert abs(info.gps_lon - ref["GPSLongitude"]) < 1e-6
    else:
        assert info.gps_lat is None and info.gps_lon is None
    if "GPSAltitude" in ref:
        assert info.gps_altitude is not None
        assert abs(info.gps_altitude - ref["GPSAltitude"]) < 1e-6
    if "GPSDateTime" in ref:
        assert info.gps_time == exiftool_utc(ref["GPSDateTime"])
    for tag, value in (("Make", info.make), ("Model", info.model)):
        assert value == (str(ref[tag]).strip() if tag in ref else None)
    if "DateTimeOriginal" in ref:
        assert info.taken_at_local is not None
        assert info.taken_at_local.strftime("%Y:%m:%d %H:%M:%S") == ref["DateTimeOriginal"]
    if "OffsetTimeOriginal" in ref:
        assert info.taken_at is not None
        offset = info.taken_at.utcoffset()
        assert offset is not None
        sign = "-" if offset < timedelta(0) else "+"
        minutes = abs(int(offset.total_seconds())) // 60
        assert f"{sign}{minutes // 60:02d}:{minutes % 60:02d}" == ref["OffsetTimeOriginal"]


# ---------------------------------------------------------------------------------------------
# EXIF we craft: every quirk of GPS and time, checked against our reading and exiftool's
# ---------------------------------------------------------------------------------------------


def _ifd(entries: list[tuple[int, int, int, bytes]], start: int) -> bytes:
    head, data = struct.pack(">H", len(entries)), b""
    data_start = start + 2 + 12 * len(entries) + 4
    for tag, kind, count, value in sorted(entries):
        if len(value) <= 4:
            field = value.ljust(4, b"\0")
        else:
            field = struct.pack(">I", data_start + len(data))
            data += value + b"\0" * (len(value) % 2)
        head += struct.pack(">HHI", tag, kind, count) + field
    return head + b"\0\0\0\0" + data


def tiff(
    ifd0: list[tuple[int, int, int, bytes]],
    exif: list[tuple[int, int, int, bytes]] | None = None,
    gps: list[tuple[int, int, int, bytes]] | None = None,
) -> bytes:
    """A big-endian TIFF/EXIF block: IFD0, then the Exif and GPS sub-directories."""
    subs = [(tag, ifd) for tag, ifd in ((0x8769, exif), (0x8825, gps)) if ifd is not None]
    entries = ifd0 + [(tag, 4, 1, b"\0\0\0\0") for tag, _ in subs]
    offset = 8 + len(_ifd(entries, 8))
    pointers = []
    for tag, ifd in subs:
        pointers.append((tag, 4, 1, struct.pack(">I", offset)))
        offset += len(_ifd(ifd, offset))
    out = b"MM\0*\0\0\0\x08" + _ifd(ifd0 + pointers, 8)
    for (_, ifd), (_, _, _, where) in zip(subs, pointers, strict=True):
        out += _ifd(ifd, struct.unpack(">I", where)[0])
    return out


def asc(tag: int, text: str | bytes) -> tuple[int, int, int, bytes]:
    raw = (text.encode() if isinstance(text, str) else text) + b"\0"
    return (tag, 2, len(raw), raw)


def rat(tag: int, *pairs: tuple[int, int]) -> tuple[int, int, int, bytes]:
    return (tag, 5, len(pairs), b"".join(struct.pack(">II", a, b) for a, b in pairs))


def byte(tag: int, value: int) -> tuple[int, int, int, bytes]:
    return (tag, 1, 1, bytes([value]))


def short(tag: int, value: int) -> tuple[int, int, int, bytes]:
    return (tag, 3, 1, struct.pack(">H", value))


def repoint(block: bytes, tag: int, offset: int = 99_999) -> bytes:
    """``block`` with the pointer (or value offset) of IFD0 entry ``tag`` set to ``offset``."""
    count = struct.unpack(">H", block[8:10])[0]
    for i in range(count):
        at = 10 + 12 * i
        if struct.unpack(">H", block[at : at + 2])[0] == tag:
            return block[: at + 8] + struct.pack(">I", offset) + block[at + 12 :]
    raise AssertionError(f"no tag {tag:#x}")


def jpeg_with_exif(path: Path, block: bytes, size: tuple[int, int] = (320, 240)) -> Path:
    Image.new("RGB", size, (90, 140, 200)).save(path, "JPEG", exif=b"Exif\0\0" + block)
    return path


LAT = rat(2, (43, 1), (28, 1), (2814, 1000))  # 43°28'2.814"
LON = rat(4, (11, 1), (53, 1), (6456, 1000))  # 11°53'6.456"
LAT_DEG = 43 + 28 / 60 + 2.814 / 3600
LON_DEG = 11 + 53 / 60 + 6.456 / 3600

CRAFTED: dict[str, tuple[bytes, dict[str, Any], str | None]] = {
    # name: (EXIF block, expected fields, a word the warnings must contain — None: no warning)
    "south_west_below_sea": (
        tiff([], gps=[asc(1, "S"), LAT, asc(3, "W"), LON, byte(5, 1), rat(6, (125, 10)),
                      rat(7, (23, 1), (59, 1), (5995, 100)), asc(29, "2024:02:29")]),
        {"gps_lat": -LAT_DEG, "gps_lon": -LON_DEG, "gps_altitude": -12.5,
         "gps_time": datetime(2024, 2, 29, 23, 59, 59, 950000, tzinfo=UTC)},
        None,
    ),
    "lowercase_and_padded_refs": (
        tiff([], gps=[asc(1, "n "), LAT, asc(3, b"e\0\0"), LON]),
        {"gps_lat": LAT_DEG, "gps_lon": LON_DEG}, None,
    ),
    "zero_denominator": (
        tiff([], gps=[asc(1, "N"), rat(2, (43, 1), (28, 0), (0, 1)), asc(3, "E"), LON]),
        {"gps_lat": None, "gps_lon": None}, "latitude",
    ),
    "missing_ref": (
        tiff([], gps=[LAT, asc(3, "E"), LON]), {"gps_lat": None, "gps_lon": None}, "reference",
    ),
    "latitude_out_of_range": (
        tiff([], gps=[asc(1, "N"), rat(2, (95, 1), (0, 1), (0, 1)), asc(3, "E"), LON]),
        {"gps_lat": None}, "out of range",
    ),
    "sixty_minutes": (
        tiff([], gps=[asc(1, "N"), rat(2, (43, 1), (60, 1), (0, 1)), asc(3, "E"), LON]),
        {"gps_lat": None}, "60",
    ),
    "receiver_void": (
        tiff([], gps=[asc(1, "N"), LAT, asc(3, "E"), LON, asc(9, "V")]),
        {"gps_lat": None}, "void",
    ),
    "null_island": (
        tiff([], gps=[asc(1, "N"), rat(2, (0, 1), (0, 1), (0, 1)), asc(3, "E"),
                      rat(4, (0, 1), (0, 1), (0, 1))]),
        {"gps_lat": None}, "0,0",
    ),
    "altitude_zero_denominator": (
        tiff([], gps=[byte(5, 0), rat(6, (100, 0))]), {"gps_altitude": None}, "altitude",
    ),
    "gps_time_without_date": (
        tiff([], gps=[rat(7, (10, 1), (0, 1), (0, 1))]), {"gps_time": None}, "date",
    ),
    "time_with_offset_and_subseconds": (
        tiff([], exif=[asc(0x9003, "2024:05:01 09:30:15"), asc(0x9011, "+08:00"),
                       asc(0x9291, "5")]),
        {"taken_at": datetime(2024, 5, 1, 9, 30, 15, 500000, timezone(timedelta(hours=8))),
         "taken_at_local": datetime(2024, 5, 1, 9, 30, 15, 500000)},
        None,
    ),
    "time_without_offset": (
        tiff([], exif=[asc(0x9003, "2024:05:01 09:30:15")]),
        {"taken_at": None, "taken_at_local": datetime(2024, 5, 1, 9, 30, 15)}, None,
    ),
    "time_unknown_blanks": (
        tiff([], exif=[asc(0x9003, "    :  :     :  :  ")]), {"taken_at_local": None}, None,
    ),
    "time_unknown_zeros": (
        tiff([], exif=[asc(0x9003, "0000:00:00 00:00:00")]), {"taken_at_local": None}, None,
    ),
    "time_garbage": (
        tiff([], exif=[asc(0x9003, "yesterday noon")]), {"taken_at_local": None},
        "DateTimeOriginal",
    ),
    "time_impossible": (
        tiff([], exif=[asc(0x9003, "2023:02:30 25:61:00")]), {"taken_at_local": None},
        "DateTimeOriginal",
    ),
    "offset_out_of_range": (
        tiff([], exif=[asc(0x9003, "2024:05:01 09:30:15"), asc(0x9011, "+25:00")]),
        {"taken_at": None, "taken_at_local": datetime(2024, 5, 1, 9, 30, 15)}, "offset",
    ),
    "only_digitized_time": (
        tiff([], exif=[asc(0x9004, "2024:05:01 09:30:15"), asc(0x9012, "-03:30")]),
        {"taken_at": datetime(2024, 5, 1, 9, 30, 15, tzinfo=timezone(-timedelta(hours=3.5)))},
        None,
    ),
    "camera_names_with_junk": (
        tiff([asc(0x10F, b"Acme\0\0   "), asc(0x110, b" X100 \0garbage")]),
        {"make": "Acme", "model": "X100"}, None,
    ),
    "orientation_out_of_range": (
        tiff([short(0x112, 9)]), {"orientation": None, "display_width": 320}, "orientation",
    ),
    "orientation_6": (
        tiff([short(0x112, 6)]), {"orientation": 6, "display_width": 240, "display_height": 320},
        None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_exif_is_read_truthfully(tmp_path: Path, name: str) -> None:
    block, expected, warning = CRAFTED[name]
    path = jpeg_with_exif(tmp_path / f"{name}.jpg", block)
    info = inspect_photo(path)
    assert (info.width, info.height) == (320, 240)  # the pixels import whatever the EXIF says
    for field, value in expected.items():
        actual = getattr(info, field)
        if isinstance(value, float):
            assert actual == pytest.approx(value, abs=1e-9), field
        else:
            assert actual == value, field
    if warning is None:
        assert info.warnings == ()
    else:
        assert any(warning in w for w in info.warnings), info.warnings


def test_crafted_gps_agrees_with_exiftool(tmp_path: Path) -> None:
    names = ["south_west_below_sea", "lowercase_and_padded_refs", "time_with_offset_and_subseconds"]
    for name in names:
        jpeg_with_exif(tmp_path / f"{name}.jpg", CRAFTED[name][0])
    for ref in exiftool(tmp_path):
        info = inspect_photo(Path(ref["SourceFile"]))
        if "GPSLatitude" in ref:
            assert info.gps_lat == pytest.approx(ref["GPSLatitude"], abs=1e-6)
            assert info.gps_lon == pytest.approx(ref["GPSLongitude"], abs=1e-6)
        if "GPSAltitude" in ref:
            assert info.gps_altitude == pytest.approx(ref["GPSAltitude"], abs=1e-6)
        if "GPSDateTime" in ref:
            assert info.gps_time == exiftool_utc(ref["GPSDateTime"])
        if "DateTimeOriginal" in ref:
            assert info.taken_at is not None
            assert info.taken_at.strftime("%Y:%m:%d %H:%M:%S") == ref["DateTimeOriginal"]


# ---------------------------------------------------------------------------------------------
# Hostile files
# ---------------------------------------------------------------------------------------------


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width``×``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 4096, 9))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(30000, 30000), (12000, 10000)])
def test_a_decompression_bomb_is_refused(tmp_path: Path, size: tuple[int, int]) -> None:
    # 30000² is over twice the limit (Pillow's error); 120 MP only over it (Pillow's warning).
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(*size))
    assert path.stat().st_size < 1000
    assert_refused(refused(path), "too_many_pixels", path)


def test_the_pixel_limit_is_configurable(samples: Path) -> None:
    path = samples / "photos" / "jpg" / "gps" / "DSCN0010.jpg"  # 640×480
    assert_refused(refused(path, PhotoLimits(max_pixels=300_000)), "too_many_pixels", path)
    assert inspect_photo(path, PhotoLimits(max_pixels=307_200)).width == 640


def test_a_file_over_the_byte_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    with path.open("wb") as f:
        f.write(b"\xff\xd8\xff\xe0")
        f.truncate(60 * 1024 * 1024)  # sparse: nothing is written to the disk
    started = time.perf_counter()
    assert_refused(refused(path), "too_large", path)
    assert time.perf_counter() - started < 1.0
    small = PhotoLimits(max_bytes=1000)
    big = tmp_path / "small-limit.png"
    Image.new("RGB", (300, 300), (1, 2, 3)).save(big, "PNG", compress_level=0)
    assert_refused(refused(big, small), "too_large", big)


@pytest.mark.parametrize("rel", ["jpg/gps/DSCN0010.jpg", "heic/samplefilehub.heif"])
def test_a_truncated_photo_is_refused_as_broken(samples: Path, tmp_path: Path, rel: str) -> None:
    data = (samples / "photos" / rel).read_bytes()
    path = tmp_path / f"cut-{Path(rel).name}"
    path.write_bytes(data[: len(data) * 6 // 10])
    assert_refused(refused(path), "broken", path)


def test_a_truncated_png_is_refused_as_broken(tmp_path: Path) -> None:
    whole = io.BytesIO()
    Image.effect_noise((300, 200), 40).save(whole, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    assert_refused(refused(path), "broken", path)


def test_a_jpeg_with_overwritten_image_data_is_refused(tmp_path: Path) -> None:
    # The damage of corrupted.jpg, reproduced: a camera-like JPEG with restart markers (which
    # let libjpeg resynchronise after damage) and a run of 0xFF over the middle of its data.
    # Seeded noise, not Image.effect_noise: with unseeded noise the overwrite now and then lands
    # where even Pillow notices (1 run in 20), and the premise below must hold on every run.
    source = io.BytesIO()
    pixels = random.Random(0).randbytes(640 * 480)
    noise = Image.frombytes("L", (640, 480), pixels).convert("RGB")
    noise.save(source, "JPEG", quality=90, restart_marker_rows=1)
    data = bytearray(source.getvalue())
    assert photo_structure.jpeg_damage(bytes(data)) is None
    middle = len(data) // 2
    data[middle : middle + 3000] = b"\xff" * 3000
    if data[middle + 3000] == 0x00:  # make sure the run ends in a byte that is not stuffing
        data[middle + 3000] = 0x9F
    path = tmp_path / "overwritten.jpg"
    path.write_bytes(bytes(data))
    with Image.open(path) as im:
        im.load()  # Pillow itself decodes it without complaint …
    assert_refused(refused(path), "broken", path)  # … and we do not


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("random.jpg", os.urandom(50_000), "not_a_photo"),
        ("empty.jpg", b"", "not_a_photo"),
        ("text.heic", "城市巡查 not a photo\n".encode() * 100, "not_a_photo"),
        ("header-only.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "broken"),
        ("ftyp-only.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "broken"),
    ],
)
def test_files_that_are_not_photos_are_refused(
    tmp_path: Path, name: str, content: bytes, code: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert_refused(refused(path), code, path)


def test_a_folder_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "photo.jpg"
    folder.mkdir()
    assert_refused(refused(folder), "unreadable", folder)
    missing = tmp_path / "不存在.jpg"
    assert_refused(refused(missing), "unreadable", missing)


def test_a_file_without_read_permission_is_refused(samples: Path, tmp_path: Path) -> None:
    path = tmp_path / "locked.jpg"
    shutil.copyfile(samples / "photos" / "jpg" / "gps" / "DSCN0010.jpg", path)
    path.chmod(0)
    if os.geteuid() != 0:
        assert_refused(refused(path), "unreadable", path)
        return
    # Root reads anything through CAP_DAC_OVERRIDE; drop it (and DAC_READ_SEARCH) from the
    # bounding set so a child running as root obeys the permission bits like a user would.
    code = (
        "import sys; from pathlib import Path; from app.capture.photos import inspect_photo, PhotoError\n"
        "try: inspect_photo(Path(sys.argv[1]))\n"
        "except PhotoError as exc: print(exc.code, exc.message.en)\n"
    )
    run = subprocess.run(
        ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", sys.executable, "-c", code, str(path)],
        capture_output=True, text=True, check=False, timeout=60, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert run.stdout.startswith("unreadable ") and "locked.jpg" in run.stdout, (
        run.stdout + run.stderr
    )


@pytest.mark.parametrize(
    ("name", "block"),
    [
        ("bad-byte-order", b"XX" + tiff([asc(0x10F, "Acme")])[2:]),
        ("ifd-beyond-block", b"MM\0*\0\1\0\0" + tiff([asc(0x10F, "Acme")])[8:]),
        ("half-a-block", tiff([asc(0x10F, "Acme"), asc(0x110, "Model")], gps=[LAT, LON])[:40]),
        (
            "gps-pointer-beyond-block",
            repoint(tiff([asc(0x10F, "Acme")], gps=[asc(1, "N"), LAT, asc(3, "E"), LON]), 0x8825),
        ),
    ],
)
def test_a_valid_jpeg_with_a_corrupted_exif_block_imports_with_warnings(
    tmp_path: Path, name: str, block: bytes
) -> None:
    path = jpeg_with_exif(tmp_path / f"{name}.jpg", block)
    info = inspect_photo(path)
    assert (info.width, info.height, info.format) == (320, 240, "JPEG")
    assert info.gps_lat is None
    assert any(w.startswith("exif:") for w in info.warnings), info.warnings
    assert make_thumbnail(path)  # and it can still be shown


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-megapixel noisy JPEG: far too much to decode in a millisecond."""
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    bands = [Image.effect_noise((4000, 3000), 40) for _ in range(3)]
    Image.merge("RGB", bands).save(path, "JPEG", quality=85)
    return path


def test_a_decode_over_the_time_limit_is_stopped_and_the_worker_replaced(big_jpeg: Path) -> None:
    assert inspect_photo(big_jpeg).width == 4000  # the worker is up
    first_worker = photos._DECODER.pid
    assert first_worker is not None
    error = refused(big_jpeg, PhotoLimits(decode_timeout_s=0.001))
    assert_refused(error, "timeout", big_jpeg)
    assert photos._DECODER.pid is None  # killed, not left running
    info = inspect_photo(big_jpeg)  # the next photo gets a new worker
    assert (info.width, info.height) == (4000, 3000)
    assert photos._DECODER.pid not in (None, first_worker)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_crashing_decoder_is_reported_and_replaced(samples: Path) -> None:
    path = samples / "photos" / "jpg" / "gps" / "DSCN0010.jpg"
    inspect_photo(path)
    # The worker dies in the middle of a request (as a C decoder crash would take it down).
    with pytest.raises(PhotoError) as caught:
        photos._request(path, photos.DEFAULT_LIMITS, {"op": "_crash_for_tests"})
    assert_refused(caught.value, "decoder_crashed", path)
    assert "SIGKILL" in caught.value.message.en
    assert inspect_photo(path).width == 640
    # A worker that dies while idle is replaced silently: the next photo is not blamed.
    pid = photos._DECODER.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while photos._DECODER.pid is not None and time.monotonic() < deadline:
        time.sleep(0.02)  # until the system has ended it
    assert inspect_photo(path).width == 640


def test_the_worker_is_shared_safely_between_threads(samples: Path) -> None:
    names = ["jpg/gps/DSCN0010.jpg", "jpg/orientation/portrait_6.jpg", "jpg/Canon_40D.jpg"]
    paths = [samples / "photos" / n for n in names] * 4
    expected = {p: inspect_photo(p) for p in paths}
    results: dict[int, PhotoInfo | BaseException] = {}

    def work(i: int, path: Path) -> None:
        try:
            results[i] = inspect_photo(path)
        except BaseException as exc:  # reported by the comparison below
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i, p)) for i, p in enumerate(paths)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [results[i] for i in range(len(paths))] == [expected[p] for p in paths]


# ---------------------------------------------------------------------------------------------
# Thumbnails and previews
# ---------------------------------------------------------------------------------------------


def rms(a: Image.Image, b: Image.Image) -> float:
    """Root-mean-square difference of two RGB images of the same size (0–255)."""
    diff = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    return math.sqrt(sum(v**2 for v in diff.rms) / 3)


def assert_clean_jpeg(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    assert im.format == "JPEG" and im.mode == "RGB"
    assert len(im.getexif()) == 0 and "exif" not in im.info
    assert "xmp" not in im.info and "comment" not in im.info
    return im


ORIENTATION_SAMPLES = [r for r in ALL_SAMPLES if r.startswith("jpg/orientation/")]


@pytest.mark.parametrize("rel", ORIENTATION_SAMPLES)
def test_thumbnails_are_upright_and_clean(samples: Path, rel: str) -> None:
    path = samples / "photos" / rel
    info = inspected(samples, rel)
    thumb = assert_clean_jpeg(make_thumbnail(path))
    assert max(thumb.size) == 256
    assert abs(thumb.width / thumb.height - info.display_width / info.display_height) < 0.01
    # The samples show one scene in each orientation (each with its number drawn on it): made
    # upright, each must look like the upright one, and far more than any other way of
    # turning or mirroring it would.
    upright = Image.open(io.BytesIO(make_thumbnail(path.with_name(path.stem[:-2] + "_1.jpg"))))
    assert upright.size == thumb.size
    assert rms(thumb, upright) < 25
    for method in Image.Transpose:
        turned = thumb.transpose(method)
        if turned.size == upright.size:
            assert rms(turned, upright) > 2 * rms(thumb, upright) + 10, method


def test_a_thumbnail_comes_with_the_inspection(samples: Path) -> None:
    path = samples / "photos" / "jpg" / "orientation" / "portrait_6.jpg"
    info, data = inspect_with_thumbnail(path)
    assert info == inspected(samples, "jpg/orientation/portrait_6.jpg")
    thumb = assert_clean_jpeg(data)
    assert thumb.size == (192, 256)


@pytest.mark.parametrize(
    ("rel", "thumb_size", "preview_size"),
    [
        ("jpg/mobile/jolla.jpg", (256, 192), (1600, 1200)),
        ("jpg/gps/DSCN0010.jpg", (256, 192), (640, 480)),  # a preview never enlarges
        ("jpg/Fujifilm_FinePix_E500.jpg", (59, 100), (59, 100)),  # nor does a thumbnail
        ("heic/mobile/iphone_13_pro_max.HEIC", (192, 256), (1200, 1600)),
        ("heic/mobile/HMD_Nokia_8.3_5G.heif", (192, 256), (1200, 1600)),  # irot 270
    ],
)
def test_thumbnail_and_preview_sizes(
    samples: Path, rel: str, thumb_size: tuple[int, int], preview_size: tuple[int, int]
) -> None:
    path = samples / "photos" / rel
    assert assert_clean_jpeg(make_thumbnail(path)).size == thumb_size
    assert assert_clean_jpeg(make_preview(path)).size == preview_size


def test_a_transparent_png_thumbnail_is_on_white(tmp_path: Path) -> None:
    path = tmp_path / "transparent.png"
    im = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    im.paste((200, 0, 0, 255), (0, 0, 200, 200))
    im.save(path)
    thumb = assert_clean_jpeg(make_thumbnail(path, max_edge=100))
    assert thumb.size == (100, 50)
    assert thumb.convert("L").crop((80, 10, 100, 40)).getextrema()[0] > 240  # white, not black
    red, _, _ = thumb.crop((5, 10, 40, 40)).resize((1, 1)).getpixel((0, 0))  # type: ignore[misc]
    assert red > 180


def test_heic_orientations_written_by_libheif_are_read_back(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("no HEVC encoder in this pillow-heif build")
    pillow_heif.register_heif_opener()
    base = Image.new("RGB", (64, 32))
    base.paste((255, 0, 0), (0, 0, 16, 16))  # a red corner shows which way is up
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = tmp_path / f"o{orientation}.heic"
        base.save(path, "HEIF", exif=exif.tobytes(), quality=95)
        info = inspect_photo(path)
        assert info.orientation == orientation
        assert (info.width, info.height) == (64, 32)
        shown = Image.open(io.BytesIO(make_preview(path)))
        expected = ImageOps.exif_transpose(_with(base, orientation))
        assert shown.size == expected.size
        assert rms(shown, expected) < 20


def _with(im: Image.Image, orientation: int) -> Image.Image:
    """``im`` tagged with an EXIF orientation (for ImageOps.exif_transpose)."""
    copy = im.copy()
    copy.getexif()[0x0112] = orientation
    return copy


# ---------------------------------------------------------------------------------------------
# Upload copies
# ---------------------------------------------------------------------------------------------


def private_png(path: Path) -> Path:
    """A PNG that carries GPS, a camera, text chunks and a time — and orientation 8."""
    block = tiff([asc(0x10F, "Acme"), asc(0x110, "Cam"), short(0x112, 8)],
                 gps=[asc(1, "N"), LAT, asc(3, "E"), LON])  # fmt: skip
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "巡查员 张三")
    text.add_text("Location", "31.2304,121.4737")
    im = Image.new("RGB", (300, 200), (20, 120, 220))
    im.paste((250, 250, 0), (0, 0, 60, 60))
    im.save(path, "PNG", exif=block, pnginfo=text)
    return path


UPLOAD_SOURCES = [
    "jpg/gps/DSCN0010.jpg",  # GPS, maker notes
    "jpg/orientation/portrait_6.jpg",  # must be turned
    "jpg/orientation/landscape_5.jpg",  # must be turned and mirrored
    "jpg/mobile/HMD_Nokia_8.3_5G.jpg",  # 4608 px wide, GPS and a UTC offset
    "heic/mobile/iphone_13_pro_max.HEIC",  # HEIF, rotated by the container
    "generated/private.png",
]


def fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    w, h = size
    if max(w, h) <= edge:
        return w, h
    return (edge, round(h * edge / w)) if w >= h else (round(w * edge / h), edge)


def reference(path: Path) -> Image.Image:
    """The photo as a viewer shows it, decoded independently with Pillow."""
    if path.suffix.lower() == ".heic":
        pytest.importorskip("pillow_heif").register_heif_opener()
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


@pytest.mark.parametrize("policy", list(UploadSizePolicy))
@pytest.mark.parametrize("rel", UPLOAD_SOURCES)
def test_upload_copies_carry_no_metadata_and_display_right(
    samples: Path, tmp_path: Path, rel: str, policy: UploadSizePolicy
) -> None:
    if rel.startswith("generated/"):
        source = private_png(tmp_path / "private.png")
    else:
        source = samples / "photos" / rel
    info = inspect_photo(source)
    dest = tmp_path / "out" / f"upload.{policy.value}"
    dest.parent.mkdir()
    dest.write_bytes(b"an older copy is replaced whole")
    copy = make_upload_copy(source, policy, dest)

    data = dest.read_bytes()
    assert copy.path == dest and copy.size_bytes == len(data)
    assert copy.sha256 == hashlib.sha256(data).hexdigest()
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temporary file left
    display = (info.display_width, info.display_height)
    expected = display if policy is UploadSizePolicy.ORIGINAL else fit(display, int(policy.value))
    assert (copy.width, copy.height) == expected
    keeps_format = policy is UploadSizePolicy.ORIGINAL and info.format != "HEIF"
    assert copy.mime == (info.mime if keeps_format else "image/jpeg")

    # Pillow: nothing but (when needed) the orientation.
    with Image.open(dest) as im:
        exif = dict(im.getexif())
        assert set(exif) <= {0x0112}
        if not keeps_format or info.orientation in (None, 1):
            assert 0x0112 not in exif or exif[0x0112] == 1
        assert not {"xmp", "comment", "XML:com.adobe.xmp", "Author", "Location"} & set(im.info)
        shown = ImageOps.exif_transpose(im).convert("RGB")
    assert shown.size == expected

    # exiftool: no GPS, camera, time, XMP, IPTC, maker notes, text.
    tags = exiftool(dest, numeric=False, groups=True)[0]
    groups = {k.split(":")[0] for k in tags}
    assert groups <= {
        "SourceFile",
        "ExifTool",
        "File",
        "Composite",
        "JFIF",
        "EXIF",
        "PNG",
        "ICC_Profile",
        "ICC-header",
        "ICC-view",
        "ICC-meas",
        "APP14",
    }, groups
    leaks = [
        k for k in tags
        if (not k.startswith("ICC")  # the colour profile's own "DeviceModel" is a colour space
            and any(word in k for word in ("GPS", "Make", "Model", "DateTimeOriginal", "Serial",
                                           "Author", "Location")))
        or (k.startswith("EXIF:") and k != "EXIF:Orientation")
    ]  # fmt: skip
    assert not leaks, leaks

    # It shows the same picture, upright.
    want = reference(source)
    if want.size != shown.size:
        want = want.resize(shown.size, Image.Resampling.LANCZOS)
    assert rms(shown, want) < 6
    if keeps_format:  # the original pixels, bit for bit
        with Image.open(source) as original, Image.open(dest) as stripped:
            assert original.tobytes() == stripped.tobytes()


def test_a_multi_picture_jpeg_uploads_only_its_first_picture(tmp_path: Path) -> None:
    # MPO (stereo and "live" photos): further pictures follow the first one's end marker, and
    # may show what the first does not. Only the picture that is displayed may travel.
    path = tmp_path / "two-pictures.jpg"
    first = Image.new("RGB", (300, 200), (0, 128, 255))
    second = Image.new("RGB", (300, 200), (255, 0, 0))
    first.save(path, "MPO", save_all=True, append_images=[second])
    with Image.open(path) as im:
        assert getattr(im, "n_frames", 1) == 2
    info = inspect_photo(path)
    assert (info.format, info.width, info.height) == ("JPEG", 300, 200)
    copy = make_upload_copy(path, UploadSizePolicy.ORIGINAL, tmp_path / "upload.jpg")
    assert copy.size_bytes < path.stat().st_size * 0.6
    with Image.open(copy.path) as im:
        assert getattr(im, "n_frames", 1) == 1
        red, _, blue = im.convert("RGB").resize((1, 1)).getpixel((0, 0))  # type: ignore[misc]
        assert red < 10 and blue > 245  # the first (blue) picture, not the red one


def _cmyk_jpeg(path: Path) -> None:
    Image.new("CMYK", (120, 80), (0, 200, 200, 0)).save(path, "JPEG")


def _grey16_png(path: Path) -> None:
    Image.linear_gradient("L").resize((120, 80)).convert("I;16").save(path, "PNG")


def _palette_png(path: Path) -> None:
    im = Image.new("P", (120, 80), 1)
    im.putpalette([0, 0, 0, 255, 0, 0])
    im.save(path, "PNG", transparency=0)


def _grey_jpeg(path: Path) -> None:
    Image.linear_gradient("L").resize((120, 80)).save(path, "JPEG")


@pytest.mark.parametrize("make", [_cmyk_jpeg, _grey16_png, _palette_png, _grey_jpeg])
def test_unusual_pixel_modes_give_rgb_outputs(tmp_path: Path, make: Any) -> None:
    path = tmp_path / f"{make.__name__}.img"
    make(path)
    info = inspect_photo(path)
    assert (info.width, info.height) == (120, 80)
    assert assert_clean_jpeg(make_thumbnail(path, max_edge=64)).size == (64, 43)
    for policy in UploadSizePolicy:
        copy = make_upload_copy(path, policy, tmp_path / f"up-{policy.value}")
        with Image.open(copy.path) as im:
            assert im.size == (120, 80)
            im.load()


def test_an_upload_copy_of_a_broken_photo_is_not_written(samples: Path, tmp_path: Path) -> None:
    source = samples / "photos" / "jpg" / "corrupted.jpg"
    dest = tmp_path / "upload.jpg"
    with pytest.raises(PhotoError) as caught:
        make_upload_copy(source, UploadSizePolicy.ORIGINAL, dest)
    assert_refused(caught.value, "broken", source)
    assert list(tmp_path.iterdir()) == []
