"""The photo store: original files kept under content-addressed names, written atomically.

A file is copied to a temporary name in the store, fsynced, then renamed to
``photos/ab/<sha256>.<ext>`` — so a crash leaves either no file or a whole one, and the same
photo imported twice is stored once. The database row that points at it is written only after
the file is in place: a case never points at a missing file. Thumbnails are cached beside the
originals in ``photos/thumbs/``. Reading and checking a photo is :mod:`app.capture.photos`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.capture.photo_errors import PhotoError
from app.domain.errors import Message

_CHUNK = 1024 * 1024
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic", "image/heif": "heif"}
THUMBS = "thumbs"


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    sha256: str
    size_bytes: int
    path: Path


def original_path(photos_dir: Path, sha256: str, mime: str) -> Path:
    return photos_dir / sha256[:2] / f"{sha256}.{EXTENSIONS.get(mime, 'bin')}"


def thumbnail_path(photos_dir: Path, sha256: str) -> Path:
    return photos_dir / THUMBS / sha256[:2] / f"{sha256}.jpg"


def store_original(source: Path, photos_dir: Path, *, sha256: str, mime: str) -> StoredPhoto:
    """Copy ``source`` into the store under ``sha256`` (no-op if already there).

    ``sha256`` is what the inspection read; the copy is hashed again as it is written, and a
    difference (the file changed while it was being imported, say a camera card still being
    written) refuses the photo rather than store bytes nobody checked.
    """
    final = original_path(photos_dir, sha256, mime)
    if final.exists():
        return StoredPhoto(sha256, final.stat().st_size, final)
    digest = hashlib.sha256()
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".import-", dir=final.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise PhotoError(
                "changed_during_import",
                Message(
                    f"照片 {source.name}：导入过程中文件发生了变化，请重新导入",
                    f"Photo {source.name}: the file changed while it was being imported; import it again",
                ),
            )
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        return StoredPhoto(sha256, final.stat().st_size, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_thumbnail(photos_dir: Path, sha256: str, data: bytes) -> Path:
    """Cache a thumbnail atomically (it can always be made again from the original)."""
    final = thumbnail_path(photos_dir, sha256)
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".thumb-", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, final)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return final


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
