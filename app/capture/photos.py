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
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import io
import math
import multiprocessing
import os
import re
import signal
import stat
import struct
import sys
import tempfile
import threading
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

from app.domain.errors import CityPatrolError, Message
from app.domain.images import HEIF, JPEG, PNG, sniff_image_type

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess

MIB = 1024 * 1024

# Codes of PhotoError, stable for callers and logs.
NOT_A_PHOTO = "not_a_photo"
UNREADABLE = "unreadable"
TOO_LARGE = "too_large"
TOO_MANY_PIXELS = "too_many_pixels"
BROKEN = "broken"
TIMEOUT = "timeout"
DECODER_CRASHED = "decoder_crashed"
DECODER_UNAVAILABLE = "decoder_unavailable"
WRITE_FAILED = "write_failed"


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


class PhotoError(CityPatrolError):
    """A photo that cannot be used; the message names the file and the reason in both languages."""


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
    except _WorkerTimeoutError as exc:
        raise _refusal(
            path,
            TIMEOUT,
            f"解码超过 {limits.decode_timeout_s:g} 秒，已中止（文件可能损坏或被恶意构造）",
            f"decoding took longer than {limits.decode_timeout_s:g} s and was stopped "
            "(the file may be damaged or crafted)",
        ) from exc
    except _WorkerDiedError as exc:
        raise _refusal(
            path,
            DECODER_CRASHED,
            f"使图像解码器崩溃（{exc}），文件可能损坏或被恶意构造",
            f"crashed the image decoder ({exc}); the file may be damaged or crafted",
        ) from exc
    except _WorkerUnavailableError as exc:
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
# The decode worker: one spawned process, replaced when it hangs or dies
# --------------------------------------------------------------------------------------------

_STARTUP_TIMEOUT_S = 60.0  # a cold start of a frozen app on a slow laptop, antivirus included
# Restart the worker now and then: C decoders can leak or fragment memory, and a fresh process
# keeps the resident size flat however many photos an inspector imports.
_RECYCLE_AFTER = 500


class _WorkerTimeoutError(Exception):
    pass


class _WorkerDiedError(Exception):
    pass


class _WorkerUnavailableError(Exception):
    pass


class _Decoder:
    """The persistent worker process and the pipe to it; thread-safe (one request at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: SpawnProcess | None = None
        self._conn: Connection | None = None
        self._served = 0
        self._atexit_registered = False

    def call(self, request: dict[str, Any], timeout: float) -> tuple[Any, ...]:
        with self._lock:
            conn = self._ensure_running()
            try:
                conn.send(request)
            except (OSError, EOFError):
                # The idle worker died between requests (killed by the system, say): this
                # photo is not to blame, so start a fresh worker and send it there once.
                self._kill()
                conn = self._ensure_running()
                try:
                    conn.send(request)
                except (OSError, EOFError) as exc:
                    self._kill()
                    raise _WorkerDiedError("the decoder process exited") from exc
            if not conn.poll(max(timeout, 0.0)):
                self._kill()
                raise _WorkerTimeoutError
            try:
                reply: tuple[Any, ...] = conn.recv()
            except (OSError, EOFError) as exc:
                raise _WorkerDiedError(self._kill()) from exc
            self._served += 1
            if self._served >= _RECYCLE_AFTER:
                self._stop_gracefully()
            return reply

    def call_if_running(self, request: dict[str, Any], timeout: float) -> tuple[Any, ...] | None:
        with self._lock:
            if self._proc is None or not self._proc.is_alive() or self._conn is None:
                return None
            try:
                self._conn.send(request)
                if not self._conn.poll(timeout):
                    self._kill()
                    return None
                reply: tuple[Any, ...] = self._conn.recv()
            except (OSError, EOFError):
                self._kill()
                return None
            return reply

    def stop(self) -> None:
        with self._lock:
            self._stop_gracefully()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def _ensure_running(self) -> Connection:
        if self._proc is not None and self._conn is not None and self._proc.is_alive():
            return self._conn
        self._kill()
        ctx = multiprocessing.get_context("spawn")  # never fork: the GUI process has threads
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(
            target=_worker_main, args=(child,), name="citypatrol-photo-decoder", daemon=True
        )
        try:
            proc.start()
        except Exception as exc:
            # No executable, no memory, or a frozen app that never called freeze_support().
            parent.close()
            child.close()
            raise _WorkerUnavailableError(f"{type(exc).__name__}: {exc}") from exc
        child.close()  # only the worker holds it now, so its death shows up here as EOF
        self._proc, self._conn, self._served = proc, parent, 0
        try:
            ready = parent.poll(_STARTUP_TIMEOUT_S) and parent.recv()
        except (OSError, EOFError):
            ready = None
        if not (isinstance(ready, tuple) and ready and ready[0] == "ready"):
            exitcode = self._kill()
            raise _WorkerUnavailableError(f"the worker did not start ({exitcode})")
        if not self._atexit_registered:
            atexit.register(shutdown_decoder)
            self._atexit_registered = True
        return parent

    def _kill(self) -> str:
        """Kill the worker (if any) and forget it; describe how it ended."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is None:
            return "no worker"
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        code = proc.exitcode
        if code is not None:
            proc.close()
        return _describe_exit(code)

    def _stop_gracefully(self) -> None:
        proc, conn = self._proc, self._conn
        if proc is None or conn is None:
            self._kill()
            return
        with contextlib.suppress(OSError, EOFError):
            conn.send(None)
        proc.join(2)
        self._kill()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the decoder process did not exit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the decoder process was ended by {name}"
    return f"the decoder process exited with status {code}"


_DECODER = _Decoder()


def _worker_main(conn: Connection) -> None:
    """Entry point of the decode worker: serve requests until the pipe closes."""
    # Ctrl+C in a terminal reaches the whole process group; the app decides, not the worker.
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the app has gone away
        if request is None:
            return
        conn.send(_serve(request))


class _RefusalError(Exception):
    """Raised inside the worker; travels back as ``("refused", code, en, zh)``."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code, self.en, self.zh = code, en, zh


def _serve(request: dict[str, Any]) -> tuple[Any, ...]:
    try:
        op = request["op"]
        if op == "stats":
            return ("ok", {"maxrss_bytes": _peak_rss_bytes()})
        if op == "_crash_for_tests":
            # Simulates a C decoder crashing the process (tests check that the caller recovers).
            os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        with warnings.catch_warnings():
            # A declared size over MAX_IMAGE_PIXELS is a refusal, not a warning to ignore.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return ("ok", _handle(request))
    except _RefusalError as refusal:
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


def _peak_rss_bytes() -> int | None:
    """This process's own peak resident size.

    On Linux ``getrusage(RUSAGE_SELF).ru_maxrss`` survives fork + exec, so a spawned worker
    would report its parent's size at the time it was started; VmHWM is the worker's own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


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
        meta = _Meta.probe(im, fmt)
        if fmt == "JPEG":
            damage = _jpeg_damage(data)
            if damage:
                raise _RefusalError(
                    BROKEN,
                    f"the compressed image data is damaged ({damage})",
                    f"压缩图像数据已损坏（{damage}）",
                )
        edge: int | None = request.get("edge")
        if op == "upload":
            policy = UploadSizePolicy(request["policy"])
            edge = None if policy is UploadSizePolicy.ORIGINAL else int(policy.value)
        target = _fit(meta.width, meta.height, edge) if edge else None
        # Decode before reading the tags: PNG's getexif() would otherwise decode the image
        # itself, outside the checks of _decode.
        _decode(im, fmt, target, full=op != "render")
        meta.read_tags(im)
        for w in caught:
            text = "exif: " + " ".join(str(w.message).split())[:200]
            if issubclass(w.category, UserWarning) and text not in meta.warnings:
                meta.warnings.append(text)
        if op == "inspect":
            out = meta.as_dict()
            out.update(sha256=sha256, size_bytes=len(data))
            if edge:
                out["jpeg"] = _encode_jpeg(_displayable(im, meta), edge, int(request["quality"]))
            return out
        if op == "render":
            return {"jpeg": _encode_jpeg(_displayable(im, meta), edge, int(request["quality"]))}
        return _upload(data, im, fmt, meta, edge)


def _read_bounded(path: str, max_bytes: int) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise _RefusalError(UNREADABLE, "the file does not exist", "文件不存在") from exc
    except IsADirectoryError as exc:
        raise _RefusalError(
            UNREADABLE, "is a folder, not a file", "这是一个文件夹，不是文件"
        ) from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _RefusalError(
            UNREADABLE, f"cannot be read ({reason})", f"无法读取（{reason}）"
        ) from exc
    if len(data) > max_bytes:  # it grew since it was checked
        raise _RefusalError(
            TOO_LARGE,
            f"the file is too large (the limit is {max_bytes / MIB:g} MB)",
            f"文件过大（上限 {max_bytes / MIB:g} MB）",
        )
    if not data:
        raise _RefusalError(NOT_A_PHOTO, "the file is empty", "文件是空的")
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
        raise _RefusalError(
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
        raise _RefusalError(
            TOO_MANY_PIXELS,
            f"has too many pixels ({exc}; the limit is {max_pixels / 1e6:g} megapixels)",
            f"像素过多（上限 {max_pixels / 1e6:g} 百万像素）",
        ) from exc
    except UnidentifiedImageError as exc:
        raise _RefusalError(
            BROKEN,
            f"looks like a {fmt} file but its header is damaged",
            f"看起来是 {fmt} 文件，但文件头已损坏",
        ) from exc
    width, height = im.size
    if width <= 0 or height <= 0:
        im.close()
        raise _RefusalError(BROKEN, "declares no pixels", "没有像素")
    if width * height > max_pixels:
        im.close()
        raise _RefusalError(
            TOO_MANY_PIXELS,
            f"has too many pixels ({width}×{height}; the limit is {max_pixels / 1e6:g} megapixels)",
            f"像素过多（{width}×{height}，上限 {max_pixels / 1e6:g} 百万像素）",
        )
    return im, fmt


def _fit(width: int, height: int, edge: int | None) -> tuple[int, int]:
    """The size of ``width``×``height`` shrunk to fit ``edge``×``edge`` (never enlarged)."""
    if edge is None or max(width, height) <= edge:
        return width, height
    if width >= height:
        return edge, max(1, round(height * edge / width))
    return max(1, round(width * edge / height)), edge


def _decode(im: Image.Image, fmt: str, target: tuple[int, int] | None, *, full: bool) -> None:
    """Decode the pixels (this is what proves the file whole); JPEG at reduced scale.

    JPEG draft mode makes libjpeg scale by 1/2, 1/4 or 1/8 inside the inverse DCT while still
    reading every byte of the compressed data, so damage is found at a fraction of the cost.
    With no target the smallest scale is used. HEIF drafts only when not validating
    (``full=False``): its draft swaps in an embedded thumbnail and would prove nothing.
    """
    if fmt == "JPEG":
        im.draft("RGB", target or (1, 1))
    elif fmt == "HEIF" and not full and target is not None:
        im.draft(None, target)
    try:
        im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _RefusalError(TOO_MANY_PIXELS, f"has too many pixels ({exc})", "像素过多") from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, RuntimeError) as exc:
        text = str(exc)
        if "truncated" in text:
            raise _RefusalError(
                BROKEN, f"the file is incomplete ({text})", "文件不完整（被截断）"
            ) from exc
        raise _RefusalError(
            BROKEN, f"the image data is damaged ({text})", f"图像数据已损坏（{text}）"
        ) from exc


_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _displayable(im: Image.Image, meta: _Meta) -> Image.Image:
    """The decoded image upright and in RGB.

    The orientation applied is the one reported in PhotoInfo (the same table as
    ``ImageOps.exif_transpose``), not re-read from the EXIF: what we show and what we report
    cannot disagree, and a broken EXIF block cannot break the thumbnail. libheif has already
    applied a HEIF photo's rotation and mirroring while decoding.
    """
    out = im
    if meta.format != "HEIF" and meta.orientation in _TRANSPOSE:
        out = out.transpose(_TRANSPOSE[meta.orientation])
    return _to_rgb(out)


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit greyscale PNG
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        # Put transparent pixels on white: dropping alpha would show whatever colour happens
        # to sit under them, often black.
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB")


_MAX_ICC = 256 * 1024


def _encode_jpeg(im: Image.Image, edge: int | None, quality: int) -> bytes:
    """JPEG bytes of ``im`` shrunk to fit ``edge`` (if given), without the source's metadata."""
    icc = im.info.get("icc_profile")
    if edge is not None and max(im.size) > edge:
        im.thumbnail((edge, edge), Image.Resampling.LANCZOS)  # in place; never enlarges
    # Pillow would carry a source COM comment (and could carry XMP) into the output from
    # ``info``; an empty ``info`` means nothing but the pixels and the colour profile travel.
    im.info = {}
    kwargs: dict[str, Any] = {"quality": quality, "optimize": True}
    if isinstance(icc, bytes) and 0 < len(icc) <= _MAX_ICC:
        kwargs["icc_profile"] = icc
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def _upload(
    data: bytes, im: Image.Image, fmt: str, meta: _Meta, edge: int | None
) -> dict[str, Any]:
    """The upload copy of an already decoded photo (``edge`` None: the ORIGINAL policy)."""
    if edge is None and fmt == "JPEG":
        return {"data": _strip_jpeg(data, meta.orientation), "mime": "image/jpeg", **meta.display}
    if edge is None and fmt == "PNG":
        return {"data": _strip_png(data, meta.orientation), "mime": "image/png", **meta.display}
    out = _encode_jpeg(_displayable(im, meta), edge, 95 if edge is None else 85)
    with Image.open(io.BytesIO(out)) as check:  # report what was written, not what we meant
        width, height = check.size
    return {"data": out, "mime": "image/jpeg", "width": width, "height": height}


# --------------------------------------------------------------------------------------------
# Metadata (worker side): EXIF via Pillow, read defensively; every doubt becomes a warning
# --------------------------------------------------------------------------------------------

_ORIENTATION, _MAKE, _MODEL = 0x0112, 0x010F, 0x0110
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 0x9003, 0x9004
_OFFSET_ORIGINAL, _OFFSET_DIGITIZED = 0x9011, 0x9012
_SUBSEC_ORIGINAL, _SUBSEC_DIGITIZED = 0x9291, 0x9292
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
_GPS_ALT_REF, _GPS_ALT, _GPS_TIME, _GPS_STATUS, _GPS_DATE = 5, 6, 7, 9, 29


@dataclass(slots=True)
class _Meta:
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
    def probe(cls, im: Image.Image, fmt: str) -> _Meta:
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
    if exif is None or _ORIENTATION not in exif:
        return None
    value = exif.get(_ORIENTATION)
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    problems.append(f"orientation: invalid value {value!r}; shown as stored"[:200])
    return None


def _read_exif(exif: Image.Exif, meta: _Meta, problems: list[str]) -> None:
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


def _read_xmp_time(im: Image.Image, meta: _Meta, problems: list[str]) -> None:
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


def _read_gps(gps: dict[int, Any], meta: _Meta, problems: list[str]) -> None:
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
        method = _TRANSPOSE.get(orientation)
        candidate = probe.transpose(method) if method is not None else probe
        if candidate.size == shown.size and list(candidate.getdata()) == list(shown.getdata()):
            return orientation
    raise ValueError(transforms)


# --------------------------------------------------------------------------------------------
# JPEG and PNG structure: damage the decoder forgives, and metadata stripping without re-encoding
# --------------------------------------------------------------------------------------------

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


def _jpeg_damage(data: bytes) -> str | None:
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
    ifd = struct.pack(">HHHIHH", 1, _ORIENTATION, 3, 1, orientation, 0) + b"\0\0\0\0"
    return b"MM\x00\x2a\x00\x00\x00\x08" + ifd


def _strip_jpeg(data: bytes, orientation: int | None) -> bytes:
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
        raise _RefusalError(BROKEN, "the JPEG structure is damaged", "JPEG 结构已损坏")
    out.append(b"\xff\xd9")  # anything after EOI (extra pictures, trailers) stays behind
    return b"".join(out)


_PNG_KEEP = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND",  # the image
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"cICP", b"mDCV", b"cLLI", b"bKGD",
    b"pHYs",
}  # fmt: skip


def _strip_png(data: bytes, orientation: int | None) -> bytes:
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
    raise _RefusalError(BROKEN, "the PNG structure is damaged", "PNG 结构已损坏")
