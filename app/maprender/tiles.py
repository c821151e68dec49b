"""Tile images: decoding an MBTiles tile into a QImage, and a synchronous source for the CLI."""

from __future__ import annotations

from PySide6.QtGui import QImage

from app.geo.cache import ByteLRU
from app.geo.mbtiles import MBTiles

#: A tile the basemap does not have (kept in caches so it is not asked for again).
MISSING = QImage()


def decode_tile(basemap: MBTiles, z: int, x: int, y: int) -> QImage:
    """The decoded XYZ tile (ARGB32 premultiplied, the fastest to draw), or MISSING.

    QImage is safe to build off the main thread (it is not a QPixmap)."""
    data = basemap.tile(z, x, y)
    if not data:
        return MISSING
    image = QImage.fromData(data)
    if image.isNull():
        return MISSING
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def image_bytes(image: QImage) -> int:
    """What a decoded image holds in memory (at least a little for a MISSING marker)."""
    return max(64, image.sizeInBytes())


class SyncTiles:
    """Decodes tiles on demand and keeps them in a bounded cache: for one-off renders."""

    def __init__(self, basemap: MBTiles, max_bytes: int = 64 << 20) -> None:
        self.basemap = basemap
        self.cache: ByteLRU[QImage] = ByteLRU(max_bytes)

    def __call__(self, z: int, x: int, y: int) -> QImage | None:
        key = (z, x, y)
        image = self.cache.get(key)
        if image is None:
            image = decode_tile(self.basemap, z, x, y)
            self.cache.put(key, image, image_bytes(image))
        return None if image.isNull() else image
