"""Applying the server's change feed to the local store, one entry kind at a time.

The feed (``GET /feed`` by cursor) brings back what others decided: supervisors' decisions,
re-inspection tasks, comments, photos of reports, accounts, departments, time limits, the
working calendar, and place: grid cells, responsibilities and 门前三包 units (their handlers
are in :mod:`app.storage.grids`). Each :class:`~app.domain.contract.FeedKind` has one handler here
(:data:`_HANDLERS`; tests/test_layering.py checks none is missing). Applying an entry twice
changes nothing: every row is keyed by the server's id, so a page read again after a crash is
harmless. :class:`~app.storage.ledger.SyncLedger.apply_feed` runs the handlers in the page's
transaction and moves the cursor.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.contract import BasemapPayload, FeedKind
from app.domain.grids import CASE_PLACED_EVENT, GridSource
from app.domain.lifecycle import TRANSITIONS, Action, CaseStatus
from app.storage.changelog import record_step
from app.storage.grids import apply_cell, apply_responsibility, apply_unit, place_server_case
from app.storage.inspection_feed import apply_inspection, apply_inspection_object
from app.storage.models import (
    CalendarDay,
    Case,
    CaseStep,
    ChecklistTemplateRow,
    Comment,
    Department,
    OutboxEntry,
    Photo,
    SyncState,
    TimeLimit,
    User,
)
from app.storage.sites import apply_check_entry, apply_site_entry
from app.storage.states import OPEN_STATES, DeliveryState, OutboxEntity
from app.storage.store import Changes, index_case
from app.storage.track_sync import apply_track_entry

#: What the server last announced of its category table (see _on_taxonomy).
TAXONOMY_KEY = "server_taxonomy"
#: The basemaps the server distributes, by name (see _on_basemap).
BASEMAPS_KEY = "server_basemaps"
#: SyncState key prefix of one year's assessment settings (``assessment:2026``).
ASSESSMENT_KEY = "assessment"


#: Feed kinds that carry a case (and may add its step and its report's photos).
_CASE_KINDS = frozenset({FeedKind.CASE, FeedKind.DECISION, FeedKind.TASK})
#: Feed kinds of reference data.
_REFERENCE_KINDS = frozenset(
    {
        FeedKind.USER,
        FeedKind.DEPARTMENT,
        FeedKind.TIME_LIMIT,
        FeedKind.CALENDAR_DAY,
        FeedKind.CHECKLIST,
        FeedKind.INSPECTION_OBJECT,
        FeedKind.ASSESSMENT,
    }
)

#: Feed kinds of place (cells, responsibilities, units): reference data too.
_PLACE_KINDS = frozenset({FeedKind.GRID_CELL, FeedKind.RESPONSIBILITY, FeedKind.UNIT})


def known_cases(s: Session, entries: list[dict[str, Any]]) -> frozenset[str]:
    """Which of the cases a feed page carries this laptop has already (one query a page)."""
    ids = {str(e.get("entity_id", "")) for e in entries if e.get("kind") in _CASE_KINDS}
    if not ids:
        return frozenset()
    return frozenset(s.scalars(select(Case.id).where(Case.id.in_(ids))))


def feed_changes(entry: dict[str, Any], known: frozenset[str]) -> Changes:
    """What an applied feed entry may have changed, by its kind (erring on the side of more:
    a view refreshed for nothing costs less than a stale one)."""
    kind = entry.get("kind")
    payload: dict[str, Any] = entry.get("payload") or {}
    entity_id = str(entry.get("entity_id", ""))
    if kind in _CASE_KINDS:
        photos = frozenset(
            str(p["photo_id"])
            for p in payload.get("photos") or []
            if isinstance(p, dict) and p.get("photo_id")
        )
        created = frozenset() if entity_id in known else frozenset({entity_id})
        return Changes(cases=frozenset({entity_id}), created=created, steps=True, photos=photos)
    if kind == FeedKind.COMMENT:
        return Changes(cases=frozenset({str(payload.get("case_id") or entity_id)}))
    if kind == FeedKind.PHOTO:
        photo = frozenset({str(payload.get("photo_id", ""))})
        return Changes(cases=frozenset({str(payload.get("case_id", ""))}), photos=photo)
    if kind in _REFERENCE_KINDS or kind in _PLACE_KINDS:
        return Changes(reference=True)
    if kind == FeedKind.TRACK:
        return Changes(tracks=frozenset({entity_id}))
    if kind in (FeedKind.KEY_SITE, FeedKind.SITE_CHECK):
        return Changes(reference=True)
    if kind == FeedKind.INSPECTION:
        return Changes(inspections=frozenset({entity_id}))
    return Changes()


def adopt_server_state(s: Session, case: Case, current: dict[str, Any]) -> None:
    """The server's workflow state wins: status, revision, department, deadline, assignee."""
    status = current.get("status")
    if status in {c.value for c in CaseStatus}:
        case.status = status
    revision = current.get("revision")
    if isinstance(revision, int):
        case.server_revision = max(case.server_revision or 0, revision)
    _set_department(s, case, current.get("department_id"))
    case.deadline = _time(current.get("deadline"))
    case.assignee_id = current.get("assignee_id")
    _set_handling(case, current)


def _set_handling(case: Case, current: dict[str, Any]) -> None:
    """Departments in the loop (issue 15): the request waiting, the proposed deadline, the
    sign-for (absent from an older server's case: none)."""
    case.request = current.get("request")
    case.requested_deadline = _time(current.get("requested_deadline"))
    case.signed_at = _time(current.get("signed_at"))


def _set_department(s: Session, case: Case, department_id: str | None) -> None:
    # Only a department this laptop knows (they arrive through the feed before their cases).
    if department_id is None or s.get(Department, department_id) is not None:
        case.department_id = department_id


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def apply_entry(s: Session, entry: dict[str, Any], user_id: str) -> int:
    try:
        kind = FeedKind(str(entry.get("kind")))
    except ValueError:
        return 0  # a kind newer than this app: skipped, the cursor moves on
    payload: dict[str, Any] = entry.get("payload") or {}
    feed = _Entry(str(entry.get("entity_id", "")), payload, _time(entry.get("at")), user_id)
    return _HANDLERS[kind](s, feed)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One feed entry as its handler gets it (``user_id``: the account syncing)."""

    entity_id: str
    payload: dict[str, Any]
    at: datetime | None
    user_id: str


def _on_decision(s: Session, e: _Entry) -> int:
    return _apply_decision(s, e.entity_id, e.payload, e.at)


def _on_task(s: Session, e: _Entry) -> int:
    payload = e.payload
    step_id = payload.get("step_id")
    if step_id and s.get(CaseStep, step_id) is not None:
        # Applied before — or this inspector reported the case and its "decision" entry
        # (same step) came first. The task's own parts are still kept: the assignment and
        # the report's photos; the status is not touched (a feed read again must not undo
        # later local work).
        return _keep_task_parts(s, e.entity_id, payload, e.user_id, e.at)
    existing = s.scalar(select(Case).where(Case.id == e.entity_id))
    source = existing.status if existing is not None else _source_of(payload.get("event"))
    if payload.get("case") and _newer(existing, payload.get("revision")):
        _upsert_case(s, payload["case"], e.user_id)
    applied = _apply_decision(s, e.entity_id, payload, e.at, source=source)
    if applied:
        _remember_remote_photos(s, e.entity_id, payload.get("photos") or [], e.at)
        _keep_task_steps(s, e.entity_id, payload)
    return applied


def _remember_actor(s: Session, step: dict[str, Any]) -> None:
    """The name of who took a task's step (a handler), kept as a user the laptop knows by name
    only: an inspector's laptop gets no list of accounts."""
    actor_id, name = str(step.get("actor_id") or ""), str(step.get("actor_name") or "")
    if not actor_id or not name or s.get(User, actor_id) is not None:
        return
    s.add(
        User(
            id=actor_id,
            username=f"user-{actor_id[-12:]}",
            display_name=name,
            role=str(step.get("role") or ""),
            active=True,
        )
    )


def _keep_task_steps(s: Session, case_id: str, payload: dict[str, Any]) -> None:
    """The steps a task carries (the department's report of handling), kept once each."""
    for step in payload.get("steps") or []:
        if not isinstance(step, dict):
            continue
        _remember_actor(s, step)
        known = s.get(CaseStep, str(step.get("id") or ""))
        if known is None:
            _add_step(s, case_id, step)
            continue
        # Known from a decision entry (the reporter hears of every step), which names neither
        # the actor nor the department nor the photos, and has the entry's time: the server's
        # step fills them in.
        known.actor_id = known.actor_id or step.get("actor_id")
        known.department_id = known.department_id or step.get("department_id")
        known.attachments = known.attachments or [str(a) for a in step.get("attachments") or []]
        known.opinion = known.opinion or str(step.get("opinion") or "")
        known.at = _time(step.get("at")) or known.at  # the server's log has the exact time


def _on_comment(s: Session, e: _Entry) -> int:
    payload = e.payload
    comment_id = str(payload.get("id") or payload.get("comment_id") or "")
    if not comment_id or s.get(Comment, comment_id) is not None:
        return 0
    s.add(
        Comment(
            id=comment_id,
            case_id=str(payload.get("case_id") or e.entity_id),
            author_name=str(payload.get("author_name") or payload.get("author") or ""),
            role=str(payload.get("role") or ""),
            text=str(payload.get("text") or ""),
            at=_time(payload.get("at")) or e.at,
        )
    )
    return 1


def _on_case(s: Session, e: _Entry) -> int:
    return _apply_case_event(s, e.entity_id, e.payload)


def _on_photo(s: Session, e: _Entry) -> int:
    payload = e.payload
    if s.scalar(select(Case.id).where(Case.id == str(payload.get("case_id", "")))) is None:
        return 0  # a photo of a case this laptop does not keep
    before = s.get(Photo, str(payload.get("photo_id", "")))
    _remember_remote_photos(s, str(payload["case_id"]), [payload], e.at)
    return int(before is None)


def _on_user(s: Session, e: _Entry) -> int:
    payload = e.payload
    user = s.get(User, e.entity_id) or User(id=e.entity_id)
    user.username = str(payload.get("username") or f"user-{e.entity_id[-12:]}")
    user.display_name = str(payload.get("display_name") or "")
    user.role = str(payload.get("role") or "")
    user.active = bool(payload.get("active", True))
    s.add(user)
    return 1


def _on_calendar_day(s: Session, e: _Entry) -> int:
    day = s.get(CalendarDay, e.entity_id)
    if e.payload.get("deleted"):
        if day is not None:
            s.delete(day)
        return 1
    day = day or CalendarDay(day=e.entity_id)
    day.working = bool(e.payload.get("working"))
    day.name = str(e.payload.get("name") or "")
    s.add(day)
    return 1


def _on_checklist(s: Session, e: _Entry) -> int:
    key = (str(e.payload.get("code") or e.entity_id), int(e.payload.get("version") or 0))
    document = e.payload.get("document")
    if not isinstance(document, dict) or s.get(ChecklistTemplateRow, key) is not None:
        return 0  # versions never change once loaded (server.inspections.checklists)
    s.add(ChecklistTemplateRow(code=key[0], version=key[1], document=document))
    return 1


def _on_inspection(s: Session, e: _Entry) -> int:
    return apply_inspection(s, e.payload)


def _on_inspection_object(s: Session, e: _Entry) -> int:
    return apply_inspection_object(s, e.payload)


def _on_assessment(s: Session, e: _Entry) -> int:
    year, settings = e.payload.get("year"), e.payload.get("settings")
    if not isinstance(year, int) or not isinstance(settings, dict):
        return 0
    s.merge(SyncState(key=f"{ASSESSMENT_KEY}:{year}", value=json.dumps(settings)))
    return 1


def _on_department(s: Session, e: _Entry) -> int:
    payload = e.payload
    department = s.get(Department, e.entity_id) or Department(id=e.entity_id)
    department.code = str(payload.get("code", ""))
    department.name = str(payload.get("name", ""))
    department.name_en = str(payload.get("name_en", ""))
    department.active = bool(payload.get("active", True))
    s.add(department)
    return 1


def _on_time_limit(s: Session, e: _Entry) -> int:
    payload = e.payload
    rule = s.get(TimeLimit, e.entity_id)
    if payload.get("deleted"):
        if rule is not None:
            s.delete(rule)
        return 1
    rule = rule or TimeLimit(id=e.entity_id)
    rule.category_code = payload.get("category_code")
    rule.urgency = payload.get("urgency")
    rule.amount = int(payload.get("amount", 0))
    rule.unit = str(payload.get("unit", ""))
    s.add(rule)
    return 1


def _on_taxonomy(s: Session, e: _Entry) -> int:
    """The server's category table was replaced: recorded, deliberately not applied.

    The entry carries only how many categories came from which file, not the table, and the
    local store has no category table: the app validates with the bundled GB/T 47678.5 table
    (``LocalStore.taxonomy``), and the server refuses a category it does not know with a reason
    the inspector sees. What the server announced is kept (``server_taxonomy`` in sync_state)
    so that a later version can fetch the city's table and a support person can see the
    mismatch; nothing else changes.
    """
    record = {"count": e.payload.get("count"), "source": e.payload.get("source")}
    if e.at is not None:
        record["at"] = e.at.isoformat()
    s.merge(SyncState(key=TAXONOMY_KEY, value=json.dumps(record, ensure_ascii=False)))
    return 1


def _on_basemap(s: Session, e: _Entry) -> int:
    """A basemap the server distributes (or no longer does): recorded by name in sync_state.

    Only recorded here, in the feed's transaction: the file is downloaded after the pull
    (app.sync.basemaps), outside any transaction, and registered in ``basemaps.json`` — a
    basemap is configuration of the computer, not a row of the store (app.geo.basemaps). The
    latest announcement of a name wins, a removal included, so the sync knows what to drop.
    """
    name = str(e.payload["name"])
    announced = _announced(s)
    announced[name] = {
        "name": name,
        "sha256": str(e.payload["sha256"]),
        "size": int(e.payload.get("size", 0)),
        "datum": str(e.payload.get("datum", "wgs84")),
        "attribution": str(e.payload.get("attribution", "")),
        "removed": bool(e.payload.get("removed", False)),
    }
    s.merge(SyncState(key=BASEMAPS_KEY, value=json.dumps(announced, ensure_ascii=False)))
    return 1


def _announced(s: Session) -> dict[str, dict[str, Any]]:
    row = s.get(SyncState, BASEMAPS_KEY)
    value = json.loads(row.value) if row is not None else {}
    return value if isinstance(value, dict) else {}


def announced_basemaps(s: Session) -> list[BasemapPayload]:
    """What the server last announced of each basemap, by name (removals included)."""
    return [cast(BasemapPayload, v) for _, v in sorted(_announced(s).items())]


#: How each feed kind is applied (every FeedKind has one: tests/test_layering.py checks it).
_HANDLERS: dict[FeedKind, Callable[[Session, _Entry], int]] = {
    FeedKind.DECISION: _on_decision,
    FeedKind.TASK: _on_task,
    FeedKind.COMMENT: _on_comment,
    FeedKind.CASE: _on_case,
    FeedKind.PHOTO: _on_photo,
    FeedKind.USER: _on_user,
    FeedKind.CALENDAR_DAY: _on_calendar_day,
    FeedKind.DEPARTMENT: _on_department,
    FeedKind.TIME_LIMIT: _on_time_limit,
    FeedKind.TAXONOMY: _on_taxonomy,
    FeedKind.BASEMAP: _on_basemap,
    FeedKind.GRID_CELL: lambda s, e: apply_cell(s, e.payload),
    FeedKind.RESPONSIBILITY: lambda s, e: apply_responsibility(s, e.payload),
    FeedKind.UNIT: lambda s, e: apply_unit(s, e.payload),
    FeedKind.TRACK: lambda s, e: apply_track_entry(s, e.entity_id, e.payload),
    FeedKind.KEY_SITE: lambda s, e: apply_site_entry(s, e.entity_id, e.payload),
    FeedKind.SITE_CHECK: lambda s, e: apply_check_entry(s, e.entity_id, e.payload),
    FeedKind.CHECKLIST: _on_checklist,
    FeedKind.INSPECTION: _on_inspection,
    FeedKind.INSPECTION_OBJECT: _on_inspection_object,
    FeedKind.ASSESSMENT: _on_assessment,
}


def feed_handlers() -> frozenset[FeedKind]:
    """The feed kinds this client applies."""
    return frozenset(_HANDLERS)


def _keep_task_parts(
    s: Session, case_id: str, payload: dict[str, Any], user_id: str, at: datetime | None
) -> int:
    case = s.scalar(select(Case).where(Case.id == case_id))
    if case is None:
        return 0
    assignee = (payload.get("case") or {}).get("assignee_id") or user_id
    changed = int(case.assignee_id != assignee)
    if _newer(case, payload.get("revision")) or case.assignee_id is None:
        case.assignee_id = assignee
    _remember_remote_photos(s, case_id, payload.get("photos") or [], at)
    _keep_task_steps(s, case_id, payload)
    return changed


def _remember_remote_photos(
    s: Session, case_id: str, photos: list[dict[str, Any]], at: datetime | None
) -> None:
    """Photos of a task's report: recorded as ``remote`` until the sync downloads them."""
    for p in photos:
        photo_id = str(p.get("photo_id") or "")
        sha256 = str(p.get("sha256") or "")
        if not photo_id or len(sha256) != 64 or s.get(Photo, photo_id) is not None:
            continue  # known already (this inspector's own photo, say)
        if s.scalar(select(Photo.id).where(Photo.case_id == case_id, Photo.sha256 == sha256)):
            continue
        s.add(
            Photo(
                id=photo_id,
                case_id=case_id,
                sha256=sha256,
                mime=str(p.get("mime") or "image/jpeg"),
                size_bytes=int(p.get("size_bytes") or 0),
                role=str(p.get("role") or "before"),
                original_name="",
                created_at=at or datetime.now(UTC),
                delivery=DeliveryState.REMOTE,
                upload_offset=0,
            )
        )


def _newer(case: Case | None, revision: Any) -> bool:
    """Whether a server revision is newer than what this laptop has of the case."""
    if case is None or not isinstance(revision, int):
        return True
    return revision > (case.server_revision or 0)


def _source_of(event: Any) -> str | None:
    """The status a case must have been in for ``event`` (for a case new on this laptop)."""
    try:
        sources = TRANSITIONS[Action(event)].sources
    except (KeyError, ValueError):
        return None
    return next(iter(sorted(sources))).value if len(sources) == 1 else None


def _apply_decision(
    s: Session,
    case_id: str,
    payload: dict[str, Any],
    at: datetime | None,
    *,
    source: str | None = None,
) -> int:
    case = s.scalar(select(Case).where(Case.id == case_id))
    status = payload.get("status")
    if case is None or status not in {c.value for c in CaseStatus}:
        return 0
    step_id = payload.get("step_id")
    if step_id and s.get(CaseStep, step_id) is not None:
        return 0  # applied before
    from_status = source or case.status
    revision = payload.get("revision")
    if _newer(case, revision):
        case.status = status
        if isinstance(revision, int):
            case.server_revision = revision
    # else: older than what this laptop has (its own later change was confirmed meanwhile):
    # the step still joins the history, the state stays.
    if step_id:
        record_step(
            s,
            case.id,
            str(payload.get("event", "")),
            from_status,
            status,
            role=str(payload.get("role", "supervisor")),
            at=at or case.updated_at,
            opinion=str(payload.get("opinion") or ""),
            step_id=step_id,
        )
    return 1


def _upsert_case(s: Session, data: dict[str, Any], user_id: str | None) -> None:
    """A case from the server (a re-inspection task, or a supervisor's queue): inserted, or its
    server fields refreshed. ``user_id``: the inspector a task without an assignee is for."""
    case = s.scalar(select(Case).where(Case.id == data["id"]))
    author_id = data.get("author_id")
    if author_id and s.get(User, author_id) is None:
        s.add(User(id=author_id, username=f"user-{author_id[-12:]}", role="inspector"))
        s.flush()  # before the case that refers to it
    created = _time(data.get("created_at")) or datetime.now(UTC)
    if case is None:
        case = Case(
            id=data["id"],
            created_at=created,
            revision=1,
            delivery=DeliveryState.CONFIRMED,
            confirmed_at=_time(data.get("updated_at")),
        )
        s.add(case)
    for name in ("category_code", "description", "address", "urgency", "lat", "lon", "accuracy_m"):
        if name in data:
            setattr(case, name, data[name])
    case.position_source = data.get("position_source")
    case.observed_at = _time(data.get("observed_at"))
    case.submitted_at = _time(data.get("submitted_at"))
    case.updated_at = _time(data.get("updated_at")) or created
    case.author_id = author_id
    case.deadline = _time(data.get("deadline"))
    case.assignee_id = data.get("assignee_id") or user_id
    case.grid_code = data.get("grid_code")
    source = data.get("grid_source")
    if source in {g.value for g in GridSource}:
        case.grid_source = source  # the server looked it up (else the laptop's source stays)
    place_server_case(s, case)
    _set_department(s, case, data.get("department_id"))
    _set_handling(case, data)
    status = data.get("status")
    if status in {c.value for c in CaseStatus}:
        case.status = status
    s.flush()
    index_case(s, case)  # found by search like any case


def _apply_case_event(s: Session, case_id: str, payload: dict[str, Any]) -> int:
    """A supervisor's feed entry: a case moved (submitted, accepted, dispatched …).

    The entry carries the whole case and the step; the case is inserted or refreshed when the
    entry is newer than what this laptop has, and the step joins the case's log once. While a
    decision taken here is still on its way, the case keeps its local state (the decision's
    answer settles it).
    """
    data = payload.get("case")
    if not isinstance(data, dict) or data.get("id") != case_id:
        return 0  # an entry of an older server, without the case: nothing to keep
    case = s.scalar(select(Case).where(Case.id == case_id))
    if payload.get("event") == CASE_PLACED_EVENT:
        return adopt_server_place(case, data)
    waiting = case is not None and s.scalar(
        select(OutboxEntry.seq).where(
            OutboxEntry.entity == OutboxEntity.DECISION,
            OutboxEntry.entity_id == case_id,
            OutboxEntry.state.in_(OPEN_STATES),
        )
    )
    changed = 0
    if not waiting and _newer(case, data.get("revision")):
        _upsert_case(s, data, None)
        refreshed = s.scalar(select(Case).where(Case.id == case_id))
        if refreshed is not None and isinstance(data.get("revision"), int):
            refreshed.server_revision = data["revision"]
        changed = 1
    step = payload.get("step")
    if isinstance(step, dict):
        changed |= _add_step(s, case_id, step)
    return changed


def adopt_server_place(case: Case | None, data: dict[str, Any]) -> int:
    """The cell the server looked up for a case that this laptop sent without one (it had no
    grid then): taken when the case still has no place here and has not moved since; a code
    typed or looked up on this laptop is never replaced."""
    source = data.get("grid_source")
    if case is None or case.grid_source is not None or source not in {g.value for g in GridSource}:
        return 0
    if (case.lat, case.lon) != (data.get("lat"), data.get("lon")):
        return 0  # moved here since: the next save places it again
    case.grid_code, case.grid_source = data.get("grid_code"), source
    return 1


def _add_step(s: Session, case_id: str, step: dict[str, Any]) -> int:
    """A step of the server's log, added once (keyed by the server's step id)."""
    step_id = str(step.get("id") or "")
    if not step_id or s.get(CaseStep, step_id) is not None:
        return 0
    if s.scalar(select(Case.id).where(Case.id == case_id)) is None:
        return 0
    record_step(
        s,
        case_id,
        str(step.get("action", "")),
        str(step.get("from_status", "")),
        str(step.get("to_status", "")),
        role=str(step.get("role", "")),
        at=_time(step.get("at")) or datetime.now(UTC),
        actor_id=step.get("actor_id"),
        opinion=str(step.get("opinion") or ""),
        department_id=step.get("department_id"),
        deadline=_time(step.get("deadline")),
        assignee_id=step.get("assignee_id"),
        attachments=[str(a) for a in step.get("attachments") or []],
        step_id=step_id,
    )
    return 1


def adopt_case_detail(s: Session, case_id: str, detail: dict[str, Any]) -> None:
    """The server's answer to a decision (the case with its whole log) written locally."""
    data = detail.get("case")
    case = s.scalar(select(Case).where(Case.id == case_id))
    if isinstance(data, dict) and case is not None:
        waiting = s.scalar(
            select(OutboxEntry.seq).where(
                OutboxEntry.entity == OutboxEntity.DECISION,
                OutboxEntry.entity_id == case_id,
                OutboxEntry.state.in_(OPEN_STATES),
            )
        )
        revision = data.get("revision")
        if isinstance(revision, int):
            case.server_revision = max(case.server_revision or 0, revision)
        if not waiting:  # later decisions taken here are still on their way: keep their state
            adopt_server_state(s, case, data)
    for step in detail.get("steps") or []:
        if isinstance(step, dict):
            _add_step(s, case_id, step)
