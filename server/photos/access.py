"""Who may upload and download photos: every rule of the photo domain in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from fastapi import status
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from app.domain.lifecycle import CaseStatus, Role
from server.models import Case, Photo
from server.photos.protocol import tus_error
from server.photos.state import Actor

#: A department's evidence of its handling (server.photos.protocol.PHOTO_ROLES).
HANDLED = "handled"


class CaseParties(Protocol):
    """What the photo rules need of a case (a :class:`Case`, or :class:`Parties`)."""

    @property
    def author_id(self) -> str: ...
    @property
    def assignee_id(self) -> str | None: ...
    @property
    def department_id(self) -> str | None: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Parties:
    """A case's parties as plain values (one Core query; no ORM object on the upload path)."""

    author_id: str
    assignee_id: str | None
    department_id: str | None
    status: str


_CASES: Final = Case.__table__
assert isinstance(_CASES, Table)
_SELECT_PARTIES: Final = select(
    _CASES.c.author_id, _CASES.c.assignee_id, _CASES.c.department_id, _CASES.c.status
).where(_CASES.c.id == bindparam("case_id"))


def case_parties(session: Session, case_id: str) -> Parties | None:
    row = session.execute(_SELECT_PARTIES, {"case_id": case_id}).first()
    return None if row is None else Parties(*row)


def check_uploader(
    actor: Actor, case: CaseParties | None, case_id: str, role: str = "before"
) -> None:
    """Only inspectors upload, and only to a case they wrote or re-inspect (pushed first); and a
    department's handlers, the "after" photos of a case dispatched to their department."""
    if actor.role == Role.HANDLER:
        _check_handler_upload(actor, case, role)
        return
    if role == HANDLED:
        raise tus_error(
            status.HTTP_403_FORBIDDEN,
            "role_not_allowed",
            "只有处置部门上传处置结果照片",
            "only a department uploads photos of its handling",
        )
    if actor.role != Role.INSPECTOR:
        raise tus_error(
            status.HTTP_403_FORBIDDEN,
            "role_not_allowed",
            "只有监督员上传照片；值班长和管理员不上传",
            "only inspectors upload photos; supervisors and administrators do not",
        )
    if case is None:
        raise tus_error(
            status.HTTP_404_NOT_FOUND,
            "no_such_case",
            f"服务器上没有案件 {case_id!r}；请先上报案件记录再上传照片",
            f"case {case_id!r} is not on the server; push the case record before its photos",
        )
    if actor.id not in (case.author_id, case.assignee_id):
        raise tus_error(
            status.HTTP_403_FORBIDDEN,
            "not_yours",
            "只有案件的上报人或核查人可以添加照片",
            "only the case's author or its re-inspection assignee may add photos",
        )


def _check_handler_upload(actor: Actor, case: CaseParties | None, role: str) -> None:
    if (
        case is None
        or actor.department_id is None
        or case.department_id != actor.department_id
        or case.status == CaseStatus.DRAFT.value
    ):
        # Another department's case, or none: not found, as everywhere for a handler.
        raise tus_error(status.HTTP_404_NOT_FOUND, "no_such_case", "没有这个案件", "no such case")
    if role != HANDLED:
        raise tus_error(
            status.HTTP_403_FORBIDDEN,
            "handled_photos_only",
            "处置部门只上传处置结果照片（role 为 handled）",
            "a department uploads only photos of its handling (role “handled”)",
        )


def may_download(actor: Actor, photo: Photo, case: Case | None) -> bool:
    """Its uploader, the case's author and assignee, and — once the case is no draft —
    supervisors and administrators (a draft is private to its inspector, photos included)."""
    staff = actor.role in (Role.SUPERVISOR, Role.ADMIN)
    if staff and case is not None and case.status != CaseStatus.DRAFT.value:
        return True
    if actor.role == Role.HANDLER:
        return (
            case is not None
            and actor.department_id is not None
            and case.department_id == actor.department_id
            and case.status != CaseStatus.DRAFT.value
        )
    return actor.id in (
        photo.uploader_id,
        case.author_id if case else None,
        case.assignee_id if case else None,
    )
