"""One signal for "the store changed": every write the UI makes is announced on it.

A write in the store returns a :class:`~app.storage.store.Changes` (which cases, whether steps,
the outbox, photos or tracks changed). The UI announces that value here once the write has
completed (:meth:`app.ui.operations.Operations.write` does it for the writes it runs; the sync
controller announces what a sync cycle may have changed), and each panel subscribes and
refreshes only what the value touches — the saved row of the case list, the inbox only when
steps changed, and so on — instead of one window-wide reload after every save.

There is one :class:`StoreEvents` per open store (:meth:`StoreEvents.of`), so a widget reaches
it from the store it already has, without another constructor argument.
"""

from __future__ import annotations

import weakref
from typing import ClassVar

from PySide6.QtCore import QObject, Signal

from app.storage import LocalStore
from app.storage.store import Changes

#: What a sync cycle (or anything else too wide to list row by row) changed: every view
#: reloads what it shows.
EVERYTHING = Changes(everything=True)


class StoreEvents(QObject):
    """The store's change announcements (main thread only)."""

    #: A write completed: its :class:`~app.storage.store.Changes`.
    changed = Signal(object)

    # By identity: a LocalStore is a dataclass (compared by value, so not hashable); an entry
    # goes when its store is collected.
    _registry: ClassVar[dict[int, StoreEvents]] = {}

    @classmethod
    def of(cls, store: LocalStore) -> StoreEvents:
        """The one StoreEvents of ``store`` (made at the first call; lives as long as it)."""
        key = id(store)
        events = cls._registry.get(key)
        if events is None:
            events = cls._registry[key] = cls()
            weakref.finalize(store, cls._registry.pop, key, None)
        return events

    def announce(self, changes: Changes) -> None:
        """Tell every subscriber what a completed write changed (nothing if it changed
        nothing)."""
        if changes != Changes():
            self.changed.emit(changes)


def workflow_changed(changes: Changes) -> bool:
    """Whether a write can change what the supervisor's lists and figures show: they follow
    the step log, and reference data (departments, calendar, time limits) moves deadlines and
    names; a change without either (a draft edited, a photo added) leaves them as they are."""
    return changes.everything or changes.steps or changes.reference
