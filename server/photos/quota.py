"""How much an upload may take: per-inspector and per-case quotas, and the disk's reserve.

Refusals are 507 Insufficient Storage (as WebDAV answers a quota), each with its own code and
a message saying what to do; nothing is written. The reserve keeps the last
``disk_reserve_bytes`` of the disk for the database: when photos fill the disk, sign-in and
the push of records still work (a full disk used to answer every request 503 "database busy").
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import status
from sqlalchemy import ColumnElement, ScalarSelect, Table, bindparam, func, select
from sqlalchemy.orm import Session

from server import errors
from server.errors import ApiError
from server.models import Case, User
from server.photos.state import PHOTOS, UploadContext

_MIB = 1024 * 1024


def _refusal(code: str, zh: str, en: str) -> ApiError:
    return errors.retry_later(
        status.HTTP_507_INSUFFICIENT_STORAGE, code, zh, en, errors.RetryAfter.STORAGE_FULL
    )


_USERS: Final = User.__table__
_CASES: Final = Case.__table__
assert isinstance(_USERS, Table) and isinstance(_CASES, Table)
# FOR NO KEY UPDATE, not FOR UPDATE: the foreign-key checks of the user's other writes (a push
# inserting cases and steps) take FOR KEY SHARE, which this does not block.
_LOCK_USER: Final = (
    select(_USERS.c.id).where(_USERS.c.id == bindparam("user_id")).with_for_update(key_share=True)
)
_LOCK_CASE: Final = (
    select(_CASES.c.id).where(_CASES.c.id == bindparam("case_id")).with_for_update(key_share=True)
)


def _used(where: ColumnElement[bool]) -> ScalarSelect[Any]:
    return select(func.coalesce(func.sum(PHOTOS.c.size_bytes), 0)).where(where).scalar_subquery()


#: Both sums in one statement (one round trip through the driver and SQLAlchemy).
_USED: Final = select(
    _used(PHOTOS.c.uploader_id == bindparam("user_id")),
    _used(PHOTOS.c.case_id == bindparam("case_id")),
)


def check_quotas(
    session: Session, ctx: UploadContext, uploader_id: str, case_id: str, length: int
) -> None:
    """507 if a new upload of ``length`` bytes would pass the uploader's or the case's quota.

    The uploader's row and the case's row are locked first (PostgreSQL), so parallel creations
    are counted one after another instead of each seeing the others' bytes missing. Lock
    order: the user, then the case, both FOR NO KEY UPDATE (as a push takes the case); nothing
    here takes the feed lock. SQLite has no row locks (its statements would be plain reads):
    every transaction there holds the one write lock from BEGIN, which serialises them anyway.
    """
    settings = ctx.settings
    if not (settings.user_quota_bytes or settings.case_quota_bytes):
        return
    ids = {"user_id": uploader_id, "case_id": case_id}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK_USER, ids)
        session.execute(_LOCK_CASE, ids)
    row = session.execute(_USED, ids).one()
    user_used, case_used = int(row[0] or 0), int(row[1] or 0)
    if settings.user_quota_bytes and user_used + length > settings.user_quota_bytes:
        limit = settings.user_quota_bytes // _MIB
        raise _refusal(
            "user_quota_exceeded",
            f"您在服务器上的照片已达上限（{limit} MiB）；请联系管理员",
            f"your photos on the server have reached your quota ({limit} MiB); "
            "ask an administrator",
        )
    if settings.case_quota_bytes and case_used + length > settings.case_quota_bytes:
        limit = settings.case_quota_bytes // _MIB
        raise _refusal(
            "case_quota_exceeded",
            f"该案件的照片已达上限（{limit} MiB）",
            f"this case's photos have reached the quota per case ({limit} MiB)",
        )


def check_disk(ctx: UploadContext, incoming: int) -> None:
    """507 if writing ``incoming`` more bytes would eat into the disk's reserve."""
    free = ctx.store.free_bytes()
    if free is not None and free - incoming < ctx.settings.disk_reserve_bytes:
        raise disk_low()


def disk_low() -> ApiError:
    return _refusal(
        "disk_full",
        "服务器磁盘空间不足，暂不接收照片；案件记录仍可同步，请通知管理员",
        "the server's disk is nearly full: photos are not accepted for now (records still "
        "sync); tell an administrator",
    )
