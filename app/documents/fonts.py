"""The CJK font the client carries, so documents and the UI draw Chinese on any machine.

Without a CJK font installed Qt draws boxes on screen and a PDF silently loses its Chinese text.
The bundle therefore ships "CityPatrol Sans SC" (resources/fonts/: a subset of Noto Sans CJK SC,
SIL OFL 1.1, made by scripts/subset_font.py) and registers it with Qt's font database at
start-up, ahead of the system's fonts: a bulletin comes out the same on every laptop. A character
outside the subset falls back to the next family of :func:`document_families`.
QtGui only (no widgets): the CLI renders documents with a bare QGuiApplication.
"""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication

from app.paths import resources_dir

BUNDLED_FAMILY = "CityPatrol Sans SC"
#: Installed fonts tried after the bundled one, per character, in this order.
SYSTEM_FAMILIES = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "SimSun",
    "Arial",
    "DejaVu Sans",
]

_registered: list[str] | None = None


def register_bundled_fonts() -> list[str]:
    """Add the bundled font files to Qt's font database once per process; returns the families
    they provide (empty when the files are missing, e.g. a stripped-down test resources folder).
    Needs a QGuiApplication."""
    global _registered  # noqa: PLW0603 - one registration per process, like the font database
    if _registered is None:
        families: list[str] = []
        for path in sorted((resources_dir() / "fonts").glob("*.ttf")):
            font_id = QFontDatabase.addApplicationFont(str(path))
            if font_id >= 0:
                families += [
                    f for f in QFontDatabase.applicationFontFamilies(font_id) if f not in families
                ]
        _registered = families
    return list(_registered)


def document_families() -> list[str]:
    """The font families of documents: the bundled one first, then the installed ones."""
    return [*register_bundled_fonts(), *SYSTEM_FAMILIES]


def use_bundled_font_as_fallback(app: QGuiApplication) -> None:
    """Make the bundled font the UI's fallback for Chinese: the platform's default family stays
    first (Latin text looks native), the bundled font fills in what it lacks."""
    families = register_bundled_fonts()
    if not families:
        return
    font = app.font()
    font.setFamilies([font.family(), *families])
    app.setFont(font)
