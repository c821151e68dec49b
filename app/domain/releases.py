"""Client releases the server offers for download: the platforms and the version order.

Shared by the server (``citypatrol-server release add``, ``/api/v1/releases``) and the client
(the update check during a sync, Help → Check for updates). Versions are PEP 440 strings
compared with ``packaging.version`` (the library pip itself uses), never as text: "0.10.0" is
newer than "0.9.3", "1.0.0rc1" older than "1.0.0".
"""

from __future__ import annotations

from enum import StrEnum

from packaging.version import InvalidVersion, Version


class ReleasePlatform(StrEnum):
    """What one installer file is for (one current release per platform)."""

    LINUX_DEB = "linux-deb"
    LINUX_APPIMAGE = "linux-appimage"
    WINDOWS = "windows"
    MACOS = "macos"


def parse_version(text: str) -> Version:
    """The version in ``text``; ValueError (with the text) when it is no PEP 440 version."""
    try:
        return Version(text.strip())
    except InvalidVersion as exc:
        raise ValueError(f"{text!r} is not a version number such as 1.2.0") from exc


def is_newer(candidate: str, current: str) -> bool:
    """Whether ``candidate`` is a later version than ``current``; an unreadable current
    version (a source checkout's ``0+unknown`` is readable) counts as older than any."""
    try:
        now = Version(current.strip())
    except InvalidVersion:
        return True
    return parse_version(candidate) > now
