"""Request and response bodies of the case API (pydantic: validated, and documented in OpenAPI)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from app.domain.grids import GridSource
from app.domain.lifecycle import Action, CaseStatus, RequestKind
from app.domain.validation import ADDRESS_MAX, DESCRIPTION_MAX, Urgency
from server.models import TimeLimitUnit

MAX_BATCH = 500
COMMENT_MAX = 2000
#: At most this many photos on one step (a department's "after" photos).
ATTACHMENTS_MAX = 20
TIME_LIMIT_MAX = 10_000
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_ID = Field(min_length=36, max_length=36, pattern=UUID_PATTERN)


def _utc(value: datetime) -> datetime:
    # A far-future or far-past time with an extreme offset overflows when converted to UTC;
    # such times are nonsense for a city case, so they are refused, not stored.
    if not (1970 <= value.year <= 2200):
        raise ValueError("the time must be between the years 1970 and 2200")
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the time is out of range") from exc


#: An aware time, normalised to UTC, within a sane range.
UtcTime = Annotated[AwareDatetime, AfterValidator(_utc)]
#: A client- or server-generated id (UUID text); anything else is refused before any lookup.
Uuid = Annotated[str, Field(min_length=36, max_length=36, pattern=UUID_PATTERN)]


class Strict(BaseModel):
    """Request bodies: unknown fields refused; no NUL characters anywhere (PostgreSQL text has none)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        return value


class CaseSnapshot(Strict):
    """A case as the client last saved it (every field a person edits)."""

    id: str = _ID
    status: CaseStatus
    category_code: str | None = Field(default=None, max_length=5)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    address: str = Field(default="", max_length=ADDRESS_MAX)
    urgency: Urgency = Urgency.NORMAL
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    position_source: str | None = Field(default=None, max_length=20)
    grid_code: str | None = Field(default=None, pattern=r"^[0-9]{15}$")
    observed_at: UtcTime | None = None
    created_at: UtcTime
    submitted_at: UtcTime | None = None
    revision: int = Field(default=1, ge=1)


class ChangeOp(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SUBMIT = "submit"
    REINSPECT_PASS = "reinspect_pass"
    REINSPECT_FAIL = "reinspect_fail"


class ChangeIn(Strict):
    """One change made on a client, identified by the id the client gave it."""

    change_id: str = _ID
    op: ChangeOp
    base_revision: int | None = Field(
        default=None, ge=1, description="server revision the edit was based on"
    )
    case: CaseSnapshot
    opinion: str = Field(default="", max_length=2000)


class PushRequest(Strict):
    changes: list[ChangeIn] = Field(max_length=MAX_BATCH)


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class Reason(BaseModel):
    code: str
    zh: str
    en: str


class CaseOut(BaseModel):
    id: str
    author_id: str
    status: CaseStatus
    category_code: str | None
    description: str
    address: str
    urgency: Urgency
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    position_source: str | None
    grid_code: str | None = None
    #: ``auto`` / ``outside``: the server looked the position up; None: the laptop's code.
    grid_source: GridSource | None = None
    observed_at: datetime | None
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    revision: int
    department_id: str | None
    deadline: datetime | None
    assignee_id: str | None
    #: Departments in the loop (issue 15): the handler's request waiting for a supervisor
    #: (extension | return | suspension), the deadline an extension proposes, when the
    #: department signed for the task.
    request: RequestKind | None = None
    requested_deadline: datetime | None = None
    signed_at: datetime | None = None


class ChangeResult(BaseModel):
    change_id: str
    case_id: str
    outcome: Outcome
    server_revision: int | None = None
    reason: Reason | None = None
    current: CaseOut | None = Field(default=None, description="the server's version, on a conflict")


class PushResponse(BaseModel):
    results: list[ChangeResult]


class StepOut(BaseModel):
    id: str
    action: Action
    from_status: CaseStatus
    to_status: CaseStatus
    actor_id: str
    role: str
    at: datetime
    opinion: str
    department_id: str | None
    deadline: datetime | None
    assignee_id: str | None
    #: Photos the step carries (a department's "after" photos of its report of handling).
    attachments: list[str] = []


class CommentIn(Strict):
    text: str = Field(min_length=1, max_length=COMMENT_MAX)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the comment must not be blank")
        return value


class CommentOut(BaseModel):
    id: str
    case_id: str
    author_id: str
    author_name: str
    role: str
    text: str
    at: datetime


class CaseDetail(BaseModel):
    case: CaseOut
    steps: list[StepOut]
    comments: list[CommentOut] = Field(default_factory=list, description="oldest first")


class FeedEntryOut(BaseModel):
    seq: int
    kind: str
    entity_id: str
    at: datetime
    payload: dict[str, Any]


class FeedPage(BaseModel):
    entries: list[FeedEntryOut]
    cursor: int = Field(description="pass it back to get what comes next")
    more: bool


class ActionRequest(Strict):
    """A supervisor's (or, for re-inspections, an inspector's) decision on a case."""

    action: Action
    opinion: str = Field(default="", max_length=2000)
    department_id: Uuid | None = None
    deadline: UtcTime | None = None
    assignee_id: Uuid | None = None
    expected_revision: int | None = Field(
        default=None, ge=1, description="refuse if the case changed since"
    )
    change_id: Uuid | None = Field(
        default=None,
        description="the id the client gave this decision: sending it again applies it once "
        "(the step gets this id); the same id with other content is refused (409)",
    )
    attachments: list[Uuid] = Field(
        default_factory=list,
        max_length=ATTACHMENTS_MAX,
        description='a department\'s report of handling: the ids of its "after" photos '
        "(uploaded afterwards, as every photo)",
    )


class TimeLimitIn(Strict):
    """A time-limit rule; a missing category or urgency means "any"."""

    category_code: str | None = Field(
        default=None, pattern=r"^[0-9]{5}$", description="a 管理事项 (matter) code; null: any"
    )
    urgency: Urgency | None = Field(default=None, description="null: any urgency")
    amount: int = Field(ge=1, le=TIME_LIMIT_MAX)
    unit: TimeLimitUnit


class TimeLimitOut(BaseModel):
    id: str
    category_code: str | None
    urgency: Urgency | None
    amount: int
    unit: TimeLimitUnit
