"""Key sites and their rounds in the local store (重点部位常态化检查).

Sites arrive through the change feed (:func:`apply_site_entry`); the inspector's rounds are
computed from them and the checks recorded here (:mod:`app.domain.sites`), so the Tasks tab
shows what is due today with no network. A check is refused at once, offline, when its position
is not inside the site, the site is not this inspector's, or a problem is claimed without the
case reported for it; a check kept is queued for the server like any change. Supervisors get
every check through the feed and count missed rounds in the indicators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.domain.deadlines import WorkingCalendar
from app.domain.errors import DomainError, Message
from app.domain.ids import new_id
from app.domain.sites import (
    CheckOutcome,
    KeySite,
    Round,
    RoundCounts,
    SiteArea,
    SiteFrequency,
    count_rounds,
    rounds,
)
from app.storage.changelog import enqueue
from app.storage.models import Case, OutboxEntry
from app.storage.models import KeySite as SiteRow
from app.storage.models import SiteCheck as CheckRow
from app.storage.rows import Changes, Created
from app.storage.states import OPEN_DELIVERIES, DeliveryState, OutboxEntity, OutboxState

if TYPE_CHECKING:
    from app.storage.store import LocalStore


def _site(row: SiteRow) -> KeySite:
    return KeySite(
        row.id,
        row.name,
        row.kind,
        SiteFrequency(row.frequency),
        time.fromisoformat(row.due),
        row.weekday,
        row.inspector_id,
        SiteArea.from_json(row.area),
        date.fromisoformat(row.since) if row.since else None,
    )


# -- the feed -----------------------------------------------------------------------------------


def apply_site_entry(s: Session, site_id: str, payload: dict[str, Any]) -> int:
    row = s.get(SiteRow, site_id) or SiteRow(id=site_id)
    row.name = str(payload["name"])
    row.kind = str(payload.get("kind") or "")
    row.frequency = SiteFrequency(str(payload["frequency"])).value
    row.due = time.fromisoformat(str(payload["due"])).strftime("%H:%M")
    row.weekday = payload.get("weekday")
    row.inspector_id = str(payload["inspector_id"])
    row.area = SiteArea.from_json(payload["area"]).to_json()
    row.active = not payload.get("removed", False)
    since = payload.get("since")
    row.since = date.fromisoformat(since).isoformat() if isinstance(since, str) else None
    s.add(row)
    return 1


def apply_check_entry(s: Session, check_id: str, payload: dict[str, Any]) -> int:
    if s.get(CheckRow, check_id) is not None:
        return 0  # this laptop's own check, or the entry read again
    s.add(
        CheckRow(
            id=check_id,
            site_id=str(payload["site_id"]),
            inspector_id=str(payload["inspector_id"]),
            at=datetime.fromisoformat(str(payload["at"])),
            lat=float(payload["lat"]),
            lon=float(payload["lon"]),
            accuracy_m=payload.get("accuracy_m"),
            outcome=CheckOutcome(str(payload["outcome"])).value,
            case_id=payload.get("case_id"),
            delivery=DeliveryState.REMOTE,
        )
    )
    return 1


# -- recording a check --------------------------------------------------------------------------


def _refuse(code: str, zh: str, en: str) -> DomainError:
    return DomainError(code, Message(zh, en))


def record_site_check(
    store: LocalStore,
    site_id: str,
    *,
    lat: float,
    lon: float,
    accuracy_m: float | None,
    outcome: CheckOutcome,
    case_id: str | None = None,
) -> Created:
    """Record a check at a site (a round done) at the store's clock; queued for sync."""
    now = store.clock()
    with store.write() as s:
        row = s.get(SiteRow, site_id)
        if row is None or not row.active:
            raise _refuse("no_such_site", "没有这个重点部位", "No such key site")
        if row.inspector_id != store.actor.id:
            raise _refuse(
                "not_your_site", f"{row.name}不由您负责检查", f"{row.name} is not yours to check"
            )
        if not SiteArea.from_json(row.area).contains(lat, lon):
            raise _refuse(
                "not_at_site",
                f"当前位置不在{row.name}范围内，请到现场后再记录",
                f"Your position is not at {row.name}; record the check there",
            )
        if outcome is CheckOutcome.PROBLEM:
            case = s.scalar(select(Case.id).where(Case.id == case_id)) if case_id else None
            if case is None:
                raise _refuse(
                    "problem_without_case",
                    "发现问题时请先上报案件，再记录检查",
                    "Report the problem as a case first, then record the check",
                )
        check_id = new_id()
        s.add(
            CheckRow(
                id=check_id,
                site_id=site_id,
                inspector_id=store.actor.id,
                at=now,
                lat=lat,
                lon=lon,
                accuracy_m=accuracy_m,
                outcome=outcome.value,
                case_id=case_id if outcome is CheckOutcome.PROBLEM else None,
                delivery=DeliveryState.PENDING,
            )
        )
        enqueue(s, OutboxEntity.SITE_CHECK, check_id, "check", {"site_id": site_id}, now=now)
    return Created(check_id, Changes(outbox=True))


# -- rounds -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteRound:
    """A round with its site, for the Tasks tab."""

    site: KeySite
    round: Round


def _local_day(moment: datetime) -> date:
    return moment.astimezone(WorkingCalendar().tz).date()


def site_rounds(
    store: LocalStore,
    first: date,
    last: date,
    now: datetime,
    inspector_id: str | None = None,
) -> list[SiteRound]:
    """Every active site's rounds of the local days ``first`` … ``last`` (of one inspector)."""
    tz = WorkingCalendar().tz
    with store.read() as s:
        query = select(SiteRow).where(SiteRow.active)
        if inspector_id is not None:
            query = query.where(SiteRow.inspector_id == inspector_id)
        sites = [_site(r) for r in s.scalars(query.order_by(SiteRow.due, SiteRow.name))]
        since = datetime.combine(first - timedelta(days=7), time(), tz)
        checks: dict[str, list[datetime]] = {}
        for site_id, at in s.execute(
            select(CheckRow.site_id, CheckRow.at).where(CheckRow.at >= since)
        ):
            checks.setdefault(site_id, []).append(at)
    return [
        SiteRound(site, r)
        for site in sites
        for r in rounds(site, checks.get(site.id, []), first=first, last=last, now=now, tz=tz)
    ]


def my_rounds(store: LocalStore, now: datetime) -> list[SiteRound]:
    """The signed-in inspector's rounds of today and of this week (the Tasks tab)."""
    today = _local_day(now)
    monday = today - timedelta(days=today.weekday())
    items = site_rounds(store, monday, monday + timedelta(days=6), now, store.actor.id)
    return [r for r in items if r.site.frequency is SiteFrequency.WEEKLY or r.round.period == today]


def round_counts(
    store: LocalStore, first: date, last: date, now: datetime
) -> dict[str, RoundCounts]:
    """Per inspector: rounds due in the days ``first`` … ``last`` (as of ``now``), done, missed."""
    out: dict[str, RoundCounts] = {}
    by_inspector: dict[str, list[Round]] = {}
    for item in site_rounds(store, first, last, now):
        by_inspector.setdefault(item.site.inspector_id, []).append(item.round)
    for inspector, items in by_inspector.items():
        out[inspector] = count_rounds(items)
    return out


# -- the sync -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutgoingCheck:
    id: str
    site_id: str
    body: dict[str, Any]


def outgoing_checks(store: LocalStore) -> list[OutgoingCheck]:
    with store.read() as s:
        rows = s.scalars(
            select(CheckRow).where(CheckRow.delivery.in_(OPEN_DELIVERIES)).order_by(CheckRow.at)
        )
        return [
            OutgoingCheck(
                r.id,
                r.site_id,
                {
                    "id": r.id,
                    "at": r.at.isoformat(),
                    "lat": r.lat,
                    "lon": r.lon,
                    "accuracy_m": r.accuracy_m,
                    "outcome": r.outcome,
                    "case_id": r.case_id,
                },
            )
            for r in rows
        ]


def check_delivered(store: LocalStore, check_id: str, now: datetime) -> Changes:
    return _settle(store, check_id, DeliveryState.CONFIRMED, OutboxState.SENT, now=now)


def check_refused(store: LocalStore, check_id: str, reason: dict[str, str]) -> Changes:
    text = json.dumps(
        {k: reason.get(k, "") for k in ("code", "zh", "en")}, ensure_ascii=False, sort_keys=True
    )
    return _settle(store, check_id, DeliveryState.FAILED, OutboxState.FAILED, error=text)


def _settle(
    store: LocalStore,
    check_id: str,
    delivery: DeliveryState,
    state: OutboxState,
    *,
    error: str | None = None,
    now: datetime | None = None,
) -> Changes:
    with store.write() as s:
        s.execute(
            update(CheckRow)
            .where(CheckRow.id == check_id)
            .values(delivery=delivery, delivery_error=error)
        )
        s.execute(
            update(OutboxEntry)
            .where(OutboxEntry.entity == OutboxEntity.SITE_CHECK, OutboxEntry.entity_id == check_id)
            .values(state=state, last_error=error, sent_at=now)
        )
    return Changes(outbox=True)


def check_counts(s: Session) -> tuple[int, int]:
    """(checks still to deliver, checks refused)."""
    rows = dict(
        s.execute(select(CheckRow.delivery, func.count()).group_by(CheckRow.delivery)).all()
    )
    return sum(rows.get(d, 0) for d in OPEN_DELIVERIES), rows.get(DeliveryState.FAILED, 0)


def case_at_site(store: LocalStore, site_id: str, since: datetime) -> str | None:
    """The newest case of this inspector's created since ``since`` whose position lies in the
    site (a problem found there, reported with its photos), or None."""
    with store.read() as s:
        row = s.get(SiteRow, site_id)
        if row is None:
            return None
        area = SiteArea.from_json(row.area)
        cases = s.execute(
            select(Case.id, Case.lat, Case.lon)
            .where(
                Case.author_id == store.actor.id,
                Case.created_at >= since,
                Case.lat.is_not(None),
                Case.lon.is_not(None),
            )
            .order_by(Case.created_at.desc())
        ).all()
    for case_id, lat, lon in cases:
        if lat is not None and lon is not None and area.contains(lat, lon):
            return str(case_id)
    return None
