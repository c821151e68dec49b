"""The client side of tus 1.0: create an upload, ask its offset, send the missing bytes.

One photo at a time, streamed from the photo store in PATCHes of at most ``chunk_size`` bytes
(never the whole file in memory); the server verifies the whole file's SHA-256 at the end. A
photo that fits one request goes with its creation (tus creation-with-upload): created,
received and verified in one round trip. The upload's URL and the server's offset are written
to the store after every answer,
so an upload interrupted by a dropped connection or by the app being killed resumes from the
server's offset — only the missing bytes are sent again.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

from app.domain.errors import Message
from app.storage.ledger import OutgoingPhoto
from app.sync.client import ServerClient
from app.sync.errors import ErrorKind, SyncError, refusal

TUS = {"Tus-Resumable": "1.0.0"}
UPLOADS_PATH = "/api/v1/uploads"
#: The most one PATCH carries; a phone photo goes in one.
DEFAULT_CHUNK = 16 * 1024 * 1024
_CHECKSUM_MISMATCH = 460
_MAX_DETOURS = 5
#: Bytes read from the file and handed to the socket at a time (memory stays flat).
_PIECE = 256 * 1024


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
        body: object = response.json()
    except ValueError:
        body = None
    _code, reason = refusal(body, response.status_code, response.text[:200])
    name = photo.original_name or photo.sha256[:12]
    return SyncError(
        ErrorKind.REJECTED,
        "photo_refused",
        Message(
            f"服务器拒收照片 {name}（{response.status_code}）：{reason.zh}",
            f"The server refused the photo {name} ({response.status_code}): {reason.en}",
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
    #: Photos whose bytes went with a creation whose answer did not arrive: created again
    #: without them, the server says how much it kept and only the rest is sent.
    _sent_along: set[str] = field(default_factory=set)

    def create(
        self, photo: OutgoingPhoto, *, on_sent: Callable[[int], None] = lambda _n: None
    ) -> tuple[str, int]:
        """Create the upload (or find it again: the photo id makes creation idempotent); a
        photo of at most one chunk goes along (creation-with-upload). Returns the upload's URL
        and the server's offset (the photo's size when it went whole)."""
        headers = {
            **TUS,
            "Upload-Length": str(photo.size_bytes),
            "Upload-Metadata": _metadata(photo),
        }
        content: Iterator[bytes] | None = None
        if photo.size_bytes <= self.chunk_size and photo.photo_id not in self._sent_along:
            self._sent_along.add(photo.photo_id)
            headers["Content-Type"] = "application/offset+octet-stream"
            headers["Content-Length"] = str(photo.size_bytes)
            content = self._pieces(photo, 0, photo.size_bytes, on_sent)
        response = self.client.send(
            "POST",
            UPLOADS_PATH,
            headers=headers,
            content=content,
            expect=frozenset({400, 403, 404, 409, 413, 415, 423, _CHECKSUM_MISMATCH}),
        )
        if response.status_code == 423:  # a resend of this creation is still being received
            raise _busy()
        if response.status_code == _CHECKSUM_MISMATCH:
            # The bytes that went along did not match: is our copy damaged, or were they
            # damaged on the way? (The upload exists, at offset 0: the next attempt resends.)
            if _file_sha256(photo) != photo.sha256:
                raise _damaged(photo, "its content changed")
            raise SyncError(
                ErrorKind.RETRYABLE,
                "photo_garbled",
                Message(
                    "照片数据在传输中损坏，将重新发送",
                    "The photo was damaged on the way; resending",
                ),
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
        # Resolved against the URL asked (RFC 9110 §10.2.2), kept absolute: behind a proxy that
        # publishes the server under a prefix, the Location carries it (X-Forwarded-Prefix),
        # and joining it to the client's base URL would repeat the prefix.
        return str(response.url.join(location)), _offset(response)

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
        *,
        stop: Callable[[], bool] = lambda: False,
        on_sent: Callable[[int], None] = lambda _n: None,
    ) -> int:
        """PATCH the bytes from ``offset`` to the end; returns the final offset.

        Each PATCH carries up to ``chunk_size`` bytes, streamed from the file in small pieces
        (``on_sent`` hears of each piece as it goes). No per-chunk checksum: the server checks
        the whole file's SHA-256 before it accepts the photo, and without a chunk checksum it
        keeps the bytes that arrived before a connection dropped — so a resume re-sends only
        what was in flight, not the whole chunk.
        """
        detours = 0  # answers that moved us back instead of forward (409, 460)
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
            length = min(self.chunk_size, photo.size_bytes - offset)
            headers = {
                **TUS,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
                "Content-Length": str(length),
            }
            response = self.client.send(
                "PATCH",
                url,
                content=self._pieces(photo, offset, length, on_sent),
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
                raise _busy()
            if code == _CHECKSUM_MISMATCH:
                # The whole file's SHA-256 did not match and the server started over: is our
                # copy damaged, or were the bytes damaged on the way?
                detours += 1
                if _file_sha256(photo) != photo.sha256:
                    raise _damaged(photo, "its content changed")
                offset = _offset(response)
                on_offset(offset)
                continue
            if response.is_error:
                raise _refused(photo, response)
            offset = _offset(response)
            on_offset(offset)
        return offset

    def _pieces(
        self, photo: OutgoingPhoto, offset: int, length: int, on_sent: Callable[[int], None]
    ) -> Iterator[bytes]:
        with open(photo.path, "rb") as f:
            f.seek(offset)
            left = length
            while left > 0:
                piece = f.read(min(_PIECE, left))
                if not piece:
                    raise _damaged(photo, "shorter than recorded")
                left -= len(piece)
                self.bytes_sent += len(piece)
                yield piece
                on_sent(len(piece))


def _busy() -> SyncError:
    return SyncError(
        ErrorKind.RETRYABLE,
        "upload_busy",
        Message(
            "服务器仍在接收上一次的上传，稍后重试",
            "The server is still receiving an earlier attempt; will retry",
        ),
    )


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
