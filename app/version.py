"""The client's version and what it ships under (``citypatrol --version``, About, diagnostics).

The version is the one in pyproject.toml, read from the installed distribution's metadata; the
frozen bundle carries that metadata too (build.spec copies it). A source tree run without an
install falls back to reading pyproject.toml, so the number is never restated in code.
"""

from __future__ import annotations

import importlib.metadata
import sys
import tomllib
from pathlib import Path

DISTRIBUTION = "citypatrol"
APP_ID = "cn.citypatrol.CityPatrol"
UNKNOWN = "0+unknown"


def app_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        with pyproject.open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return UNKNOWN


def build_kind() -> str:
    """How this copy runs: frozen (an installer's bundle) or from Python sources."""
    return "frozen" if getattr(sys, "frozen", False) else "source"
