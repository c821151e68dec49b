"""Evidence photos: what a photo says about itself, read safely and truthfully.

An inspector's photo is evidence. This module answers three questions about one:

* **Is it a whole photo?** The type comes from the file's content (JPEG, PNG, HEIC/HEIF), never
  its name, and the pixels are actually decoded — a truncated or corrupt file is refused, not
  stored and discovered broken on a supervisor's screen weeks later.
* **What does it say?** Pixel size, orientation, capture time, GPS position, camera — read best
  effort: metadata that is present but unreadable becomes a warning, never a refusal of a
  photo whose pixels decode.
* **What do we show and send?** Thumbnails and previews that are upright and carry no
  metadata, and upload copies that carry nothing but what is needed to display them right
  (GPS and time stay in the database, not in the file).

Hostile files are expected (photos arrive from phones, USB sticks and chat apps): every byte of
a photo is parsed in a separate **decode worker process**, so a decoder that hangs is killed
after ``PhotoLimits.decode_timeout_s`` and one that crashes takes only the worker with it. The
worker is spawned on first use, reused for later photos, replaced after a timeout or a crash,
and shared by all threads (calls are serialized). Refusals raise :class:`PhotoError` with a
stable ``code`` and a bilingual message naming the file.

Frozen apps (PyInstaller): the entry point must call ``multiprocessing.freeze_support()``
before anything else, because the worker is started by running the app's own executable.

Capture time: ``taken_at`` is an aware datetime only when the file records the UTC offset
(``OffsetTimeOriginal``, or a zone in XMP). Most cameras record only the wall-clock time of
their own clock: then ``taken_at`` is ``None`` and ``taken_at_local`` holds that naive time, and
the caller decides what zone — and what camera clock offset — applies.

Layout: this module is the public API (callers import only from here) and the worker's request
dispatch. The parts live beside it, by responsibility: :mod:`app.capture.photo_decoder` (the
worker process itself), :mod:`app.capture.photo_pixels` (decoding, orienting, JPEG encoding),
:mod:`app.capture.photo_metadata` (EXIF, XMP and GPS), :mod:`app.capture.photo_structure`
(JPEG/PNG damage checks and metadata stripping) and :mod:`app.capture.photo_errors` (the
refusal codes).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import signal
import stat
import sys
import tempfile
import warnings
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

# The parts of the pipeline live in their own modules (the decoder process, pixels, metadata,
# JPEG/PNG structure, refusals); this module is the public face and re-exports what callers use.
from app.capture.photo_decoder import (
    DecodeWorker,
    WorkerDiedError,
    WorkerTimeoutError,
    WorkerUnavailableError,
    peak_rss_bytes,
)
from app.capture.photo_errors import (
    BROKEN,
    DECODER_CRASHED,
    DECODER_UNAVAILABLE,
    MIB,
    NOT_A_PHOTO,
    TIMEOUT,
    TOO_LARGE,
    TOO_MANY_PIXELS,
    UNREADABLE,
    WRITE_FAILED,
    PhotoError,
    WorkerRefusalError,
)
from app.capture.photo_metadata import PhotoMeta
from app.capture.photo_pixels import (
    decode_pixels,
    displayable,
    encode_jpeg,
    fit_within,
    upload_bytes,
)
from app.capture.photo_structure import jpeg_damage
from app.domain.errors import Message
from app.domain.images import HEIF, JPEG, PNG, sniff_image_type

__all__ = [
    "BROKEN",
    "DECODER_CRASHED",
    "DECODER_UNAVAILABLE",
    "DEFAULT_LIMITS",
    "MIB",
    "NOT_A_PHOTO",
    "TIMEOUT",
    "TOO_LARGE",
    "TOO_MANY_PIXELS",
    "UNREADABLE",
    "WRITE_FAILED",
    "PhotoError",
    "PhotoInfo",
    "PhotoLimits",
    "UploadCopy",
    "UploadSizePolicy",
    "decoder_peak_rss_bytes",
    "inspect_photo",
    "inspect_with_thumbnail",
    "make_preview",
    "make_thumbnail",
    "make_upload_copy",
    "shutdown_decoder",
]


@dataclass(frozen=True, slots=True)
class PhotoLimits:
    """Limits that protect the app from hostile or absurd files.

    ``max_pixels`` also sets Pillow's decompression-bomb threshold inside the worker, where a
    ``DecompressionBombWarning`` is an error too. ``decode_timeout_s`` bounds one request to the
    decode worker (reading, hashing, decoding, encoding outputs), not the worker's start-up.
    """

    max_bytes: int = 50 * MIB
    max_pixels: int = 100_000_000
    decode_timeout_s: float = 10.0


DEFAULT_LIMITS = PhotoLimits()


@dataclass(frozen=True, slots=True)
class PhotoInfo:
    """What a photo says about itself.

    ``width``/``height`` are the pixel size as stored; ``display_width``/``display_height`` the
    size once ``orientation`` (an EXIF value 1–8) is applied. For HEIF the orientation is the
    one the container's rotation/mirror properties define (they, not the EXIF tag, decide how
    HEIF is displayed), expressed as the equivalent EXIF value. ``taken_at`` is aware only when
    the file records the UTC offset; ``taken_at_local`` is the capture time as written, without
    a zone. ``gps_time`` is UTC. ``warnings`` lists metadata that was present but unreadable or
    implausible and was therefore ignored.
    """

    path: Path
    sha256: str
    mime: str
    format: str
    size_bytes: int
    width: int
    height: int
    orientation: int | None
    display_width: int
    display_height: int
    taken_at: datetime | None
    taken_at_local: datetime | None
    gps_lat: float | None
    gps_lon: float | None
    gps_altitude: float | None
    gps_time: datetime | None
    make: str | None
    model: str | None
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO 8601 datetimes, the path as a string)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


class UploadSizePolicy(StrEnum):
    """How big a copy of a photo is sent to the server."""

    ORIGINAL = "original"
    LONG_EDGE_2560 = "2560"
    LONG_EDGE_1600 = "1600"


@dataclass(frozen=True, slots=True)
class UploadCopy:
    """A copy of a photo made for upload; ``width``/``height`` are as displayed."""

    path: Path
    sha256: str
    size_bytes: int
    width: int
    height: int
    mime: str


# --------------------------------------------------------------------------------------------
# Public API (runs in the calling process; every byte of the photo is read by the worker)
# --------------------------------------------------------------------------------------------


def inspect_photo(path: Path, limits: PhotoLimits = DEFAULT_LIMITS) -> PhotoInfo:
    """Check that ``path`` is a whole JPEG, PNG or HEIC/HEIF photo and read its metadata.

    The file is read once in the decode worker: its SHA-256 is of exactly the bytes that were
    decoded. JPEGs are decoded in draft mode (at 1/8 scale, which still reads every byte of
    the compressed data); PNG and HEIF are decoded in full. Raises :class:`PhotoError`.
    """
    reply = _request(path, limits, {"op": "inspect"})
    return _info_from(path, reply)


def inspect_with_thumbnail(
    path: Path, limits: PhotoLimits = DEFAULT_LIMITS, max_edge: int = 256
) -> tuple[PhotoInfo, bytes]:
    """:func:`inspect_photo` and :func:`make_thumbnail` from one decode — the import path."""
    _check_edge(max_edge)
    reply = _request(path, limits, {"op": "inspect", "edge": max_edge, "quality": 85})
    return _info_from(path, reply), bytes(reply["jpeg"])


def make_thumbnail(path: Path, max_edge: int = 256, limits: PhotoLimits = DEFAULT_LIMITS) -> bytes:
    """JPEG bytes of an upright RGB thumbnail whose long edge is at most ``max_edge``.

    Orientation is applied; the output carries no EXIF, XMP or comment (an ICC colour profile
    is kept, as it is needed to show the colours right). Never upscales.
    """
    _check_edge(max_edge)
    reply = _request(path, limits, {"op": "render", "edge": max_edge, "quality": 85})
    return bytes(reply["jpeg"])


def make_preview(path: Path, max_edge: int = 1600, limits: PhotoLimits = DEFAULT_LIMITS) -> bytes:
    """Like :func:`make_thumbnail`, at a size for viewing (long edge at most ``max_edge``)."""
    _check_edge(max_edge)
    reply = _request(path, limits, {"op": "render", "edge": max_edge, "quality": 85})
    return bytes(reply["jpeg"])


def make_upload_copy(
    path: Path,
    policy: UploadSizePolicy,
    dest: Path,
    limits: PhotoLimits = DEFAULT_LIMITS,
) -> UploadCopy:
    """Write to ``dest`` (atomically) the copy of a photo that is sent to the server.

    The copy carries no GPS, time, camera or other metadata — those stay in the database.

    * ``ORIGINAL``: the original pixels, untouched. For JPEG the compressed data is copied
      byte for byte and only the metadata segments are dropped (EXIF, XMP, IPTC, comments,
      maker data, embedded thumbnails, extra MPF pictures and trailers); colour (ICC, Adobe)
      segments are kept and, when the photo is not upright, a minimal EXIF block holding only
      the Orientation tag is written — re-encoding rotated pixels would lose quality on
      evidence, and stripping the tag would show the photo on its side. PNG keeps its image
      and colour chunks likewise. HEIF cannot be stripped that simply and is not displayed
      by most browsers, so it is re-encoded as a JPEG at quality 95, upright, with no EXIF.
    * ``LONG_EDGE_2560`` / ``LONG_EDGE_1600``: decoded (JPEG draft mode where it applies),
      made upright, shrunk so the long edge is at most N (never enlarged), saved as JPEG
      quality 85 with no EXIF.

    The file is written to a temporary name beside ``dest``, fsynced, then renamed.
    """
    policy = UploadSizePolicy(policy)
    reply = _request(path, limits, {"op": "upload", "policy": policy.value})
    data = bytes(reply["data"])
    _write_atomically(path, dest, data)
    return UploadCopy(
        path=dest,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        width=int(reply["width"]),
        height=int(reply["height"]),
        mime=str(reply["mime"]),
    )


def shutdown_decoder() -> None:
    """Stop the decode worker (it is started again on the next call). Called at exit."""
    _DECODER.stop()


def decoder_peak_rss_bytes() -> int | None:
    """The decode worker's peak resident memory so far (diagnostics; None if not running)."""
    reply = _DECODER.call_if_running({"op": "stats"}, timeout=10.0)
    if reply is None or reply[0] != "ok":
        return None
    value = reply[1].get("maxrss_bytes")
    return int(value) if value is not None else None


# --------------------------------------------------------------------------------------------
# Calling process: checks before the worker, the worker's replies, errors, atomic writes
# --------------------------------------------------------------------------------------------


def _check_edge(max_edge: int) -> None:
    if not 16 <= max_edge <= 10_000:
        raise ValueError(f"max_edge must be between 16 and 10000, not {max_edge}")


def _refusal(path: Path, code: str, zh: str, en: str) -> PhotoError:
    return PhotoError(code, Message(f"照片 {path.name}：{zh}", f"Photo {path.name}: {en}"))


def _precheck(path: Path, limits: PhotoLimits) -> None:
    """Refuse what needs no decoder: missing, not a file, empty, too large."""
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise _refusal(path, UNREADABLE, "文件不存在", "the file does not exist") from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _refusal(
            path, UNREADABLE, f"无法读取（{reason}）", f"cannot be read ({reason})"
        ) from exc
    if stat.S_ISDIR(st.st_mode):
        raise _refusal(path, UNREADABLE, "这是一个文件夹，不是文件", "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or a device would block or never end: never hand one to a reader.
        raise _refusal(path, UNREADABLE, "不是普通文件", "is not a regular file")
    if st.st_size == 0:
        raise _refusal(path, NOT_A_PHOTO, "文件是空的", "the file is empty")
    if st.st_size > limits.max_bytes:
        raise _too_large(path, st.st_size, limits.max_bytes)


def _too_large(path: Path, size: int | None, limit: int) -> PhotoError:
    got = f"{size / MIB:.1f} MB, " if size is not None else ""
    got_zh = f"{size / MIB:.1f} MB，" if size is not None else ""
    return _refusal(
        path,
        TOO_LARGE,
        f"文件过大（{got_zh}上限 {limit / MIB:g} MB）",
        f"the file is too large ({got}the limit is {limit / MIB:g} MB)",
    )


def _request(path: Path, limits: PhotoLimits, request: dict[str, Any]) -> dict[str, Any]:
    """Run one request in the decode worker; turn every failure into a PhotoError."""
    path = Path(path)
    _precheck(path, limits)
    request = {
        **request,
        "path": os.fspath(path),
        "max_bytes": limits.max_bytes,
        "max_pixels": limits.max_pixels,
    }
    try:
        reply = _DECODER.call(request, timeout=limits.decode_timeout_s)
    except WorkerTimeoutError as exc:
        raise _refusal(
            path,
            TIMEOUT,
            f"解码超过 {limits.decode_timeout_s:g} 秒，已中止（文件可能损坏或被恶意构造）",
            f"decoding took longer than {limits.decode_timeout_s:g} s and was stopped "
            "(the file may be damaged or crafted)",
        ) from exc
    except WorkerDiedError as exc:
        raise _refusal(
            path,
            DECODER_CRASHED,
            f"使图像解码器崩溃（{exc}），文件可能损坏或被恶意构造",
            f"crashed the image decoder ({exc}); the file may be damaged or crafted",
        ) from exc
    except WorkerUnavailableError as exc:
        raise _refusal(
            path,
            DECODER_UNAVAILABLE,
            f"照片解码进程无法启动（{exc}）",
            f"the photo decoder process could not be started ({exc})",
        ) from exc
    if reply[0] == "ok":
        result: dict[str, Any] = reply[1]
        return result
    _, code, en, zh = reply
    raise _refusal(path, str(code), str(zh), str(en))


def _info_from(path: Path, reply: dict[str, Any]) -> PhotoInfo:
    return PhotoInfo(
        path=Path(path),
        sha256=reply["sha256"],
        mime=reply["mime"],
        format=reply["format"],
        size_bytes=reply["size_bytes"],
        width=reply["width"],
        height=reply["height"],
        orientation=reply["orientation"],
        display_width=reply["display_width"],
        display_height=reply["display_height"],
        taken_at=reply["taken_at"],
        taken_at_local=reply["taken_at_local"],
        gps_lat=reply["gps_lat"],
        gps_lon=reply["gps_lon"],
        gps_altitude=reply["gps_altitude"],
        gps_time=reply["gps_time"],
        make=reply["make"],
        model=reply["model"],
        warnings=tuple(reply["warnings"]),
    )


def _write_atomically(source: Path, dest: Path, data: bytes) -> None:
    """Temporary file beside ``dest``, fsync, rename: a crash leaves no half-written copy."""
    tmp: Path | None = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
        tmp = None
        _fsync_dir(dest.parent)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _refusal(
            source,
            WRITE_FAILED,
            f"无法写入上传副本 {dest.name}（{reason}）",
            f"the upload copy {dest.name} could not be written ({reason})",
        ) from exc
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory is synced; Windows cannot open a directory.
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# Worker side: the requests the decode worker serves (app.capture.photo_decoder runs them)
# --------------------------------------------------------------------------------------------


def _serve(request: dict[str, Any]) -> tuple[Any, ...]:
    """One request, inside the worker: ``("ok", result)`` or ``("refused", code, en, zh)``."""
    try:
        op = request["op"]
        if op == "stats":
            return ("ok", {"maxrss_bytes": peak_rss_bytes()})
        if op == "_crash_for_tests":
            # Simulates a C decoder crashing the process (tests check that the caller recovers).
            os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        with warnings.catch_warnings():
            # A declared size over MAX_IMAGE_PIXELS is a refusal, not a warning to ignore.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return ("ok", _handle(request))
    except WorkerRefusalError as refusal:
        return ("refused", refusal.code, refusal.en, refusal.zh)
    except MemoryError:
        return (
            "refused",
            BROKEN,
            "the photo needs more memory than is available",
            "照片需要的内存超出可用内存",
        )
    except Exception as exc:  # never let one photo end the worker's loop
        detail = f"{type(exc).__name__}: {exc}"[:300]
        return ("refused", BROKEN, f"the file is damaged ({detail})", f"文件已损坏（{detail}）")


# The worker runs _serve: it is pickled by name into the spawned process, so it must stay a
# module-level function of an importable module (a frozen app imports this one too).
_DECODER = DecodeWorker(_serve)


def _handle(request: dict[str, Any]) -> dict[str, Any]:
    data = _read_bounded(request["path"], int(request["max_bytes"]))
    sha256 = hashlib.sha256(data).hexdigest()
    op = request["op"]
    if op not in ("inspect", "render", "upload"):
        raise ValueError(f"unknown request {op!r}")
    # Pillow reports some damage only as a warning (EXIF is parsed as early as open(), for
    # the JPEG density): record them all, and make the decompression-bomb warning an error.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return _handle_photo(request, data, sha256, caught)


def _handle_photo(
    request: dict[str, Any], data: bytes, sha256: str, caught: list[warnings.WarningMessage]
) -> dict[str, Any]:
    op = request["op"]
    im, fmt = _open(data, int(request["max_pixels"]))
    with im:
        meta = PhotoMeta.probe(im, fmt)
        if fmt == "JPEG":
            damage = jpeg_damage(data)
            if damage:
                raise WorkerRefusalError(
                    BROKEN,
                    f"the compressed image data is damaged ({damage})",
                    f"压缩图像数据已损坏（{damage}）",
                )
        edge: int | None = request.get("edge")
        if op == "upload":
            policy = UploadSizePolicy(request["policy"])
            edge = None if policy is UploadSizePolicy.ORIGINAL else int(policy.value)
        target = fit_within(meta.width, meta.height, edge) if edge else None
        # Decode before reading the tags: PNG's getexif() would otherwise decode the image
        # itself, outside the checks of decode_pixels.
        decode_pixels(im, fmt, target, full=op != "render")
        meta.read_tags(im)
        for w in caught:
            text = "exif: " + " ".join(str(w.message).split())[:200]
            if issubclass(w.category, UserWarning) and text not in meta.warnings:
                meta.warnings.append(text)
        if op == "inspect":
            out = meta.as_dict()
            out.update(sha256=sha256, size_bytes=len(data))
            if edge:
                out["jpeg"] = encode_jpeg(displayable(im, meta), edge, int(request["quality"]))
            return out
        if op == "render":
            return {"jpeg": encode_jpeg(displayable(im, meta), edge, int(request["quality"]))}
        return upload_bytes(data, im, fmt, meta, edge)


def _read_bounded(path: str, max_bytes: int) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise WorkerRefusalError(UNREADABLE, "the file does not exist", "文件不存在") from exc
    except IsADirectoryError as exc:
        raise WorkerRefusalError(
            UNREADABLE, "is a folder, not a file", "这是一个文件夹，不是文件"
        ) from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise WorkerRefusalError(
            UNREADABLE, f"cannot be read ({reason})", f"无法读取（{reason}）"
        ) from exc
    if len(data) > max_bytes:  # it grew since it was checked
        raise WorkerRefusalError(
            TOO_LARGE,
            f"the file is too large (the limit is {max_bytes / MIB:g} MB)",
            f"文件过大（上限 {max_bytes / MIB:g} MB）",
        )
    if not data:
        raise WorkerRefusalError(NOT_A_PHOTO, "the file is empty", "文件是空的")
    return data


_FORMATS = {JPEG: "JPEG", PNG: "PNG", HEIF: "HEIF"}


def _sniff(data: bytes) -> str | None:
    """The format the content claims to be (its magic bytes), whatever the file is called."""
    sniffed = sniff_image_type(data)
    return _FORMATS[sniffed] if sniffed is not None else None


@functools.cache
def _register_heif() -> None:
    # Imported and registered once, on the first HEIF photo: most photos never need libheif.
    # Depth and auxiliary images are never shown, so they are not parsed at all.
    import pillow_heif

    pillow_heif.register_heif_opener(depth_images=False, aux_images=False)


def _open(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    fmt = _sniff(data)
    if fmt is None:
        raise WorkerRefusalError(
            NOT_A_PHOTO,
            "not a supported photo (JPEG, PNG or HEIC)",
            "不是支持的照片格式（JPEG、PNG 或 HEIC）",
        )
    if fmt == "HEIF":
        _register_heif()
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        # Only the decoder the content announces may look at it.
        im = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise WorkerRefusalError(
            TOO_MANY_PIXELS,
            f"has too many pixels ({exc}; the limit is {max_pixels / 1e6:g} megapixels)",
            f"像素过多（上限 {max_pixels / 1e6:g} 百万像素）",
        ) from exc
    except UnidentifiedImageError as exc:
        raise WorkerRefusalError(
            BROKEN,
            f"looks like a {fmt} file but its header is damaged",
            f"看起来是 {fmt} 文件，但文件头已损坏",
        ) from exc
    width, height = im.size
    if width <= 0 or height <= 0:
        im.close()
        raise WorkerRefusalError(BROKEN, "declares no pixels", "没有像素")
    if width * height > max_pixels:
        im.close()
        raise WorkerRefusalError(
            TOO_MANY_PIXELS,
            f"has too many pixels ({width}×{height}; the limit is {max_pixels / 1e6:g} megapixels)",
            f"像素过多（{width}×{height}，上限 {max_pixels / 1e6:g} 百万像素）",
        )
    return im, fmt
