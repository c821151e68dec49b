"""Request size limits: no request makes the server hold more memory than these allow.

- Bodies (:class:`BodyLimit`): every request body but a tus PATCH's is JSON of a few
  kilobytes, read whole by FastAPI; ``MAX_BODY_BYTES`` caps it. A declared Content-Length over
  the cap is refused (413) before a byte of the body is read; a chunked body is counted as it
  arrives and refused the moment it passes the cap. (A 400 MiB sign-in body took the server
  from 106 MB to 1.35 GB before its 422.) A PATCH body streams to disk, bounded by the
  upload's own Upload-Length (server.photos).
- Headers: the HTTP server's protocol (server.serving) refuses a request whose head passes
  ``MAX_HEAD_BYTES``.
- tus ``Upload-Metadata`` and numeric headers: server.photos.protocol.
"""

from __future__ import annotations

from typing import Final

from fastapi import status
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.domain.errors import Message as Text
from server.errors import body as error_body
from server.errors import error_response
from server.photos.protocol import OFFSET_OCTETS, UPLOADS_PATH

#: The largest request body other than a photo's bytes: a push of 500 changes with long
#: descriptions is well under 1 MiB.
MAX_BODY_BYTES: Final = 2 * 1024 * 1024
#: The largest request line and headers together (a tus creation's metadata is at most 4 KiB).
MAX_HEAD_BYTES: Final = 64 * 1024

_TOO_LARGE = Text(
    f"请求体过大（上限 {MAX_BODY_BYTES // (1024 * 1024)} MiB）",
    f"the request body is too large (the limit is {MAX_BODY_BYTES // (1024 * 1024)} MiB)",
)


_OCTETS = OFFSET_OCTETS.encode()


def _streams_to_disk(scope: Scope) -> bool:
    """A tus PATCH, a creation with the photo's bytes (creation-with-upload), or a deduction
    photo's PUT (server.inspections.router): its body goes to the photo store, a buffer at a
    time, bounded by the photo size limit."""
    path = scope["path"]
    if scope["method"] == "PATCH":
        return bool(path.startswith(UPLOADS_PATH + "/"))
    if scope["method"] == "PUT":
        return bool(path.startswith("/api/v1/inspections/") and "/photos/" in path)
    if scope["method"] == "POST" and path == UPLOADS_PATH:
        for name, value in scope["headers"]:
            if name == b"content-type":
                return bool(value.split(b";")[0].strip().lower() == _OCTETS)
    return False


class BodyLimit:
    """Refuses bodies over ``limit`` bytes with 413, before or while reading them.

    A pure ASGI middleware (see server.errors.UnexpectedErrors for why not BaseHTTPMiddleware).
    While the body streams in, the refusal is an HTTPException raised from ``receive``: FastAPI
    passes it on from its body reading, and its handler answers it in the one error shape.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _streams_to_disk(scope):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (
                len(value) > 19 or not value.isdigit() or int(value) > self.limit
            ):
                # (The HTTP server already refused a malformed Content-Length; an absurdly long
                # one is not parsed here either.)
                response = error_response(
                    status.HTTP_413_CONTENT_TOO_LARGE, "body_too_large", _TOO_LARGE
                )
                await response(scope, receive, send)
                return
        received = 0
        limit = self.limit

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(
                        status.HTTP_413_CONTENT_TOO_LARGE,
                        detail=error_body("body_too_large", _TOO_LARGE)["detail"],
                    )
            return message

        await self.app(scope, counting_receive, send)
