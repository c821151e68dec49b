"""The map's errors: a stable code and a reason in Chinese and English (see app.domain.errors)."""

from __future__ import annotations

from app.domain.errors import CityPatrolError, Message


class MapError(CityPatrolError):
    """A basemap or a layer the map cannot use (damaged, wrong projection, unreadable)."""


def map_error(code: str, zh: str, en: str) -> MapError:
    return MapError(code, Message(zh, en))
