"""The local case store: the one API through which the client reads and writes cases.

Every write runs in one transaction that also appends its outbox entry (and its step-log
entry for a transition), then returns a :class:`Changes` value saying what changed, so views
refresh only what concerns them. Reads return plain dataclasses, never ORM objects, so no
caller ever holds a database session.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from app.capture.photos import PhotoError, PhotoInfo, inspect_with_thumbnail
from app.capture.positions import (
    DEFAULT_POOR_ACCURACY_M,
    EARTH_MEAN_RADIUS_M,
    Fix,
    FixQuality,
    PositionSource,
    haversine_m,
    should_replace,
)
from app.capture.tracks import (
    SAME_AS_LAPTOP,
    CameraClock,
    TrackPoint,
    TrackState,
    geotag_from_track,
    track_length_m,
)
from app.domain.errors import DomainError, Message
from app.domain.ids import new_id
from app.domain.lifecycle import (
    INSPECTOR_EDITABLE,
    STATUS_NAMES,
    Action,
    CaseStatus,
    Role,
    TransitionRequest,
    apply_transition,
)
from app.domain.taxonomy import Taxonomy, load_default_taxonomy
from app.domain.validation import CaseFields, Urgency, require_valid
from app.storage.changelog import enqueue, queue_case_change, record_step, touch_revision
from app.storage.db import IMMEDIATE, open_database, translate_errors
from app.storage.models import Case, CaseStep, OutboxEntry, Photo, Position, SyncState, Track, User
from app.storage.photos import original_path, store_original, thumbnail_path, write_thumbnail
from app.storage.search import index_tokens, match_expression
from app.storage.states import SETTLED_STATES, DeliveryState, OutboxEntity, OutboxState

PHOTOS_DIR = "photos"
DEFAULT_PAGE = 50

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

    @property
    def fields(self) -> CaseFields:
        return _fields_of(self)

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


_ACCOUNT_KEYS = ("server_url", "user_id")


@dataclass
class Actor:
    id: str
    role: Role


@dataclass
class LocalStore:
    """The local store in one data directory: the database and the photo folder."""

    data_dir: Path
    taxonomy: Taxonomy = field(default_factory=load_default_taxonomy)
    clock: Clock = utc_now

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.engine = open_database(self.data_dir)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False
        )
        self.photos_dir = self.data_dir / PHOTOS_DIR
        with translate_errors(self.data_dir):
            self.photos_dir.mkdir(exist_ok=True)
        self._actor = self._load_actor()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sessions -----------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE): committed on exit, rolled back on error.

        Storage errors (a full disk, a locked or damaged file) come out as ``StorageError``.
        This is the unit of work every feature module uses; nothing outside ``app.storage``
        touches a session.
        """
        with translate_errors(self.data_dir), self._write_sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read session (no transaction is held open after the block)."""
        with translate_errors(self.data_dir), self._sessions() as session:
            yield session

    @property
    def actor(self) -> Actor:
        """Who new work is done as: the signed-in account, or this device's local inspector."""
        return self._actor

    def _load_actor(self) -> Actor:
        """The signed-in user, or a local inspector identity for a device not yet signed in."""
        with self.write() as s:
            user_id = s.get(SyncState, "user_id")
            if user_id is not None:
                user = s.get(User, user_id.value)
                if user is not None:
                    return Actor(user.id, Role(user.role))
            local = s.get(SyncState, "local_user_id")
            if local is None:
                uid = new_id()
                s.add(
                    User(
                        id=uid,
                        username=f"local-{uid[-12:]}",
                        display_name="本机用户",
                        role="inspector",
                    )
                )
                s.add(SyncState(key="local_user_id", value=uid))
                return Actor(uid, Role.INSPECTOR)
            return Actor(local.value, Role.INSPECTOR)

    # -- account ------------------------------------------------------------------------

    def set_account(self, account: Account) -> Account:
        """Record the signed-in account; new work is then done as that user."""
        with self.write() as s:
            user = s.get(User, account.user_id)
            if user is None:
                user = User(id=account.user_id, username=account.username)
                s.add(user)
            user.username = account.username
            user.display_name = account.display_name
            user.role = account.role.value
            for key in _ACCOUNT_KEYS:
                s.merge(SyncState(key=key, value=getattr(account, key)))
        self._actor = Actor(account.user_id, account.role)
        return account

    def clear_account(self) -> None:
        """Forget the server this device is signed in to (sign-out): :meth:`account` is None
        until the next sign-in. The user id stays, so work recorded meanwhile is still theirs
        and travels when they (or the next account) sign in."""
        with self.write() as s:
            state = s.get(SyncState, "server_url")
            if state is not None:
                s.delete(state)

    def account(self) -> Account | None:
        """The signed-in account, or None for a device never signed in."""
        with self.read() as s:
            values = {
                row.key: row.value
                for row in s.scalars(select(SyncState).where(SyncState.key.in_(_ACCOUNT_KEYS)))
            }
            user = s.get(User, values.get("user_id", ""))
            if user is None or "server_url" not in values:
                return None
            return Account(
                values["server_url"], user.id, user.username, user.display_name, Role(user.role)
            )

    # -- writes -------------------------------------------------------------------------

    def create_case(self, fields: CaseFields) -> Created:
        """Save a new draft case (validated as a draft) with its outbox entry.

        A position in ``fields`` is one the inspector typed in (manual); positions from a
        receiver, a photo or a track go through :meth:`set_case_position`.
        """
        now = self.clock()
        require_valid(fields, self.taxonomy, for_submission=False, now=now)
        case_id = new_id()
        with self.write() as s:
            case = Case(
                id=case_id,
                status=CaseStatus.DRAFT.value,
                created_at=now,
                updated_at=now,
                author_id=self._actor.id,
                revision=1,
                delivery=DeliveryState.PENDING,
            )
            _assign(case, fields, now)
            if case.observed_at is None:
                case.observed_at = now
            s.add(case)
            s.flush()
            index_case(s, case)
            queue_case_change(s, case, "create", now)
        return Created(
            case_id, Changes(cases=frozenset({case_id}), created=frozenset({case_id}), outbox=True)
        )

    def update_case(self, case_id: str, fields: CaseFields) -> Changes:
        """Edit a case still in the inspector's hands (a draft or one returned for correction)."""
        now = self.clock()
        require_valid(fields, self.taxonomy, for_submission=False, now=now)
        with self.write() as s:
            case = require_case(s, case_id)
            status = CaseStatus(case.status)
            if status not in INSPECTOR_EDITABLE:
                raise _not_editable(status)
            _assign(case, fields, now)
            touch_revision(case, now)
            index_case(s, case)
            queue_case_change(s, case, "update", now)
        return Changes(cases=frozenset({case_id}), outbox=True)

    def submit_case(self, case_id: str) -> Changes:
        """Submit a draft (or a corrected returned case): full validation, then the transition."""
        now = self.clock()
        with self.write() as s:
            case = require_case(s, case_id)
            require_valid(_fields_of(case), self.taxonomy, for_submission=True, now=now)
            source = CaseStatus(case.status)
            target = apply_transition(source, TransitionRequest(Action.SUBMIT, self._actor.role))
            case.status = target.value
            case.submitted_at = now
            touch_revision(case, now)
            record_step(
                s,
                case.id,
                Action.SUBMIT.value,
                source.value,
                target.value,
                role=self._actor.role.value,
                at=now,
                actor_id=self._actor.id,
            )
            queue_case_change(s, case, "submit", now)
        return Changes(cases=frozenset({case_id}), steps=True, outbox=True)

    def attach_photo(
        self,
        case_id: str,
        source: Path,
        *,
        role: str = "before",
        camera: CameraClock = SAME_AS_LAPTOP,
    ) -> Created:
        """Import a photo file into the store and attach it to a case.

        The photo is checked and read first (nothing is written for a refused file), then
        copied into the content-addressed store, then recorded. Its position is its EXIF GPS,
        or else where the patrol track was at its capture time (``camera`` converts the
        camera's clock). The same file attached twice to one case yields the same record.
        """
        source = Path(source)
        info, thumbnail = inspect_with_thumbnail(source)
        now = self.clock()
        with self.read() as s:
            existing = s.scalar(
                select(Photo.id).where(Photo.case_id == case_id, Photo.sha256 == info.sha256)
            )
            require_case(s, case_id)
        if existing is not None:
            return Created(existing, Changes())
        with translate_errors(self.data_dir):
            stored = store_original(source, self.photos_dir, sha256=info.sha256, mime=info.mime)
            write_thumbnail(self.photos_dir, info.sha256, thumbnail)
        taken_at = info.taken_at
        if taken_at is None and info.taken_at_local is not None:
            taken_at = camera.to_utc(info.taken_at_local)
        position = self._photo_position(info, taken_at)
        with self.write() as s:
            case = require_case(s, case_id)
            existing = s.scalar(
                select(Photo.id).where(Photo.case_id == case_id, Photo.sha256 == info.sha256)
            )
            if existing is not None:  # attached meanwhile by another writer
                return Created(existing, Changes())
            photo_id = new_id()
            s.add(
                Photo(
                    id=photo_id,
                    case_id=case.id,
                    sha256=info.sha256,
                    mime=info.mime,
                    size_bytes=stored.size_bytes,
                    width=info.display_width,
                    height=info.display_height,
                    original_name=source.name,
                    taken_at=taken_at,
                    taken_at_local=info.taken_at_local.isoformat() if info.taken_at_local else None,
                    orientation=info.orientation,
                    make=info.make,
                    model=info.model,
                    lat=position.lat if position else None,
                    lon=position.lon if position else None,
                    altitude_m=position.altitude_m if position else None,
                    accuracy_m=position.accuracy_m if position else None,
                    position_source=position.source.value if position else None,
                    gps_time=info.gps_time,
                    role=role,
                    created_at=now,
                    delivery=DeliveryState.PENDING,
                    upload_offset=0,
                )
            )
            enqueue(
                s,
                OutboxEntity.PHOTO,
                photo_id,
                "upload",
                {"case_id": case.id, "sha256": info.sha256, "size": stored.size_bytes},
                now=now,
            )
        return Created(
            photo_id, Changes(cases=frozenset({case_id}), photos=frozenset({photo_id}), outbox=True)
        )

    def attach_photos(
        self,
        case_id: str,
        sources: Sequence[Path],
        *,
        role: str = "before",
        camera: CameraClock = SAME_AS_LAPTOP,
    ) -> PhotoBatch:
        """Attach files and the photos found in folders; a refused file never stops the rest."""
        attached: list[str] = []
        refused: list[PhotoError] = []
        changes = Changes()
        for path in expand_photo_paths(sources):
            try:
                created = self.attach_photo(case_id, path, role=role, camera=camera)
            except PhotoError as exc:
                refused.append(exc)
            else:
                attached.append(created.id)
                changes |= created.changes
        return PhotoBatch(attached, refused, changes)

    def photos(self, case_id: str) -> list[PhotoRow]:
        with self.read() as s:
            rows = s.scalars(
                select(Photo).where(Photo.case_id == case_id).order_by(Photo.created_at, Photo.id)
            )
            return [_photo_row(p, self.photos_dir) for p in rows]

    def remove_photo(self, photo_id: str) -> Changes:
        """Detach a photo from its case before the server has it (the inspector changed their mind).

        Allowed only while the case is in the inspector's hands and the server has not
        confirmed the photo. The row goes and its upload is marked resolved, in one
        transaction; the file stays in the content-addressed store (another case may use it).
        """
        with self.write() as s:
            photo = s.get(Photo, photo_id)
            if photo is None:
                raise DomainError(
                    "not_found", Message(f"找不到照片 {photo_id}", f"No photo {photo_id}")
                )
            case = require_case(s, photo.case_id)
            status = CaseStatus(case.status)
            if status not in INSPECTOR_EDITABLE:
                raise _not_editable(status)
            if photo.delivery == DeliveryState.CONFIRMED:
                name = photo.original_name or photo.sha256[:12]
                raise DomainError(
                    "photo_confirmed",
                    Message(
                        f"照片 {name} 已由服务器确认收到，不能删除",
                        f"The server has confirmed photo {name}; it can no longer be removed",
                    ),
                )
            s.execute(
                update(OutboxEntry)
                .where(
                    OutboxEntry.entity == OutboxEntity.PHOTO,
                    OutboxEntry.entity_id == photo_id,
                    OutboxEntry.op == "upload",
                )
                .values(state=OutboxState.RESOLVED)
            )
            s.delete(photo)
            case_id = case.id
        return Changes(cases=frozenset({case_id}), photos=frozenset({photo_id}), outbox=True)

    def _photo_position(self, info: PhotoInfo, taken_at: datetime | None) -> Fix | None:
        if info.gps_lat is not None and info.gps_lon is not None:
            return Fix(
                lat=info.gps_lat,
                lon=info.gps_lon,
                accuracy_m=None,
                altitude_m=info.gps_altitude,
                time=info.gps_time or taken_at,
                quality=FixQuality.UNKNOWN,
                source=PositionSource.PHOTO,
                mode=2,
            )
        if taken_at is None:
            return None
        return geotag_from_track(self.track_points_around(taken_at), taken_at)

    # -- positions ----------------------------------------------------------------------

    def set_case_position(
        self, case_id: str, fix: Fix, *, poor_accuracy_m: float = DEFAULT_POOR_ACCURACY_M
    ) -> PositionUpdate:
        """Set a case's position from ``fix`` unless that would silently make it worse.

        A manual position (typed in or picked on the map) always wins. An automatic one (GPS,
        OS, photo, track) never replaces a manual position, nor one with better accuracy; the
        result says so, so the UI can offer it instead. Only drafts and returned cases move.
        """
        now = self.clock()
        with self.write() as s:
            case = require_case(s, case_id)
            status = CaseStatus(case.status)
            if status not in INSPECTOR_EDITABLE:
                raise _not_editable(status)
            current = _case_fix(case)
            if not should_replace(current, fix, poor_accuracy_m):
                return PositionUpdate(Changes(), replaced=False, kept=current)
            require_valid(
                dataclasses.replace(
                    _fields_of(case), lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m
                ),
                self.taxonomy,
                for_submission=False,
                now=now,
            )
            case.lat, case.lon, case.accuracy_m = fix.lat, fix.lon, fix.accuracy_m
            case.altitude_m = fix.altitude_m
            case.position_source = fix.source.value
            case.position_quality = fix.quality.value
            case.position_time = fix.time or now
            touch_revision(case, now)
            s.add(_position_row(fix, now, case_id=case.id))
            queue_case_change(s, case, "update", now)
        return PositionUpdate(
            Changes(cases=frozenset({case_id}), outbox=True), replaced=True, kept=fix
        )

    # -- patrol tracks --------------------------------------------------------------------

    def start_track(self) -> Created:
        now = self.clock()
        track_id = new_id()
        with self.write() as s:
            s.add(
                Track(
                    id=track_id,
                    author_id=self._actor.id,
                    state=TrackState.RECORDING.value,
                    started_at=now,
                )
            )
        return Created(track_id, Changes(tracks=frozenset({track_id})))

    def add_track_points(
        self, track_id: str, points: Sequence[TrackPoint], *, distance_m: float | None = None
    ) -> Changes:
        """Append kept points (see :class:`app.capture.tracks.TrackRecorder`) in one transaction."""
        with self.write() as s:
            track = _get_track(s, track_id)
            for point in points:
                s.add(
                    Position(
                        id=new_id(),
                        track_id=track_id,
                        lat=point.lat,
                        lon=point.lon,
                        accuracy_m=point.accuracy_m,
                        altitude_m=point.altitude_m,
                        at=point.time,
                        fix_quality=FixQuality.UNKNOWN.value,
                        source=PositionSource.GPS.value,
                        segment=point.segment,
                    )
                )
            track.point_count += len(points)
            if distance_m is not None:
                track.distance_m = distance_m
        return Changes(tracks=frozenset({track_id}))

    def set_track_state(self, track_id: str, state: TrackState) -> Changes:
        """Pause, resume or stop a track; a stopped track is queued for sync like a case."""
        now = self.clock()
        with self.write() as s:
            track = _get_track(s, track_id)
            if track.state == TrackState.STOPPED.value:
                raise DomainError(
                    "track_stopped", Message("巡查轨迹已结束", "The patrol track has already ended")
                )
            track.state = state.value
            if state is TrackState.STOPPED:
                track.ended_at = now
                points = _track_points(s, track_id)
                track.distance_m = track_length_m(points)
                enqueue(
                    s,
                    OutboxEntity.TRACK,
                    track_id,
                    "upload",
                    {
                        "id": track_id,
                        "points": len(points),
                        "distance_m": round(track.distance_m, 1),
                    },
                    now=now,
                )
        return Changes(tracks=frozenset({track_id}), outbox=state is TrackState.STOPPED)

    def track(self, track_id: str) -> TrackRow:
        with self.read() as s:
            t = _get_track(s, track_id)
            return TrackRow(
                t.id,
                TrackState(t.state),
                t.started_at,
                t.ended_at,
                t.distance_m,
                t.point_count,
                t.delivery,
            )

    def track_points(self, track_id: str) -> list[TrackPoint]:
        with self.read() as s:
            return _track_points(s, track_id)

    def track_points_around(
        self, moment: datetime, window: timedelta = timedelta(minutes=10)
    ) -> list[TrackPoint]:
        """Points of every local track within ``window`` of ``moment``, in time order."""
        with self.read() as s:
            rows = s.scalars(
                select(Position)
                .where(
                    Position.track_id.is_not(None),
                    Position.at >= moment - window,
                    Position.at <= moment + window,
                )
                .order_by(Position.at)
            )
            # Segments are per track; make them distinct across tracks so no line joins two tracks.
            seen: dict[tuple[str | None, int], int] = {}
            return [
                TrackPoint(
                    p.lat,
                    p.lon,
                    p.at,
                    p.accuracy_m,
                    p.altitude_m,
                    seen.setdefault((p.track_id, p.segment), len(seen)),
                )
                for p in rows
            ]

    # -- reads --------------------------------------------------------------------------

    def get_case(self, case_id: str) -> CaseRow:
        with self.read() as s:
            row = s.execute(select(*_ROW_COLUMNS).where(Case.id == case_id)).first()
            if row is None:
                raise _not_found(case_id)
            return _row(row)

    def case_position(self, case_id: str) -> Fix | None:
        """The case's position with its source, accuracy and time (None: not set yet)."""
        with self.read() as s:
            return _case_fix(require_case(s, case_id))

    def category_usage(self, limit: int = 8) -> list[tuple[str, int]]:
        """``(category_code, cases)`` of the signed-in user's own cases, most used first.

        Ties go to the category used most recently, then to the lower code.
        """
        count = func.count().label("n")
        with self.read() as s:
            rows = s.execute(
                select(Case.category_code, count)
                .where(Case.author_id == self._actor.id, Case.category_code.is_not(None))
                .group_by(Case.category_code)
                .order_by(count.desc(), func.max(Case.created_at).desc(), Case.category_code)
                .limit(limit)
            )
            return [(str(code), int(n)) for code, n in rows]

    def nearby_open_cases(
        self,
        category_code: str,
        lat: float,
        lon: float,
        *,
        radius_m: float = 30.0,
        days: float = 7,
        exclude_id: str | None = None,
    ) -> list[CaseRow]:
        """Open cases of a category within ``radius_m``, made in the last ``days``, nearest first.

        The duplicate check at capture: "possibly already reported". Open means not closed,
        evaluated, void or rejected. A bounding box narrows the rows in SQL (on the category,
        status and creation-time index); the great-circle distance decides.
        """
        if not (math.isfinite(lat) and math.isfinite(lon)) or radius_m < 0:
            return []
        since = self.clock() - timedelta(days=days)
        angle = radius_m / EARTH_MEAN_RADIUS_M
        dlat = math.degrees(angle) * 1.001 + 1e-9
        stmt = select(*_ROW_COLUMNS).where(
            Case.category_code == category_code,
            Case.status.notin_(sorted(s.value for s in _NOT_OPEN)),
            Case.created_at >= since,
            Case.lat.between(lat - dlat, lat + dlat),
            Case.lon.is_not(None),
        )
        cos_lat = math.cos(math.radians(lat))
        if angle < math.pi / 2 and math.sin(angle) < cos_lat:
            # The widest longitude span of a circle of this radius around this latitude.
            dlon = math.degrees(math.asin(math.sin(angle) / cos_lat)) * 1.001 + 1e-9
            if lon - dlon >= -180.0 and lon + dlon <= 180.0:  # no antimeridian: one range
                stmt = stmt.where(Case.lon.between(lon - dlon, lon + dlon))
        if exclude_id is not None:
            stmt = stmt.where(Case.id != exclude_id)
        with self.read() as s:
            candidates = [_row(r) for r in s.execute(stmt)]
        near = [
            (haversine_m(lat, lon, c.lat, c.lon), c)
            for c in candidates
            if c.lat is not None and c.lon is not None
        ]
        return [c for d, c in sorted(near, key=lambda dc: (dc[0], dc[1].pk)) if d <= radius_m]

    def case_ids(self, query: CaseQuery = CaseQuery()) -> list[int]:
        """The ``pk`` of every matching case, newest first — cheap, for lazy views."""
        with self.read() as s:
            stmt = _filtered(select(Case.pk), query)
            return list(s.scalars(stmt.order_by(*_ORDERS.get(query.order, _ORDER))))

    def rows(self, pks: Sequence[int]) -> list[CaseRow]:
        """The cases with these ``pk`` values, in the order given (missing ones are skipped)."""
        if not pks:
            return []
        with self.read() as s:
            by_pk = {
                r.pk: _row(r) for r in s.execute(select(*_ROW_COLUMNS).where(Case.pk.in_(pks)))
            }
            return [by_pk[pk] for pk in pks if pk in by_pk]

    def list_cases(
        self, query: CaseQuery = CaseQuery(), *, offset: int = 0, limit: int = DEFAULT_PAGE
    ) -> Page:
        """One page of matching cases, newest first, with the total count."""
        with self.read() as s:
            expression = match_expression(query.text) if query.text.strip() else None
            matches = None
            if expression is not None:
                matches = (
                    s.scalar(select(func.count()).select_from(_SEARCH).where(_match(expression)))
                    or 0
                )
            if matches is not None and query in (
                CaseQuery(text=query.text),
                CaseQuery(text=query.text, order=query.order),
            ):
                total = matches  # text alone: the index counts it without touching the cases
            else:
                total = s.scalar(_filtered(select(func.count()).select_from(Case), query)) or 0
            # Many matches: walking the creation-time index newest first and stopping after one
            # page beats fetching and sorting every match (SQLite's plan, best for few matches).
            order = _ORDERS.get(query.order, _ORDER)
            walk = matches is not None and matches > _WALK_INDEX_ABOVE and order is _ORDER
            stmt = _filtered(select(*_ROW_COLUMNS), query, walk_index=walk)
            stmt = stmt.order_by(*order).offset(offset).limit(limit)
            rows = [_row(r) for r in s.execute(stmt)]
            return Page(rows, total, offset, limit)

    def steps(self, case_id: str) -> list[StepRow]:
        with self.read() as s:
            steps = s.scalars(
                select(CaseStep)
                .where(CaseStep.case_id == case_id)
                .order_by(CaseStep.at, CaseStep.id)
            )
            return [
                StepRow(
                    st.id,
                    st.action,
                    st.from_status,
                    st.to_status,
                    st.actor_id,
                    st.role,
                    st.at,
                    st.opinion,
                )
                for st in steps
            ]

    def pending_outbox(self) -> list[tuple[int, str, str, str]]:
        """``(seq, change_id, entity_id, op)`` of every change not yet confirmed, oldest first."""
        with self.read() as s:
            rows = s.execute(
                select(
                    OutboxEntry.seq, OutboxEntry.change_id, OutboxEntry.entity_id, OutboxEntry.op
                )
                .where(OutboxEntry.state.notin_(SETTLED_STATES))
                .order_by(OutboxEntry.seq)
            )
            return [(r[0], r[1], r[2], r[3]) for r in rows]

    def integrity_check(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(text("PRAGMA integrity_check")).scalar())


_ORDER = (Case.created_at.desc(), Case.pk.desc())
_ORDERS = {
    "newest": _ORDER,
    "oldest": (Case.created_at.asc(), Case.pk.asc()),
    "updated": (Case.updated_at.desc(), Case.pk.desc()),
}
#: Statuses in which a case is no longer open (for the duplicate check at capture).
_NOT_OPEN = frozenset(
    {CaseStatus.CLOSED, CaseStatus.EVALUATED, CaseStatus.VOID, CaseStatus.REJECTED}
)
#: The FTS5 table of migration 0002 (not an ORM model: its rows are derived data).
_SEARCH = table("case_search", column("rowid", Integer), column("grams"))
#: Above this many text matches, a page is found by walking the creation-time index (bench/store.py).
_WALK_INDEX_ABOVE = 2000
_ROW_COLUMNS = (
    Case.pk,
    Case.id,
    Case.status,
    Case.category_code,
    Case.description,
    Case.address,
    Case.urgency,
    Case.lat,
    Case.lon,
    Case.accuracy_m,
    Case.observed_at,
    Case.created_at,
    Case.updated_at,
    Case.submitted_at,
    Case.author_id,
    Case.grid_code,
    Case.revision,
    Case.server_revision,
    Case.delivery,
    Case.delivery_error,
    Case.confirmed_at,
    select(func.count())
    .where(Photo.case_id == Case.id)
    .correlate(Case)
    .scalar_subquery()
    .label("photo_count"),
)


def _match(expression: str) -> ColumnElement[bool]:
    return literal_column("case_search").op("MATCH")(expression)


def _filtered(stmt: Select[Any], q: CaseQuery, *, walk_index: bool = False) -> Select[Any]:
    if q.text.strip():
        expression = match_expression(q.text)
        if expression is not None:
            # SQLite's unary "+" makes a term unusable for lookups; the planner then satisfies
            # ORDER BY from the creation-time index and tests each row against the match set.
            pk = literal_column("+cases.pk") if walk_index else Case.pk
            stmt = stmt.where(pk.in_(select(_SEARCH.c.rowid).where(_match(expression))))
    if q.statuses:
        stmt = stmt.where(Case.status.in_(sorted(s.value for s in q.statuses)))
    if q.categories:
        stmt = stmt.where(Case.category_code.in_(sorted(q.categories)))
    if q.created_from is not None:
        stmt = stmt.where(Case.created_at >= q.created_from)
    if q.created_to is not None:
        stmt = stmt.where(Case.created_at < q.created_to)
    if q.deliveries:
        stmt = stmt.where(Case.delivery.in_(sorted(q.deliveries)))
    return stmt


def _not_editable(status: CaseStatus) -> DomainError:
    name = STATUS_NAMES[status]
    return DomainError(
        "not_editable",
        Message(
            f"案件状态为“{name.zh}”，不能修改",
            f"The case is {name.en.lower()} and can no longer be edited",
        ),
    )


def _case_fix(case: Case) -> Fix | None:
    if case.lat is None or case.lon is None:
        return None
    return Fix(
        lat=case.lat,
        lon=case.lon,
        accuracy_m=case.accuracy_m,
        altitude_m=case.altitude_m,
        time=case.position_time,
        quality=FixQuality(case.position_quality or FixQuality.UNKNOWN.value),
        source=PositionSource(case.position_source or PositionSource.MANUAL.value),
        mode=2,
    )


def _position_row(fix: Fix, now: datetime, *, case_id: str | None = None) -> Position:
    return Position(
        id=new_id(),
        case_id=case_id,
        lat=fix.lat,
        lon=fix.lon,
        accuracy_m=fix.accuracy_m,
        altitude_m=fix.altitude_m,
        at=fix.time or now,
        fix_quality=fix.quality.value,
        source=fix.source.value,
        segment=0,
    )


def _photo_row(p: Photo, photos_dir: Path) -> PhotoRow:
    return PhotoRow(
        id=p.id,
        case_id=p.case_id,
        sha256=p.sha256,
        mime=p.mime,
        size_bytes=p.size_bytes,
        width=p.width,
        height=p.height,
        original_name=p.original_name,
        taken_at=p.taken_at,
        lat=p.lat,
        lon=p.lon,
        accuracy_m=p.accuracy_m,
        position_source=p.position_source,
        role=p.role,
        delivery=p.delivery,
        path=original_path(photos_dir, p.sha256, p.mime),
        thumbnail=thumbnail_path(photos_dir, p.sha256),
        upload_offset=p.upload_offset,
        confirmed_at=p.confirmed_at,
        delivery_error=p.delivery_error,
    )


def expand_photo_paths(sources: Sequence[Path]) -> list[Path]:
    """Files as given, and the files inside folders (recursively, in name order, hidden skipped)."""
    found: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            found.extend(
                p
                for p in sorted(source.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(source).parts)
            )
        else:
            found.append(source)
    return found


def _get_track(s: Session, track_id: str) -> Track:
    track = s.get(Track, track_id)
    if track is None:
        raise DomainError(
            "not_found", Message(f"找不到巡查轨迹 {track_id}", f"No patrol track {track_id}")
        )
    return track


def _track_points(s: Session, track_id: str) -> list[TrackPoint]:
    rows = s.scalars(select(Position).where(Position.track_id == track_id).order_by(Position.at))
    return [TrackPoint(p.lat, p.lon, p.at, p.accuracy_m, p.altitude_m, p.segment) for p in rows]


def _not_found(case_id: str) -> DomainError:
    return DomainError("not_found", Message(f"找不到案件 {case_id}", f"No case {case_id}"))


def require_case(s: Session, case_id: str) -> Case:
    """The case to change in this session; a :class:`DomainError` ``not_found`` if there is none."""
    case = s.scalar(select(Case).where(Case.id == case_id))
    if case is None:
        raise _not_found(case_id)
    return case


def _assign(case: Case, fields: CaseFields, now: datetime) -> None:
    position = (fields.lat, fields.lon, fields.accuracy_m)
    if position != (case.lat, case.lon, case.accuracy_m):
        typed = fields.lat is not None
        case.position_source = PositionSource.MANUAL.value if typed else None
        case.position_quality = FixQuality.MANUAL.value if typed else None
        case.position_time = now if typed else None
        case.altitude_m = None
    case.category_code = fields.category_code or None
    case.description = fields.description
    case.address = fields.address
    case.urgency = Urgency(fields.urgency).value
    case.lat = fields.lat
    case.lon = fields.lon
    case.accuracy_m = fields.accuracy_m
    case.grid_code = fields.grid_code or None
    if fields.observed_at is not None:
        case.observed_at = fields.observed_at


def index_case(s: Session, case: Case) -> None:
    """(Re)write the case's row of the full-text index (after its text changed, or it arrived)."""
    s.execute(text("DELETE FROM case_search WHERE rowid = :pk"), {"pk": case.pk})
    s.execute(
        text("INSERT INTO case_search(rowid, grams) VALUES (:pk, :grams)"),
        {"pk": case.pk, "grams": index_tokens(case.description, case.address)},
    )


def _row(r: Row[Any]) -> CaseRow:
    """A :class:`CaseRow` from a result row of :data:`_ROW_COLUMNS` (no ORM objects: faster)."""
    values = r._asdict()
    values["status"] = CaseStatus(values["status"])
    values["urgency"] = Urgency(values["urgency"])
    return CaseRow(**values)


def _fields_of(case: Case | CaseRow) -> CaseFields:
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
