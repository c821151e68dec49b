"""The server's database models (SQLAlchemy 2); SQLite by default, PostgreSQL for scale."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset; it is put back here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: A handler's department (issue 15): a handler sees and works only its cases.
    department_id: Mapped[str | None] = mapped_column(String(36))
    #: A member of the inspection team (督导检查组): may record scored inspections (issue 18).
    #: (A server default, not a Python one: inserts naming only older columns stay valid.)
    inspection_team: Mapped[bool] = mapped_column(Boolean, server_default=false())


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256; the token itself is shown once, at login."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Recorded at most once per ``auth.LAST_USE_PRECISION`` (idle expiry); None: not since
    #: it was issued.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


_BigID = BigInteger().with_variant(Integer, "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Category(Base):
    """A row of the taxonomy table the city runs (loaded by an admin; GB/T 47678.5 by default)."""

    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("standard", "kind", "code", name="uq_categories_standard_kind_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    standard: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    major_code: Mapped[str] = mapped_column(String(2))
    major_name: Mapped[str] = mapped_column(String(200))
    major_name_en: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class TimeLimitUnit(enum.StrEnum):
    """What a time limit's ``amount`` counts."""

    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    CALENDAR_HOURS = "calendar_hours"


class TimeLimitRule(Base):
    """How long a department has to handle a case: per category (None: any) and urgency."""

    __tablename__ = "time_limit_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    category_code: Mapped[str | None] = mapped_column(String(5))
    urgency: Mapped[str | None] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    #: working_hours | working_days | calendar_hours
    unit: Mapped[str] = mapped_column(String(20))


class CalendarDay(Base):
    """An exception to the Monday-to-Friday week: a holiday, or a weekend day worked (调休)."""

    __tablename__ = "calendar_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")


class Basemap(Base):
    """A raster MBTiles basemap the server distributes to every laptop, by name.

    The file lives in the data folder's ``basemaps/`` under its SHA-256 (content-addressed:
    replacing a basemap by a changed file gives a new address, so a client's cached copy and a
    resumed download can never mix two versions)."""

    __tablename__ = "basemaps"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    datum: Mapped[str] = mapped_column(String(10))
    attribution: Mapped[str] = mapped_column(String(500), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClientRelease(Base):
    """An installer of the desktop client the server offers (``citypatrol-server release
    add``): one row per platform and version; the newest version of a platform is its current
    release. The file lives in the data folder's ``releases/`` under its SHA-256."""

    __tablename__ = "client_releases"
    __table_args__ = (UniqueConstraint("platform", "version", name="uq_client_releases_platform"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    category_code: Mapped[str | None] = mapped_column(String(5))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    position_source: Mapped[str | None] = mapped_column(String(20))
    #: The 15-digit grid cell (单元网格): district (6) + street (3) + community (3) + cell (3).
    grid_code: Mapped[str | None] = mapped_column(String(15))
    #: Where the server's ``grid_code`` came from: ``auto`` / ``outside`` when the server looked
    #: the position up (app.domain.grids.GridSource), None when the laptop sent the code.
    grid_source: Mapped[str | None] = mapped_column(String(10))
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Server revision, bumped by every applied change; clients base their edits on it.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    department_id: Mapped[str | None] = mapped_column(ForeignKey("departments.id"))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The inspector asked to re-inspect the case.
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    #: Departments in the loop (issue 15): the handler's request waiting for a supervisor
    #: (lifecycle.RequestKind), the deadline an extension request proposes, and when the
    #: department signed for the current dispatch (签收).
    request: Mapped[str | None] = mapped_column(String(20))
    requested_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseStep(Base):
    """The append-only step log: every transition, who made it, when, and with what."""

    __tablename__ = "case_steps"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    opinion: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[str | None] = mapped_column(String(36))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[str | None] = mapped_column(String(36))
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)


class CaseComment(Base):
    """A remark on a case by anyone who may see it; comments are never edited or deleted."""

    __tablename__ = "case_comments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChangeReceipt(Base):
    """The server's answer to one pushed change, kept so a resend gets the same answer."""

    __tablename__ = "change_receipts"

    change_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Photo(Base):
    """A photo upload (tus) and, once its whole-file SHA-256 matched, evidence of a case."""

    __tablename__ = "photos"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    uploader_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    upload_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    #: uploading | complete
    state: Mapped[str] = mapped_column(String(20), default="uploading")
    role: Mapped[str] = mapped_column(String(20), default="before")
    #: Generated file name in the photo folder (never the client's name).
    storage_name: Mapped[str] = mapped_column(String(100), unique=True)
    metadata_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedEntry(Base):
    """The change feed: what each user learns at their next pull, in ``seq`` order.

    ``user_id`` set: for that user only; ``role`` set: for everyone with that role; both unset:
    for everyone (reference data). Entries are appended in commit order (see server.feed).
    """

    __tablename__ = "feed"

    seq: Mapped[int] = mapped_column(_BigID, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    #: For the handlers of one department (issue 15).
    department_id: Mapped[str | None] = mapped_column(String(36), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed sign-ins per account and per address, to slow down password guessing."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PatrolTrack(Base):
    """An inspector's patrol track (server.tracks): the header the client sent, and how many of
    its points have arrived (``received``: points 0 … received-1 are stored)."""

    __tablename__ = "tracks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    point_count: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the last point arrived (and the supervisors' feed got the track); None until then.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrackPoint(Base):
    """One point of a track, once: the key is the track and the point's index in time order."""

    __tablename__ = "track_points"

    track_id: Mapped[str] = mapped_column(ForeignKey("tracks.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    lat_e6: Mapped[int] = mapped_column(Integer)
    lon_e6: Mapped[int] = mapped_column(Integer)
    t_ms: Mapped[int] = mapped_column(BigInteger)
    accuracy_dm: Mapped[int | None] = mapped_column(Integer)
    segment: Mapped[int] = mapped_column(Integer, default=0)


class TrackBatch(Base):
    """A batch of points received: a resend with the same id is a duplicate, with other points
    a conflict."""

    __tablename__ = "track_batches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    track_id: Mapped[str] = mapped_column(ForeignKey("tracks.id"), index=True)
    first: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KeySiteRow(Base):
    """A key site (重点部位) with its round's frequency and inspector (server.tracks.sites)."""

    __tablename__ = "key_sites"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(100), default="")
    frequency: Mapped[str] = mapped_column(String(10))
    due: Mapped[str] = mapped_column(String(5))  # HH:MM
    weekday: Mapped[int | None] = mapped_column(Integer)
    inspector_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    #: The grid cell whose responsible inspector the site follows (it was loaded without an
    #: inspector of its own); None: its inspector was named in the file.
    grid_code: Mapped[str | None] = mapped_column(String(15), index=True)
    area: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SiteCheckRow(Base):
    """A check an inspector recorded at a key site; idempotent by the client's id."""

    __tablename__ = "site_checks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("key_sites.id"), index=True)
    inspector_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[str | None] = mapped_column(String(36))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChecklistTemplateRow(Base):
    """One version of a checklist template for scored inspections (app.domain.checklists);
    every version is kept, since inspections refer to the version they were scored with."""

    __tablename__ = "checklist_templates"

    code: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    object_kind: Mapped[str] = mapped_column(String(30))
    #: The template as app.domain.checklists.template_document gives it (points as strings).
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InspectionObject(Base):
    """An object inspections look at (``citypatrol-server inspection-object load``); the
    grids issue's units, cells and contractors' areas at merge."""

    __tablename__ = "inspection_objects"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str | None] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Inspection(Base):
    """A scored inspection as its inspector sent it (``document``: app.domain.inspections), with
    the score the server computed from the template version it names."""

    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    template_code: Mapped[str] = mapped_column(String(36))
    template_version: Mapped[int] = mapped_column(Integer)
    object_kind: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(100))
    object_name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str | None] = mapped_column(String(50))
    mode: Mapped[str] = mapped_column(String(20))
    #: Decimals as text (exact): the score and its percentage of the template's total.
    score: Mapped[str] = mapped_column(String(20))
    percent: Mapped[str] = mapped_column(String(20))
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(String(36))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class InspectionPhoto(Base):
    """A deduction's photo, received whole and checked against the SHA-256 the inspection
    declared; its bytes are ``inspection-<sha256>`` in the photo store's finished files."""

    __tablename__ = "inspection_photos"

    deduction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
