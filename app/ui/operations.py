"""Background operations of one widget: the plumbing every panel used to hand-roll.

:class:`Operations` sits over the lanes of :class:`app.ui.tasks.TaskRunner` (still the one way
to run background work) and adds what each panel needs around them:

- **latest only**: work run under a *key* delivers its result only if no newer work under the
  same key was started meanwhile (a search typed further, a case switched) — no generation
  counters in the widgets;
- **dead owners are skipped**: a result arriving after its owner widget was deleted (a closed
  dialog) is dropped instead of touching a deleted C++ object — no ``shiboken6.isValid`` checks;
- **failures in words**: without an ``on_error`` a failure is turned into the bilingual error
  text and handed to the owner's ``show_error`` (or, without one, to the task runner's
  ``error`` signal, which the main window shows);
- **a busy state** the owner can bind to (:attr:`busy`, :attr:`busy_changed`);
- **writes announce what they changed**: :meth:`write` runs in the database lane and emits the
  write's :class:`~app.storage.store.Changes` on the store's :class:`~app.ui.events.StoreEvents`
  once it completes, so every panel refreshes what it touches.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal

from app.storage import LocalStore
from app.storage.store import Changes
from app.ui.common.text import error_text
from app.ui.events import StoreEvents
from app.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

T = TypeVar("T")


class Lane(enum.Enum):
    """The task runner's lanes (see app.ui.tasks)."""

    DB = "db"
    NET = "net"
    DEVICE = "device"
    DOCUMENTS = "documents"
    TILES = "tiles"


def changes_of(result: object) -> Changes | None:
    """The Changes a write returned: the value itself, or its ``changes`` (Created,
    PositionUpdate); None when the write reports none."""
    if isinstance(result, Changes):
        return result
    changes = getattr(result, "changes", None)
    return changes if isinstance(changes, Changes) else None


class Operations(QObject):
    """The background work of one owner widget (or object); a child of it, so it lives and
    dies with it."""

    #: Whether any busy-counting operation is running (on every transition).
    busy_changed = Signal(bool)
    #: The words of a failure that had no ``on_error`` (also given to ``show_error``).
    failed = Signal(str)

    def __init__(
        self,
        owner: QObject,
        tasks: TaskRunner,
        language: str = "zh_CN",
        *,
        show_error: Callable[[str], None] | None = None,
        store: LocalStore | None = None,
    ) -> None:
        super().__init__(owner)
        self._owner = owner
        self._tasks = tasks
        self._language = language
        self._show_error = show_error
        self._store = store
        self._latest: dict[object, int] = {}
        self._running = 0

    # -- state -----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a busy-counting operation is running."""
        return self._running > 0

    @property
    def events(self) -> StoreEvents | None:
        """The store events writes are announced on (None without a store)."""
        return StoreEvents.of(self._store) if self._store is not None else None

    def alive(self) -> bool:
        """Whether the owner still exists."""
        return shiboken6.isValid(self._owner) and shiboken6.isValid(self)

    def cancel(self, key: object) -> None:
        """Drop the result of any work under ``key`` still running (nothing newer is run)."""
        self._latest[key] = self._latest.get(key, 0) + 1

    # -- running ---------------------------------------------------------------------------

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        *,
        lane: Lane = Lane.DB,
        key: object = None,
        on_error: Callable[[BaseException], None] | None = None,
        busy: bool = False,
        always: Callable[[T], None] | None = None,
    ) -> None:
        """Run ``fn`` in ``lane``; its result goes to ``on_done`` on the main thread.

        With a ``key``, only the latest work under that key delivers (result or failure).
        Nothing is delivered once the owner is gone, except to ``always``: what must happen
        with a result whatever became of the widget (remember a sign-in's server and user).
        ``busy`` counts the work in the busy state. Without ``on_error`` a failure is shown in
        words (see the module docstring).
        """
        self._start(lane, fn, on_done, key, on_error, busy, None, always)

    def write(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        *,
        key: object = None,
        on_error: Callable[[BaseException], None] | None = None,
        busy: bool = False,
    ) -> None:
        """Run a store write in the database lane; once it completes, announce the Changes it
        returned (see :func:`changes_of`) on the store's events — even when the owner is gone
        by then, since the write happened — and then deliver the result like :meth:`run`."""
        if self._store is None:
            raise RuntimeError("Operations.write needs the store the writes go to")
        self._start(Lane.DB, fn, on_done, key, on_error, busy, StoreEvents.of(self._store), None)

    def show_failure(self, exc: BaseException) -> None:
        """Show a failure in words: to ``show_error`` if the owner gave one, else to the task
        runner's ``error`` signal (the main window shows those)."""
        text = error_text(exc, self._language)
        log.info("operation failed: %s", text)
        self.failed.emit(text)
        if self._show_error is not None:
            self._show_error(text)
        else:
            self._tasks.error.emit(exc)

    # -- internals -------------------------------------------------------------------------

    def _start(  # noqa: PLR0917 - run() and write() spelled out once
        self,
        lane: Lane,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None,
        key: object,
        on_error: Callable[[BaseException], None] | None,
        busy: bool,
        events: StoreEvents | None,
        always: Callable[[T], None] | None,
    ) -> None:
        ticket = self._ticket(key)
        if busy:
            self._set_running(self._running + 1)

        def deliverable() -> bool:
            if busy and shiboken6.isValid(self):
                self._set_running(self._running - 1)
            if not self.alive():
                return False  # the owner was deleted while the work ran
            return key is None or self._latest.get(key) == ticket

        def done(result: Any) -> None:
            changes = changes_of(result) if events is not None else None
            if events is not None and changes is not None:
                events.announce(changes)
            if always is not None:
                always(result)
            if deliverable() and on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            if not deliverable():
                return
            if on_error is not None:
                on_error(exc)
            else:
                self.show_failure(exc)

        runner = {
            Lane.DB: self._tasks.run_db,
            Lane.NET: self._tasks.run_net,
            Lane.DEVICE: self._tasks.run_device,
            Lane.DOCUMENTS: self._tasks.run_documents,
            Lane.TILES: self._tasks.run_tiles,
        }[lane]
        runner(fn, done, failed)

    def _ticket(self, key: object) -> int:
        if key is None:
            return 0
        ticket = self._latest.get(key, 0) + 1
        self._latest[key] = ticket
        return ticket

    def _set_running(self, running: int) -> None:
        was = self.busy
        self._running = running
        if self.busy != was:
            self.busy_changed.emit(self.busy)
