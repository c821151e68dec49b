"""Idempotent ingest of changes pushed by clients.

Every change carries the id its client gave it. An applied change leaves a receipt; sending it
again returns that receipt as a *duplicate* (same server revision) and changes nothing, and the
same id with different content is a *conflict* — never a second case. Each change is decided on
its own, so one refused change does not undo the others of its batch. Workflow rules come from
:mod:`app.domain.lifecycle`: the server is the authority.

Conflict rules (README): the workflow state on the server wins; the inspector's own text edits
win while the case is still in their hands (draft, or returned for correction); anything else
is answered *conflict* with the server's current version, for the inspector to resolve.

A batch is handled as a whole, in a few statements whatever its size (:func:`ingest`):

1. *Read*: the rows of the batch's cases, locked ``FOR NO KEY UPDATE`` in id order (the lock
   order of :mod:`server.feed`), then the receipts of its change ids — after the locks, so that
   a change another worker applied while this one waited for them is seen as applied.
2. *Decide*, in Python, change by change in batch order, on an in-memory copy of each case: a
   refused change leaves the copy as it was, so it undoes nothing else.
3. *Write* what was applied with a few multi-row statements (new cases in id order, updated
   cases, steps, receipts in change id order), then the feed entries
   (:func:`server.feed.append_feed_entries`, which takes the feed lock last).

Steps 1 to 3 run in a savepoint. Only a race can make step 3 fail: another worker inserted one
of the batch's cases or receipts after step 1 read them. Then the savepoint is rolled back (its
row locks with it) and the batch is done again with what that worker committed (PostgreSQL
reports the clash only once the other transaction has committed, so the next read sees its
rows). Nothing is refused because of such a race: the changes come out applied, duplicate or
conflict on their merits, as if the two pushes had come one after the other.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.contract import CasePayload, DecisionPayload, FeedKind, PhotoPayload
from app.domain.errors import Message, TransitionError
from app.domain.grids import CASE_PLACED_EVENT
from app.domain.ids import new_id
from app.domain.lifecycle import (
    INSPECTOR_EDITABLE,
    STATE_ERRORS,
    Action,
    CaseStatus,
    Role,
    TransitionRequest,
    apply_transition,
)
from app.domain.taxonomy import Taxonomy
from app.domain.validation import CaseFields, validate_case
from server.feed import FeedItem, append_feed_entries
from server.grids.locate import Placed, Position, locator, place
from server.models import Case, CaseStep, ChangeReceipt, Photo, User
from server.schemas import CaseOut, ChangeIn, ChangeOp, ChangeResult, Outcome, Reason, StepOut

log = logging.getLogger("citypatrol.server.ingest")

_TRANSITIONS = {
    ChangeOp.SUBMIT: Action.SUBMIT,
    ChangeOp.REINSPECT_PASS: Action.REINSPECT_PASS,
    ChangeOp.REINSPECT_FAIL: Action.REINSPECT_FAIL,
}
#: How often a batch is decided again after a concurrent insert of one of its rows.
ATTEMPTS = 5

# Core tables: rows are written and read here without the ORM's unit of work.
_cases = cast(Table, Case.__table__)
_steps = cast(Table, CaseStep.__table__)
_receipts = cast(Table, ChangeReceipt.__table__)
#: The columns a change may set on an existing case (never its id or author).
_MUTABLE = (
    "status", "category_code", "description", "address", "urgency", "lat", "lon", "accuracy_m",
    "position_source", "grid_code", "grid_source", "observed_at", "submitted_at", "updated_at", "revision",
)  # fmt: skip

Row = dict[str, Any]


class BatchContendedError(Exception):
    """Other transactions kept inserting this batch's rows; the client should send it again."""


def content_hash(change: ChangeIn) -> str:
    canonical = json.dumps(
        change.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Receipt:
    content_hash: str
    receipt: dict[str, Any]


@dataclass
class _Plan:
    """What a batch answers and writes."""

    results: list[ChangeResult] = field(default_factory=list)
    new_cases: dict[str, Row] = field(default_factory=dict)
    changed_cases: dict[str, Row] = field(default_factory=dict)
    steps: list[Row] = field(default_factory=list)
    receipts: list[Row] = field(default_factory=list)
    feed: list[FeedItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Applied:
    row: Row
    step: Row | None = None
    feed: tuple[FeedItem, ...] = ()


class _RefusedError(Exception):
    def __init__(
        self, outcome: Outcome, code: str, message: Message, current: Row | None = None
    ) -> None:
        super().__init__(message.en)
        self.outcome = outcome
        self.reason = Reason(code=code, zh=message.zh, en=message.en)
        self.current = current


@dataclass(frozen=True, slots=True)
class _Batch:
    """One push: who sent it, its changes (with their content hashes), and the rules."""

    user_id: str
    role: str
    changes: Sequence[ChangeIn]
    digests: list[str]
    taxonomy: Taxonomy
    #: The cells of the positions sent without a grid code (the current grid's).
    places: dict[Position, Placed]


def ingest(
    session: Session, user: User, changes: Sequence[ChangeIn], taxonomy: Taxonomy
) -> list[ChangeResult]:
    """Apply a batch of pushed changes; one result per change, in order (see the module doc).

    The caller commits; the feed lock is held from the end of this call until then.
    """
    unplaced = [
        (c.case.lat, c.case.lon)
        for c in changes
        if c.case.grid_code is None and c.case.lat is not None and c.case.lon is not None
    ]
    places = locator(session).place_all(unplaced) if unplaced else {}
    batch = _Batch(
        user.id, user.role, changes, [content_hash(c) for c in changes], taxonomy, places
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            # Each try in a savepoint: rolling it back also releases the row locks it took, so
            # the next try takes them afresh in id order.
            with session.begin_nested():
                plan = _plan(session, batch)
                _write(session, plan)
        except IntegrityError:
            log.info("push of %d changes met a concurrent insert (try %d)", len(changes), attempt)
            continue
        append_feed_entries(session, [*plan.feed, *_photos_of_first_submissions(session, plan)])
        return plan.results
    raise BatchContendedError(f"the batch met concurrent inserts {ATTEMPTS} times")


def _photos_of_first_submissions(session: Session, plan: _Plan) -> list[FeedItem]:
    """The photos a case got while it was a draft, for the supervisors, now that it is
    submitted for the first time (a draft's photos are announced to nobody: uploads.py)."""
    case_ids = [
        item.entity_id
        for item in plan.feed
        if item.kind is FeedKind.CASE
        and item.payload.get("event") == Action.SUBMIT.value
        and item.payload["step"]["from_status"] == CaseStatus.DRAFT.value
    ]
    if not case_ids:
        return []
    photos = session.scalars(
        select(Photo)
        .where(Photo.case_id.in_(case_ids), Photo.state == "complete")
        .order_by(Photo.case_id, Photo.completed_at, Photo.id)
    )
    items = []
    for photo in photos:
        payload: PhotoPayload = {
            "photo_id": photo.id,
            "case_id": photo.case_id,
            "role": photo.role,
            "mime": photo.mime,
            "size_bytes": photo.size_bytes,
            "sha256": photo.sha256,
            "uploader_id": photo.uploader_id,
            "completed_at": photo.completed_at.isoformat() if photo.completed_at else "",
        }
        items.append(FeedItem(FeedKind.PHOTO, photo.id, payload, role=Role.SUPERVISOR.value))
    return items


def _plan(session: Session, batch: _Batch) -> _Plan:
    cases = _locked_cases(session, {change.case.id for change in batch.changes})
    # Read once the rows are locked: a change that another worker applied while this one
    # waited for them has its receipt committed by now (with its case).
    stored = _stored_receipts(session, {change.change_id for change in batch.changes})
    # The time of the changes, taken once their cases are locked: the steps of a case are
    # then stamped in the order they were made (an action on it waits, or went before).
    now = datetime.now(UTC)
    existing = set(cases)
    plan = _Plan()
    for change, digest in zip(batch.changes, batch.digests, strict=True):
        receipt = stored.get(change.change_id)
        if receipt is not None:
            plan.results.append(_replay(receipt, digest, change))
            continue
        try:
            applied = _decide(batch, change, cases.get(change.case.id), now)
        except _RefusedError as refused:
            plan.results.append(
                ChangeResult(
                    change_id=change.change_id,
                    case_id=change.case.id,
                    outcome=refused.outcome,
                    reason=refused.reason,
                    current=_current(refused.current),
                )
            )
            continue
        row = applied.row
        result = ChangeResult(
            change_id=change.change_id,
            case_id=row["id"],
            outcome=Outcome.APPLIED,
            server_revision=row["revision"],
        )
        plan.results.append(result)
        cases[row["id"]] = row
        (plan.changed_cases if row["id"] in existing else plan.new_cases)[row["id"]] = row
        if applied.step is not None:
            plan.steps.append(applied.step)
        plan.feed.extend(applied.feed)
        stored[change.change_id] = _Receipt(digest, result.model_dump(mode="json"))
        plan.receipts.append(
            {
                "change_id": change.change_id,
                "user_id": batch.user_id,
                "case_id": change.case.id,
                "content_hash": digest,
                "outcome": Outcome.APPLIED.value,
                "receipt": stored[change.change_id].receipt,
                "received_at": now,
            }
        )
    return plan


def _stored_receipts(session: Session, change_ids: Collection[str]) -> dict[str, _Receipt]:
    if not change_ids:
        return {}
    rows = session.execute(
        select(_receipts.c.change_id, _receipts.c.content_hash, _receipts.c.receipt).where(
            _receipts.c.change_id.in_(sorted(change_ids))
        )
    )
    return {change_id: _Receipt(digest, receipt) for change_id, digest, receipt in rows}


def _locked_cases(session: Session, case_ids: Collection[str]) -> dict[str, Row]:
    """The existing cases among ``case_ids``, their rows locked in id order until the commit."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(_cases)
        .where(_cases.c.id.in_(sorted(case_ids)))
        .order_by(_cases.c.id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: foreign-key checks pass
    )
    return {row.id: dict(row._mapping) for row in rows}


def _write(session: Session, plan: _Plan) -> None:
    if not plan.receipts:
        return  # nothing applied
    if plan.new_cases:
        session.execute(insert(_cases), [plan.new_cases[k] for k in sorted(plan.new_cases)])
    if plan.changed_cases:
        session.execute(
            update(_cases).where(_cases.c.id == bindparam("case_id")),
            [
                {"case_id": k, **{c: plan.changed_cases[k][c] for c in _MUTABLE}}
                for k in sorted(plan.changed_cases)
            ],
        )
    if plan.steps:
        session.execute(insert(_steps), plan.steps)
    session.execute(insert(_receipts), sorted(plan.receipts, key=lambda r: str(r["change_id"])))


def _current(row: Row | None) -> CaseOut | None:
    return CaseOut.model_validate(row) if row is not None else None


def _replay(stored: _Receipt, digest: str, change: ChangeIn) -> ChangeResult:
    if stored.content_hash != digest:
        return ChangeResult(
            change_id=change.change_id,
            case_id=change.case.id,
            outcome=Outcome.CONFLICT,
            reason=Reason(
                code="change_id_reused",
                zh="该变更编号已用于不同的内容",
                en="This change id was already used for different content",
            ),
        )
    receipt = ChangeResult.model_validate(stored.receipt)
    return receipt.model_copy(update={"outcome": Outcome.DUPLICATE})


def _decide(batch: _Batch, change: ChangeIn, case: Row | None, now: datetime) -> _Applied:
    """The case's row after ``change`` (``case``: before it, None if new), or _RefusedError."""
    user_id, taxonomy = batch.user_id, batch.taxonomy
    if batch.role != Role.INSPECTOR.value:
        raise _RefusedError(
            Outcome.REJECTED,
            "role_not_allowed",
            Message("只有监督员可以上报和修改案件", "Only inspectors push case changes"),
        )
    snapshot = change.case
    if change.op is ChangeOp.CREATE:
        if case is not None:
            raise _RefusedError(
                Outcome.CONFLICT,
                "case_exists",
                Message("案件已存在", "The case already exists on the server"),
                case if case["author_id"] == user_id else None,
            )
        if snapshot.status is not CaseStatus.DRAFT:
            raise _RefusedError(
                Outcome.REJECTED,
                "bad_status",
                Message("新案件必须是草稿", "A new case must be a draft"),
            )
        _check_fields(snapshot_fields(change), taxonomy, now, for_submission=False)
        row: Row = {
            "id": snapshot.id,
            "author_id": user_id,
            "status": CaseStatus.DRAFT.value,
            "created_at": snapshot.created_at,
            "submitted_at": None,
            "received_at": now,
            "updated_at": now,
            "revision": 1,
            "department_id": None,
            "deadline": None,
            "assignee_id": None,
            **_edited_fields(change, batch.places),
        }
        return _Applied(row, feed=_placed(row, None, change))

    if case is None:
        raise _RefusedError(
            Outcome.REJECTED,
            "unknown_case",
            Message("服务器上没有这个案件", "The server has no such case"),
        )
    status = CaseStatus(case["status"])
    if change.op in (ChangeOp.REINSPECT_PASS, ChangeOp.REINSPECT_FAIL):
        if case["assignee_id"] != user_id:
            raise _RefusedError(
                Outcome.REJECTED,
                "not_assigned",
                Message("该核查任务不属于你", "This re-inspection is not assigned to you"),
            )
    elif case["author_id"] != user_id:
        raise _RefusedError(
            Outcome.REJECTED, "not_yours", Message("这不是你的案件", "This is not your case")
        )

    row = dict(case)
    if change.op in (ChangeOp.UPDATE, ChangeOp.SUBMIT):
        if status not in INSPECTOR_EDITABLE:
            # The workflow moved on (e.g. a supervisor accepted it): the server's state wins.
            raise _RefusedError(
                Outcome.CONFLICT,
                "not_editable",
                Message(
                    "案件已不在你手中，无法修改",
                    "The case is no longer in your hands and cannot be edited",
                ),
                case,
            )
        _check_fields(
            snapshot_fields(change), taxonomy, now, for_submission=change.op is ChangeOp.SUBMIT
        )
        row.update(_edited_fields(change, batch.places))
    row["revision"] = case["revision"] + 1
    row["updated_at"] = now
    placed = _placed(row, case, change)
    if change.op not in _TRANSITIONS:
        return _Applied(row, feed=placed)
    action = _TRANSITIONS[change.op]
    try:
        target = apply_transition(
            status, TransitionRequest(action, Role.INSPECTOR, opinion=change.opinion)
        )
    except TransitionError as exc:
        outcome = Outcome.CONFLICT if exc.code in STATE_ERRORS else Outcome.REJECTED
        raise _RefusedError(outcome, exc.code, exc.message, case) from exc
    row["status"] = target.value
    placed = _placed(row, case, change)
    if action is Action.SUBMIT:
        row["submitted_at"] = snapshot.submitted_at or now
    step: Row = {
        "id": new_id(),
        "case_id": row["id"],
        "action": action.value,
        "from_status": status.value,
        "to_status": target.value,
        "actor_id": user_id,
        "role": Role.INSPECTOR.value,
        "at": now,
        "opinion": change.opinion,
        "department_id": None,
        "deadline": None,
        "assignee_id": None,
        "attachments": [],
    }
    # Supervisors' apps keep the review queue offline: the entry carries the whole case and step.
    entry: CasePayload = {
        "event": action.value,
        "status": target.value,
        "revision": row["revision"],
        "step_id": step["id"],
        "case": CaseOut.model_validate(row).model_dump(mode="json"),
        "step": StepOut.model_validate(step).model_dump(mode="json"),
    }
    feed = FeedItem(FeedKind.CASE, row["id"], entry, role=Role.SUPERVISOR.value)
    items = [feed, *placed]
    if action is not Action.SUBMIT and row.get("department_id"):
        # The department whose handling was re-inspected hears the result (issue 15).
        items.append(FeedItem(FeedKind.CASE, row["id"], entry, department_id=row["department_id"]))
    if action is not Action.SUBMIT and row["author_id"] != user_id:
        # A re-inspection's result reaches the case's reporter too (their case moved on).
        decision: DecisionPayload = {
            "event": action.value,
            "status": target.value,
            "revision": row["revision"],
            "opinion": change.opinion,
            "step_id": step["id"],
            "role": Role.INSPECTOR.value,
        }
        items.append(FeedItem(FeedKind.DECISION, row["id"], decision, user_id=row["author_id"]))
    return _Applied(row, step, tuple(items))


def snapshot_fields(change: ChangeIn) -> CaseFields:
    s = change.case
    return CaseFields(
        category_code=s.category_code,
        description=s.description,
        address=s.address,
        urgency=s.urgency,
        lat=s.lat,
        lon=s.lon,
        accuracy_m=s.accuracy_m,
        observed_at=s.observed_at,
    )


def _check_fields(
    fields: CaseFields, taxonomy: Taxonomy, now: datetime, *, for_submission: bool
) -> None:
    errors = validate_case(fields, taxonomy, for_submission=for_submission, now=now)
    if errors:
        raise _RefusedError(
            Outcome.REJECTED,
            "invalid_case",
            Message(
                "；".join(e.message.zh for e in errors), "; ".join(e.message.en for e in errors)
            ),
        )


def _placed(row: Row, before: Row | None, change: ChangeIn) -> tuple[FeedItem, ...]:
    """A feed entry telling the author's laptop the cell the server looked up for its case
    (a case sent without a code), when that changed the case's place; else nothing."""
    if change.case.grid_code is not None or row["grid_source"] is None:
        return ()
    if before is not None and (before["grid_code"], before["grid_source"]) == (
        row["grid_code"],
        row["grid_source"],
    ):
        return ()
    entry: CasePayload = {
        "event": CASE_PLACED_EVENT,
        "status": row["status"],
        "revision": row["revision"],
        "step_id": "",
        "case": CaseOut.model_validate(row).model_dump(mode="json"),
        "step": {},
    }
    return (FeedItem(FeedKind.CASE, row["id"], entry, user_id=row["author_id"]),)


def _edited_fields(change: ChangeIn, places: dict[Position, Placed]) -> Row:
    """The columns an inspector's edit sets (the grid code looked up when none was sent)."""
    s = change.case
    grid_code, grid_source = place(places, s.grid_code, s.lat, s.lon)
    return {
        "category_code": s.category_code or None,
        "description": s.description,
        "address": s.address,
        "urgency": s.urgency.value,
        "lat": s.lat,
        "lon": s.lon,
        "accuracy_m": s.accuracy_m,
        "position_source": s.position_source,
        "grid_code": grid_code,
        "grid_source": grid_source,
        "observed_at": s.observed_at,
    }
