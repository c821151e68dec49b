"""JPEG and PNG structure, inside the decode worker: damage the decoder forgives, and metadata
stripping without re-encoding (the ``ORIGINAL`` upload copy).
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from app.capture.photo_errors import BROKEN, WorkerRefusalError
from app.capture.photo_metadata import ORIENTATION_TAG

# A marker inside entropy-coded data: 0xFF (possibly preceded by fill 0xFFs) then a code other
# than 0x00, which is a stuffed data byte. (Written with a literal first byte so that the
# regular expression engine can skip ahead with a fast search: 20x faster than "\xff+".)
_SCAN_MARKER = re.compile(rb"\xff\xff*([^\x00\xff])")
# Markers that may end an entropy-coded segment (besides RSTn, which sit inside it).
_AFTER_SCAN = {0xC4, 0xCC, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xFE, *range(0xE0, 0xF0)}
_SOF_SEQUENTIAL_HUFFMAN = {0xC0, 0xC1}
_SOF_OTHER = {0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(slots=True)
class _Segment:
    marker: int
    start: int  # offset of the 0xFF of the marker
    end: int  # offset just past the segment (for SOS: past the entropy-coded data)
    payload: bytes  # the segment's data after the length (for SOS: the scan header only)
    restarts: int = 0  # for SOS: restart markers found in the entropy-coded data
    error: str | None = None  # for SOS: the first sign of damage in the entropy-coded data


def _jpeg_segments(data: bytes) -> Iterator[_Segment]:
    """The marker segments of a JPEG from SOI to EOI; stops quietly where the structure ends.

    Judging the structure is the decoder's job: this walk only serves the checks and the
    stripping below, and stops (without error) at anything it does not understand.
    """
    pos, size = 2, len(data)
    while pos < size:
        if data[pos] != 0xFF:
            # Stray bytes between segments: libjpeg skips to the next marker, and so do we.
            pos = data.find(b"\xff", pos)
            if pos < 0:
                return
        start = pos
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            return
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            yield _Segment(marker, start, pos, b"")
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            yield _Segment(marker, start, pos, b"")
            continue
        if pos + 2 > size:
            return
        length = int.from_bytes(data[pos : pos + 2], "big")
        end = pos + length
        if length < 2 or end > size:
            return
        payload = data[pos + 2 : end]
        if marker != 0xDA:
            yield _Segment(marker, start, end, payload)
            pos = end
            continue
        restarts, error, scan_end = 0, None, None
        for found in _SCAN_MARKER.finditer(data, end):
            code = found.group(1)[0]
            if 0xD0 <= code <= 0xD7:
                if error is None and code != 0xD0 + restarts % 8:
                    error = f"restart marker {restarts} out of sequence at byte {found.start()}"
                restarts += 1
            elif code in _AFTER_SCAN:
                scan_end = found.start(1) - 1  # the last 0xFF before the code starts the marker
                break
            elif error is None:
                # libjpeg discards such a marker with a warning that Pillow never shows, and
                # the image data it interrupted is lost (drawn as grey, or shifted).
                error = f"invalid marker 0xFF{code:02X} in the image data at byte {found.start()}"
        if scan_end is None:
            yield _Segment(marker, start, size, payload, restarts, error)
            return  # no marker after the scan: truncated, which the decoder reports
        yield _Segment(marker, start, scan_end, payload, restarts, error)
        pos = scan_end


def jpeg_damage(data: bytes) -> str | None:
    """Damage that libjpeg forgives silently, found from the markers in the image data.

    libjpeg only warns (and Pillow hides the warning) when compressed data is missing or
    overwritten: it skips what it cannot use, fills the gap with grey and carries on. Two
    signs give such damage away: a marker that cannot occur inside image data, and — where
    the encoder put restart markers (DRI) — a baseline scan without exactly
    ceil(MCUs / interval) - 1 of them in sequence 0..7, 0..7 … Damage that shows neither sign
    is left to the decoder's own checks.
    """
    frame: tuple[int, int, dict[int, tuple[int, int]]] | None = None
    interval = 0
    for seg in _jpeg_segments(data):
        if seg.marker in _SOF_SEQUENTIAL_HUFFMAN and len(seg.payload) >= 6:
            height, width = struct.unpack(">HH", seg.payload[1:5])
            count = seg.payload[5]
            comps = {}
            for i in range(count):
                entry = seg.payload[6 + 3 * i : 9 + 3 * i]
                if len(entry) == 3:
                    comps[entry[0]] = (entry[1] >> 4, entry[1] & 0x0F)
            frame = (width, height, comps)
        elif seg.marker in _SOF_OTHER:
            frame = None  # progressive and the rest: restart intervals are not counted
        elif seg.marker == 0xDD and len(seg.payload) >= 2:
            interval = int.from_bytes(seg.payload[:2], "big")
        elif seg.marker == 0xDA and seg.error:
            return seg.error
        elif seg.marker == 0xDA and frame is not None and interval:
            expected = _restarts_expected(frame, seg.payload, interval)
            if expected is not None and seg.restarts < expected:
                missing = expected - seg.restarts
                return f"{missing} of {expected} restart markers missing"
    return None


def _restarts_expected(
    frame: tuple[int, int, dict[int, tuple[int, int]]], scan_header: bytes, interval: int
) -> int | None:
    width, height, comps = frame
    if not scan_header or not comps or width == 0 or height == 0:
        return None
    ids = [scan_header[1 + 2 * i] for i in range(scan_header[0]) if 1 + 2 * i < len(scan_header)]
    if not ids or any(i not in comps for i in ids) or any(h * v == 0 for h, v in comps.values()):
        return None
    hmax = max(h for h, _ in comps.values())
    vmax = max(v for _, v in comps.values())
    if len(ids) == 1:  # non-interleaved: one block per MCU, over the component's own size
        h, v = comps[ids[0]]
        mcus = math.ceil(math.ceil(width * h / hmax) / 8) * math.ceil(
            math.ceil(height * v / vmax) / 8
        )
    else:
        mcus = math.ceil(width / (8 * hmax)) * math.ceil(height / (8 * vmax))
    return math.ceil(mcus / interval) - 1


def _minimal_exif(orientation: int) -> bytes:
    """A TIFF block holding nothing but the Orientation tag."""
    ifd = struct.pack(">HHHIHH", 1, ORIENTATION_TAG, 3, 1, orientation, 0) + b"\0\0\0\0"
    return b"MM\x00\x2a\x00\x00\x00\x08" + ifd


def strip_jpeg(data: bytes, orientation: int | None) -> bytes:
    """The JPEG with its compressed image data byte for byte and no metadata segments."""
    out = [b"\xff\xd8"]
    exif_written = orientation in (None, 1)
    ended = False
    for seg in _jpeg_segments(data):
        m = seg.marker
        keep = False
        if m == 0xE0 and seg.payload.startswith(b"JFIF\x00") and len(seg.payload) >= 14:
            # Keep the JFIF header (density) but not its embedded thumbnail: a thumbnail can
            # show what was cropped out of the photo.
            header = seg.payload[:12] + b"\x00\x00"
            out.append(b"\xff\xe0" + struct.pack(">H", len(header) + 2) + header)
        elif m == 0xE2 and seg.payload.startswith(b"ICC_PROFILE\x00"):
            keep = True  # colours
        elif m == 0xEE and seg.payload.startswith(b"Adobe"):
            keep = True  # tells the decoder how the colours are stored
        elif 0xE0 <= m <= 0xEF or m == 0xFE:
            pass  # EXIF, XMP, IPTC, MPF, maker data, comments …
        elif m == 0xD9:
            ended = True
            break
        else:
            keep = True
        if not exif_written and m not in (0xE0,):
            # EXIF goes right after SOI or after the JFIF header, before everything else.
            tiff = b"Exif\x00\x00" + _minimal_exif(int(orientation or 1))
            out.append(b"\xff\xe1" + struct.pack(">H", len(tiff) + 2) + tiff)
            exif_written = True
        if keep:
            out.append(data[seg.start : seg.end])
    if not ended:
        raise WorkerRefusalError(BROKEN, "the JPEG structure is damaged", "JPEG 结构已损坏")
    out.append(b"\xff\xd9")  # anything after EOI (extra pictures, trailers) stays behind
    return b"".join(out)


_PNG_KEEP = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND",  # the image
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"cICP", b"mDCV", b"cLLI", b"bKGD",
    b"pHYs",
}  # fmt: skip


def strip_png(data: bytes, orientation: int | None) -> bytes:
    """The PNG with its image and colour chunks only (no text, time or EXIF chunks)."""
    out = [data[:8]]
    pos, size = 8, len(data)
    exif_written = orientation in (None, 1)
    while pos + 12 <= size:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > size:
            break
        if kind == b"IDAT" and not exif_written:
            tiff = _minimal_exif(int(orientation or 1))
            crc = zlib.crc32(b"eXIf" + tiff)
            out.append(struct.pack(">I", len(tiff)) + b"eXIf" + tiff + struct.pack(">I", crc))
            exif_written = True
        if kind in _PNG_KEEP:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            return b"".join(out)
    raise WorkerRefusalError(BROKEN, "the PNG structure is damaged", "PNG 结构已损坏")
