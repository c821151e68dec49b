"""The write rules every local change follows: the outbox, the step log, the case's revision.

A change made here (a case edited, a decision taken, a photo attached, a track stopped) is
written in the same transaction as its outbox entry, so nothing is ever changed locally without
being queued for the server. A transition also appends one step to the case's append-only log.
Every feature module (the store, the inbox, supervision, the sync's ledger) writes these rows
through the functions below instead of building them by hand, so the rules live in one place:

* :func:`enqueue` — queue any change for the server (one :class:`OutboxEntity` per kind);
* :func:`queue_case_change` — queue an inspector's change of a case (re-creation and coalescing);
* :func:`record_step` — append a step to a case's log;
* :func:`touch_revision` — mark a case changed here and not yet confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.ids import new_id
from app.domain.lifecycle import CaseStatus
from app.storage.models import Case, CaseStep, OutboxEntry
from app.storage.states import DeliveryState, OutboxEntity, OutboxState

#: Outbox states in which a case's creation counts as on its way (or accepted).
_CREATE_IN_FLIGHT = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.SENT)


def enqueue(
    s: Session,
    entity: OutboxEntity,
    entity_id: str,
    op: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    base_revision: int | None = None,
) -> OutboxEntry:
    """Queue one change for the server, in the caller's transaction (at-least-once delivery).

    ``base_revision`` is the server's revision of the record the change was made on (None for
    records the server versions no further: photos, tracks).
    """
    entry = OutboxEntry(
        change_id=new_id(),
        entity=entity,
        entity_id=entity_id,
        op=op,
        payload=payload,
        base_revision=base_revision,
        created_at=now,
        state=OutboxState.PENDING,
        attempts=0,
    )
    s.add(entry)
    return entry


def case_snapshot(case: Case) -> dict[str, Any]:
    """The case as it travels to the server: every field a person edits, plus the status."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": case.id,
        "status": case.status,
        "category_code": case.category_code,
        "description": case.description,
        "address": case.address,
        "urgency": case.urgency,
        "lat": case.lat,
        "lon": case.lon,
        "accuracy_m": case.accuracy_m,
        "position_source": case.position_source,
        "grid_code": case.grid_code,
        "observed_at": iso(case.observed_at),
        "created_at": iso(case.created_at),
        "submitted_at": iso(case.submitted_at),
        "revision": case.revision,
    }


def enqueue_case(
    s: Session, case: Case, op: str, payload: dict[str, Any], now: datetime
) -> OutboxEntry:
    """Queue a case change as it is (based on the server revision the case has now)."""
    return enqueue(
        s, OutboxEntity.CASE, case.id, op, payload, now=now, base_revision=case.server_revision
    )


def queue_case_change(s: Session, case: Case, op: str, now: datetime) -> None:
    """Queue an inspector's change of a case (``create``, ``update``, ``submit`` …) as a snapshot.

    A case the server refused to create travels as a new creation first; consecutive unsent
    updates travel as one.
    """
    snapshot = case_snapshot(case)
    if op != "create" and case.server_revision is None and not create_in_flight(s, case.id):
        # The server refused this case's creation (say, a category it did not know) and the
        # inspector has now corrected it: it travels as a new creation, then the change.
        draft = {**snapshot, "status": CaseStatus.DRAFT.value, "submitted_at": None}
        enqueue_case(s, case, "create", draft, now)
        if op == "update":
            return
    if op == "update":
        latest = s.scalar(
            select(OutboxEntry)
            .where(OutboxEntry.entity == OutboxEntity.CASE, OutboxEntry.entity_id == case.id)
            .order_by(OutboxEntry.seq.desc())
            .limit(1)
        )
        if latest is not None and latest.op == "update" and latest.state == OutboxState.PENDING:
            # Edits saved one after another (the editor saves as the inspector types) travel
            # as one: each entry is a whole snapshot, so the newest replaces the unsent one.
            latest.payload, latest.base_revision = snapshot, case.server_revision
            return
    enqueue_case(s, case, op, snapshot, now)


def create_in_flight(s: Session, case_id: str) -> bool:
    """Whether the case's creation is queued, being sent, or was accepted by the server."""
    return (
        s.scalar(
            select(OutboxEntry.seq).where(
                OutboxEntry.entity_id == case_id,
                OutboxEntry.op == "create",
                OutboxEntry.state.in_(_CREATE_IN_FLIGHT),
            )
        )
        is not None
    )


def touch_revision(case: Case, now: datetime) -> None:
    """The case was changed here: a new local revision, not yet confirmed by the server."""
    case.revision += 1
    case.updated_at = now
    case.delivery = DeliveryState.PENDING


def record_step(
    s: Session,
    case_id: str,
    action: str,
    from_status: str,
    to_status: str,
    *,
    role: str,
    at: datetime,
    actor_id: str | None = None,
    opinion: str = "",
    department_id: str | None = None,
    deadline: datetime | None = None,
    assignee_id: str | None = None,
    attachments: Sequence[str] = (),
    step_id: str | None = None,
) -> CaseStep:
    """Append one step to a case's log (append-only: steps are never changed or removed).

    ``step_id`` is the server's id for a step that came from the server (so it is added once);
    a step taken here gets a new id.
    """
    step = CaseStep(
        id=step_id or new_id(),
        case_id=case_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor_id,
        role=role,
        at=at,
        opinion=opinion,
        department_id=department_id,
        deadline=deadline,
        assignee_id=assignee_id,
        attachments=list(attachments),
    )
    s.add(step)
    return step
