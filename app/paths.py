"""Where the bundled resources live: the source tree, an installed wheel, or a frozen bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """The ``resources/`` folder (taxonomy tables, translations, icons, demo data).

    ``CITYPATROL_RESOURCES`` overrides it; a PyInstaller bundle carries it under
    ``sys._MEIPASS``; a wheel carries it as ``app/resources``; a source checkout has it at the
    project root.
    """
    override = os.environ.get("CITYPATROL_RESOURCES")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    here = Path(__file__).resolve().parent
    packaged = here / "resources"
    if packaged.is_dir():
        return packaged
    return here.parent / "resources"
