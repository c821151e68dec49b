"""NMEA decoding, proven against gpsd's own decoding of real receiver logs, plus position rules.

The oracle: every ``*.log`` in ``../shared/samples/nmea/`` comes with ``*.log.chk``, gpsd's
output for it. Its ``"class":"TPV"`` objects with a 2D/3D ``mode`` and a position are the
fixes gpsd derived; ours must be the same fixes, in the same order (latitude and longitude
within 1e-6°, the same time — or none where gpsd's TPV has none — mode and fix status).
"""

from __future__ import annotations

import json
import math
import os
import random
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.capture.gps_serial import read_serial, replay
from app.capture.nmea import (
    NO_FIX_MESSAGE,
    NO_NMEA_MESSAGE,
    UERE_M,
    NmeaDecoder,
    NmeaError,
    decode_file,
    decode_lines,
    nmea_checksum,
    parse_sentence,
)
from app.capture.positions import (
    DEFAULT_POOR_ACCURACY_M,
    Fix,
    FixQuality,
    PositionSource,
    haversine_m,
    is_poor,
    should_replace,
)

NMEA_DIR = Path(__file__).resolve().parents[3] / "shared" / "samples" / "nmea"
LOGS = sorted(p.name for p in NMEA_DIR.glob("*.log")) or ["(no sample logs)"]

# gpsd's TPV "status" (printed only when >= 2) -> our quality
GPSD_STATUS = {
    2: FixQuality.DGPS,
    3: FixQuality.RTK_FIXED,
    4: FixQuality.RTK_FLOAT,
    5: FixQuality.ESTIMATED,
    6: FixQuality.ESTIMATED,
    7: FixQuality.MANUAL,
    8: FixQuality.UNKNOWN,
    9: FixQuality.GPS,
}


def gpsd_fixes(chk: Path) -> list[dict[str, Any]]:
    """The TPV objects of a gpsd ``.chk`` file that are fixes: mode 2/3 with a position."""
    tpvs = []
    for raw in chk.read_bytes().split(b"\n"):
        line = raw.decode("latin-1").strip()
        if line.startswith("{"):
            obj = json.loads(line)
            if obj.get("class") == "TPV" and obj.get("mode", 0) >= 2 and "lat" in obj:
                tpvs.append(obj)
    return tpvs


def iso_ms(when: datetime) -> str:
    """A time as gpsd prints it: ISO 8601, milliseconds, "Z"."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def differences(ours: list[Fix], gpsd: list[dict[str, Any]]) -> list[str]:
    """Every way ``ours`` differs from gpsd's fixes, one readable line each."""
    problems = []
    if len(ours) != len(gpsd):
        problems.append(f"{len(ours)} fixes, gpsd has {len(gpsd)}")
    for i, (fix, tpv) in enumerate(zip(ours, gpsd, strict=False)):
        lat, lon = float(tpv["lat"]), float(tpv["lon"])
        if abs(fix.lat - lat) > 1e-6 or abs(fix.lon - lon) > 1e-6:
            problems.append(f"#{i}: position {fix.lat:.9f},{fix.lon:.9f}, gpsd {lat},{lon}")
        ours_time = iso_ms(fix.time) if fix.time is not None else None
        if ours_time != tpv.get("time"):
            problems.append(f"#{i}: time {ours_time}, gpsd {tpv.get('time')}")
        if fix.mode != tpv["mode"]:
            problems.append(f"#{i}: mode {fix.mode}, gpsd {tpv['mode']}")
        status = int(tpv.get("status", 0))
        allowed = (
            {GPSD_STATUS[status]}
            if status >= 2
            else {FixQuality.GPS, FixQuality.UNKNOWN}  # gpsd prints no status below DGPS
        )
        if fix.quality not in allowed:
            problems.append(f"#{i}: quality {fix.quality}, gpsd status {status}")
    return problems


@pytest.mark.parametrize("log", LOGS)
def test_fixes_match_gpsd(samples: Path, log: str) -> None:
    path = samples / "nmea" / log
    if not path.is_file():
        pytest.skip(f"no NMEA sample logs in {samples / 'nmea'}")
    expected = gpsd_fixes(path.with_name(log + ".chk"))
    result = decode_file(path)
    problems = differences(result.fixes, expected)
    assert not problems, f"{log}: {len(problems)} differences from gpsd:\n" + "\n".join(
        problems[:25]
    )
    if expected:
        assert result.message is None
    else:
        assert result.message is not None
    for fix in result.fixes:
        assert fix.source is PositionSource.GPS
        assert fix.time is None or fix.time.tzinfo is UTC


def test_logs_without_fixes_say_why(samples: Path) -> None:
    # bu303-nofix: a SiRF receiver in binary mode that never got a fix.
    result = decode_file(samples / "nmea" / "bu303-nofix.log")
    assert result.fixes == []
    assert result.sentences == 0
    assert result.unsupported > 0  # the binary packets, counted, not raised
    assert result.message == NO_NMEA_MESSAGE
    assert "没有定位结果" in result.message.zh and "no position fix" in result.message.en
    # NMEA from a receiver still searching: sentences, no fix
    searching = decode_lines(
        [
            nmea("GPRMC,143255.28,V,,,,,,,141102,,,N"),
            nmea("GPGGA,143255.28,,,,,0,00,,,M,,M,,"),
            nmea("GPGSA,A,1,,,,,,,,,,,,,,,,"),
        ]
    )
    assert searching.fixes == [] and searching.sentences == 3
    assert searching.message == NO_FIX_MESSAGE
    assert searching.message.zh == "日志中没有定位结果（接收机未定位）"


def test_week_rollover_log_keeps_its_dates(samples: Path) -> None:
    # A GPS-320FW spoofed to just after the 2019-04-06 GPS week rollover reports 2019 dates.
    fixes = decode_file(samples / "nmea" / "gp-320fw-2019-04-06-overflow.log").fixes
    dated = [f.time for f in fixes if f.time is not None]
    assert dated and all(t.date() == datetime(2019, 4, 6).date() for t in dated)


def test_unreadable_log_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NmeaError) as caught:
        decode_file(tmp_path / "missing.log")
    assert caught.value.code == "nmea_unreadable"
    assert "missing.log" in caught.value.message.en
    assert "无法读取" in caught.value.message.zh


# --- crafted sentences ---------------------------------------------------------------------


def nmea(body: str) -> str:
    """A sentence with its checksum."""
    return f"${body}*{nmea_checksum(body):02X}"


def gga(talker: str = "GP", t: str = "120000.00", quality: int = 1, hdop: str = "0.9") -> str:
    return nmea(f"{talker}GGA,{t},3114.8902,N,12135.2443,E,{quality},08,{hdop},20.5,M,8.3,M,,")


def rmc(talker: str = "GP", t: str = "120000.00", date: str = "010724", mode: str = "A") -> str:
    return nmea(f"{talker}RMC,{t},A,3114.8902,N,12135.2443,E,0.50,90.0,{date},,,{mode}")


SHANGHAI = (31 + 14.8902 / 60, 121 + 35.2443 / 60)


def test_checksums() -> None:
    # The textbook example sentence and its checksum
    assert nmea_checksum("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,") == 0x47
    assert nmea_checksum("") == 0
    assert nmea_checksum("GPGSA,A,1,,,,,,,,,,,,,,,,") == 0x32
    body = "GPRMC,143255.28,V,,S,,W,,,141102,,"
    assert nmea_checksum(body) == 0x12
    assert parse_sentence(f"${body}*12") is not None
    assert parse_sentence(f"${body}*12\r\n".encode()) is not None
    assert parse_sentence(f"${body}*13") is None  # wrong
    assert parse_sentence(f"${body}") is None  # missing
    assert parse_sentence(f"${body}*") is None  # truncated
    assert parse_sentence(f"${body}*ZZ") is None  # not hex
    lower = nmea("GPGLL,4916.45,N,12311.12,W,225444,A,A").lower()
    assert parse_sentence("$GPGLL" + lower[6:]) is not None  # lowercase hex digits are fine


def test_bad_and_missing_checksums_are_counted_and_skipped() -> None:
    decoder = NmeaDecoder()
    good = gga()
    assert decoder.feed(good[:-2] + "00") == []
    assert decoder.feed(good[:-3]) == []  # no "*hh"
    assert decoder.feed(good[:-1]) == []  # "*h"
    assert decoder.feed(good[:40]) == []  # line cut short
    assert (decoder.bad_checksum, decoder.sentences) == (4, 0)
    assert len(decoder.feed(good)) == 1
    assert (decoder.bad_checksum, decoder.sentences) == (4, 1)


@pytest.mark.parametrize("talker", ["GP", "GL", "GA", "GB", "BD", "GN", "GQ", "QZ", "GI"])
def test_every_talker_id_gives_fixes(talker: str) -> None:
    sentence = parse_sentence(gga(talker))
    assert sentence is not None
    assert (sentence.talker, sentence.kind, sentence.tag) == (talker, "GGA", talker + "GGA")
    assert sentence.fields[0] == "120000.00"
    fixes = NmeaDecoder().feed_many([gga(talker), rmc(talker)])
    assert len(fixes) == 2
    first, last = fixes
    assert first.time is None  # a GGA has no date: gpsd reports it without one
    assert last.time == datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    for fix in fixes:
        assert fix.lat == pytest.approx(SHANGHAI[0], abs=1e-9)
        assert fix.lon == pytest.approx(SHANGHAI[1], abs=1e-9)
        assert (fix.mode, fix.quality, fix.satellites) == (3, FixQuality.GPS, 8)
        assert fix.altitude_m == 20.5
    assert last.speed_mps == pytest.approx(0.5 * 1852 / 3600, rel=1e-6)
    assert last.course_deg == 90.0


def test_proprietary_sentences_parse_but_are_unsupported() -> None:
    psrf = nmea("PSRF151,3,1485,147236.000,0x00000000")
    sentence = parse_sentence(psrf)
    assert sentence is not None
    assert (sentence.talker, sentence.kind, sentence.tag) == ("P", "PSRF151", "PSRF151")
    decoder = NmeaDecoder()
    assert decoder.feed(psrf) == []
    assert decoder.feed(nmea("PXYZQ,1,2,3")) == []  # a type gpsd does not know either
    assert (decoder.sentences, decoder.unsupported, decoder.malformed) == (2, 2, 0)


def test_accuracy_from_gst_else_from_hdop() -> None:
    gst = nmea("GPGST,120000.00,2.1,1.4,0.9,35.0,0.8,0.6,1.5")
    with_gst = NmeaDecoder().feed_many([gga(hdop="1.2"), gst, rmc()])
    assert with_gst[-1].accuracy_m == pytest.approx(math.hypot(0.8, 0.6))  # 1.0 m, 1 sigma
    assert with_gst[-1].hdop == 1.2
    without = NmeaDecoder().feed_many([gga(hdop="1.2"), rmc()])
    assert without[-1].accuracy_m == pytest.approx(1.2 * UERE_M)
    # A GST of another epoch says nothing about this fix
    stale = nmea("GPGST,115959.00,2.1,1.4,0.9,35.0,0.8,0.6,1.5")
    other = NmeaDecoder().feed_many([gga(hdop="1.2"), stale, rmc()])
    assert other[-1].accuracy_m == pytest.approx(1.2 * UERE_M)
    # No GST, no HDOP: unknown, which counts as poor
    bare = NmeaDecoder().feed_many([rmc()])
    assert bare[-1].accuracy_m is None and is_poor(bare[-1])


def test_quality_from_gga_and_faa_mode() -> None:
    assert NmeaDecoder().feed(gga(quality=2))[0].quality is FixQuality.DGPS
    assert NmeaDecoder().feed(gga(quality=4))[0].quality is FixQuality.RTK_FIXED
    assert NmeaDecoder().feed(gga(quality=5))[0].quality is FixQuality.RTK_FLOAT
    assert NmeaDecoder().feed(gga(quality=6))[0].quality is FixQuality.ESTIMATED
    assert NmeaDecoder().feed(rmc(mode="D"))[0].quality is FixQuality.DGPS
    assert NmeaDecoder().feed(rmc(mode="R"))[0].quality is FixQuality.RTK_FIXED
    assert NmeaDecoder().feed(rmc(mode="F"))[0].quality is FixQuality.RTK_FLOAT


def test_time_only_sentence_after_midnight_takes_the_next_day() -> None:
    decoder = NmeaDecoder(century=2000)
    fixes = decoder.feed_many(
        [
            rmc(t="235958.00", date="311299"),  # 1999-12-31 (two-digit 99: gpsd wraps to 19xx)
            gga(t="235958.00"),
            rmc(t="235959.00", date="311299"),
            gga(t="235959.00"),  # by now GGA is known to end each cycle
            gga(t="000000.00"),  # next day, no RMC with the new date yet
        ]
    )
    times = [f.time for f in fixes]
    assert times[-1] == datetime(2000, 1, 1, 0, 0, tzinfo=UTC)
    assert datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC) in times


def test_counters_and_messy_input() -> None:
    decoder = NmeaDecoder()
    lines: list[str | bytes] = [
        "",
        "# a comment line",
        gga(),
        b"\xb5b\x01\x07\x5c\x00\xff\xfe\x00garbage",  # u-blox binary between sentences
        gga(t="120001.00")[:-2] + "FF",  # bad checksum
        "$GPGGA,120002.00,3114.8902,N",  # cut short, no checksum
        nmea("PSRF151,3,1485,147236.000,0x00000000"),  # proprietary, no decoder
        nmea("GPGGA,120003.00,3114.8902,N,12135.2443,E,1,08,0.9,abc,M,8.3,M,,"),  # altitude?
        "   " + rmc(t="120004.00") + "\r\n",
        b"\x00\x01garbage" + gga(t="120004.00").encode(),  # garbage glued to a sentence
    ]
    fixes = decoder.feed_many(lines)
    assert fixes and fixes[-1].time == datetime(2024, 7, 1, 12, 0, 4, tzinfo=UTC)
    assert decoder.sentences == 5
    assert decoder.bad_checksum == 2
    assert decoder.malformed == 1
    assert decoder.unsupported == 3  # the binary line, the glued garbage, PSRF151
    assert all(f.altitude_m is None or math.isfinite(f.altitude_m) for f in fixes)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("GPGGA,120000.00,,,,,0,,,,,,,,", "empty fields"),
        ("GPGGA,,,,,,0,,,,,,,,", "Quectel without a time"),
        ("GPRMC,,V,,,,,,,,,,N", "Quectel RMC without a time"),
        ("GPGGA,120000.00,9130.0000,N,12135.2443,E,1,08,0.9,20.5,M,8.3,M,,", "latitude 91.5"),
        ("GPGGA,120000.00,3114.8902,N,18130.0000,E,1,08,0.9,20.5,M,8.3,M,,", "longitude 181.5"),
        ("GPGGA,120000.00,31A4.8902,N,12135.2443,E,1,08,0.9,20.5,M,8.3,M,,", "not a number"),
        ("GPGGA,120000.00,3114,N,12135.2443,E,1,08,0.9,20.5,M,8.3,M,,", "no decimal point"),
        ("GPGGA,1200,3114.8902,N,12135.2443,E,1,08", "too few fields"),
        ("GPGSV,3,1", "short GSV"),
        ("GPGSA,A,3,1,2", "short GSA"),
        ("GPZDA,120000.00,45,13,99999,,", "impossible ZDA date"),
    ],
)
def test_malformed_sentences_give_no_position_and_never_raise(body: str, why: str) -> None:
    decoder = NmeaDecoder()
    fixes = decoder.feed(nmea(body))
    assert fixes == [], why
    assert decoder.sentences == 1


def test_a_bad_date_keeps_the_position_but_not_the_time() -> None:
    decoder = NmeaDecoder()
    fixes = decoder.feed(nmea("GPRMC,120000.00,A,3114.8902,N,12135.2443,E,x,y,329924,,,A"))
    assert [(f.time, f.speed_mps, f.course_deg) for f in fixes] == [(None, None, None)]
    assert fixes[0].lat == pytest.approx(SHANGHAI[0])
    assert decoder.malformed == 1


def test_malformed_fields_are_counted() -> None:
    decoder = NmeaDecoder()
    decoder.feed(nmea("GPGGA,120000.00,9130.0000,N,12135.2443,E,1,08,0.9,20.5,M,8.3,M,,"))
    decoder.feed(nmea("GPGGA,120001.00,31A4.8902,N,12135.2443,E,1,08,0.9,20.5,M,8.3,M,,"))
    decoder.feed(nmea("GPGGA,1200,3114.8902,N"))
    decoder.feed(nmea("GPGGA,120002.00,,,,,0,,,,,,,,"))  # no fix is not malformed
    assert (decoder.sentences, decoder.malformed) == (4, 3)


def test_bytes_that_are_not_utf8_never_raise() -> None:
    decoder = NmeaDecoder()
    body = b"GPTXT,01,01,02,\xff\xfe\xb5"
    checksum = 0
    for byte in body:
        checksum ^= byte
    assert decoder.feed(b"$" + body + f"*{checksum:02X}\r\n".encode()) == []
    assert decoder.feed(b"$" + body + b"*00\r\n") == []
    assert decoder.feed(bytes(range(256))) == []
    assert decoder.feed("$GPTXT,01,01,02,城市巡查*00") == []  # text beyond Latin-1
    assert decoder.feed(nmea("GPTXT,01,01,02,城市巡查")) == []
    assert (decoder.sentences, decoder.malformed) == (2, 2)
    assert decoder.bad_checksum == 2
    assert decoder.unsupported == 1


def test_random_corruption_never_raises(samples: Path) -> None:
    """Real sentences with random damage, re-checksummed so they reach the field decoders."""
    rng = random.Random(20240701)
    lines = [
        line
        for log in ("ublox-neo-m9n-nmea.log", "garmin-geko201.log", "unicore-um621.log")
        for line in (samples / "nmea" / log).read_text("latin-1").splitlines()
        if line.startswith("$") and "*" in line
    ]
    decoder = NmeaDecoder()
    alphabet = "0123456789.,-+ABENSWVT*$ \x00\xff"
    for _ in range(3000):
        body = rng.choice(lines)[1:].split("*")[0]
        chars = list(body)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(chars))
            action = rng.random()
            if action < 0.4:
                chars[pos] = rng.choice(alphabet)
            elif action < 0.7:
                del chars[pos]
            else:
                chars.insert(pos, rng.choice(alphabet))
        damaged = "".join(chars)
        for fix in decoder.feed("$" + damaged + f"*{nmea_checksum(damaged):02X}"):
            assert -90 <= fix.lat <= 90 and -180 <= fix.lon <= 180
            assert fix.mode in (2, 3)
        decoder.feed(bytes(rng.randrange(256) for _ in range(rng.randint(1, 120))))
    assert decoder.sentences > 2000


# --- position rules ------------------------------------------------------------------------


def fix(
    accuracy: float | None,
    source: PositionSource = PositionSource.GPS,
    quality: FixQuality = FixQuality.GPS,
) -> Fix:
    return Fix(
        lat=31.2304,
        lon=121.4737,
        accuracy_m=accuracy,
        altitude_m=None,
        time=datetime(2024, 7, 1, 12, 0, tzinfo=UTC),
        quality=quality,
        source=source,
        mode=2,
    )


def test_is_poor() -> None:
    assert DEFAULT_POOR_ACCURACY_M == 20.0
    assert not is_poor(5.0)
    assert not is_poor(20.0)  # at the threshold is still acceptable
    assert is_poor(20.1)
    assert is_poor(None)  # unknown accuracy counts as poor
    assert is_poor(math.nan)
    assert is_poor(fix(None))
    assert not is_poor(fix(3.0))
    assert is_poor(fix(30.0))
    assert not is_poor(fix(30.0), threshold_m=50.0)


def test_should_replace() -> None:
    manual = fix(50.0, PositionSource.MANUAL, FixQuality.MANUAL)
    good, better, poor = fix(8.0), fix(3.0), fix(40.0)
    unknown = fix(None)
    # nothing yet: anything usable fills it, even a poor one (the UI flags it)
    assert should_replace(None, poor)
    assert should_replace(None, unknown)
    # the user's choice always wins, and is never silently replaced
    assert should_replace(better, manual)
    assert should_replace(manual, replace(manual, lat=31.0))
    assert not should_replace(manual, better)
    assert not should_replace(manual, fix(0.5, PositionSource.PHOTO))
    # an automatic position only gives way to one at least as accurate
    assert should_replace(good, better)
    assert not should_replace(better, good)
    assert should_replace(good, fix(8.0, PositionSource.OS))  # equal: the newer reading
    assert not should_replace(good, poor)
    assert should_replace(poor, good)
    # unknown accuracy is the worst
    assert not should_replace(good, unknown)
    assert should_replace(unknown, poor)
    assert should_replace(unknown, fix(None, PositionSource.PHOTO))
    # coordinates that are not numbers never replace anything
    assert not should_replace(None, replace(good, lat=math.nan))
    # a track-interpolated position is automatic too
    assert not should_replace(better, fix(10.0, PositionSource.TRACK, FixQuality.ESTIMATED))


def test_fix_to_json() -> None:
    data = fix(4.5).to_json()
    assert data["time"] == "2024-07-01T12:00:00+00:00"
    assert (data["quality"], data["source"], data["accuracy_m"]) == ("gps", "gps", 4.5)
    assert json.loads(json.dumps(data)) == data
    assert replace(fix(None), time=None).to_json()["time"] is None


def test_haversine() -> None:
    assert haversine_m(31.0, 121.0, 31.0, 121.0) == 0.0
    one_degree = haversine_m(0.0, 0.0, 1.0, 0.0)
    assert one_degree == pytest.approx(6371008.8 * math.pi / 180)
    # Shanghai People's Square to the Bund, about 1.6 km
    assert 1400 < haversine_m(31.2304, 121.4737, 31.2400, 121.4900) < 2000


# --- live receivers on a real pseudo-terminal ----------------------------------------------


def open_pty() -> tuple[int, int, str]:
    master, slave = os.openpty()
    tty.setraw(slave)  # no echo, no line editing, before any byte is written
    return master, slave, os.ttyname(slave)


def start_reader(
    port: str, decoder: NmeaDecoder, got: list[Fix], stop: threading.Event
) -> tuple[threading.Thread, list[BaseException]]:
    """read_serial in a thread; returns once the port is open (opening flushes the input)."""
    errors: list[BaseException] = []
    opened = threading.Event()

    def run() -> None:
        try:
            read_serial(
                port, 9600, decoder=decoder, on_fix=got.append, stop=stop, on_open=opened.set
            )
        except BaseException as exc:
            errors.append(exc)
            opened.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert opened.wait(10), "read_serial did not open the port"
    assert errors == []
    return thread, errors


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_read_serial_reads_a_receiver_on_a_pty(samples: Path) -> None:
    # ublox-8 has binary garbage in the middle and a sentence cut short at the end
    log = samples / "nmea" / "ublox-8.log"
    expected = decode_file(log)
    master, slave, port = open_pty()
    decoder, stop = NmeaDecoder(), threading.Event()
    got: list[Fix] = []
    try:
        reader, errors = start_reader(port, decoder, got, stop)
        data = log.read_bytes()

        def write() -> None:
            for i in range(0, len(data), 97):  # chunks that split sentences
                os.write(master, data[i : i + 97])

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(60)
        total = expected.sentences + expected.bad_checksum
        wait_for(lambda: decoder.sentences + decoder.bad_checksum >= total)
        stop.set()
        reader.join(10)
        assert not reader.is_alive()
        assert errors == []
    finally:
        os.close(master)
        os.close(slave)
    assert got == expected.fixes
    assert decoder.unsupported >= 1  # the binary garbage


def test_read_serial_reports_a_disconnect(samples: Path) -> None:
    master, slave, port = open_pty()
    decoder, stop = NmeaDecoder(), threading.Event()
    got: list[Fix] = []
    try:
        reader, errors = start_reader(port, decoder, got, stop)
        lines = (samples / "nmea" / "bu353s4.log").read_bytes().split(b"\n")
        # a receiver at the wrong baud rate or in a binary protocol: no newline for 6 KB
        garbage = bytes(random.Random(7).randrange(256) for _ in range(6000)).replace(b"\n", b"")
        os.write(master, garbage)
        os.write(master, b"\n" + b"\n".join(lines[:20]) + b"\n")
        wait_for(lambda: len(got) >= 3)
        assert decoder.unsupported >= 1
        os.close(master)  # the receiver is unplugged
        master = -1
        reader.join(10)
        assert not reader.is_alive()
    finally:
        if master >= 0:
            os.close(master)
        os.close(slave)
    assert len(errors) == 1 and isinstance(errors[0], NmeaError)
    assert errors[0].code == "gps_disconnected"
    assert port in errors[0].message.en and "断开" in errors[0].message.zh


def test_read_serial_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(NmeaError) as caught:
        read_serial(
            str(tmp_path / "ttyGPS0"),
            decoder=NmeaDecoder(),
            on_fix=lambda fix: None,
            stop=threading.Event(),
        )
    assert caught.value.code == "gps_open_failed"
    assert "ttyGPS0" in caught.value.message.en and "无法打开" in caught.value.message.zh


def test_replay(samples: Path) -> None:
    log = samples / "nmea" / "bu353s4.log"
    expected = decode_file(log)
    got: list[Fix] = []
    result = replay(log, got.append)
    assert got == result.fixes == expected.fixes
    assert (result.sentences, result.message) == (expected.sentences, None)
    # real time: 27 fixes over 24 receiver seconds, played 200x faster
    paced: list[Fix] = []
    started = time.monotonic()
    replay(log, paced.append, realtime=True, speed=200.0)
    assert paced == expected.fixes
    assert time.monotonic() - started >= 24 / 200 * 0.8
    # stopped early
    stop = threading.Event()
    few: list[Fix] = []

    def take(fix: Fix) -> None:
        few.append(fix)
        if len(few) == 3:
            stop.set()

    assert len(replay(log, take, stop=stop).fixes) == 3
    assert few == expected.fixes[:3]
    with pytest.raises(NmeaError):
        replay(log.with_name("missing.log"), got.append)


def test_replay_timing_ignores_long_gaps(tmp_path: Path) -> None:
    log = tmp_path / "gap.log"
    log.write_text("\n".join([rmc(t="120000.00"), rmc(t="130000.00")]) + "\n")
    started = time.monotonic()
    fixes = replay(log, lambda f: None, realtime=True, speed=10.0).fixes
    assert [f.time for f in fixes] == [
        datetime(2024, 7, 1, 12, tzinfo=UTC),
        datetime(2024, 7, 1, 12, tzinfo=UTC) + timedelta(hours=1),
    ]
    assert time.monotonic() - started < 5.5  # an hour's gap waits at most 5 s
