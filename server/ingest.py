"""Idempotent ingest of changes pushed by clients.

Every change carries the id its client gave it. An applied change leaves a receipt; sending it
again returns that receipt as a *duplicate* (same server revision) and changes nothing, and the
same id with different content is a *conflict* — never a second case. Each change is applied in
its own savepoint, so one refused change does not undo the others of its batch. Workflow rules
come from :mod:`app.domain.lifecycle`: the server is the authority.

Conflict rules (README): the workflow state on the server wins; the inspector's own text edits
win while the case is still in their hands (draft, or returned for correction); anything else
is answered *conflict* with the server's current version, for the inspector to resolve.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.errors import Message, TransitionError
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
from server.feed import append_feed
from server.models import Case, CaseStep, ChangeReceipt, User
from server.schemas import CaseOut, ChangeIn, ChangeOp, ChangeResult, Outcome, Reason

_TRANSITIONS = {
    ChangeOp.SUBMIT: Action.SUBMIT,
    ChangeOp.REINSPECT_PASS: Action.REINSPECT_PASS,
    ChangeOp.REINSPECT_FAIL: Action.REINSPECT_FAIL,
}


def content_hash(change: ChangeIn) -> str:
    canonical = json.dumps(
        change.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def case_out(case: Case) -> CaseOut:
    return CaseOut.model_validate(case, from_attributes=True)


class _AlreadyAppliedError(Exception):
    def __init__(self, receipt: ChangeReceipt) -> None:
        super().__init__(receipt.change_id)
        self.receipt = receipt


class _RefusedError(Exception):
    def __init__(
        self, outcome: Outcome, code: str, message: Message, current: Case | None = None
    ) -> None:
        super().__init__(message.en)
        self.outcome = outcome
        self.reason = Reason(code=code, zh=message.zh, en=message.en)
        self.current = current


def apply_change(
    session: Session, user: User, change: ChangeIn, taxonomy: Taxonomy, now: datetime
) -> ChangeResult:
    """Apply one pushed change (in a savepoint) and return its result."""
    digest = content_hash(change)
    stored = session.get(ChangeReceipt, change.change_id)
    if stored is not None:
        return _replay(stored, digest, change)
    try:
        with session.begin_nested():
            result = _apply(session, user, change, taxonomy, now)
            if result.outcome is Outcome.APPLIED:
                session.add(
                    ChangeReceipt(
                        change_id=change.change_id,
                        user_id=user.id,
                        case_id=change.case.id,
                        content_hash=digest,
                        outcome=result.outcome.value,
                        receipt=result.model_dump(mode="json"),
                        received_at=now,
                    )
                )
                session.flush()
    except _AlreadyAppliedError as already:
        return _replay(already.receipt, digest, change)
    except _RefusedError as refused:
        return ChangeResult(
            change_id=change.change_id,
            case_id=change.case.id,
            outcome=refused.outcome,
            reason=refused.reason,
            current=case_out(refused.current) if refused.current is not None else None,
        )
    except IntegrityError:
        # Another worker applied the same change id (or created the same case) meanwhile.
        session.expire_all()
        stored = session.get(ChangeReceipt, change.change_id)
        if stored is not None:
            return _replay(stored, digest, change)
        current = session.get(Case, change.case.id)
        return ChangeResult(
            change_id=change.change_id,
            case_id=change.case.id,
            outcome=Outcome.CONFLICT,
            reason=Reason(
                code="concurrent_change",
                zh="案件同时被另一处修改",
                en="The case was changed concurrently",
            ),
            current=case_out(current) if current is not None else None,
        )
    return result


def _replay(stored: ChangeReceipt, digest: str, change: ChangeIn) -> ChangeResult:
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


def _apply(
    session: Session, user: User, change: ChangeIn, taxonomy: Taxonomy, now: datetime
) -> ChangeResult:
    if user.role != Role.INSPECTOR.value:
        raise _RefusedError(
            Outcome.REJECTED,
            "role_not_allowed",
            Message("只有监督员可以上报和修改案件", "Only inspectors push case changes"),
        )
    snapshot = change.case
    case = _locked_case(session, snapshot.id)
    # Another worker may have applied this very change while we waited for the case's row
    # lock (or before we saw its case): it committed the receipt with the case, so look again.
    applied = session.execute(
        select(ChangeReceipt)
        .where(ChangeReceipt.change_id == change.change_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if applied is not None:
        raise _AlreadyAppliedError(applied)
    if change.op is ChangeOp.CREATE:
        if case is not None:
            raise _RefusedError(
                Outcome.CONFLICT,
                "case_exists",
                Message("案件已存在", "The case already exists on the server"),
                case if case.author_id == user.id else None,
            )
        if snapshot.status is not CaseStatus.DRAFT:
            raise _RefusedError(
                Outcome.REJECTED,
                "bad_status",
                Message("新案件必须是草稿", "A new case must be a draft"),
            )
        _check_fields(snapshot_fields(change), taxonomy, now, for_submission=False)
        case = Case(
            id=snapshot.id,
            author_id=user.id,
            status=CaseStatus.DRAFT.value,
            created_at=snapshot.created_at,
            received_at=now,
            updated_at=now,
            revision=1,
        )
        _assign(case, change)
        session.add(case)
        session.flush()
        return _applied(change, case)

    if case is None:
        raise _RefusedError(
            Outcome.REJECTED,
            "unknown_case",
            Message("服务器上没有这个案件", "The server has no such case"),
        )
    status = CaseStatus(case.status)
    if change.op in (ChangeOp.REINSPECT_PASS, ChangeOp.REINSPECT_FAIL):
        if case.assignee_id != user.id:
            raise _RefusedError(
                Outcome.REJECTED,
                "not_assigned",
                Message("该核查任务不属于你", "This re-inspection is not assigned to you"),
            )
    elif case.author_id != user.id:
        raise _RefusedError(
            Outcome.REJECTED, "not_yours", Message("这不是你的案件", "This is not your case")
        )

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
        _assign(case, change)
    if change.op in _TRANSITIONS:
        action = _TRANSITIONS[change.op]
        try:
            target = apply_transition(
                status, TransitionRequest(action, Role.INSPECTOR, opinion=change.opinion)
            )
        except TransitionError as exc:
            outcome = Outcome.CONFLICT if exc.code in STATE_ERRORS else Outcome.REJECTED
            raise _RefusedError(outcome, exc.code, exc.message, case) from exc
        case.status = target.value
        if action is Action.SUBMIT:
            case.submitted_at = change.case.submitted_at or now
        session.add(
            CaseStep(
                id=new_id(),
                case_id=case.id,
                action=action.value,
                from_status=status.value,
                to_status=target.value,
                actor_id=user.id,
                role=Role.INSPECTOR.value,
                at=now,
                opinion=change.opinion,
                attachments=[],
            )
        )
        append_feed(
            session,
            "case",
            case.id,
            {"event": action.value, "status": target.value, "revision": case.revision + 1},
            role=Role.SUPERVISOR.value,
        )
    case.revision += 1
    case.updated_at = now
    session.flush()
    return _applied(change, case)


def _applied(change: ChangeIn, case: Case) -> ChangeResult:
    return ChangeResult(
        change_id=change.change_id,
        case_id=case.id,
        outcome=Outcome.APPLIED,
        server_revision=case.revision,
    )


def _locked_case(session: Session, case_id: str) -> Case | None:
    return session.scalar(select(Case).where(Case.id == case_id).with_for_update())


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


def _assign(case: Case, change: ChangeIn) -> None:
    s = change.case
    case.category_code = s.category_code or None
    case.description = s.description
    case.address = s.address
    case.urgency = s.urgency.value
    case.lat, case.lon, case.accuracy_m = s.lat, s.lon, s.accuracy_m
    case.position_source = s.position_source
    case.observed_at = s.observed_at
