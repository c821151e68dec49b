"""NMEA 0183 decoding: GNSS receiver sentences in, :class:`~app.capture.positions.Fix` out.

Pure Python, no Qt, no database, no third-party parser. Feed it lines from a serial receiver
or a log file (:class:`NmeaDecoder`, :func:`decode_file`); it never raises on bad input:
sentences with a bad or missing ``*hh`` checksum, malformed fields, proprietary sentences and
binary garbage are skipped and counted.

**Which fixes, and when.** A receiver sends a burst of sentences per epoch (GGA, GSA, GSV,
RMC …), and what a position is (time, 2D/3D, lat/lon, altitude) is spread over several of
them. This decoder follows gpsd — the reference decoder on Linux, whose regression logs are
our test oracle — exactly: it keeps gpsd's per-epoch state, detects the end of a reporting
cycle as gpsd does (the timestamped sentence just before the timestamp changes becomes the
"cycle ender"; before that is learned, every sentence that changes position or mode reports),
and emits one :class:`Fix` for each report in which gpsd's TPV has a 2D/3D mode and a
position. So the fixes are those ``gpsd`` clients would see, including gpsd's early fixes
without a date and its repeated reports within a cycle. The gpsd logic reproduced here is from
``drivers/driver_nmea0183.c`` (``nmea_parse`` and the sentence handlers),
``gpsd/libgpsd_core.c`` (``gpsd_poll``, ``gpsd_error_model``) and ``gpsd/gpsd.c``
(``all_reports``); names in comments refer to them.

Where the gpsd build that produced the oracle logs (ntpsec/gpsd mirror, commit 46977faa)
behaves differently from the gpsd source we could read, we follow the oracle; each place says
so in a comment (a GGA with 1–2 satellites is a fix; sentence types gpsd does not know leave
its state alone; Unicore's $GYOACC re-reports the fix).

**Accuracy** is our own figure (gpsd's ``eph`` is a 95 % bound from fixed error budgets): the
1-sigma horizontal error from a GST sentence of the same epoch, ``sqrt(lat_err² + lon_err²)``,
when the receiver sends GST; otherwise HDOP × :data:`UERE_M`; None without either.

Decoded, with any talker id (GP, GL, GA, GB, BD, GN, GQ, QZ, …): GGA, RMC, GLL, GNS, GSA, GSV,
GST, VTG, ZDA, GBS, and the proprietary PSRFEPE (SiRF), PGRME/PGRMZ (Garmin) and PSTI,030
(SkyTraq). BWC, GRS, DTM, TXT, PGRMM and GYOACC are handled only as far as gpsd's cycle
detection needs and, like every other type, counted as unsupported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from app.capture.positions import Fix, FixQuality, PositionSource
from app.domain.errors import CityPatrolError, Message

#: User-equivalent range error (metres, 1 sigma) of a consumer single-frequency receiver:
#: satellite clock and orbit (~2 m), ionosphere after the broadcast model (~3–4 m), troposphere,
#: multipath in a street canyon and receiver noise (~1–2 m) add up to about 5 m. Horizontal
#: accuracy without a GST sentence is HDOP × UERE_M.
UERE_M: Final = 5.0

#: Longest sentence body we accept (gpsd rejects overlong packets as two merged sentences;
#: SkyTraq's $PSTI runs to ~110 characters, so allow twice that).
MAX_SENTENCE_LENGTH: Final = 240

NO_FIX_MESSAGE: Final = Message(
    "日志中没有定位结果（接收机未定位）",
    "The log holds no position fix (the receiver never got a fix)",
)
NO_NMEA_MESSAGE: Final = Message(
    "日志中没有定位结果：没有找到 NMEA 语句（可能是二进制或其他格式）",
    "The log holds no position fix: no NMEA sentences were found "
    "(it may be binary or another format)",
)


class NmeaError(CityPatrolError):
    """An NMEA source that cannot be read at all (missing file, device gone)."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """One checksum-verified NMEA sentence.

    ``talker`` is the two-letter talker id ("GP", "BD" …), or "P" for a proprietary sentence,
    whose ``kind`` is then the whole tag ("PSRFEPE"); otherwise ``kind`` is the three-letter
    type ("GGA"). ``fields`` are the data fields after the tag, as text.
    """

    talker: str
    kind: str
    fields: tuple[str, ...]

    @property
    def tag(self) -> str:
        """The address field as sent, e.g. "GNGGA" or "PSRFEPE"."""
        return self.kind if self.talker == "P" else self.talker + self.kind


@dataclass(slots=True)
class DecodeResult:
    """What :func:`decode_file` found: the fixes, the counters, and why there are no fixes."""

    fixes: list[Fix]
    sentences: int
    bad_checksum: int
    malformed: int
    unsupported: int
    message: Message | None = None


# --- checksum and framing ---------------------------------------------------------------------

_MASKS: Final = [(1 << (8 * n)) - 1 for n in range(MAX_SENTENCE_LENGTH + 2)]
# "*hh" -> value, for exactly two hex digits of either case (int(x, 16) also takes " F", "+F")
_HEX2: Final = {
    a + b: int(a + b, 16) for a in "0123456789ABCDEFabcdef" for b in "0123456789ABCDEFabcdef"
}
_LOOKS_NMEA: Final = re.compile(r"[$][A-Z0-9]{2,}[,*]")


def nmea_checksum(body: str) -> int:
    """XOR of the characters between ``$`` and ``*`` (ASCII; other text as its UTF-8 bytes)."""
    return _xor_bytes(body.encode("latin-1") if body.isascii() else _raw(body))


def _raw(text: str) -> bytes:
    # Lines read as bytes were decoded as Latin-1 (one char per byte): re-encode them the same
    # way. Text with characters beyond Latin-1 never came from a receiver; use its UTF-8.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _xor_bytes(data: bytes) -> int:
    # Fold the bytes as one big integer: XOR the high half onto the low half until 8 bytes
    # remain, then fold the word. ~5x faster than a Python loop over the bytes.
    x = int.from_bytes(data, "little")
    n = len(data)
    while n > 8:
        half = (n + 1) >> 1
        x = (x >> (half << 3)) ^ (x & _MASKS[half])
        n = half
    x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    return x & 0xFF


def _as_text(line: str | bytes) -> str:
    # Latin-1 maps every byte to one character, so binary garbage decodes without error and
    # the checksum is computed over exactly the bytes the receiver sent.
    return line.decode("latin-1") if isinstance(line, bytes | bytearray) else line


def _verify(chunk: str) -> tuple[str | None, str]:
    """(body, "") for a valid ``$...*hh`` chunk, else (None, reason)."""
    star = chunk.find("*")
    if star < 0 or len(chunk) < star + 3:
        return None, "bad_checksum"
    body = chunk[1:star]
    expected = _HEX2.get(chunk[star + 1 : star + 3], -1)
    if expected < 0:
        return None, "bad_checksum"
    if len(body) > MAX_SENTENCE_LENGTH or not body.isascii():
        # Not a sentence we decode, but tell a corrupted line from a deliberate one.
        data = body.encode("latin-1", "replace") if body.isascii() else _raw(body)
        return None, "malformed" if _xor_bytes(data) == expected else "bad_checksum"
    if _xor_bytes(body.encode("latin-1")) != expected:
        return None, "bad_checksum"
    if not body.isprintable():
        return None, "malformed"
    return body, ""


def parse_sentence(line: str | bytes) -> Sentence | None:
    """The checksum-verified sentence in ``line``, or None (blank, comment, garbage, bad sum)."""
    text = _as_text(line).strip()
    start = text.find("$")
    if start < 0:
        return None
    body, _ = _verify(text[start:])
    if body is None:
        return None
    parts = body.split(",")
    tag = parts[0]
    if len(tag) < 3:
        return None
    if tag[0] == "P":
        return Sentence("P", tag, tuple(parts[1:]))
    return Sentence(tag[:2], tag[2:], tuple(parts[1:]))


# --- small C-compatible parsers ---------------------------------------------------------------

_INT_PREFIX: Final = re.compile(r"\s*([+-]?\d+)")
_FLOAT_PREFIX: Final = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


def _atoi(s: str) -> int:
    """C ``atoi``: the leading integer, 0 when there is none."""
    if s.isdigit():
        return int(s)
    m = _INT_PREFIX.match(s)
    return int(m.group(1)) if m else 0


# Speed: knots to metres per second (1852 m / 3600 s), as gpsd's KNOTS_TO_MPS.
_KNOTS_TO_MPS: Final = 0.51444444
_FEET_TO_METERS: Final = 0.3048

# gpsd's fix status values (gps.h STATUS_*) and fix modes (MODE_*).
_UNK, _GPS, _DGPS, _RTK_FIX, _RTK_FLT, _DR, _GNSSDR, _TIME_ONLY, _SIM, _PPS_FIX = range(10)
_QUALITY: Final = {
    _UNK: FixQuality.UNKNOWN,
    _GPS: FixQuality.GPS,
    _DGPS: FixQuality.DGPS,
    _RTK_FIX: FixQuality.RTK_FIXED,
    _RTK_FLT: FixQuality.RTK_FLOAT,
    _DR: FixQuality.ESTIMATED,
    _GNSSDR: FixQuality.ESTIMATED,
    _TIME_ONLY: FixQuality.MANUAL,  # GGA quality 7: position entered manually (surveyed)
    _SIM: FixQuality.UNKNOWN,  # simulator (Garmin units send it, undocumented why)
    _PPS_FIX: FixQuality.GPS,  # GPS Precise Positioning Service (military P(Y) code)
}
# GGA field 6, the fix quality indicator -> status
_GGA_STATUS: Final = {
    0: _UNK, 1: _GPS, 2: _DGPS, 3: _PPS_FIX, 4: _RTK_FIX, 5: _RTK_FLT, 6: _DR, 7: _TIME_ONLY,
    8: _SIM,
}  # fmt: skip
# NMEA 2.3+ FAA mode indicator -> status; other letters (A, …) mean an autonomous fix.
# Quectel adds C (caution) and U (unsafe); S is "simulator" (Quectel: "safe").
_FAA_STATUS: Final = {
    "": _UNK, "C": _UNK, "N": _UNK, "U": _UNK, "D": _DGPS, "P": _DGPS, "E": _DR,
    "F": _RTK_FLT, "R": _RTK_FIX, "M": _SIM, "S": _SIM,
}  # fmt: skip

# Report mask bits (gpsd's *_SET / *_IS names).
ONLINE: Final = 1 << 0
TIME: Final = 1 << 1
LATLON: Final = 1 << 2
ALTITUDE: Final = 1 << 3
SPEED: Final = 1 << 4
TRACK: Final = 1 << 5
STATUS: Final = 1 << 6
MODE: Final = 1 << 7
DOP: Final = 1 << 8
HERR: Final = 1 << 9
VERR: Final = 1 << 10
SATELLITE: Final = 1 << 11
GST: Final = 1 << 12
USED: Final = 1 << 13
OTHER: Final = 1 << 14  # data gpsd keeps that we do not (VNED, PERR, magnetic track …)
CLEAR: Final = 1 << 15
REPORT: Final = 1 << 16
_MERGED: Final = TIME | LATLON | MODE | STATUS | ALTITUDE | TRACK | SPEED | GST

_MAXCHANNELS: Final = 185  # gpsd's skyview size
_DAYS_BEFORE_MONTH: Final = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_PADDING: Final = [""] * 24
# Second letter of the talker id -> NMEA 4.10 GNSS id, for GSA satellite numbers.
_GSA_GNSSID: Final = {"A": 3, "B": 4, "D": 4, "I": 6, "L": 2, "Q": 5, "Z": 5}
# Talkers (second letter) whose GSA/GSV make gpsd ignore a following GPGSA/GPGSV.
_OTHER_TALKERS: Final = frozenset("ABDILNQZ")


def _faa(mode: str) -> int:
    return _FAA_STATUS.get(mode[:1], _GPS)


def _prn_known(satnum: int, gnssid: int) -> bool:
    """Whether gpsd's ``nmeaid_to_prn`` maps this satellite number to a PRN (> 0)."""
    if satnum < 1:
        return False
    if gnssid > 0:
        if gnssid == 1:
            return satnum < 137 or 152 <= satnum < 158 or 193 <= satnum < 265
        return gnssid <= 6
    return (
        satnum <= 96
        or 120 <= satnum <= 158
        or 173 <= satnum <= 182
        or 193 <= satnum <= 197
        or 201 <= satnum <= 237
        or 301 <= satnum <= 356
        or 401 <= satnum <= 437
    )


def _mkgmtime(tm: tuple[int, int, int, int, int, int]) -> int:
    """gpsd's ``mkgmtime``: seconds since 1970 for a broken-down UTC time.

    ``tm`` is (year since 1900, month 0–11, day, hour, minute, second). Days past the end of
    the month run on linearly: that is how a time-of-day sentence just after midnight (day
    + 1, before a new date arrives) lands on the next day.
    """
    year, mon, mday, hour, minute, sec = tm
    y = 1900 + year + mon // 12
    m = mon % 12
    days = (y - 1970) * 365 + _DAYS_BEFORE_MONTH[m]
    days += _cdiv(y - 1968, 4) - _cdiv(y - 1900, 100) + _cdiv(y - 1600, 400)
    if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) and m < 2:
        days -= 1
    days += mday - 1
    return ((days * 24 + hour) * 60 + minute) * 60 + sec


def _cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _hhmmss_ok(s: str) -> bool:
    return len(s) >= 6 and s[:6].isdigit()


@dataclass(slots=True)
class _Data:
    """gpsd's ``struct gps_fix_t``, the part of it that decides fixes."""

    time_ns: int = 0  # 0 = no time
    lat: float | None = None
    lon: float | None = None
    mode: int = 0  # 0 not seen, 1 no fix, 2 2D, 3 3D
    status: int = _UNK
    alt: float | None = None  # metres above mean sea level
    speed: float | None = None
    track: float | None = None

    def clear(self) -> None:
        self.time_ns = 0
        self.lat = self.lon = None
        self.mode = 0
        self.status = _UNK
        self.alt = self.speed = self.track = None


@dataclass(frozen=True, slots=True)
class _Phrase:
    tag: int  # gpsd's ``thistag``: index in its table + 1 (0: gpsd has no decoder for it)
    min_fields: int  # gpsd's ``nf``: fewer fields (tag included) and it is "too short"
    cycle_continue: bool  # sentence may follow the cycle's last timestamped one (GLL)
    handler: Callable[[NmeaDecoder, list[str], int], int] | None  # None: gpsd has no decoder
    width: int  # highest field index the handler reads + 1
    ours: bool  # decoded here (else counted as unsupported)


# gpsd's nmea_phrase table. Three-letter names match after the two-letter talker id, longer
# ones the whole tag; "PSTI,030"-style entries also match the first field.
_DECODED: Final[list[tuple[str, int, bool, str, int, bool]]] = [
    # name, nf, cycle_continue, handler, width, ours (False: handled only so that gpsd's
    # cycle detection comes out the same; counted as unsupported)
    ("PGRME", 7, False, "_pgrme", 8, True),
    ("PGRMM", 2, False, "_online", 2, False),
    ("PGRMZ", 4, False, "_pgrmz", 4, True),
    ("BWC", 12, False, "_bwc", 13, False),
    ("DTM", 2, False, "_online", 2, False),
    ("GBS", 7, False, "_gbs", 5, True),
    ("GGA", 13, False, "_gga", 15, True),
    ("GLL", 7, True, "_gll", 8, True),
    ("GNS", 13, False, "_gns", 14, True),
    ("GRS", 4, False, "_grs", 3, False),
    ("GSA", 18, False, "_gsa", 19, True),
    ("GST", 8, False, "_gst", 9, True),
    ("GSV", 0, False, "_gsv", 8, True),
    ("GYOACC", 0, False, "_gyoacc", 1, False),
    ("PSRFEPE", 7, False, "_psrfepe", 8, True),
    ("PSTI,030", 16, False, "_psti030", 16, True),
    ("RMC", 8, False, "_rmc", 13, True),
    ("TXT", 5, False, "_online", 5, False),
    ("VTG", 5, False, "_vtg", 10, True),
    ("ZDA", 4, False, "_zda", 5, True),
]
# Sentences gpsd decodes into things a position does not need (heading, wind, depth, oscillator
# status, firmware versions …): handled like a decoded sentence that changed nothing.
# fmt: off
_GPSD_ONLY: Final = [
    "DBT", "HDG", "HDT", "MWD", "MWV", "THS", "PGLOR", "PGRMF", "PASHR", "PMGNST", "PMTK001",
    "PMTK424", "PMTK705", "PQVERNO", "PTNTA", "PTNTHTM", "PSTI,032", "PSTI,033", "PSTI,035",
    "PSTI,036",
]
# fmt: on
# Sentences gpsd knows but has no decoder for. They matter: gpsd then keeps the previous
# sentence's cycle-continue flag, so a Garmin's $GPBOD after $GPGLL takes over as cycle ender.
# fmt: off
_NO_DECODER: Final = [
    "AAM", "ALM", "APB", "BOD", "DPT", "GLC", "MLA", "MSS", "MTW", "OSD", "QSM", "RLM", "RMB",
    "ROT", "RPM", "RSA", "RTE", "VBW", "VDO", "VDR", "VHW", "VLW", "XDR", "XTE", "HWBIAS", "PGRMB",
    "PGRMC", "PGRMH", "PGRMI", "PGRMO", "PGRMT", "PGRMV", "PERDACK", "PERDCRD", "PERDCRG,DCR",
    "PERDCRJ,FREQ", "PERDCRP", "PERDCRQ", "PERDCRW,TPS1", "PERDCRW,TPS2", "PERDCRW,TPS3",
    "PERDCRW,TPS4", "PERDMSG", "PERDSYS,ANTSEL", "PERDSYS,FIXSESSION", "PERDSYS,GPIO",
    "PERDSYS,VERSION", "PJLTS", "PJLTV", "PMTK010", "PMTK011", "PMTKCHN", "PRWIZCH", "PSRF140",
    "PSRF150", "PSRF151", "PSRF152", "PSRF155", "PSTI,000", "PSTI,001", "PSTI,005", "PSTM",
    "PTFTTXT", "PTKM", "PTNLRHVR", "PTNLRPT", "PTNLRSVR", "PTNLRZD", "PUBX",
]
# fmt: on


_NTAGS: Final = len(_DECODED) + len(_GPSD_ONLY) + 1


class NmeaDecoder:
    """Stateful NMEA decoder: feed it lines, get the fixes each line completes.

    Counters: ``sentences`` (checksum-verified sentences, of any type), ``bad_checksum``
    (NMEA-looking lines whose ``*hh`` is wrong or missing), ``malformed`` (verified sentences
    with fields that cannot be decoded — too few, not numbers, impossible dates, coordinates
    out of range — the bad fields are ignored), ``unsupported`` (verified sentences of types
    not decoded, and lines of binary or other non-NMEA data).
    """

    def __init__(self, source: PositionSource = PositionSource.GPS, century: int | None = None):
        self.source = source
        self.sentences = 0
        self.bad_checksum = 0
        self.malformed = 0
        self.unsupported = 0
        self.fixes = 0
        # gpsd's context century: the receiver's two-digit years are in it. A regression log's
        # "# Date: yyyy-mm-dd" comment sets it, as gpsd does; else today's century.
        self._century = century if century is not None else datetime.now(UTC).year // 100 * 100
        # gpsd's session->nmea.date (struct tm) and subseconds
        self._yr = 0  # years since 1900; 0 = no date yet
        self._mon = 0
        self._mday = 0
        self._hour = 0
        self._min = 0
        self._sec = 0
        self._nsec = 0
        # the time string last merged into the fields above; NUL never occurs in a field
        self._last_hhmmss = "\x00"
        self._day_key = (-1, -1, -1)  # the date _day_start was computed for
        self._day_start = 0
        # end-of-cycle detection (nmea_parse)
        self._this_frac = 0.0
        self._last_frac = 0.0
        self._latch = False
        self._gsx_more = False
        self._lasttag = 0
        self._enders = [False] * _NTAGS
        self._cycle_continue = False
        self._reliable = False  # session->cycle_end_reliable
        # GGA/GSA/GSV bookkeeping
        self._last_gga_talker = ""
        self._last_gga_timestamp = ""
        self._latch_mode = False
        self._last_gsa_talker = ""
        self._last_gsv_talker = ""
        self._seen_gsa_other = False  # seen a GSA of another talker than GP
        self._seen_gsv_other = False
        self._sats_used = 0  # gpsdata.satellites_used
        self._visible = 0  # gpsdata.satellites_visible
        self._azimuths_nonzero = 0  # 1 when one of them has a nonzero azimuth
        # gpsdata.dop.hdop, gpsdata.fix, session->newdata, lastfix, oldfix
        self._hdop: float | None = None
        self._fix = _Data()
        self._new = _Data()
        self._last_time_ns = 0
        self._last_mode = 0
        self._last_alt = False
        self._old_alt = False
        # ours, for Fix.accuracy_m and Fix.satellites
        # last GST: (time of day in s, latitude error, longitude error), metres 1 sigma
        self._gst_data: tuple[float, float, float] | None = None
        self._gst_in_cycle = False
        self._sats_in_view_used: int | None = None  # GGA/GNS "satellites in use", this cycle
        self._pending_sats: int | None = None  # ... from the current sentence
        self._bad = False  # the current sentence had a malformed field

    # --- input -----------------------------------------------------------------------------

    def feed(self, line: str | bytes) -> list[Fix]:
        """Decode one line (a sentence, possibly with CR/LF); the fixes it completes.

        Blank lines and ``#`` comments are ignored; binary garbage, bad checksums and
        unsupported sentences are counted and skipped. Never raises on bad input.
        """
        s = (line.decode("latin-1") if isinstance(line, bytes | bytearray) else line).strip()
        if not s:
            return []
        # Fast path: one whole, clean sentence on the line (what receivers send).
        if s[0] == "$" and s[-3:-2] == "*" and s.find("$", 1) < 0:
            body = s[1:-3]
            expected = _HEX2.get(s[-2:], -1)
            if (
                expected >= 0
                and len(body) <= MAX_SENTENCE_LENGTH
                and body.isascii()
                and body.isprintable()
                and _xor_bytes(body.encode("ascii")) == expected
            ):
                fix = self._sentence(body)
                return [] if fix is None else [fix]
            _, why = _verify(s)  # the slow path, to count the right reason
            self._count(why)
            return []
        if s[0] == "#":
            self._comment(s)
            return []
        return self._feed_messy(s)

    def result(self, fixes: list[Fix]) -> DecodeResult:
        """A :class:`DecodeResult` of ``fixes`` with this decoder's counters, and a message
        saying why when there are no fixes."""
        message = None
        if not fixes:
            message = NO_NMEA_MESSAGE if self.sentences == 0 else NO_FIX_MESSAGE
        return DecodeResult(
            fixes=fixes,
            sentences=self.sentences,
            bad_checksum=self.bad_checksum,
            malformed=self.malformed,
            unsupported=self.unsupported,
            message=message,
        )

    def feed_many(self, lines: Iterable[str | bytes]) -> list[Fix]:
        """Decode many lines; all the fixes they complete, in order."""
        fixes: list[Fix] = []
        for line in lines:
            fixes.extend(self.feed(line))
        return fixes

    def _feed_messy(self, s: str) -> list[Fix]:
        # Garbage before the "$", several sentences run together, or no sentence at all:
        # split at each "$" and judge every piece on its own.
        fixes: list[Fix] = []
        start = s.find("$")
        garbage = start != 0
        while start >= 0:
            end = s.find("$", start + 1)
            chunk = s[start:end] if end >= 0 else s[start:]
            start = end
            chunk = chunk.rstrip()
            if not _LOOKS_NMEA.match(chunk):
                garbage = True
                continue
            star = chunk.find("*")
            if star >= 0 and len(chunk) > star + 3:
                garbage = True  # junk after the checksum
                chunk = chunk[: star + 3]
            body, why = _verify(chunk)
            if body is None:
                self._count(why)
                continue
            fix = self._sentence(body)
            if fix is not None:
                fixes.append(fix)
        if garbage:
            self.unsupported += 1
        return fixes

    def _count(self, why: str) -> None:
        if why == "bad_checksum":
            self.bad_checksum += 1
        else:
            self.sentences += 1
            self.malformed += 1

    def _comment(self, s: str) -> None:
        # gpsd_set_century(): regression logs pin the century with "# Date: yyyy-mm-dd".
        if s.startswith("# Date:"):
            m = re.match(r"# Date:\s*(\d{4})", s)
            if m and 1968 <= int(m.group(1)) <= 2200:
                year = int(m.group(1))
                self._century = year - year % 100

    # --- one sentence: nmea_parse() + gpsd_poll() + all_reports() ---------------------------

    def _sentence(self, body: str) -> Fix | None:
        self.sentences += 1
        f = body.split(",")
        count = len(f)
        tag = f[0]
        phrase = _PHRASES.get(tag[2:]) if len(tag) == 5 else None
        if phrase is None:
            phrase = _lookup_full(f)
            if phrase is None:
                # Not in gpsd's table at all: gpsd leaves its state alone ($PSTMCPU, $SNRSTAT).
                self.unsupported += 1
                return None
        new = self._new
        # Handlers set every other field of ``new`` together with its mask bit; these two are
        # merged even when the handler left them alone, so they must start cleared.
        new.mode = 0
        new.status = _UNK
        self._latch = False
        self._gsx_more = False
        self._bad = False
        self._pending_sats = None
        thistag = 0
        handler = phrase.handler
        if handler is None:
            mask = ONLINE  # known to gpsd, no decoder: thistag 0, cycle_continue kept
            self.unsupported += 1
        elif count < phrase.min_fields:
            mask = ONLINE  # gpsd: "too short", handled as if it had no decoder
            if phrase.ours:
                self._bad = True
            else:
                self.unsupported += 1
        else:
            if count < phrase.width:
                f.extend(_PADDING[: phrase.width - count])
            mask = handler(self, f, count)
            self._cycle_continue = phrase.cycle_continue
            thistag = phrase.tag
            if not phrase.ours:
                self.unsupported += 1
        if self._bad:
            self.malformed += 1

        # prevent overaccumulation of sat reports
        kind = tag[2:5]
        if kind != "GSV":
            self._last_gsv_talker = ""
        if kind != "GSA":
            self._last_gsa_talker = ""

        if mask & TIME:
            if self._yr == 0 and self._mday == 0:
                new.time_ns = 0
            else:
                new.time_ns = self._utc_ns()

        # The end-of-cycle detector (nmea_parse).
        enders = self._enders
        lasttag = self._lasttag
        latch = self._latch
        gsx_more = self._gsx_more
        cycle_continue = self._cycle_continue
        if gsx_more:
            pass  # more GSV parts to come: not a cycle boundary
        elif latch:
            if abs(self._this_frac - self._last_frac) > 0.01:
                mask |= CLEAR  # the timestamp changed: a new reporting cycle starts
                if lasttag > 0 and not enders[lasttag] and not cycle_continue:
                    enders[lasttag] = True  # the last timestamped sentence ends cycles
                    self._reliable = True
        else:
            if enders[lasttag] and mask & ~ONLINE:
                mask |= REPORT  # new data just after a cycle ender
            if cycle_continue:
                # stale for sentences without a decoder: gpsd keeps the last one's flag
                enders[lasttag] = False
                enders[thistag] = True
                self._reliable = True
        if (latch or cycle_continue) and enders[thistag] and not gsx_more:
            mask |= REPORT
        if latch:
            self._lasttag = thistag

        fix = self._fix
        # don't downgrade mode if holding previous fix (RMC does not report 2D/3D)
        if mask & MODE and fix.mode == 3 and new.mode != 1 and (self._last_alt or self._old_alt):
            new.mode = 3

        # gpsd_poll(): clear at the start of a cycle, then merge the sentence's data
        if mask & CLEAR:
            if not mask & DOP:
                self._hdop = None
            fix.clear()
            self._sats_in_view_used = None
            self._gst_in_cycle = False
        if self._pending_sats is not None:
            self._sats_in_view_used = self._pending_sats
        if mask & _MERGED:
            if mask & TIME:
                fix.time_ns = new.time_ns
            if mask & LATLON:
                fix.lat = new.lat
                fix.lon = new.lon
            if mask & MODE:
                fix.mode = new.mode
            if mask & STATUS and new.status > fix.status:
                fix.status = new.status  # status is only ever upgraded within a cycle
            if mask & ALTITUDE and new.alt is not None:
                fix.alt = new.alt
            if mask & TRACK:
                fix.track = new.track
            if mask & SPEED:
                fix.speed = new.speed
            if mask & GST:
                self._gst_in_cycle = True

        # gpsd_error_model(): drop impossible positions, keep lastfix/oldfix
        lat = fix.lat
        if lat is not None:
            lon = fix.lon
            if lon is None or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                fix.lat = fix.lon = None
        time_ns = fix.time_ns
        if time_ns > 0:
            if abs(time_ns - self._last_time_ns) > 9_900_000:  # 0.0099 s
                self._old_alt = self._last_alt
            self._last_time_ns = time_ns
            self._last_mode = fix.mode
            self._last_alt = fix.alt is not None

        # all_reports(): without a reliable cycle end, every position or mode change reports
        if not self._reliable and mask & (LATLON | MODE):
            mask |= REPORT
        return self._report() if mask & REPORT else None

    def _report(self) -> Fix | None:
        """gpsd's TPV report: a Fix when it has a 2D/3D mode and a position."""
        fix = self._fix
        lat, lon = fix.lat, fix.lon
        if fix.mode < 2 or lat is None or lon is None:
            return None
        self.fixes += 1
        # gpsd prints a TPV's time only when its seconds are > 0 (0 means "no date yet")
        time_ns = fix.time_ns
        when = _EPOCH + timedelta(microseconds=time_ns // 1000) if time_ns >= 10**9 else None
        sats = self._sats_in_view_used
        if sats is None and self._sats_used > 0:
            sats = self._sats_used
        return Fix(
            lat=lat,
            lon=lon,
            accuracy_m=self._accuracy(time_ns),
            altitude_m=fix.alt,
            time=when,
            quality=_QUALITY.get(fix.status, FixQuality.UNKNOWN),
            source=self.source,
            mode=3 if fix.mode >= 3 else 2,
            hdop=_finite(self._hdop),
            satellites=sats,
            speed_mps=_finite(fix.speed),
            course_deg=_finite(fix.track),
        )

    def _accuracy(self, time_ns: int) -> float | None:
        gst = self._gst_data
        if gst is not None:
            if time_ns > 0:
                of_day = (time_ns % 86_400_000_000_000) / 1e9
                same_epoch = abs(of_day - gst[0]) < 0.005
            else:
                same_epoch = self._gst_in_cycle
            if same_epoch and math.isfinite(gst[1]) and math.isfinite(gst[2]):
                return round(math.hypot(gst[1], gst[2]), 3)
        if self._hdop is not None and math.isfinite(self._hdop):
            return round(self._hdop * UERE_M, 3)
        return None

    # --- time (merge_hhmmss, merge_ddmmyy, register_fractional_time, gpsd_utc_resolve) -------

    def _merge_hhmmss(self, s: str) -> bool:
        if s == self._last_hhmmss:
            return True  # GGA, RMC … of one epoch repeat the time: nothing would change
        if not _hhmmss_ok(s):
            self._bad = True
            return False
        self._last_hhmmss = s
        hour = int(s[0:2])
        if hour < self._hour:
            self._mday += 1  # midnight wrap: a time-only sentence of the next day
        self._hour = hour
        self._min = int(s[2:4])
        self._sec = int(s[4:6])
        if len(s) > 7 and s[6] == "." and s[7].isdigit():
            digits = s[7:]
            sublen = len(digits)
            self._nsec = _atoi(digits) * 10 ** (9 - sublen) if sublen <= 9 else 0
        else:
            self._nsec = 0
        return True

    def _merge_ddmmyy(self, s: str) -> bool:
        if len(s) != 6 or not s.isdigit():
            self._bad = True  # e.g. the Telit HE910's year "-1"
            return False
        yy = int(s[4:6])
        mon = int(s[2:4])
        mday = int(s[0:2])
        if self._yr % 100 == 99 and yy == 0:
            self._century_update(self._century + 100)
        year = self._century + yy
        if year >= 2080:  # gpsd wraps here: 2099 reads as 1999
            year -= 100
        if not (1 <= mon <= 12 and 1 <= mday <= 31):
            self._bad = True
            return False
        self._yr = year - 1900
        self._mon = mon - 1
        self._mday = mday
        return True

    def _century_update(self, century: int) -> None:
        self._century = max(self._century, century)

    def _register_frac(self, s: str) -> None:
        if s:
            self._last_frac = self._this_frac
            value = _atof(s)
            self._this_frac = value if math.isfinite(value) else 0.0
            self._latch = True

    def _utc_ns(self) -> int:
        day = (self._yr, self._mon, self._mday)
        if day != self._day_key:  # the date changes once a day: keep its start
            self._day_key = day
            self._day_start = _mkgmtime((*day, 0, 0, 0))
        seconds = self._day_start + (self._hour * 60 + self._min) * 60 + self._sec
        return seconds * 1_000_000_000 + self._nsec

    # --- fields -----------------------------------------------------------------------------

    def _lat_lon(self, f: list[str], i: int) -> bool:
        """gpsd's do_lat_lon on fields i..i+3; sets the new latitude/longitude."""
        lat_s, ns, lon_s, ew = f[i], f[i + 1], f[i + 2], f[i + 3]
        if not (lat_s and ns and lon_s and ew):
            if lat_s or lon_s:
                self._bad = True  # half a position
            return False
        lat = _degrees(lat_s)
        if ns[0] == "S":
            lat = -lat
        lon = _degrees(lon_s)
        if ew[0] == "W":
            lon = -lon
        if not (math.isfinite(lat) and math.isfinite(lon)):
            self._bad = True
            return False
        if ns not in ("N", "S") or ew not in ("E", "W") or abs(lat) > 90.0 or abs(lon) > 180.0:
            self._bad = True  # kept as gpsd does; gpsd_error_model drops out-of-range values
        self._new.lat = lat
        self._new.lon = lon
        return True

    def _float(self, s: str) -> float:
        value = _atof(s)
        if not math.isfinite(value):
            self._bad = True
        return value

    # --- sentence handlers: each returns gpsd's report mask ----------------------------------

    def _online(self, f: list[str], count: int) -> int:
        return ONLINE

    def _gga(self, f: list[str], count: int) -> int:
        mask = ONLINE
        new = self._new
        last_last_talker = self._last_gga_talker
        talker = f[0][1:2]
        self._last_gga_talker = talker
        quality = -1 if f[6] == "" else _atoi(f[6])
        status = _GGA_STATUS.get(quality, -1)
        if quality == 0 and f[1] == "":
            # No time at all (Quectel): forget the date, make the cycle detector unreliable.
            # gpsd then overwrites the mask below, so this sentence itself does not report.
            self._zero_date()
            self._reliable = False
        if status >= 0:
            new.status = status
            mask = STATUS
        # A receiver that lost lock may repeat the last GGA timestamp (Trimble Placer 450);
        # gpsd then distrusts this GGA's status and the next GSA.
        if last_last_talker and last_last_talker != talker:
            self._latch_mode = False
        else:
            self._latch_mode = f[1] == self._last_gga_timestamp
        if self._latch_mode:
            new.status = _UNK
            new.mode = 1
            mask |= MODE | STATUS
        else:
            self._last_gga_timestamp = f[1]
        satellites = _atoi(f[7])
        if f[1] and self._merge_hhmmss(f[1]):
            self._register_frac(f[1])
            if self._yr != 0:
                mask |= TIME
        if self._lat_lon(f, 2):
            new.mode = 2
            mask |= LATLON
            if f[9]:
                alt = self._float(f[9])
                new.alt = alt if math.isfinite(alt) else None
                mask |= ALTITUDE
                if satellites >= 4:
                    new.mode = 3
            # The gpsd sources we could read say "fewer than 3 satellites: no fix", but the
            # gpsd that made the oracle logs keeps SiRFstarV's GLGGA, which counts only its 2
            # GLONASS satellites, as 2D, and drops a GGA with 0: so only 0 means no fix.
            if satellites < 1:
                new.mode = 1
        else:
            new.mode = 1
        mask |= MODE
        if f[8]:
            hdop = self._float(f[8])
            if hdop < 99.0:  # some receivers send 99.99 for "unknown"
                self._hdop = hdop
                mask |= DOP
        if f[7]:
            self._pending_sats = satellites
        return mask

    def _rmc(self, f: list[str], count: int) -> int:
        mask = ONLINE
        new = self._new
        status = f[2][:1]
        if status not in ("A", "D"):
            new.mode = 1
            if status not in ("V", ""):
                self._bad = True
            if f[1] == "" or f[9] == "":
                # No time (Quectel "$GPRMC,,V,,,,,,,,,,N"): report now, bypassing the detector.
                self._zero_date()
                self._reliable = False
                mask |= REPORT | TIME
            return mask | STATUS | MODE
        if f[1] and count > 9 and f[9] and self._merge_hhmmss(f[1]) and self._merge_ddmmyy(f[9]):
            mask |= TIME
            self._register_frac(f[1])
        if self._lat_lon(f, 3):
            new_status = _DGPS if status == "D" else _GPS
            mask |= LATLON
            if self._last_mode <= 2:
                new.mode = 2
                mask |= MODE
            elif self._last_mode == 3:
                new.mode = 3  # keep the 3D: this may be the cycle starter
                mask |= MODE
        else:
            new_status = _UNK
            new.mode = 1
            mask |= MODE
        if f[7]:
            new.speed = self._float(f[7]) * _KNOTS_TO_MPS
            mask |= SPEED
        if f[8]:
            new.track = self._float(f[8])
            mask |= TRACK
        if count >= 12:
            new_status = _faa(f[12])
        # Receivers that send only RMC (Magellan EC-10X) still get a mode.
        if self._sats_used > 3 or self._fix.alt is not None:
            new.mode = 3
            mask |= MODE
        new.status = new_status
        return mask | STATUS

    def _gll(self, f: list[str], count: int) -> int:
        mask = ONLINE
        new = self._new
        if f[5] and self._merge_hhmmss(f[5]):
            self._register_frac(f[5])
            if self._yr != 0:
                mask = TIME
        valid = f[6][:1]
        if valid in ("", "V"):
            new.status = _UNK
            new.mode = 1
        elif valid == "A" and (count < 8 or f[7][:1] != "N") and self._lat_lon(f, 1):
            mask |= LATLON
            new_status = _faa(f[7]) if count >= 8 else _GPS
            if self._fix.alt is not None or self._sats_used > 3:
                new.mode = 3
            elif self._fix.mode < 2 or not self._old_alt:
                new.mode = 2
            new.status = new_status
        else:
            new.status = _UNK
            new.mode = 1
        return mask | STATUS | MODE

    def _gns(self, f: list[str], count: int) -> int:
        mask = ONLINE
        new = self._new
        if f[1] and self._merge_hhmmss(f[1]):
            self._register_frac(f[1])
            if self._yr != 0:
                mask = TIME
        mode = f[6][:1]
        if mode in ("", "N"):
            new.mode = 1
            return mask | MODE
        if f[13][:1] in ("U", "V"):
            return mask  # navigation status unsafe / not valid
        satellites = _atoi(f[7])
        if self._lat_lon(f, 2):
            mask |= LATLON
            new.mode = 2
            if f[9]:
                alt = self._float(f[9])
                if math.isfinite(alt):
                    new.alt = alt
                    mask |= ALTITUDE
                    if satellites > 3:
                        new.mode = 3
        else:
            new.mode = 1
            mask |= MODE
        if f[8]:
            self._hdop = self._float(f[8])
            mask |= DOP
        new.status = _faa(mode)
        if f[7]:
            self._pending_sats = satellites
        return mask | MODE | STATUS

    def _gsa(self, f: list[str], count: int) -> int:
        mask = ONLINE
        talker = f[0][1:2]
        last_last_talker = self._last_gsa_talker
        if count < 18:
            self._bad = True  # e.g. i.Trek M3's "$GPGSA,A,1,,,,*32"
        elif self._latch_mode:
            pass  # the last GGA had a non-advancing timestamp: don't trust this GSA
        else:
            self._new.mode = _atoi(f[2])
            if f[2][:1] != "E":  # Antaris dead-reckoning estimate
                mask = MODE
            if count <= 19:
                for k in (15, 16, 17):
                    if f[k]:
                        dop = self._float(f[k])
                        if dop < 99.0:
                            if k == 16:
                                self._hdop = dop
                            mask |= DOP
            # GPGSA then GLGSA/BDGSA (or several GNGSA) in one cycle accumulate
            if self._last_gsa_talker == "" or (talker == self._last_gsa_talker and talker != "N"):
                self._sats_used = 0
            self._last_gsa_talker = talker
            if talker in _OTHER_TALKERS:
                self._seen_gsa_other = True
            gnssid = _GSA_GNSSID.get(talker, 0)
            # gpsd scans count - 6 fields from field 3: in NMEA 4.10 GSAs that includes PDOP
            for field_ in f[3 : count - 3]:
                if not field_:
                    continue  # most PRN slots are empty
                satnum = int(field_) if field_.isdigit() else _atoi(field_)
                if _prn_known(satnum, gnssid):
                    if self._sats_used >= _MAXCHANNELS:
                        break
                    self._sats_used += 1
            mask |= USED
        if self._seen_gsa_other and talker == "P":
            mask = ONLINE  # GPGSA after GLGSA/BDGSA/GNGSA: the combined one is used
        elif last_last_talker != "N" and talker == "N":
            mask = ONLINE | MODE  # first of several GNGSA: ship the mode always
        return mask

    def _gsv(self, f: list[str], count: int) -> int:
        if count <= 3:
            self._bad = True
            self._zero_satellites()
            return ONLINE
        rest = count % 4
        sigid = 0
        if rest == 1:  # NMEA 4.10 signal id before the checksum
            nmea_sigid = _atoi(f[count - 1]) & 0xFF
            sigid = {2: 5, 3: 2, 5: 4, 6: 3}.get(nmea_sigid, 0)
        elif rest != 0:
            self._bad = True
            self._zero_satellites()
            return ONLINE
        await_s, part_s = f[1], f[2]
        await_parts = int(await_s) if await_s.isdigit() else _atoi(await_s)
        part = int(part_s) if part_s.isdigit() else _atoi(part_s)
        if part < 1:
            self._bad = True
            self._zero_satellites()
            return ONLINE
        talker = f[0][1:2]
        if part == 1 and (self._last_gsv_talker == "" or (talker == "P" and sigid == 0)):
            self._zero_satellites()
        self._last_gsv_talker = talker
        if talker in _OTHER_TALKERS:
            self._seen_gsv_other = True
        end = count // 4 * 4
        if len(f) < end + 4:
            f.extend(_PADDING[:4])
        visible = self._visible
        nonzero = self._azimuths_nonzero
        k = 4
        while k < end:
            if visible >= _MAXCHANNELS:
                visible = nonzero = 0
                break
            svid = f[k]
            k += 1
            if not (svid.isdigit() and svid.strip("0")) and _atoi(svid) == 0:
                continue  # gpsd skips just this field: the next one is read as a PRN
            if not nonzero:  # only "is any azimuth nonzero" matters, see below
                azimuth = f[k + 1]
                if (int(azimuth) if azimuth.isdigit() else _atoi(azimuth)) != 0:
                    nonzero = 1
            visible += 1
            k += 3
        self._visible = visible
        self._azimuths_nonzero = nonzero
        if part < await_parts:
            self._gsx_more = True  # more parts to come
            return ONLINE
        if nonzero == 0:
            # SiRFstarII "hairball": all azimuths zero when it sees no satellite
            self._visible = 0
            return ONLINE
        if self._seen_gsv_other and talker == "P":
            return ONLINE
        return SATELLITE

    def _zero_satellites(self) -> None:
        self._visible = 0
        self._azimuths_nonzero = 0

    def _gst(self, f: list[str], count: int) -> int:
        if _hhmmss_ok(f[1]):
            t = f[1]
            of_day = int(t[0:2]) * 3600 + int(t[2:4]) * 60 + _atof(t[4:])
            self._gst_data = (of_day, self._float(f[6]), self._float(f[7]))
        else:
            self._bad = True
            self._gst_data = None
        return GST | ONLINE

    def _vtg(self, f: list[str], count: int) -> int:
        if f[1] == "" or f[5] == "":
            return ONLINE
        if count > 9 and f[9][:1] in ("E", "N"):
            return ONLINE  # estimated or not valid
        new = self._new
        new.track = self._float(f[1])
        new.speed = self._float(f[5]) * _KNOTS_TO_MPS
        return ONLINE | TRACK | SPEED

    def _zda(self, f: list[str], count: int) -> int:
        if not (f[1] and f[2] and f[3] and f[4]):
            return ONLINE  # u-blox ANTARIS sends blank ZDAs before it has lock
        if not self._merge_hhmmss(f[1]):
            return ONLINE
        year = _atoi(f[4])
        mon = _atoi(f[3])
        mday = _atoi(f[2])
        if not (1900 <= year <= 2200 and 1 <= mon <= 12 and 1 <= mday <= 31):
            self._bad = True
            return ONLINE
        self._century_update(year - year % 100)
        self._yr = year - 1900
        self._mon = mon - 1
        self._mday = mday
        self._register_frac(f[1])
        return TIME

    def _gbs(self, f: list[str], count: int) -> int:
        self._register_frac(f[1])
        t = f[1]
        if (
            _hhmmss_ok(t)
            and self._hour == int(t[0:2])
            and self._min == int(t[2:4])
            and self._sec == int(t[4:6])
        ):
            return HERR | VERR
        return ONLINE

    def _bwc(self, f: list[str], count: int) -> int:
        if f[1] and self._merge_hhmmss(f[1]) and self._yr != 0:
            return TIME
        return ONLINE

    def _grs(self, f: list[str], count: int) -> int:
        if f[1]:
            self._merge_hhmmss(f[1])
        return ONLINE

    def _psrfepe(self, f: list[str], count: int) -> int:
        mask = STATUS
        if f[1] and self._merge_hhmmss(f[1]):
            self._register_frac(f[1])
            if self._yr != 0:
                mask |= TIME
        if f[2][:1] != "A":
            return mask
        if f[3]:
            self._hdop = self._float(f[3])
            mask |= DOP
        if f[4]:
            mask |= HERR
        if f[5]:
            mask |= VERR
        return mask

    def _pgrme(self, f: list[str], count: int) -> int:
        if f[2][:1] == "M" and f[4][:1] == "M" and f[6][:1] == "M":
            return HERR | VERR | OTHER
        return ONLINE

    def _pgrmz(self, f: list[str], count: int) -> int:
        mask = ONLINE
        new = self._new
        if f[2][:1] == "f" and f[1]:
            new.alt = _atoi(f[1]) * _FEET_TO_METERS
            mask |= ALTITUDE
        mode = {"1": 1, "2": 2, "3": 3}.get(f[3][:1])
        if mode is not None:
            new.mode = mode
            mask |= MODE
        return mask

    def _psti030(self, f: list[str], count: int) -> int:
        mask = ONLINE
        new = self._new
        if f[3][:1] == "V" or f[13][:1] == "N":
            new.status = _UNK
            new.mode = 1
            return mask | MODE | STATUS
        if f[3][:1] != "A":
            return mask
        if f[2] and f[12] and self._merge_hhmmss(f[2]) and self._merge_ddmmyy(f[12]):
            mask |= TIME
            self._register_frac(f[2])
        if self._lat_lon(f, 4):
            new.mode = 2
            mask |= LATLON
            if f[8]:
                alt = self._float(f[8])
                new.alt = alt if math.isfinite(alt) else None
                mask |= ALTITUDE
                new.mode = 3
            mask |= MODE
        new.status = _faa(f[13])
        return mask | OTHER | STATUS

    def _gyoacc(self, f: list[str], count: int) -> int:
        # Unicore's 100 Hz IMU sentence ($GYOACC): no position, but the gpsd that made the
        # oracle logs re-reports the current fix after each one (it carries no cycle time).
        return OTHER | REPORT

    def _zero_date(self) -> None:
        self._last_hhmmss = "\x00"
        self._yr = self._mon = self._mday = 0
        self._hour = self._min = self._sec = 0
        self._nsec = 0


def _phrase_table() -> dict[str, _Phrase]:
    """Name (with ",subtype" for subtyped ones) -> phrase."""
    table: dict[str, _Phrase] = {}
    for i, (name, nf, cont, handler, width, ours) in enumerate(_DECODED, start=1):
        table[name] = _Phrase(i, nf, cont, getattr(NmeaDecoder, handler), width, ours)
    for j, name in enumerate(_GPSD_ONLY, start=len(_DECODED) + 1):
        table[name] = _Phrase(j, 0, False, NmeaDecoder._online, 1, False)
    for name in _NO_DECODER:
        table[name] = _Phrase(0, 0, False, None, 1, False)
    return table


_PHRASES: Final = _phrase_table()
_SUBTYPED: Final = frozenset(name.split(",")[0] for name in _PHRASES if "," in name)


def _lookup_full(f: list[str]) -> _Phrase | None:
    """A sentence by its whole tag (proprietary and long names), or tag and subtype."""
    tag = f[0]
    if tag in _SUBTYPED:
        return _PHRASES.get(tag + "," + f[1]) if len(f) > 1 else None
    return _PHRASES.get(tag)


def _atof(s: str) -> float:
    """C ``atof`` on the leading number; NaN (not 0.0) when there is none."""
    try:
        value = float(s)
    except ValueError:
        m = _FLOAT_PREFIX.match(s)
        return float(m.group(1)) if m else math.nan
    return math.nan if "_" in s else value


def _degrees(s: str) -> float:
    """gpsd's decode_lat_or_lon: NMEA ``dddmm.mmmm`` to degrees; NaN without a decimal point."""
    dot = s.find(".")
    head = s[:dot] if dot >= 0 else s
    if dot > 0 and head.isdigit():
        minutes = int(head)
    else:
        m = _INT_PREFIX.match(s)
        if m is None or s[m.end() : m.end() + 1] != ".":
            return math.nan
        minutes = int(m.group(1))
        dot = m.end()
    degrees = minutes // 100 if minutes >= 0 else _cdiv(minutes, 100)
    minutes -= degrees * 40  # rescale the degrees from a factor of 100 to 60
    frac = _atof(s[dot:])
    if not math.isfinite(frac):
        return math.nan
    return (minutes + frac) * (1.0 / 60.0)


def decode_lines(
    lines: Iterable[str | bytes], source: PositionSource = PositionSource.GPS
) -> DecodeResult:
    """Decode an iterable of lines (a log already in memory) into a :class:`DecodeResult`."""
    decoder = NmeaDecoder(source)
    return decoder.result(decoder.feed_many(lines))


def decode_file(path: str | Path, source: PositionSource = PositionSource.GPS) -> DecodeResult:
    """Decode an NMEA log file; raises :class:`NmeaError` only when it cannot be read."""
    return decode_lines(read_log(path).split(b"\n"), source)


def read_log(path: str | Path) -> bytes:
    """The bytes of a log file; :class:`NmeaError` ``nmea_unreadable`` when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise NmeaError(
            "nmea_unreadable",
            Message(
                f"无法读取 NMEA 日志：{path}（{reason}）",
                f"Cannot read the NMEA log {path}: {reason}",
            ),
        ) from exc


__all__ = [
    "MAX_SENTENCE_LENGTH",
    "NO_FIX_MESSAGE",
    "NO_NMEA_MESSAGE",
    "UERE_M",
    "DecodeResult",
    "NmeaDecoder",
    "NmeaError",
    "Sentence",
    "decode_file",
    "decode_lines",
    "nmea_checksum",
    "parse_sentence",
    "read_log",
]
