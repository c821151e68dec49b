"""The client side of tus 1.0: create an upload, ask its offset, send the missing bytes.

One photo at a time, in chunks read from the photo store (never the whole file in memory), each
with an ``Upload-Checksum`` (SHA-256) so a chunk damaged on the way is refused by the server and
sent again. The upload's URL and the server's offset are written to the store after every answer,
so an upload interrupted by a dropped connection or by the app being killed resumes from the
server's offset — only the missing bytes are sent again.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from app.domain.errors import Message
from app.storage.ledger import OutgoingPhoto
from app.sync.client import ServerClient
from app.sync.errors import ErrorKind, SyncError

TUS = {"Tus-Resumable": "1.0.0"}
UPLOADS_PATH = "/api/v1/uploads"
DEFAULT_CHUNK = 4 * 1024 * 1024
_CHECKSUM_MISMATCH = 460
_MAX_DETOURS = 5


class UploadGoneError(Exception):
    """The server no longer has this upload (expired, terminated, or its data was lost)."""


def _metadata(photo: OutgoingPhoto) -> str:
    values = {
        "case_id": photo.case_id,
        "photo_id": photo.photo_id,
        "sha256": photo.sha256,
        "mime": photo.mime,
        "role": photo.role,
        "filename": photo.original_name,
    }
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items()
    )


def _refused(photo: OutgoingPhoto, response: httpx.Response) -> SyncError:
    try:
        detail = str(response.json().get("detail", ""))
    except ValueError:
        detail = response.text[:200]
    name = photo.original_name or photo.sha256[:12]
    return SyncError(
        ErrorKind.REJECTED,
        "photo_refused",
        Message(
            f"服务器拒收照片 {name}（{response.status_code}）：{detail}",
            f"The server refused the photo {name} ({response.status_code}): {detail}",
        ),
    )


def _offset(response: httpx.Response) -> int:
    value = response.headers.get("Upload-Offset", "")
    if not value.isdigit():
        raise SyncError(
            ErrorKind.RETRYABLE,
            "garbled",
            Message("服务器的回答缺少上传进度", "The server's answer had no upload offset"),
        )
    return int(value)


@dataclass
class Uploader:
    """Sends one photo's missing bytes; reports every confirmed offset to ``on_offset``."""

    client: ServerClient
    chunk_size: int = DEFAULT_CHUNK
    #: Body bytes handed to the network, confirmed or not (to count what a resume re-sends).
    bytes_sent: int = 0

    def create(self, photo: OutgoingPhoto) -> tuple[str, int]:
        """Create the upload (or find it again: the photo id makes creation idempotent)."""
        headers = {
            **TUS,
            "Upload-Length": str(photo.size_bytes),
            "Upload-Metadata": _metadata(photo),
        }
        response = self.client.send(
            "POST", UPLOADS_PATH, headers=headers, expect=frozenset({400, 403, 404, 409, 413, 415})
        )
        if response.is_error:
            raise _refused(photo, response)
        location = response.headers.get("Location", "")
        if not location:
            raise SyncError(
                ErrorKind.RETRYABLE,
                "garbled",
                Message("服务器未给出上传地址", "The server gave no upload location"),
            )
        return location, _offset(response)

    def offset(self, url: str) -> int:
        """The server's offset for an upload (HEAD)."""
        response = self.client.send("HEAD", url, headers=TUS, expect=frozenset({404, 410}))
        if response.status_code in (404, 410):
            raise UploadGoneError(url)
        return _offset(response)

    def send_from(
        self,
        photo: OutgoingPhoto,
        url: str,
        offset: int,
        on_offset: Callable[[int], None],
        stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """PATCH the bytes from ``offset`` to the end; returns the final offset."""
        detours = 0  # answers that moved us back instead of forward (409, 460)
        with open(photo.path, "rb") as f:
            while offset < photo.size_bytes:
                if stop():
                    return offset
                if detours > _MAX_DETOURS:
                    raise SyncError(
                        ErrorKind.RETRYABLE,
                        "upload_stuck",
                        Message(
                            "照片上传多次未能推进，稍后重试",
                            "The photo upload made no progress; will retry",
                        ),
                    )
                f.seek(offset)
                chunk = f.read(min(self.chunk_size, photo.size_bytes - offset))
                if not chunk:
                    raise _damaged(photo, "shorter than recorded")
                headers = {
                    **TUS,
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                    "Upload-Checksum": "sha256 "
                    + base64.b64encode(hashlib.sha256(chunk).digest()).decode(),
                }
                self.bytes_sent += len(chunk)
                response = self.client.send(
                    "PATCH",
                    url,
                    content=chunk,
                    headers=headers,
                    expect=frozenset({404, 409, 410, 413, 415, 423, _CHECKSUM_MISMATCH}),
                )
                code = response.status_code
                if code in (404, 410):
                    raise UploadGoneError(url)
                if code == 409:  # our offset was stale: ask the server where it is
                    detours += 1
                    offset = self.offset(url)
                    on_offset(offset)
                    continue
                if code == 423:
                    raise SyncError(
                        ErrorKind.RETRYABLE,
                        "upload_busy",
                        Message(
                            "服务器仍在接收上一次的上传，稍后重试",
                            "The server is still receiving an earlier attempt; will retry",
                        ),
                    )
                if code == _CHECKSUM_MISMATCH:
                    detours += 1
                    new_offset = _offset(response)
                    whole_file_refused = new_offset == 0 and offset + len(chunk) >= photo.size_bytes
                    # The whole file's SHA-256 did not match: is our copy damaged?
                    if whole_file_refused and _file_sha256(photo) != photo.sha256:
                        raise _damaged(photo, "its content changed")
                    offset = new_offset
                    on_offset(offset)
                    continue
                if response.is_error:
                    raise _refused(photo, response)
                offset = _offset(response)
                on_offset(offset)
        return offset


def _file_sha256(photo: OutgoingPhoto) -> str:
    with open(photo.path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _damaged(photo: OutgoingPhoto, why: str) -> SyncError:
    name = photo.original_name or photo.sha256[:12]
    return SyncError(
        ErrorKind.REJECTED,
        "photo_damaged",
        Message(
            f"本机保存的照片 {name} 已损坏（{why}），请重新导入原始照片",
            f"The stored copy of photo {name} is damaged ({why}); import the original again",
        ),
    )


def check_local_file(photo: OutgoingPhoto) -> None:
    """Refuse to send a photo whose stored file is missing or of the wrong size."""
    try:
        size = os.stat(photo.path).st_size
    except FileNotFoundError:
        raise _damaged(photo, "missing from the photo store") from None
    if size != photo.size_bytes:
        raise _damaged(photo, f"{size} bytes instead of {photo.size_bytes}")
