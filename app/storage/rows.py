"""What the store hands out and takes in: plain frozen dataclasses, never ORM objects.

Every read of :class:`~app.storage.store.LocalStore` returns these, so no caller ever holds a
database session; every write returns a :class:`Changes` (alone or inside a richer result).
They live apart from the store so that the store's feature modules (queries, photos, tracks)
and their callers share them without importing the store itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.capture.photo_errors import PhotoError
from app.capture.positions import Fix
from app.capture.tracks import TrackState
from app.domain.lifecycle import CaseStatus, Role
from app.domain.validation import CaseFields, Urgency

if TYPE_CHECKING:
    from app.storage.models import Case

#: How the store tells the time (tests and benchmarks pass their own clock).
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a write changed; views refresh only on the flags that concern them.

    Every write of the store and of the feature modules (inbox, supervision, the sync's
    ledger) returns one, alone or as the ``changes`` of a richer result.
    """

    #: Cases whose row changed (fields, status, delivery, photo count, comments).
    cases: frozenset[str] = frozenset()
    #: Cases that are new on this laptop (also in ``cases``).
    created: frozenset[str] = frozenset()
    #: Some case's step log grew.
    steps: bool = False
    #: The outbox changed (an entry queued, sent, refused or resolved).
    outbox: bool = False
    #: Photos added, removed, or whose delivery changed.
    photos: frozenset[str] = frozenset()
    tracks: frozenset[str] = frozenset()
    #: Too much to list (a sync cycle's pushes and pulls): every view reloads what it shows.
    everything: bool = False
    #: Reference data from the server changed: accounts, departments, time limits, calendar.
    reference: bool = False
    #: Scored inspections added or changed (app.storage.inspections).
    inspections: frozenset[str] = frozenset()

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.cases | other.cases,
            self.created | other.created,
            self.steps or other.steps,
            self.outbox or other.outbox,
            self.photos | other.photos,
            self.tracks | other.tracks,
            self.everything or other.everything,
            self.reference or other.reference,
            self.inspections | other.inspections,
        )


@dataclass(frozen=True, slots=True)
class PositionUpdate:
    """The outcome of offering a case a new position; ``kept`` is the position it now has."""

    changes: Changes
    replaced: bool
    kept: Fix | None


@dataclass(frozen=True, slots=True)
class PhotoRow:
    id: str
    case_id: str
    sha256: str
    mime: str
    size_bytes: int
    width: int | None
    height: int | None
    original_name: str
    taken_at: datetime | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    position_source: str | None
    role: str
    delivery: str
    path: Path
    thumbnail: Path
    #: Bytes the server has confirmed receiving (resumable upload).
    upload_offset: int = 0
    confirmed_at: datetime | None = None
    delivery_error: str | None = None


@dataclass(frozen=True, slots=True)
class PhotoBatch:
    """The outcome of importing several photos: ids attached, and why the others were refused."""

    attached: list[str]
    refused: list[PhotoError]
    changes: Changes = Changes()


@dataclass(frozen=True, slots=True)
class TrackRow:
    id: str
    state: TrackState
    started_at: datetime
    ended_at: datetime | None
    distance_m: float
    point_count: int
    delivery: str


@dataclass(frozen=True, slots=True)
class Created:
    """The id of a newly created record and what its creation changed."""

    id: str
    changes: Changes


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case as the UI and the CLI see it."""

    pk: int
    id: str
    status: CaseStatus
    category_code: str | None
    description: str
    address: str
    urgency: Urgency
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    observed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    author_id: str | None
    grid_code: str | None
    revision: int
    server_revision: int | None
    delivery: str
    delivery_error: str | None
    confirmed_at: datetime | None
    photo_count: int
    #: Where grid_code came from: app.domain.grids.GridSource (auto, typed, outside) or None.
    grid_source: str | None = None
    #: The 门前三包 unit whose frontage holds the position (LocalStore.unit gives its name).
    unit_id: str | None = None

    @property
    def fields(self) -> CaseFields:
        return case_fields(self)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """Filters for listing cases; all given filters must hold (AND)."""

    text: str = ""
    statuses: frozenset[CaseStatus] = frozenset()
    categories: frozenset[str] = frozenset()
    created_from: datetime | None = None
    created_to: datetime | None = None
    deliveries: frozenset[str] = frozenset()
    #: newest (created, the default) | oldest | updated (most recently changed first)
    order: str = "newest"


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[CaseRow]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class StepRow:
    id: str
    action: str
    from_status: str
    to_status: str
    actor_id: str | None
    role: str
    at: datetime
    opinion: str


@dataclass(frozen=True, slots=True)
class Account:
    """The server account this device is signed in to."""

    server_url: str
    user_id: str
    username: str
    display_name: str
    role: Role
    #: A handler's department (issue 15); None for every other role.
    department_id: str | None = None
    #: A member of the inspection team (督导检查组), as of the last sign-in.
    inspection_team: bool = False


@dataclass
class Actor:
    """Who new work is done as (:attr:`~app.storage.store.LocalStore.actor`)."""

    id: str
    role: Role


def case_fields(case: Case | CaseRow) -> CaseFields:
    """The editable fields of a case (an ORM row or a :class:`CaseRow`), as validation takes them."""
    return CaseFields(
        category_code=case.category_code,
        description=case.description,
        address=case.address,
        urgency=Urgency(case.urgency),
        lat=case.lat,
        lon=case.lon,
        accuracy_m=case.accuracy_m,
        observed_at=case.observed_at,
        grid_code=case.grid_code,
    )
