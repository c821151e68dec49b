"""The local case store: the one API through which the client reads and writes cases.

Every write runs in one transaction that also appends its outbox entry (and its step-log
entry for a transition), then returns a :class:`Changes` value saying what changed, so views
refresh only what concerns them. Reads return plain dataclasses, never ORM objects, so no
caller ever holds a database session.

:class:`LocalStore` is the whole API; its parts live beside it by subject and its methods call
them: the row dataclasses (:mod:`app.storage.rows`), case queries (:mod:`app.storage.queries`),
a case's photos (:mod:`app.storage.case_photos`), patrol tracks (:mod:`app.storage.tracks`),
place — grid cells, geocoding, responsibilities, units (:mod:`app.storage.grids`) —
and the case-row helpers of every write path (:mod:`app.storage.cases`). The names callers
import from here are re-exported, so ``from app.storage.store import CaseRow`` still works.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from app.capture.positions import (
    DEFAULT_POOR_ACCURACY_M,
    Fix,
    FixQuality,
    PositionSource,
    should_replace,
)
from app.domain.ids import new_id
from app.domain.lifecycle import (
    INSPECTOR_EDITABLE,
    Action,
    CaseStatus,
    Role,
    TransitionRequest,
    apply_transition,
)
from app.domain.taxonomy import Taxonomy, load_default_taxonomy
from app.domain.validation import CaseFields, Urgency, require_valid
from app.storage import case_photos, grids, queries, tracks

# What callers import from here (app.ui, app.sync, the CLI, the feature modules, the tests).
from app.storage.case_photos import expand_photo_paths
from app.storage.cases import index_case, not_editable, require_case
from app.storage.changelog import queue_case_change, record_step, touch_revision
from app.storage.db import IMMEDIATE, open_database, translate_errors
from app.storage.models import Case, CaseStep, OutboxEntry, Position, SyncState, User
from app.storage.queries import DEFAULT_PAGE
from app.storage.rows import (
    Account,
    Actor,
    CaseQuery,
    CaseRow,
    Changes,
    Clock,
    Created,
    Page,
    PhotoBatch,
    PhotoRow,
    PositionUpdate,
    StepRow,
    TrackRow,
    case_fields,
    utc_now,
)
from app.storage.states import SETTLED_STATES, DeliveryState

__all__ = [
    "DEFAULT_PAGE",
    "PHOTOS_DIR",
    "Account",
    "Actor",
    "CaseQuery",
    "CaseRow",
    "Changes",
    "Clock",
    "Created",
    "LocalStore",
    "Page",
    "PhotoBatch",
    "PhotoRow",
    "PositionUpdate",
    "StepRow",
    "TrackRow",
    "expand_photo_paths",
    "index_case",
    "require_case",
    "utc_now",
]

PHOTOS_DIR = "photos"

#: The keys of SyncState that name the signed-in account.
_ACCOUNT_KEYS = ("server_url", "user_id")
#: Whether the account is in the inspection team (督导检查组): "1", or empty.
_TEAM_KEY = "inspection_team"


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
            user.department_id = account.department_id
            for key in _ACCOUNT_KEYS:
                s.merge(SyncState(key=key, value=getattr(account, key)))
            s.merge(SyncState(key=_TEAM_KEY, value="1" if account.inspection_team else ""))
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
                for row in s.scalars(
                    select(SyncState).where(SyncState.key.in_((*_ACCOUNT_KEYS, _TEAM_KEY)))
                )
            }
            user = s.get(User, values.get("user_id", ""))
            if user is None or "server_url" not in values:
                return None
            return Account(
                values["server_url"],
                user.id,
                user.username,
                user.display_name,
                Role(user.role),
                user.department_id,
                inspection_team=bool(values.get(_TEAM_KEY)),
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
            grids.place_case(s, case, fields.grid_code, None)
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
                raise not_editable(status)
            before = case.grid_code
            _assign(case, fields, now)
            grids.place_case(s, case, fields.grid_code, before)
            touch_revision(case, now)
            index_case(s, case)
            queue_case_change(s, case, "update", now)
        return Changes(cases=frozenset({case_id}), outbox=True)

    def submit_case(self, case_id: str) -> Changes:
        """Submit a draft (or a corrected returned case): full validation, then the transition."""
        now = self.clock()
        with self.write() as s:
            case = require_case(s, case_id)
            require_valid(case_fields(case), self.taxonomy, for_submission=True, now=now)
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

    # -- photos, patrol tracks and case queries ------------------------------------------
    #
    # Each lives in its own module as a function whose first parameter is the store; bound here
    # as methods, so ``store.attach_photo(...)`` is what callers write and the signature and
    # docstring are written once, beside the code.

    attach_photo = case_photos.attach_photo
    attach_photos = case_photos.attach_photos
    photos = case_photos.photos_of
    remove_photo = case_photos.remove_photo

    start_track = tracks.start_track
    import_track = tracks.import_track
    add_track_points = tracks.add_track_points
    set_track_state = tracks.set_track_state
    track = tracks.track_row
    track_points = tracks.track_points
    track_points_around = tracks.track_points_around

    get_case = queries.get_case
    category_usage = queries.category_usage
    nearby_open_cases = queries.nearby_open_cases
    case_ids = queries.case_ids
    rows = queries.case_rows
    list_cases = queries.list_cases

    locate = grids.locate_place
    cell_count = grids.cell_count
    responsibility = grids.responsibility_of
    propose_department = grids.propose_department
    unit = grids.unit_of
    grid_layer = grids.grid_layer

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
                raise not_editable(status)
            current = _case_fix(case)
            if not should_replace(current, fix, poor_accuracy_m):
                return PositionUpdate(Changes(), replaced=False, kept=current)
            require_valid(
                dataclasses.replace(
                    case_fields(case), lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m
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
            # The grid code follows the position, unless the inspector typed it.
            grids.place_case(s, case, case.grid_code, case.grid_code)
            touch_revision(case, now)
            s.add(_position_row(fix, now, case_id=case.id))
            queue_case_change(s, case, "update", now)
        return PositionUpdate(
            Changes(cases=frozenset({case_id}), outbox=True), replaced=True, kept=fix
        )

    # -- reads --------------------------------------------------------------------------

    def case_position(self, case_id: str) -> Fix | None:
        """The case's position with its source, accuracy and time (None: not set yet)."""
        with self.read() as s:
            return _case_fix(require_case(s, case_id))

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
