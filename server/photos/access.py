"""Who may upload and download photos: every rule of the photo domain in one place."""

from __future__ import annotations

from fastapi import status

from app.domain.lifecycle import CaseStatus, Role
from server.models import Case, Photo
from server.photos.protocol import tus_error
from server.photos.state import Actor


def check_uploader(actor: Actor, case: Case | None, case_id: str) -> None:
    """Only inspectors upload, and only to a case they wrote or re-inspect (pushed first)."""
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


def may_download(actor: Actor, photo: Photo, case: Case | None) -> bool:
    """Its uploader, the case's author and assignee, and — once the case is no draft —
    supervisors and administrators (a draft is private to its inspector, photos included)."""
    staff = actor.role in (Role.SUPERVISOR, Role.ADMIN)
    if staff and case is not None and case.status != CaseStatus.DRAFT.value:
        return True
    return actor.id in (
        photo.uploader_id,
        case.author_id if case else None,
        case.assignee_id if case else None,
    )
