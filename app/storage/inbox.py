"""The inspector's tasks inbox: cases returned for correction, and re-inspections to do.

Both arrive through the sync's change feed (:mod:`app.storage.ledger`): a *decision* entry moves
one of the inspector's own cases to ``returned`` and logs the supervisor's opinion as a step; a
*task* entry brings a case — often reported by someone else — assigned to this inspector for
re-inspection (核查). This module lists them and records the re-inspection's outcome.

Recording a re-inspection attaches the "after" photos first (each checked, copied and recorded
like any photo), then, in one transaction, applies the transition of the shared state machine,
appends the step and queues the change for the server (op ``reinspect_pass`` or
``reinspect_fail``, with the opinion). A refused photo stops the recording before the
transition: the outcome is never recorded without the evidence the inspector meant to give.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app.capture.photo_errors import PhotoError
from app.domain.errors import DomainError, Message
from app.domain.lifecycle import (
    Action,
    CaseStatus,
    Role,
    TransitionRequest,
    apply_transition,
)
from app.domain.validation import Urgency
from app.storage.changelog import case_snapshot, enqueue_case, record_step, touch_revision
from app.storage.models import Case, CaseStep, Department, Photo
from app.storage.states import HANDLED_PHOTO_ROLE
from app.storage.store import Changes, LocalStore, expand_photo_paths, require_case

#: The server takes opinions up to this many characters (server/schemas.py).
OPINION_MAX = 2000
AFTER = "after"


class InboxKind(enum.StrEnum):
    RETURNED = "returned"  # one of my cases, returned for correction
    REINSPECTION = "reinspection"  # a re-inspection task assigned to me


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One thing for the inspector to do, with what the office said about it."""

    kind: InboxKind
    case_id: str
    status: CaseStatus
    category_code: str | None
    description: str
    address: str
    urgency: Urgency
    created_at: datetime
    submitted_at: datetime | None
    #: When the case came to the inspector (the step that returned or assigned it).
    since: datetime
    #: The office's latest opinion on the case ("" when it gave none), who gave it and when.
    opinion: str
    opinion_role: str | None
    opinion_at: datetime | None
    #: The responsible department's handling deadline (re-inspections), if any.
    deadline: datetime | None
    department: Message | None
    before_photos: int
    after_photos: int
    delivery: str


@dataclass(frozen=True, slots=True)
class InboxCounts:
    returned: int
    reinspections: int

    @property
    def total(self) -> int:
        return self.returned + self.reinspections


@dataclass(frozen=True, slots=True)
class PhotoPreview:
    """A file the inspector picked, checked before anything is written: a thumbnail or the reason."""

    path: Path
    thumbnail: bytes | None  # JPEG, long edge at most 256 px
    error: PhotoError | None

    @property
    def ok(self) -> bool:
        return self.error is None


class PhotosRefusedError(DomainError):
    """Some "after" photos could not be used; the re-inspection was not recorded.

    ``refused`` pairs each file with the reason; ``attached`` lists the ids of the photos that
    were attached (attaching the same files again changes nothing).
    """

    def __init__(self, refused: list[tuple[Path, PhotoError]], attached: list[str]) -> None:
        self.refused = refused
        self.attached = attached
        super().__init__(
            "photos_refused",
            Message(
                "以下照片无法使用，核查结果未保存：" + "；".join(e.message.zh for _, e in refused),
                "These photos cannot be used, so the re-inspection was not recorded: "
                + "; ".join(e.message.en for _, e in refused),
            ),
        )


def _mine(user_id: str) -> ColumnElement[bool]:
    return or_(
        and_(Case.status == CaseStatus.RETURNED.value, Case.author_id == user_id),
        and_(Case.status == CaseStatus.REINSPECTING.value, Case.assignee_id == user_id),
    )


def inbox(store: LocalStore) -> list[InboxItem]:
    """Cases returned to the signed-in inspector and re-inspections assigned to them, newest first."""
    user_id = store.actor.id
    with store.read() as s:
        cases = list(s.scalars(select(Case).where(_mine(user_id))))
        items = _items(s, cases)
    return sorted(items, key=lambda item: (item.since, item.case_id), reverse=True)


def inbox_item(store: LocalStore, case_id: str) -> InboxItem | None:
    """One case as the inbox shows it, or None when it is not (or no longer) in the inbox."""
    user_id = store.actor.id
    with store.read() as s:
        case = s.scalar(select(Case).where(Case.id == case_id, _mine(user_id)))
        if case is None:
            return None
        return _items(s, [case])[0]


def inbox_counts(store: LocalStore) -> InboxCounts:
    """How many of each kind (a badge on the inbox tab)."""
    user_id = store.actor.id
    with store.read() as s:
        counts = dict(
            s.execute(
                select(Case.status, func.count()).where(_mine(user_id)).group_by(Case.status)
            ).all()
        )
    return InboxCounts(
        int(counts.get(CaseStatus.RETURNED.value, 0)),
        int(counts.get(CaseStatus.REINSPECTING.value, 0)),
    )


def _items(s: Session, cases: list[Case]) -> list[InboxItem]:
    if not cases:
        return []
    ids = [c.id for c in cases]
    steps: dict[str, list[CaseStep]] = {}
    for step in s.scalars(
        select(CaseStep).where(CaseStep.case_id.in_(ids)).order_by(CaseStep.at, CaseStep.id)
    ):
        steps.setdefault(step.case_id, []).append(step)
    photos: dict[tuple[str, str], int] = {
        (case_id, role): int(count)
        for case_id, role, count in s.execute(
            select(Photo.case_id, Photo.role, func.count())
            .where(Photo.case_id.in_(ids))
            .group_by(Photo.case_id, Photo.role)
        ).all()
    }
    department_ids = {c.department_id for c in cases if c.department_id}
    departments = {
        d.id: Message(d.name, d.name_en or d.name)
        for d in s.scalars(select(Department).where(Department.id.in_(department_ids)))
    }
    items = []
    for case in cases:
        log = steps.get(case.id, [])
        arrived = next((st for st in reversed(log) if st.to_status == case.status), None)
        said = next(
            (st for st in reversed(log) if st.opinion.strip() and st.role != Role.INSPECTOR.value),
            None,
        )
        returned = case.status == CaseStatus.RETURNED.value
        items.append(
            InboxItem(
                kind=InboxKind.RETURNED if returned else InboxKind.REINSPECTION,
                case_id=case.id,
                status=CaseStatus(case.status),
                category_code=case.category_code,
                description=case.description,
                address=case.address,
                urgency=Urgency(case.urgency),
                created_at=case.created_at,
                submitted_at=case.submitted_at,
                since=arrived.at if arrived is not None else case.updated_at,
                opinion=said.opinion.strip() if said is not None else "",
                opinion_role=said.role if said is not None else None,
                opinion_at=said.at if said is not None else None,
                deadline=None if returned else case.deadline,
                department=departments.get(case.department_id or ""),
                before_photos=sum(
                    n
                    for (cid, role), n in photos.items()
                    if cid == case.id and role not in (AFTER, HANDLED_PHOTO_ROLE)
                ),
                after_photos=photos.get((case.id, AFTER), 0),
                delivery=case.delivery,
            )
        )
    return items


def preview_photos(paths: Sequence[Path]) -> list[PhotoPreview]:
    """Check picked files (folders are expanded) and make their thumbnails; nothing is stored."""
    from app.capture.photos import inspect_with_thumbnail  # Pillow: only here

    previews = []
    for path in expand_photo_paths(paths):
        try:
            _info, thumbnail = inspect_with_thumbnail(path)
        except PhotoError as exc:
            previews.append(PhotoPreview(path, None, exc))
        else:
            previews.append(PhotoPreview(path, thumbnail, None))
    return previews


def record_reinspection(
    store: LocalStore, case_id: str, passed: bool, opinion: str, photos: Sequence[Path]
) -> Changes:
    """Record the outcome of a re-inspection assigned to the signed-in inspector.

    Checks first (status, assignee, the opinion a failure needs) so that a refusal writes
    nothing; then attaches ``photos`` as "after" photos; then, in one transaction, the
    transition, its step (with the photos as attachments) and the outbox entry. Raises
    :class:`PhotosRefusedError` if any photo cannot be used (the others stay attached; attaching
    them again changes nothing), a :class:`DomainError` for anything else.
    """
    action = Action.REINSPECT_PASS if passed else Action.REINSPECT_FAIL
    opinion = opinion.strip()
    with store.read() as s:
        _check(store, require_case(s, case_id), action, opinion)
    attached: list[str] = []
    refused: list[tuple[Path, PhotoError]] = []
    for path in expand_photo_paths(photos):  # as store.attach_photos, keeping each file's name
        try:
            attached.append(store.attach_photo(case_id, path, role=AFTER).id)
        except PhotoError as exc:
            refused.append((path, exc))
    if refused:
        raise PhotosRefusedError(refused, attached)
    changes = Changes()
    if attached:
        changes = Changes(cases=frozenset({case_id}), photos=frozenset(attached), outbox=True)
    now = store.clock()
    with store.write() as s:
        case = require_case(s, case_id)
        source = CaseStatus(case.status)
        target = _check(store, case, action, opinion)
        case.status = target.value
        touch_revision(case, now)
        after = list(
            s.scalars(
                select(Photo.id)
                .where(Photo.case_id == case_id, Photo.role == AFTER)
                .order_by(Photo.created_at, Photo.id)
            )
        )
        record_step(
            s,
            case.id,
            action.value,
            source.value,
            target.value,
            role=store.actor.role.value,
            at=now,
            actor_id=store.actor.id,
            opinion=opinion,
            attachments=after,
        )
        enqueue_case(s, case, action.value, {**case_snapshot(case), "opinion": opinion}, now)
    return changes | Changes(cases=frozenset({case_id}), steps=True, outbox=True)


def _check(store: LocalStore, case: Case, action: Action, opinion: str) -> CaseStatus:
    """The status ``action`` leads to, or the reason it may not be taken here."""
    status = CaseStatus(case.status)
    if status is CaseStatus.REINSPECTING and case.assignee_id != store.actor.id:
        raise DomainError(
            "not_assigned",
            Message("该核查任务不属于你", "This re-inspection is not assigned to you"),
        )
    if len(opinion) > OPINION_MAX:
        raise DomainError(
            "opinion_too_long",
            Message(
                f"意见不能超过 {OPINION_MAX} 个字",
                f"The opinion must not be longer than {OPINION_MAX} characters",
            ),
        )
    return apply_transition(status, TransitionRequest(action, store.actor.role, opinion=opinion))
