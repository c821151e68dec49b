"""How much an upload may take: per-inspector and per-case quotas, and the disk's reserve.

Refusals are 507 Insufficient Storage (as WebDAV answers a quota), each with its own code and
a message saying what to do; nothing is written. The reserve keeps the last
``disk_reserve_bytes`` of the disk for the database: when photos fill the disk, sign-in and
the push of records still work (a full disk used to answer every request 503 "database busy").
"""

from __future__ import annotations

from fastapi import status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import errors
from server.errors import ApiError
from server.models import Case, Photo, User
from server.photos.state import UploadContext

_MIB = 1024 * 1024


def _refusal(code: str, zh: str, en: str) -> ApiError:
    return errors.retry_later(
        status.HTTP_507_INSUFFICIENT_STORAGE, code, zh, en, errors.RetryAfter.STORAGE_FULL
    )


def check_quotas(
    session: Session, ctx: UploadContext, uploader_id: str, case_id: str, length: int
) -> None:
    """507 if a new upload of ``length`` bytes would pass the uploader's or the case's quota.

    The uploader's row and the case's row are locked first (PostgreSQL; SQLite has one writer
    anyway), so parallel creations are counted one after another instead of each seeing the
    others' bytes missing. Lock order: the user, then the case, both FOR NO KEY UPDATE (as a
    push takes the case); nothing here takes the feed lock.
    """
    settings = ctx.settings
    # FOR NO KEY UPDATE, not FOR UPDATE: the foreign-key checks of the user's other writes
    # (a push inserting cases and steps) take FOR KEY SHARE, which this does not block.
    session.execute(select(User.id).where(User.id == uploader_id).with_for_update(key_share=True))
    session.execute(select(Case.id).where(Case.id == case_id).with_for_update(key_share=True))
    if settings.user_quota_bytes:
        used = session.scalar(
            select(func.coalesce(func.sum(Photo.size_bytes), 0)).where(
                Photo.uploader_id == uploader_id
            )
        )
        if int(used or 0) + length > settings.user_quota_bytes:
            limit = settings.user_quota_bytes // _MIB
            raise _refusal(
                "user_quota_exceeded",
                f"您在服务器上的照片已达上限（{limit} MiB）；请联系管理员",
                f"your photos on the server have reached your quota ({limit} MiB); "
                "ask an administrator",
            )
    if settings.case_quota_bytes:
        used = session.scalar(
            select(func.coalesce(func.sum(Photo.size_bytes), 0)).where(Photo.case_id == case_id)
        )
        if int(used or 0) + length > settings.case_quota_bytes:
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
