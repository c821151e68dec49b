"""The sync contract: what the server's change feed carries, shared by server and client.

The server appends entries (``server.feed``) with a :class:`FeedKind` and a payload of the
matching TypedDict below; the client (``app.storage.ledger``) applies each kind through a
dispatch table keyed by the same enum, and ``tests/test_layering.py`` fails when the server can
emit a kind the client has no handler for. A kind is only ever added, never renamed: old clients
skip kinds they do not know and move their cursor on.

Payloads are JSON: times are ISO 8601 strings, ids are UUID text.
"""

from __future__ import annotations

import enum
from typing import Any, NotRequired, TypedDict

from app.domain.grids import GridCellPayload, ResponsibilityPayload, UnitPayload


class FeedKind(enum.StrEnum):
    """The kind of a feed entry (its ``kind`` column and the client's dispatch key)."""

    #: A supervisor's decision on an inspector's case (to its author, and its re-inspector).
    DECISION = "decision"
    #: A re-inspection assigned to an inspector: the decision, the whole case and its photos.
    TASK = "task"
    #: A case moved (submitted, decided …), for supervisors: the whole case and the step.
    CASE = "case"
    #: A comment on a case, for its inspectors and the supervisors.
    COMMENT = "comment"
    #: A complete photo of a case, for supervisors (the sync downloads it).
    PHOTO = "photo"
    #: An account (name, role, enabled), for everyone.
    USER = "user"
    #: A department, for everyone.
    DEPARTMENT = "department"
    #: A time-limit rule (or its removal), for everyone.
    TIME_LIMIT = "time_limit"
    #: A working-calendar exception (or its removal), for everyone.
    CALENDAR_DAY = "calendar_day"
    #: The category table was replaced on the server (how many categories, from which file).
    TAXONOMY = "taxonomy"
    #: A basemap added, replaced or removed on the server, for everyone (the sync downloads it).
    BASEMAP = "basemap"
    #: A grid cell (单元网格) added, changed or removed by a grid load, for everyone.
    GRID_CELL = "grid_cell"
    #: A cell's responsibilities (定人定责: inspectors, department per class), for everyone.
    RESPONSIBILITY = "responsibility"
    #: A 门前三包 responsibility unit and its frontage (or its removal), for everyone.
    UNIT = "unit"
    #: A patrol track complete on the server, for supervisors: its header and its points.
    TRACK = "track"
    #: A key site (重点部位) loaded, changed or removed, for everyone (its inspector's rounds).
    KEY_SITE = "key_site"
    #: A check recorded at a key site (a round done), for supervisors.
    SITE_CHECK = "site_check"
    #: A new version of a checklist template for scored inspections, for everyone.
    CHECKLIST = "checklist"
    #: A scored inspection (app.domain.inspections): to supervisors when it arrives, to
    #: everyone once published (an unannounced one reaches the unit only then).
    INSPECTION = "inspection"
    #: An object inspections look at (a street section, a unit, a contractor's area …).
    INSPECTION_OBJECT = "inspection_object"
    #: The year-end assessment's weights and thresholds for one year (app.domain.assessment).
    ASSESSMENT = "assessment"


class DecisionPayload(TypedDict):
    event: str  # the Action taken
    status: str  # the CaseStatus it led to
    revision: int
    opinion: str
    step_id: str
    #: The role that acted, when not a supervisor (an inspector's re-inspection result).
    role: NotRequired[str]


class PhotoRef(TypedDict):
    """A complete photo as a task carries it (downloaded at the next sync)."""

    photo_id: str
    sha256: str
    mime: str
    size_bytes: int
    role: str


class TaskPayload(DecisionPayload):
    case: dict[str, Any]  # the server's CaseOut as JSON
    photos: list[PhotoRef]
    #: The department's report of handling (its ``handle`` step, the server's StepOut as JSON):
    #: the re-inspector sees the opinion, who and when beside the department's photos.
    steps: NotRequired[list[dict[str, Any]]]


class CasePayload(TypedDict):
    event: str
    status: str
    revision: int
    step_id: str
    opinion: NotRequired[str]
    role: NotRequired[str]
    case: dict[str, Any]  # the server's CaseOut as JSON
    step: dict[str, Any]  # the server's StepOut as JSON


class CommentPayload(TypedDict):
    comment_id: str
    author_id: str
    author_name: str
    role: str
    text: str
    at: str


class PhotoPayload(TypedDict):
    photo_id: str
    case_id: str
    role: str
    mime: str
    size_bytes: int
    sha256: str
    uploader_id: str
    completed_at: str


class UserPayload(TypedDict):
    id: str
    username: str
    display_name: str
    role: str
    active: bool


class DepartmentPayload(TypedDict):
    id: str
    code: str
    name: str
    name_en: str
    active: bool


class TimeLimitPayload(TypedDict, total=False):
    """A rule, or ``{"id", "deleted": True}`` when it was removed."""

    id: str
    category_code: str | None
    urgency: str | None
    amount: int
    unit: str
    deleted: bool


class CalendarDayPayload(TypedDict, total=False):
    """A day's exception, or ``{"day", "deleted": True}`` when it was removed."""

    day: str
    working: bool
    name: str
    deleted: bool


class TaxonomyPayload(TypedDict):
    count: int
    source: str  # the file's name


class BasemapPayload(TypedDict):
    """A basemap the server distributes, keyed by ``name``; its file is content-addressed
    (``GET /api/v1/basemaps/{sha256}``), so a client compares ``sha256`` with its own copy and
    downloads only what is missing or changed. ``removed``: the name is no longer distributed."""

    name: str
    sha256: str
    size: int
    datum: str  # app.geo.datum.Datum value: wgs84 | gcj02
    attribution: str
    removed: bool


class TrackPayload(TypedDict):
    """A complete patrol track (entity id: the track's id). ``points``: the points in time
    order, :func:`app.domain.tracks.pack_points` (``{"v": 2, "n", "data"}``); entries written
    before it hold :func:`app.domain.tracks.encode_points`' columns (read both with
    :func:`app.domain.tracks.feed_points`)."""

    id: str
    author_id: str
    author_name: str
    started_at: str
    ended_at: str | None
    distance_m: float
    point_count: int
    points: dict[str, Any]


class KeySitePayload(TypedDict):
    """A key site (app.domain.sites.KeySite as JSON); ``removed``: no longer checked."""

    id: str
    name: str
    kind: str
    frequency: str  # SiteFrequency
    due: str  # HH:MM
    weekday: int | None
    inspector_id: str
    area: dict[str, Any]  # SiteArea.to_json()
    since: str  # the local day the site was first loaded (no round is due before it)
    removed: bool


class SiteCheckPayload(TypedDict):
    id: str
    site_id: str
    inspector_id: str
    at: str
    lat: float
    lon: float
    accuracy_m: float | None
    outcome: str  # CheckOutcome
    case_id: str | None


class ChecklistPayload(TypedDict):
    """One version of a template (``app.domain.checklists.template_document``); every version
    is kept on the laptop, since an inspection is scored with the version it was begun on."""

    code: str
    version: int
    document: dict[str, Any]


class InspectionPayload(TypedDict):
    """``inspection``: app.domain.inspections.inspection_document; ``published_at`` ISO or
    None; ``author``: the inspector's display name."""

    inspection: dict[str, Any]
    published_at: str | None
    author: str


class InspectionObjectPayload(TypedDict):
    kind: str
    id: str
    name: str
    department_code: str | None
    active: bool


class AssessmentPayload(TypedDict):
    year: int
    settings: dict[str, Any]


#: The payload type of each kind (documentation, and a check that every kind has one).
PAYLOADS: dict[FeedKind, type] = {
    FeedKind.DECISION: DecisionPayload,
    FeedKind.TASK: TaskPayload,
    FeedKind.CASE: CasePayload,
    FeedKind.COMMENT: CommentPayload,
    FeedKind.PHOTO: PhotoPayload,
    FeedKind.USER: UserPayload,
    FeedKind.DEPARTMENT: DepartmentPayload,
    FeedKind.TIME_LIMIT: TimeLimitPayload,
    FeedKind.CALENDAR_DAY: CalendarDayPayload,
    FeedKind.TAXONOMY: TaxonomyPayload,
    FeedKind.BASEMAP: BasemapPayload,
    FeedKind.GRID_CELL: GridCellPayload,
    FeedKind.RESPONSIBILITY: ResponsibilityPayload,
    FeedKind.UNIT: UnitPayload,
    FeedKind.TRACK: TrackPayload,
    FeedKind.KEY_SITE: KeySitePayload,
    FeedKind.SITE_CHECK: SiteCheckPayload,
    FeedKind.CHECKLIST: ChecklistPayload,
    FeedKind.INSPECTION: InspectionPayload,
    FeedKind.INSPECTION_OBJECT: InspectionObjectPayload,
    FeedKind.ASSESSMENT: AssessmentPayload,
}
