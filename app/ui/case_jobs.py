"""The case editor's save machinery, what runs in the database lane: the case id holder, the
jobs' results, the save job itself and the position the photos suggest.

Qt-free: a job runs off the main thread and must not touch a widget; the editor
(:mod:`app.ui.case_editor`) hands these jobs to :class:`~app.ui.operations.Operations` and shows
their results.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.capture.positions import Fix, FixQuality, PositionSource
from app.domain.validation import CaseFields
from app.storage.store import CaseRow, Changes, LocalStore, PhotoRow, PositionUpdate, StepRow

#: Save this long after the last edit…
AUTOSAVE_MS = 1000
#: …and at the latest this long after the first unsaved edit, however fast the typing.
AUTOSAVE_MAX_MS = 5000
#: After a failed save (say, a full disk), try again after this long.
RETRY_MS = 5000


@dataclass
class CaseRef:
    """The case id as the database lane knows it (set by the job that creates the case)."""

    id: str | None = None
    #: What creating the case changed, until it is announced: the case may be created by a
    #: save, a position or a photo import, whichever runs first; the job that takes it (or
    #: the editor learning the id) announces it once. Taken from both threads, so locked.
    _created: Changes | None = None
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def create(self, store: LocalStore, fields: CaseFields) -> str:
        created = store.create_case(fields)
        with self._lock:
            self.id, self._created = created.id, created.changes
        return created.id

    def take_created(self) -> Changes:
        """What creating the case changed, if not announced yet (else nothing)."""
        with self._lock:
            created, self._created = self._created, None
        return created or Changes()


@dataclass(frozen=True, slots=True)
class Saved:
    case_id: str
    created: bool
    changed: bool
    #: What the save changed (announced on the store's events; empty when nothing changed).
    changes: Changes = dataclasses.field(default_factory=Changes)


@dataclass(frozen=True, slots=True)
class Positioned:
    case_id: str
    update: PositionUpdate
    created: Changes

    @property
    def changes(self) -> Changes:
        return self.created | self.update.changes


@dataclass(frozen=True, slots=True)
class Submitted:
    row: CaseRow
    changes: Changes


@dataclass(frozen=True, slots=True)
class Loaded:
    row: CaseRow
    position: Fix | None
    steps: list[StepRow]


def text_only(fields: CaseFields) -> CaseFields:
    """The fields an autosave writes: positions go through ``set_case_position`` only."""
    return dataclasses.replace(fields, lat=None, lon=None, accuracy_m=None, observed_at=None)


def save_job(ref: CaseRef, store: LocalStore, fields: CaseFields) -> Callable[[], Saved]:
    """The job that saves ``fields`` (text only): creates the case the first time, else
    updates it, keeping the stored position; nothing is written when nothing changed."""

    def job() -> Saved:
        if ref.id is None:
            case_id = ref.create(store, fields)
            return Saved(case_id, created=True, changed=True, changes=ref.take_created())
        current = store.get_case(ref.id)
        wanted = dataclasses.replace(
            fields, lat=current.lat, lon=current.lon, accuracy_m=current.accuracy_m
        )
        if wanted == dataclasses.replace(current.fields, observed_at=None):
            return Saved(ref.id, created=False, changed=False)
        changes = store.update_case(ref.id, wanted)
        return Saved(ref.id, created=False, changed=True, changes=changes)

    return job


def best_photo_fix(photos: list[PhotoRow]) -> Fix | None:
    """The position of the photo placed best (known accuracy first), as a :class:`Fix`."""
    placed = [p for p in photos if p.lat is not None and p.lon is not None]
    if not placed:
        return None

    def rank(photo: PhotoRow) -> float:
        accuracy = photo.accuracy_m
        return accuracy if accuracy is not None and math.isfinite(accuracy) else math.inf

    best = min(placed, key=rank)
    assert best.lat is not None and best.lon is not None
    try:
        source = PositionSource(best.position_source or PositionSource.PHOTO.value)
    except ValueError:
        source = PositionSource.PHOTO
    quality = FixQuality.ESTIMATED if source is PositionSource.TRACK else FixQuality.UNKNOWN
    return Fix(
        lat=best.lat,
        lon=best.lon,
        accuracy_m=best.accuracy_m,
        altitude_m=None,
        time=best.taken_at,
        quality=quality,
        source=source,
        mode=2,
    )
