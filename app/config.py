"""Where the client keeps its data, and which language it speaks."""

from __future__ import annotations

import locale
import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "CityPatrol"


def default_data_dir() -> Path:
    """``CITYPATROL_DATA_DIR``, else the per-user data folder of the platform."""
    override = os.environ.get("CITYPATROL_DATA_DIR")
    return Path(override) if override else user_data_path(APP_NAME, appauthor=False)


def system_language() -> str:
    """``zh_CN`` when the environment's locale is Chinese, else ``en``."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    code = locale.getlocale()[0] or ""
    return "zh_CN" if code.lower().startswith("zh") else "en"
