"""What every supervisor screen shares beyond the common UI pieces: the clock and the item role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt

#: The source of "now" (the screens take one, so a test can stand near a deadline).
Clock = Callable[[], datetime]

#: Where list and tree items keep what they stand for (a case id, a review item, a step).
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1


def utc_now() -> datetime:
    return datetime.now(UTC)
