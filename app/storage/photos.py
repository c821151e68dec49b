"""The photo store: original files kept under content-addressed names, written atomically.

A file is copied to a temporary name in the store, fsynced, then renamed to
``photos/ab/<sha256>.<ext>`` — so a crash leaves either no file or a whole one, and the same
photo imported twice is stored once. The database row that points at it is written only after
the file is in place: a case never points at a missing file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from app.domain.errors import CityPatrolError, Message

MAX_PHOTO_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 100_000_000
_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
_CHUNK = 1024 * 1024

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class PhotoError(CityPatrolError):
    """A photo that cannot be imported; the message names the file and the reason."""


def _refuse(path: Path, code: str, zh: str, en: str) -> PhotoError:
    return PhotoError(code, Message(f"照片 {path.name}：{zh}", f"Photo {path.name}: {en}"))


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    sha256: str
    mime: str
    size_bytes: int
    width: int
    height: int
    path: Path


def probe(path: Path) -> tuple[str, str, int, int]:
    """``(mime, extension, width, height)`` from the file's content, never its name."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _refuse(
            path, "unreadable", f"无法读取（{exc.strerror}）", f"cannot be read ({exc.strerror})"
        ) from exc
    if size > MAX_PHOTO_BYTES:
        raise _refuse(path, "too_large", "文件过大", f"larger than {MAX_PHOTO_BYTES // 2**20} MB")
    try:
        with Image.open(path, formats=list(_FORMATS)) as img:
            fmt = img.format or ""
            width, height = img.size
            if fmt == "JPEG":
                img.draft("RGB", (512, 512))  # decode at reduced scale: proves the data, cheaply
            img.load()
    except UnidentifiedImageError as exc:
        raise _refuse(
            path, "not_a_photo", "不是支持的照片格式", "not a supported photo (JPEG or PNG)"
        ) from exc
    except Image.DecompressionBombError as exc:
        raise _refuse(path, "too_many_pixels", "像素过多", "has too many pixels") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise _refuse(
            path, "broken", f"文件已损坏（{exc}）", f"the file is damaged ({exc})"
        ) from exc
    mime, ext = _FORMATS[fmt]
    return mime, ext, width, height


def store_original(source: Path, photos_dir: Path) -> StoredPhoto:
    """Copy ``source`` into the store under its SHA-256 (no-op if already there)."""
    mime, ext, width, height = probe(source)
    digest = hashlib.sha256()
    photos_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".import-", dir=photos_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        final = photos_dir / sha[:2] / f"{sha}.{ext}"
        if final.exists():
            tmp.unlink()
        else:
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        return StoredPhoto(sha, mime, final.stat().st_size, width, height, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
