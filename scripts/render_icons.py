"""Render the application icon (resources/icons/citypatrol.svg) to the PNG sizes the installers use.

    .venv/bin/python scripts/render_icons.py

Writes resources/icons/hicolor/<N>x<N>/apps/citypatrol.png for N in 16…512 (the layout of the
freedesktop hicolor theme, copied as is by the .deb and the AppImage), citypatrol.ico (Windows)
and citypatrol.icns (macOS). Run again after editing the SVG and commit the results: the build
machines need no SVG renderer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# The icns types that hold a PNG of that edge (Apple's ic07…ic10).
ICNS_TYPES = {128: b"ic07", 256: b"ic08", 512: b"ic09"}


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG images (allowed since Vista), smallest first."""
    header = (0).to_bytes(2, "little") + (1).to_bytes(2, "little") + len(pngs).to_bytes(2, "little")
    entries, blobs = b"", b""
    offset = 6 + 16 * len(pngs)
    for size, blob in sorted(pngs.items()):
        edge = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += (
            bytes([edge, edge, 0, 0]) + (1).to_bytes(2, "little") + (32).to_bytes(2, "little")
        )
        entries += len(blob).to_bytes(4, "little") + offset.to_bytes(4, "little")
        blobs += blob
        offset += len(blob)
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(kind + (8 + len(pngs[size])).to_bytes(4, "big") + pngs[size]
                    for size, kind in ICNS_TYPES.items())  # fmt: skip
    return b"icns" + (8 + len(body)).to_bytes(4, "big") + body


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "citypatrol.svg"))
    if not renderer.isValid():
        print("the SVG did not load", file=sys.stderr)
        return 1
    pngs: dict[int, bytes] = {}
    for size in SIZES:
        pngs[size] = png_bytes(render(renderer, size))
        out = ICONS / "hicolor" / f"{size}x{size}" / "apps" / "citypatrol.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pngs[size])
    (ICONS / "citypatrol.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (ICONS / "citypatrol.icns").write_bytes(icns(pngs))
    scalable = ICONS / "hicolor" / "scalable" / "apps" / "citypatrol.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes((ICONS / "citypatrol.svg").read_bytes())
    print(f"wrote {len(SIZES)} PNG sizes, citypatrol.ico and citypatrol.icns under {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
