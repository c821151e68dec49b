"""Key sites and their checks over HTTP: everyone signed in reads the sites; an inspector
records checks at the sites they answer for (idempotent by the check's id), and the
supervisors learn of each through the feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from app.domain.contract import FeedKind, SiteCheckPayload
from app.domain.lifecycle import Role
from app.domain.sites import CheckOutcome, SiteArea
from server.deps import CurrentUser, SessionDep, require_role
from server.errors import documented, refuse
from server.feed import append_feed
from server.models import KeySiteRow, SiteCheckRow
from server.schemas import UUID_PATTERN, Strict, UtcTime, Uuid
from server.tracks.sites import list_sites

router = APIRouter(prefix="/api/v1", tags=["tracks"])
SiteId = Annotated[str, Path(min_length=36, max_length=36, pattern=UUID_PATTERN)]


class SiteOut(BaseModel):
    id: str
    name: str
    kind: str
    frequency: str
    due: str
    weekday: int | None
    inspector_id: str
    area: dict[str, object]


class CheckIn(Strict):
    id: Uuid
    at: UtcTime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=10_000)
    outcome: CheckOutcome
    case_id: Uuid | None = None


class CheckOut(BaseModel):
    id: str
    site_id: str
    at: datetime
    outcome: str
    #: False: this check had been received before (a resend).
    created: bool


@router.get("/sites")
def get_sites(session: SessionDep, user: CurrentUser) -> list[SiteOut]:
    """The key sites in force, with their rounds' frequency and inspector."""
    return [
        SiteOut(
            id=r.id,
            name=r.name,
            kind=r.kind,
            frequency=r.frequency,
            due=r.due,
            weekday=r.weekday,
            inspector_id=r.inspector_id,
            area=r.area,
        )
        for r in list_sites(session)
    ]


@router.post(
    "/sites/{site_id}/checks",
    responses=documented({404: "no such site of yours", 409: "id reused", 422: "not at the site"}),
)
def add_check(site_id: SiteId, body: CheckIn, session: SessionDep, user: CurrentUser) -> CheckOut:
    """Record a check (a round done) at a site the inspector answers for. The position must lie
    in the site; "problem" names the case reported there. Sending it again is harmless."""
    require_role(user, Role.INSPECTOR)
    site = session.get(KeySiteRow, site_id)
    if site is None or not site.active or site.inspector_id != user.id:
        raise refuse(
            status.HTTP_404_NOT_FOUND, "no_such_site", "没有这个重点部位", "no such key site"
        )
    seen = session.get(SiteCheckRow, body.id)
    if seen is not None:
        if seen.site_id != site_id or seen.inspector_id != user.id or seen.at != body.at:
            raise refuse(
                status.HTTP_409_CONFLICT,
                "check_changed",
                "此检查编号已用于另一次检查",
                "this check id was used for another check",
            )
        return CheckOut(
            id=seen.id, site_id=site_id, at=seen.at, outcome=seen.outcome, created=False
        )
    if not SiteArea.from_json(site.area).contains(body.lat, body.lon):
        raise refuse(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "not_at_site",
            f"检查位置不在{site.name}范围内",
            f"the check's position is not at {site.name}",
        )
    if body.outcome is CheckOutcome.PROBLEM and body.case_id is None:
        raise refuse(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "problem_without_case",
            "发现问题时须附上报的案件",
            "a problem found needs the case reported for it",
        )
    row = SiteCheckRow(
        id=body.id,
        site_id=site_id,
        inspector_id=user.id,
        at=body.at,
        lat=body.lat,
        lon=body.lon,
        accuracy_m=body.accuracy_m,
        outcome=body.outcome.value,
        case_id=body.case_id,
        received_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    payload: SiteCheckPayload = {
        "id": row.id,
        "site_id": site_id,
        "inspector_id": user.id,
        "at": body.at.isoformat(),
        "lat": body.lat,
        "lon": body.lon,
        "accuracy_m": body.accuracy_m,
        "outcome": row.outcome,
        "case_id": row.case_id,
    }
    append_feed(session, FeedKind.SITE_CHECK, row.id, payload, role=Role.SUPERVISOR.value)
    return CheckOut(id=row.id, site_id=site_id, at=row.at, outcome=row.outcome, created=True)
