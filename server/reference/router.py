"""Reference data routes: departments and time-limit rules, managed by admins.

Who may do what is decided here, in one place per route (``require_role``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.domain.lifecycle import Role
from app.domain.validation import Urgency
from server.deps import CurrentUser, SessionDep, require_role
from server.errors import ApiError, documented, refuse
from server.models import Basemap, Department, TimeLimitRule
from server.reference.basemaps import basemap_json, list_basemaps, stored_file
from server.reference.departments import add_department, department_json
from server.reference.downloads import content_addressed
from server.reference.timelimits import (
    RuleError,
    add_rule,
    change_rule,
    list_rules,
    remove_rule,
    rule_json,
)
from server.schemas import UUID_PATTERN, Strict, TimeLimitIn, TimeLimitOut

router = APIRouter(prefix="/api/v1", tags=["reference data"])
RuleId = Annotated[str, Path(min_length=36, max_length=36, pattern=UUID_PATTERN)]
_BAD = documented({400: "the category is not a 管理事项 (matter) code of the category table"})
_MISSING = documented({404: "no such rule"})
_DUPLICATE = documented({409: "a rule for this category and urgency exists already"})


class DepartmentIn(Strict):
    code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)


class DepartmentOut(BaseModel):
    id: str
    code: str
    name: str
    name_en: str
    active: bool


def _out(d: Department) -> DepartmentOut:
    return DepartmentOut.model_validate(department_json(d))


@router.get("/departments")
def list_departments(session: SessionDep, _user: CurrentUser) -> list[DepartmentOut]:
    """Every department, active or not."""
    return [_out(d) for d in session.scalars(select(Department).order_by(Department.code))]


@router.post(
    "/departments",
    status_code=status.HTTP_201_CREATED,
    responses=documented({409: "a department with this code exists already"}),
)
def create_department(body: DepartmentIn, session: SessionDep, user: CurrentUser) -> DepartmentOut:
    """Add a department (admins)."""
    require_role(user, Role.ADMIN)
    try:
        return _out(add_department(session, body.code, body.name, body.name_en))
    except ValueError as exc:
        raise refuse(
            status.HTTP_409_CONFLICT,
            "duplicate_department",
            f"处置部门 {body.code} 已存在",
            str(exc),
        ) from exc


def _rule_out(rule: TimeLimitRule) -> TimeLimitOut:
    return TimeLimitOut.model_validate(rule_json(rule))


def _value(urgency: Urgency | None) -> str | None:
    return None if urgency is None else urgency.value


def _http(exc: RuleError) -> ApiError:
    return ApiError(exc.status_code, exc.code, exc.message)


@router.get("/time-limits")
def get_time_limits(session: SessionDep, user: CurrentUser) -> list[TimeLimitOut]:
    """Every time-limit rule (supervisors and admins)."""
    require_role(user, Role.SUPERVISOR, Role.ADMIN)
    return [_rule_out(r) for r in list_rules(session)]


@router.post("/time-limits", status_code=status.HTTP_201_CREATED, responses={**_BAD, **_DUPLICATE})
def create_time_limit(body: TimeLimitIn, session: SessionDep, user: CurrentUser) -> TimeLimitOut:
    """Add a rule (admins); one per category and urgency."""
    require_role(user, Role.ADMIN)
    try:
        rule = add_rule(
            session, body.category_code, _value(body.urgency), body.amount, body.unit.value
        )
    except RuleError as exc:
        raise _http(exc) from exc
    return _rule_out(rule)


@router.put("/time-limits/{rule_id}", responses={**_BAD, **_MISSING, **_DUPLICATE})
def update_time_limit(
    rule_id: RuleId, body: TimeLimitIn, session: SessionDep, user: CurrentUser
) -> TimeLimitOut:
    """Replace a rule (admins)."""
    require_role(user, Role.ADMIN)
    try:
        rule = change_rule(
            session,
            rule_id,
            category_code=body.category_code,
            urgency=_value(body.urgency),
            amount=body.amount,
            unit=body.unit.value,
        )
    except RuleError as exc:
        raise _http(exc) from exc
    return _rule_out(rule)


@router.delete("/time-limits/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_MISSING)
def delete_time_limit(rule_id: RuleId, session: SessionDep, user: CurrentUser) -> None:
    """Remove a rule (admins)."""
    require_role(user, Role.ADMIN)
    try:
        remove_rule(session, rule_id)
    except RuleError as exc:
        raise _http(exc) from exc


# -- basemaps ------------------------------------------------------------------------------------

Sha256 = Annotated[str, Path(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]


class BasemapOut(BaseModel):
    name: str
    sha256: str
    size: int
    datum: str
    attribution: str


@router.get("/basemaps")
def list_distributed_basemaps(session: SessionDep, _user: CurrentUser) -> list[BasemapOut]:
    """The basemaps the server distributes (also announced in the feed, kind ``basemap``)."""
    return [
        BasemapOut.model_validate({k: v for k, v in basemap_json(b).items() if k != "removed"})
        for b in list_basemaps(session)
    ]


@router.get(
    "/basemaps/{sha256}",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/vnd.sqlite3": {}}, "description": "the MBTiles file"},
        206: {"description": "the requested byte range (Range: bytes=N-), to resume a download"},
        **documented({404: "no basemap with this content is distributed"}),
    },
)
def download_basemap(
    sha256: Sha256, request: Request, session: SessionDep, _user: CurrentUser
) -> FileResponse:
    """A distributed basemap's file by its SHA-256 (any signed-in account). ``Range`` is
    answered with 206, so a laptop resumes a cut download from its partial file; the ETag is
    the SHA-256, so ``If-Range`` never splices two versions together."""
    missing = refuse(404, "basemap_not_found", "服务器上没有这张底图", "no such basemap")
    if session.scalars(select(Basemap.name).where(Basemap.sha256 == sha256)).first() is None:
        raise missing
    path = stored_file(request.app.state.settings.data_dir, sha256)
    return content_addressed(
        path,
        sha256,
        media_type="application/vnd.sqlite3",
        filename=f"{sha256}.mbtiles",
        missing=missing,
    )
