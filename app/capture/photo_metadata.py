"""Photo metadata, inside the decode worker: EXIF via Pillow, read defensively.

Orientation, capture time (EXIF and XMP), GPS and camera. Best effort: metadata that is present
but unreadable becomes a warning in :class:`PhotoMeta`, never a refusal of a photo whose pixels
decode.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from PIL import Image

from app.capture.photo_errors import MIB

ORIENTATION_TAG, _MAKE, _MODEL = 0x0112, 0x010F, 0x0110
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 0x9003, 0x9004
_OFFSET_ORIGINAL, _OFFSET_DIGITIZED = 0x9011, 0x9012
_SUBSEC_ORIGINAL, _SUBSEC_DIGITIZED = 0x9291, 0x9292
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
_GPS_ALT_REF, _GPS_ALT, _GPS_TIME, _GPS_STATUS, _GPS_DATE = 5, 6, 7, 9, 29


#: How to turn stored pixels upright for each EXIF orientation (as ``ImageOps.exif_transpose``).
ORIENTATION_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(slots=True)
class PhotoMeta:
    format: str
    mime: str
    width: int
    height: int
    orientation: int | None
    taken_at: datetime | None = None
    taken_at_local: datetime | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_altitude: float | None = None
    gps_time: datetime | None = None
    make: str | None = None
    model: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def display(self) -> dict[str, int]:
        swap = self.orientation in (5, 6, 7, 8)
        w, h = (self.height, self.width) if swap else (self.width, self.height)
        return {"width": w, "height": h}

    def as_dict(self) -> dict[str, Any]:
        display = self.display
        return {
            "format": self.format,
            "mime": self.mime,
            "width": self.width,
            "height": self.height,
            "orientation": self.orientation,
            "display_width": display["width"],
            "display_height": display["height"],
            "taken_at": self.taken_at,
            "taken_at_local": self.taken_at_local,
            "gps_lat": self.gps_lat,
            "gps_lon": self.gps_lon,
            "gps_altitude": self.gps_altitude,
            "gps_time": self.gps_time,
            "make": self.make,
            "model": self.model,
            "warnings": list(self.warnings),
        }

    @classmethod
    def probe(cls, im: Image.Image, fmt: str) -> PhotoMeta:
        """Format, stored size and (for HEIF) orientation of an opened, not yet decoded image."""
        problems: list[str] = []
        width, height = im.size
        if fmt != "HEIF":
            mime = "image/jpeg" if fmt == "JPEG" else "image/png"
            return cls(fmt, mime, width, height, None, warnings=problems)
        # pillow-heif forgets the container's transformations once the pixels are loaded.
        orientation = _heif_orientation(im, problems)
        if orientation in (5, 6, 7, 8):  # libheif reports the size after rotation
            width, height = height, width
        mime = getattr(im, "custom_mimetype", None) or "image/heif"
        return cls(fmt, mime, width, height, orientation, warnings=problems)

    def read_tags(self, im: Image.Image) -> None:
        """Orientation (JPEG, PNG), time, GPS and camera from EXIF, best effort."""
        problems = self.warnings
        exif = _exif(im, problems)
        if self.format != "HEIF":
            self.orientation = _orientation_of(exif, problems)
        if exif is not None:
            _read_exif(exif, self, problems)
        if self.taken_at_local is None:
            _read_xmp_time(im, self, problems)


def _exif(im: Image.Image, problems: list[str]) -> Image.Exif | None:
    try:
        exif = im.getexif()
    except Exception as exc:
        problems.append(f"exif: unreadable ({type(exc).__name__}: {exc})"[:200])
        return None
    raw = im.info.get("exif")
    if isinstance(raw, bytes) and len(raw) > 6 and len(exif) == 0:
        problems.append("exif: the EXIF block is present but unreadable")
    return exif


def _sub_ifd(exif: Image.Exif, tag: int, name: str, problems: list[str]) -> dict[int, Any]:
    if tag not in exif:
        return {}
    try:
        ifd = dict(exif.get_ifd(tag))
    except Exception as exc:
        problems.append(f"exif: {name} directory unreadable ({type(exc).__name__})")
        return {}
    if not ifd:
        problems.append(f"exif: {name} directory is present but empty or unreadable")
    return ifd


def _orientation_of(exif: Image.Exif | None, problems: list[str]) -> int | None:
    if exif is None or ORIENTATION_TAG not in exif:
        return None
    value = exif.get(ORIENTATION_TAG)
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    problems.append(f"orientation: invalid value {value!r}; shown as stored"[:200])
    return None


def _read_exif(exif: Image.Exif, meta: PhotoMeta, problems: list[str]) -> None:
    meta.make = _text(exif.get(_MAKE))
    meta.model = _text(exif.get(_MODEL))
    sub = _sub_ifd(exif, _EXIF_IFD, "Exif", problems)
    for dt_tag, offset_tag, subsec_tag, name in (
        (_DATETIME_ORIGINAL, _OFFSET_ORIGINAL, _SUBSEC_ORIGINAL, "DateTimeOriginal"),
        # For a camera the moment of "digitizing" is the capture; used only without the above.
        (_DATETIME_DIGITIZED, _OFFSET_DIGITIZED, _SUBSEC_DIGITIZED, "DateTimeDigitized"),
    ):
        if dt_tag not in sub:
            continue
        local = _parse_exif_datetime(sub.get(dt_tag), name, problems)
        if local is None:
            continue
        subsec = _text(sub.get(subsec_tag))
        if subsec:
            if subsec.isdigit():
                local = local.replace(microsecond=int(subsec[:6].ljust(6, "0")))
            else:
                problems.append(f"time: invalid sub-seconds {subsec!r}"[:200])
        meta.taken_at_local = local
        offset = _parse_offset(sub.get(offset_tag), name, problems)
        if offset is not None:
            meta.taken_at = local.replace(tzinfo=offset)
        break
    gps = _sub_ifd(exif, _GPS_IFD, "GPS", problems)
    if gps:
        _read_gps(gps, meta, problems)


def _text(value: Any) -> str | None:
    """A printable string from an EXIF text value: up to the first NUL, trimmed."""
    if isinstance(value, bytes):
        value = value.split(b"\x00", 1)[0].decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    value = value.split("\x00", 1)[0]
    value = "".join(ch for ch in value if ch.isprintable()).strip()
    return value[:128] or None


_DATETIME_RE = re.compile(
    r"(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d+))?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_OFFSET_RE = re.compile(r"([+-])(\d{2}):?(\d{2})")


def _parse_exif_datetime(value: Any, name: str, problems: list[str]) -> datetime | None:
    """A naive datetime from an EXIF "YYYY:MM:DD HH:MM:SS"; None (silently) for "unknown"."""
    text = _text(value)
    # The EXIF way to say "unknown" is blanks or zeros: nothing to warn about.
    if text is None or not text.strip(" :0"):
        return None
    found = _DATETIME_RE.fullmatch(text)
    if found is None:
        problems.append(f"time: {name} unreadable ({text!r})"[:200])
        return None
    parsed = _datetime_from(found)
    if parsed is None:
        problems.append(f"time: {name} impossible ({text!r})"[:200])
        return None
    return parsed.replace(tzinfo=None)


def _datetime_from(found: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute = (int(found.group(i)) for i in range(1, 6))
    second = int(found.group(6) or 0)
    fraction = found.group(7) or ""
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    if not 1900 <= year <= 2200:
        return None
    try:
        value = datetime(year, month, day, hour, minute, min(second, 59), micro)
    except ValueError:
        return None
    zone = found.group(8)
    if zone:
        offset = _offset_from(zone)
        if offset is None:
            return None
        value = value.replace(tzinfo=offset)
    return value


def _offset_from(text: str) -> timezone | None:
    if text == "Z":
        return UTC
    found = _OFFSET_RE.fullmatch(text)
    if found is None:
        return None
    sign, hours, minutes = found.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if int(minutes) >= 60 or delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def _parse_offset(value: Any, name: str, problems: list[str]) -> timezone | None:
    text = _text(value)
    if text is None or not text.strip(" :"):
        return None
    offset = _offset_from(text)
    if offset is None:
        problems.append(f"time: offset of {name} unreadable ({text!r})"[:200])
    return offset


_XMP_TIME_RE = re.compile(
    rb"exif:DateTimeOriginal\s*(?:=\s*[\"']([^\"'<]{0,64})[\"']|>([^<]{0,64})<)"
)


def _read_xmp_time(im: Image.Image, meta: PhotoMeta, problems: list[str]) -> None:
    """Capture time from XMP (exif:DateTimeOriginal) when EXIF has none, as editors leave it."""
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", errors="replace")
    if not isinstance(xmp, bytes):
        return
    found = _XMP_TIME_RE.search(xmp[: 4 * MIB])
    if found is None:
        return
    text = (found.group(1) or found.group(2) or b"").decode("ascii", errors="replace").strip()
    parsed_text = _DATETIME_RE.fullmatch(text)
    parsed = _datetime_from(parsed_text) if parsed_text else None
    if parsed is None:
        problems.append(f"time: XMP DateTimeOriginal unreadable ({text!r})"[:200])
        return
    meta.taken_at_local = parsed.replace(tzinfo=None)
    meta.taken_at = parsed if parsed.tzinfo is not None else None


def _number(value: Any) -> float | None:
    """A finite float from an EXIF number or rational; None for 0/0, x/0, NaN and the like."""
    denominator = getattr(value, "denominator", 1)
    if isinstance(denominator, int | float) and denominator == 0:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _ref(value: Any) -> str | None:
    text = _text(value)
    return text.upper()[:1] if text else None


def _parse_coordinate(values: Any, ref: Any, axis: str) -> tuple[float | None, str | None]:
    """Signed decimal degrees from EXIF degrees/minutes/seconds and a hemisphere reference.

    Returns ``(value, None)``, or ``(None, problem)`` when present but unusable: a zero
    denominator, a negative part, minutes or seconds of 60 or more, a missing or unknown
    hemisphere (guessing it would put the photo on the wrong side of the world), out of range.
    """
    positive, negative, limit = ("N", "S", 90.0) if axis == "latitude" else ("E", "W", 180.0)
    parts = values if isinstance(values, tuple | list) else (values,)
    if not 1 <= len(parts) <= 3:
        return None, f"{len(parts)} parts instead of 3"
    numbers = [_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None, "a zero denominator or a non-number"
    degrees, minutes, seconds = [*numbers, 0.0, 0.0][:3]
    assert degrees is not None and minutes is not None and seconds is not None
    if min(degrees, minutes, seconds) < 0:
        return None, "a negative part"
    if minutes >= 60 or seconds >= 60:
        return None, "minutes or seconds of 60 or more"
    value = degrees + minutes / 60 + seconds / 3600
    hemisphere = _ref(ref)
    if hemisphere is None:
        return None, f"no {'N/S' if axis == 'latitude' else 'E/W'} reference"
    if hemisphere not in (positive, negative):
        return None, f"unknown reference {hemisphere!r}"
    if value > limit:
        return None, f"{value:.6f}° is out of range"
    return (-value if hemisphere == negative else value), None


def _read_gps(gps: dict[int, Any], meta: PhotoMeta, problems: list[str]) -> None:
    has_position = _GPS_LAT in gps or _GPS_LON in gps
    if has_position:
        status = _ref(gps.get(_GPS_STATUS))
        lat, lat_problem = _parse_coordinate(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF), "latitude")
        lon, lon_problem = _parse_coordinate(gps.get(_GPS_LON), gps.get(_GPS_LON_REF), "longitude")
        if _GPS_LAT not in gps or _GPS_LON not in gps:
            problems.append("gps: only one of latitude and longitude; position ignored")
        elif lat_problem or lon_problem:
            detail = "; ".join(
                f"{axis} has {problem}"
                for axis, problem in (("latitude", lat_problem), ("longitude", lon_problem))
                if problem
            )
            problems.append(f"gps: {detail}; position ignored")
        elif status == "V":
            problems.append("gps: the receiver marked the position void (GPSStatus V); ignored")
        elif lat == 0 and lon == 0:
            problems.append("gps: position 0,0 (no fix written as zeros); ignored")
        else:
            meta.gps_lat, meta.gps_lon = lat, lon
    if _GPS_ALT in gps:
        altitude = _number(_first(gps.get(_GPS_ALT)))
        ref = _first(gps.get(_GPS_ALT_REF, 0))
        if isinstance(ref, bytes):
            ref = ref[0] if ref else 0
        if altitude is None or altitude < 0 or altitude > 100_000:
            problems.append(f"gps: altitude unreadable ({gps.get(_GPS_ALT)!r})"[:200])
        elif ref not in (0, 1):
            problems.append(f"gps: altitude reference unreadable ({ref!r}); altitude ignored"[:200])
        else:
            meta.gps_altitude = -altitude if ref == 1 else altitude  # 1: below sea level
    if _GPS_TIME in gps or _GPS_DATE in gps:
        meta.gps_time = _gps_time(gps.get(_GPS_DATE), gps.get(_GPS_TIME), problems)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, tuple | list) and len(value) == 1 else value


def _gps_time(date_value: Any, time_value: Any, problems: list[str]) -> datetime | None:
    date_text = _text(date_value)
    if date_text is None or time_value is None:
        problems.append("gps: time stamp without date (or date without time); ignored")
        return None
    found = re.fullmatch(r"(\d{4})[:\-](\d{2})[:\-](\d{2})", date_text)
    parts = time_value if isinstance(time_value, tuple | list) else ()
    numbers = [_number(p) for p in parts]
    if found is None or len(numbers) != 3 or any(n is None for n in numbers):
        problems.append(f"gps: time unreadable ({date_text!r} {time_value!r})"[:200])
        return None
    hours, minutes, seconds = (float(n) for n in numbers if n is not None)
    try:
        year, month, mday = (int(g) for g in found.groups())
        day = datetime(year, month, mday, tzinfo=UTC)
        if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):
            raise ValueError("out of range")
    except ValueError:
        problems.append(f"gps: time impossible ({date_text!r} {time_value!r})"[:200])
        return None
    micro = round(seconds * 1_000_000)
    return day + timedelta(hours=int(hours), minutes=int(minutes), microseconds=micro)


# HEIF: the container's rotation ("irot", degrees counter-clockwise) and mirror ("imir") decide
# how the photo is displayed; libheif applies them while decoding. Each sequence of them equals
# one EXIF orientation; find it by applying both to a tiny image with distinct pixels.
def _heif_orientation(im: Image.Image, problems: list[str]) -> int:
    try:
        heif_file = im._heif_file  # type: ignore[attr-defined]  # pillow-heif has no public API for this
        transforms = tuple(heif_file[heif_file.primary_index]._c_image.transformations)
    except Exception as exc:
        problems.append(f"orientation: HEIF transformations unreadable ({type(exc).__name__})")
        return 1
    try:
        return _orientation_for_transforms(
            tuple((str(t[0]), int(t[1])) for t in transforms if t and t[0] in ("irot", "imir"))
        )
    except (ValueError, TypeError, IndexError):
        problems.append(f"orientation: HEIF transformations not understood ({transforms!r})"[:200])
        return 1


@functools.cache
def _orientation_for_transforms(transforms: tuple[tuple[str, int], ...]) -> int:
    probe = Image.new("L", (3, 2))
    probe.putdata(range(6))
    shown = probe
    for kind, value in transforms:
        if kind == "irot":
            turn = {0: None, 90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
                    270: Image.Transpose.ROTATE_270}[value]  # fmt: skip
            shown = shown.transpose(turn) if turn is not None else shown
        else:  # libheif: 0 mirrors top-bottom, 1 left-right
            flip = {0: Image.Transpose.FLIP_TOP_BOTTOM, 1: Image.Transpose.FLIP_LEFT_RIGHT}[value]
            shown = shown.transpose(flip)
    for orientation in range(1, 9):
        method = ORIENTATION_TRANSPOSE.get(orientation)
        candidate = probe.transpose(method) if method is not None else probe
        if candidate.size == shown.size and list(candidate.getdata()) == list(shown.getdata()):
            return orientation
    raise ValueError(transforms)
