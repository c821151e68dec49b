"""SQLAlchemy 2 typed models of the local store.

Times are stored as ISO-8601 UTC text by :class:`UTCDateTime`, so they sort as text and read
back as timezone-aware datetimes. Every case, photo and change carries a client-generated
UUIDv7 (``id``); cases also have an integer ``pk`` that anchors the full-text index (SQLite
may renumber implicit rowids on VACUUM, an explicit INTEGER PRIMARY KEY never changes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.storage.states import DeliveryState, OutboxState


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` text (sorts correctly)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone")
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(value)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    #: False once the server disabled the account (kept: old steps and cases still name it).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    #: A handler's department (issue 15; only the signed-in handler's own account has one here).
    department_id: Mapped[str | None] = mapped_column(String(36))


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Case(Base):
    __tablename__ = "cases"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    category_code: Mapped[str | None] = mapped_column(String(5))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    status: Mapped[str] = mapped_column(String(30), default="draft")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    position_source: Mapped[str | None] = mapped_column(String(20))
    position_quality: Mapped[str | None] = mapped_column(String(20))
    position_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grid_code: Mapped[str | None] = mapped_column(String(15))
    #: Where ``grid_code`` came from (:class:`app.domain.grids.GridSource`; None: no position).
    grid_source: Mapped[str | None] = mapped_column(String(10))
    #: The 门前三包 unit whose frontage holds the position (a ResponsibilityUnit id).
    unit_id: Mapped[str | None] = mapped_column(String(36))
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[str | None] = mapped_column(ForeignKey("departments.id"))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The inspector a re-inspection task is assigned to (from the server).
    assignee_id: Mapped[str | None] = mapped_column(String(36))
    #: Departments in the loop (issue 15), from the server: the handler's request waiting for a
    #: supervisor (lifecycle.RequestKind), the deadline an extension proposes, when the
    #: department signed for the task (签收).
    request: Mapped[str | None] = mapped_column(String(20))
    requested_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Local edit counter, bumped by every local write.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    #: The server's revision of this case that local edits are based on (None: never confirmed).
    server_revision: Mapped[int | None] = mapped_column(Integer)
    #: Delivery ledger (:class:`~app.storage.states.DeliveryState`).
    delivery: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    delivery_error: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_cases_created", "created_at"),
        Index("ix_cases_status_created", "status", "created_at"),
        Index("ix_cases_category_status_created", "category_code", "status", "created_at"),
        Index("ix_cases_delivery", "delivery"),
    )


class CaseStep(Base):
    """One transition in a case's append-only step log."""

    __tablename__ = "case_steps"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    opinion: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[str | None] = mapped_column(String(36))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The inspector a ``request_reinspection`` step assigned.
    assignee_id: Mapped[str | None] = mapped_column(String(36))
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)

    __table_args__ = (
        # Covers the indicators' read of the whole log in (case, time) order (app.storage.reports).
        Index("ix_case_steps_log", "case_id", "at", "id", "action", "department_id", "deadline"),
    )


class Photo(Base):
    """Photo metadata; the file itself lives in the content-addressed photo store."""

    __tablename__ = "photos"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(Text, default="")
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The camera's own clock reading when it recorded no time zone (ISO text, no offset).
    taken_at_local: Mapped[str | None] = mapped_column(String(32))
    orientation: Mapped[int | None] = mapped_column(Integer)
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    gps_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: photo (EXIF GPS) or track (placed on the patrol track by capture time)
    position_source: Mapped[str | None] = mapped_column(String(20))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    role: Mapped[str] = mapped_column(String(20), default="before")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    delivery_error: Mapped[str | None] = mapped_column(Text)
    upload_url: Mapped[str | None] = mapped_column(Text)
    upload_offset: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("case_id", "sha256", name="uq_photos_case_sha256"),)


class Position(Base):
    """A fix: attached to a case, or one point of a patrol track."""

    __tablename__ = "positions"
    __table_args__ = (Index("ix_positions_track_at", "track_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    track_id: Mapped[str | None] = mapped_column(String(36), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    fix_quality: Mapped[str] = mapped_column(String(20), default="unknown")
    source: Mapped[str] = mapped_column(String(20))
    #: Track points only: increases after every pause, so a pause is never drawn as a line.
    segment: Mapped[int] = mapped_column(Integer, default=0)


class Track(Base):
    """A patrol track; its points are rows of ``positions`` with this ``track_id``."""

    __tablename__ = "tracks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    point_count: Mapped[int] = mapped_column(Integer, default=0)
    delivery: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Points the server holds (0 … uploaded_points-1): an interrupted upload resumes here.
    uploaded_points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Why the server refused the track (JSON {code, zh, en}), when it did.
    delivery_error: Mapped[str | None] = mapped_column(Text)
    #: Coverage's figures of the track (app.storage.track_cells): distance along it by the
    #: coverage rules, time on patrol, and the grid stamp its ``track_cells`` rows were
    #: computed against (None: not yet).
    cover_m: Mapped[float | None] = mapped_column(Float)
    patrol_s: Mapped[float | None] = mapped_column(Float)
    cells_stamp: Mapped[str | None] = mapped_column(String(36))


class TrackCell(Base):
    """A grid cell a track entered: the first and last time (Unix seconds) a point lay in it."""

    __tablename__ = "track_cells"

    track_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    first_s: Mapped[float] = mapped_column(Float)
    last_s: Mapped[float] = mapped_column(Float)


class OutboxEntry(Base):
    """A local change waiting for the server's receipt; written in the same transaction as it."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[str] = mapped_column(String(36), unique=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(36), index=True)
    op: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_revision: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: :class:`~app.storage.states.OutboxState` (failed: rejected; conflict: kept for the inspector)
    state: Mapped[str] = mapped_column(String(20), default=OutboxState.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The server's answer for a conflict or a rejection (reason, and its version of the case).
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SyncState(Base):
    """Key/value state of the sync module (feed cursor, last successful sync, server URL)."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Comment(Base):
    """A comment on a case, pulled from the server's feed."""

    __tablename__ = "comments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class TimeLimit(Base):
    """A time-limit rule (deadline per category and urgency), pulled from the server's feed."""

    __tablename__ = "time_limits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    category_code: Mapped[str | None] = mapped_column(String(5))
    urgency: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))


class CalendarDay(Base):
    """An exception to the working week (a public holiday, or a weekend day worked in lieu, 调休),
    pulled from the server's feed. Days not listed follow the week: Monday to Friday work."""

    __tablename__ = "calendar_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")


class GridCell(Base):
    """A grid cell (单元网格) as the server distributes it (feed kind ``grid_cell``)."""

    __tablename__ = "grid_cells"

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    community: Mapped[str] = mapped_column(String(200), default="")
    #: Rings (outer first) as flat [lon, lat, …] lists.
    rings: Mapped[list[Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)


class GridResponsibility(Base):
    """定人定责 of a cell: inspector ids, and a department id per category class (``*``: any)."""

    __tablename__ = "grid_responsibilities"

    grid_code: Mapped[str] = mapped_column(String(15), primary_key=True)
    inspectors: Mapped[list[str]] = mapped_column(JSON)
    departments: Mapped[dict[str, str]] = mapped_column(JSON)


class ResponsibilityUnit(Base):
    """A 门前三包 unit and its frontage: a polygon (``rings``) or a point with a radius."""

    __tablename__ = "responsibility_units"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200), default="")
    letter_no: Mapped[str] = mapped_column(String(100), default="")
    rings: Mapped[list[Any]] = mapped_column(JSON)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)


class KeySite(Base):
    """A key site (重点部位) from the server's feed, with its round's frequency and inspector."""

    __tablename__ = "key_sites"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(100), default="")
    frequency: Mapped[str] = mapped_column(String(10))
    due: Mapped[str] = mapped_column(String(5))  # HH:MM, local time
    weekday: Mapped[int | None] = mapped_column(Integer)
    inspector_id: Mapped[str] = mapped_column(String(36), index=True)
    area: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    #: YYYY-MM-DD: the local day the site was first loaded (no round is due before it).
    since: Mapped[str | None] = mapped_column(String(10))


class SiteCheck(Base):
    """A check recorded at a key site: this inspector's (queued for sync), or from the feed."""

    __tablename__ = "site_checks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(36), index=True)
    inspector_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[str | None] = mapped_column(String(36))
    delivery: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    delivery_error: Mapped[str | None] = mapped_column(Text)


class ChecklistTemplateRow(Base):
    """One version of a checklist template for scored inspections, from the server's feed
    (``document``: app.domain.checklists.template_document). Every version is kept: an
    inspection is scored with the version it was begun on."""

    __tablename__ = "checklist_templates"

    code: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class InspectionObjectRow(Base):
    """An object inspections look at (server.inspections.objects; the grids issue's units and
    cells at merge): kind (app.domain.checklists.ObjectKind), id, name, responsible department."""

    __tablename__ = "inspection_objects"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str | None] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InspectionRow(Base):
    """A scored inspection: made here (``mine``) or received from the server's feed."""

    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    template_code: Mapped[str] = mapped_column(String(36))
    template_version: Mapped[int] = mapped_column(Integer)
    object_kind: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(100))
    object_name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str | None] = mapped_column(String(50))
    #: app.domain.inspections.InspectionMode / InspectionState
    mode: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[str | None] = mapped_column(String(36))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mine: Mapped[bool] = mapped_column(Boolean, default=True)
    delivery: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    delivery_error: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeductionRow(Base):
    """One problem found (one occurrence of a checklist item), with its note, photo and position.
    The photo is a file of the content-addressed photo store (app.storage.photos), by SHA-256."""

    __tablename__ = "inspection_deductions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    item_code: Mapped[str] = mapped_column(String(36))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    position_source: Mapped[str | None] = mapped_column(String(20))
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    photo_mime: Mapped[str | None] = mapped_column(String(50))
    photo_size: Mapped[int | None] = mapped_column(Integer)
    photo_name: Mapped[str] = mapped_column(Text, default="")
    #: DeliveryState of the photo (None: no photo); REMOTE: on the server, not downloaded yet.
    photo_delivery: Mapped[str | None] = mapped_column(String(20))
    #: The case created from this deduction (one step into the normal loop).
    case_id: Mapped[str | None] = mapped_column(String(36))
