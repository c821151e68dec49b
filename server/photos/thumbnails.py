"""Thumbnails of finished photos, for offices that fetch originals only on demand.

A thumbnail is a JPEG whose long edge is at most :data:`THUMBNAIL_EDGE` pixels (the size the
desktop app makes for its lists), upright (EXIF orientation applied). It is made from the
photo on first request and kept in the node's own data folder (``thumbs/``): derived data, the
same on every node, so nothing needs sharing. HEIC/HEIF is read through pillow-heif. Pillow's
decompression-bomb guard stays on: a photo too large to decode safely gets no thumbnail.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Final

from server.photos.store import Finished

log = logging.getLogger("citypatrol.server.tus")

#: The long edge of a thumbnail (the desktop app's own thumbnails are this size).
THUMBNAIL_EDGE: Final = 256
_QUALITY = 85


class ThumbnailError(Exception):
    """The photo's bytes could not be made into a thumbnail."""


def render(source: BinaryIO, edge: int = THUMBNAIL_EDGE) -> bytes:
    """JPEG bytes of an upright RGB thumbnail of the image in ``source``."""
    import pillow_heif
    from PIL import Image, ImageOps, UnidentifiedImageError

    pillow_heif.register_heif_opener()
    try:
        with Image.open(source) as image:
            image.draft("RGB", (edge, edge))  # JPEG: decode at a fraction of the size
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((edge, edge))
            out = io.BytesIO()
            upright.convert("RGB").save(out, "JPEG", quality=_QUALITY)
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise ThumbnailError(str(exc)) from exc


def thumbnail(cache: Path, storage_name: str, finished: Finished) -> bytes:
    """The photo's thumbnail, made once per node and then read from ``cache``."""
    cached = cache / f"{storage_name}.jpg"
    try:
        return cached.read_bytes()
    except FileNotFoundError:
        pass
    if finished.path is not None:
        with open(finished.path, "rb") as source:
            data = render(source)
    else:
        assert finished.chunks is not None
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            for piece in finished.chunks():
                spool.write(piece)
            spool.seek(0)
            data = render(spool)  # type: ignore[arg-type]
    cache.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=cache, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, cached)  # whole or absent; losing it in a crash only costs a redo
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return data
