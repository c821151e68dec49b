"""The tus 1.0 protocol: constants, request headers, creation metadata, and the route class.

Protocol: https://tus.io/protocols/resumable-upload (core, plus the creation,
creation-with-upload, checksum, termination and expiration extensions). Everything here is parsing and answering; the upload
itself is :mod:`server.photos.uploads`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated, Any, Final

from fastapi import Header, Request, Response, status
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Receive, Scope, Send

from server import errors
from server.errors import ApiError, documented, refuse
from server.photos.hashing import CHECKSUM_ALGORITHMS, Hash

log = logging.getLogger("citypatrol.server.tus")

TUS_VERSION: Final = "1.0.0"
TUS_EXTENSIONS: Final = "creation,creation-with-upload,checksum,termination,expiration"
#: The content type of upload bytes (a PATCH's body, or a creation's with creation-with-upload).
OFFSET_OCTETS: Final = "application/offset+octet-stream"
#: The largest photo accepted (Tus-Max-Size); a phone or camera JPEG/HEIC is far below.
MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024
UPLOADS_PATH: Final = "/api/v1/uploads"

MIME_EXTENSIONS: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/heic": "heic",
    "image/heif": "heif",
}
#: before: the report's; after: the re-inspection's; handled: a department's evidence of its
#: handling (issue 15).
PHOTO_ROLES: Final = frozenset({"before", "after", "handled"})
_MAX_FILENAME_CHARS = 255
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
#: The longest Upload-Metadata header accepted: the six keys this server reads fit in a few
#: hundred bytes, and nothing larger is parsed, let alone stored.
MAX_METADATA_CHARS: Final = 4096
#: Digits of the longest number a numeric header may carry (2**63 has 19): Python's int()
#: refuses more than 4,300 digits with a ValueError, and a number that long is nonsense anyway.
_MAX_NUMBER_DIGITS = 19
#: The metadata keys kept with an upload (and given back by HEAD); any other key is dropped.
KEPT_METADATA_KEYS: Final = ("case_id", "photo_id", "sha256", "mime", "role", "filename")

TusHeader = Annotated[str | None, Header()]


def tus_error(
    code: int, key: str, zh: str, en: str, headers: dict[str, str] | None = None
) -> ApiError:
    """A tus refusal (the one error shape; :class:`TusRoute` adds ``Tus-Resumable``)."""
    return refuse(code, key, zh, en, headers)


def bad_header(en: str, zh: str) -> ApiError:
    return tus_error(status.HTTP_400_BAD_REQUEST, "bad_header", zh, en)


def upload_not_found() -> ApiError:
    return tus_error(
        status.HTTP_404_NOT_FOUND, "upload_not_found", "找不到该上传", "upload not found"
    )


def gone() -> ApiError:
    return tus_error(
        status.HTTP_410_GONE,
        "upload_expired",
        "该上传已过期并被删除，请重新创建",
        "the upload expired and was removed; create it again",
    )


def locked() -> ApiError:
    return errors.retry_later(
        errors.HTTP_423_LOCKED,
        "upload_locked",
        "另一个请求正在写入该上传，请稍后重试",
        "another request is writing to this upload; retry shortly",
        errors.RetryAfter.CONTENDED,
    )


def doc(codes: dict[int, str], *, body: bool = True) -> dict[int | str, dict[str, Any]]:
    """Documented error statuses of a tus route (bodies: server.errors.ErrorBody; a HEAD
    answer has none)."""
    every = {401: "not signed in", 412: "Tus-Resumable is not 1.0.0", **codes}
    if not body:
        return {code: {"description": text} for code, text in every.items()}
    responses = documented(every)
    if 400 in every:
        # Headers too malformed for HTTP (an empty Content-Length, say) are refused by the
        # HTTP server itself, before the app, in plain text: no body shape is promised.
        responses[400] = {"description": every[400]}
    return responses


async def require_tus(tus_resumable: TusHeader = None) -> None:
    if tus_resumable != TUS_VERSION:
        raise tus_error(
            status.HTTP_412_PRECONDITION_FAILED,
            "tus_version",
            f"本服务器使用 tus {TUS_VERSION}：请发送请求头 Tus-Resumable: {TUS_VERSION}",
            f"this server speaks tus {TUS_VERSION}: send the header Tus-Resumable: {TUS_VERSION}"
            f" (got {tus_resumable!r})",
            {"Tus-Version": TUS_VERSION},
        )


class TusRoute(APIRoute):
    """Every tus response carries ``Tus-Resumable``, errors included (answered by
    :func:`server.errors.response_for`, as everywhere)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tus_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                answer = errors.response_for(exc)
                if answer is None:
                    raise
                if isinstance(exc, OSError):
                    # Disk full: the chunk was discarded (offset unchanged); retry later.
                    log.error("photo store full during %s %s", request.method, request.url.path)
                elif isinstance(exc, OperationalError):
                    log.exception("database error during %s %s", request.method, request.url.path)
                response = answer
            response.headers["Tus-Resumable"] = TUS_VERSION
            return response

        return tus_handler


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def canonical_uuid(value: str | None) -> str | None:
    """``value`` as a lower-case canonical UUID, or None: ids end up in URLs and file names."""
    if not value or len(value) != 36:
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    canonical = str(parsed)
    return canonical if canonical == value.lower() else None


#: A path prefix a proxy may announce: absolute, plain segments only (it is copied into a header).
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*")


def public_prefix(forwarded_prefix: str | None, configured: str = "") -> str:
    """The path prefix the client reached the server under: a reverse proxy publishing it under
    ``/citypatrol/`` says so with ``X-Forwarded-Prefix`` (or the operator sets ``root_path``).
    Anything that is not a plain absolute path is ignored rather than echoed back."""
    candidate = (forwarded_prefix or "").strip().rstrip("/")
    if candidate and _PREFIX.fullmatch(candidate) and len(candidate) <= 200:
        return candidate
    return configured


def location(photo_id: str, prefix: str = "") -> str:
    """The upload's URL path as the client must use it: under the proxy's prefix, if any."""
    return f"{prefix}{UPLOADS_PATH}/{photo_id}"


# --- creation ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreationHeaders:
    upload_length: str | None
    upload_metadata: str | None
    upload_defer_length: str | None
    content_length: str | None


@dataclass(frozen=True, slots=True)
class Creation:
    photo_id: str
    case_id: str
    length: int
    sha256: str
    mime: str
    role: str
    filename: str
    #: The kept keys (KEPT_METADATA_KEYS) as an Upload-Metadata header, for HEAD.
    metadata: str


def header_number(value: str | None) -> int | None:
    """A non-negative decimal number from a header, or None when it is not one (or absurdly
    long: checked before ``int()``, which would raise on 5,000 digits)."""
    if (
        value is None
        or not 0 < len(value) <= _MAX_NUMBER_DIGITS
        or not value.isascii()
        or not value.isdigit()
    ):
        return None
    return int(value)


def _metadata_error(en: str, zh: str) -> ApiError:
    return bad_header(f"Upload-Metadata: {en}", f"Upload-Metadata：{zh}")


def _parse_metadata(header: str) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if not parts[0] or len(parts) > 2:
            raise _metadata_error(
                f"{pair.strip()!r} is not 'key base64value'", f"{pair.strip()!r} 不是“键 base64值”"
            )
        key = parts[0]
        if key in values:
            raise _metadata_error(f"key {key!r} appears twice", f"键 {key!r} 出现了两次")
        try:
            values[key] = base64.b64decode(parts[1], validate=True) if len(parts) == 2 else b""
        except (binascii.Error, ValueError):
            raise _metadata_error(
                f"the value of {key!r} is not base64", f"{key!r} 的值不是 base64"
            ) from None
    return values


def _text(values: dict[str, bytes], key: str) -> str | None:
    if key not in values:
        return None
    try:
        return values[key].decode("utf-8")
    except UnicodeDecodeError:
        raise _metadata_error(f"{key!r} is not UTF-8 text", f"{key!r} 不是 UTF-8 文本") from None


def parse_creation(headers: CreationHeaders) -> Creation:
    if headers.content_length not in (None, "0"):
        # A body comes with Content-Type application/offset+octet-stream (creation-with-upload,
        # taken apart by the route: it never gets here with one).
        raise bad_header(
            "a creation's body must be Content-Type: application/offset+octet-stream "
            "(creation-with-upload)",
            "创建请求的内容类型必须是 application/offset+octet-stream（创建时上传）",
        )
    if headers.upload_defer_length is not None:
        raise bad_header(
            "Upload-Defer-Length is not supported: send Upload-Length",
            "不支持 Upload-Defer-Length：请发送 Upload-Length",
        )
    length = header_number(headers.upload_length)
    if length is None:
        raise bad_header(
            "Upload-Length (the file size in bytes) is required",
            "缺少 Upload-Length（文件字节数）",
        )
    if length == 0:
        raise bad_header(
            "Upload-Length is 0: an empty file is not a photo", "Upload-Length 为 0：空文件不是照片"
        )
    if length > MAX_UPLOAD_BYTES:
        raise tus_error(
            status.HTTP_413_CONTENT_TOO_LARGE,
            "too_large",
            f"文件为 {length} 字节，上限（Tus-Max-Size）为 {MAX_UPLOAD_BYTES}",
            f"the file is {length} bytes; the limit (Tus-Max-Size) is {MAX_UPLOAD_BYTES}",
        )
    if not headers.upload_metadata:
        raise bad_header(
            "Upload-Metadata with case_id, photo_id, sha256 and mime is required",
            "缺少 Upload-Metadata（case_id、photo_id、sha256 和 mime）",
        )
    if len(headers.upload_metadata) > MAX_METADATA_CHARS:
        raise _metadata_error(
            f"longer than {MAX_METADATA_CHARS} characters", f"超过 {MAX_METADATA_CHARS} 个字符"
        )
    values = _parse_metadata(headers.upload_metadata)
    missing = [k for k in ("case_id", "photo_id", "sha256", "mime") if not values.get(k)]
    if missing:
        raise _metadata_error(f"missing {', '.join(missing)}", f"缺少 {', '.join(missing)}")
    photo_id = canonical_uuid(_text(values, "photo_id"))
    if photo_id is None:
        raise _metadata_error(
            "photo_id must be a UUID (the client's photo id)",
            "photo_id 必须是 UUID（客户端的照片编号）",
        )
    case_id = _text(values, "case_id") or ""
    if len(case_id) > 36:
        raise _metadata_error("case_id is not a case id", "case_id 不是案件编号")
    sha256 = (_text(values, "sha256") or "").lower()
    if not _SHA256_HEX.fullmatch(sha256):
        raise _metadata_error(
            "sha256 must be the file's SHA-256 in 64 hex digits",
            "sha256 必须是文件的 SHA-256（64 位十六进制）",
        )
    mime = (_text(values, "mime") or "").lower()
    if mime not in MIME_EXTENSIONS:
        accepted = ", ".join(MIME_EXTENSIONS)
        raise tus_error(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            f"Upload-Metadata：不接受类型 {mime!r}；可用 {accepted}",
            f"Upload-Metadata: mime {mime!r} is not accepted; use one of {accepted}",
        )
    role = _text(values, "role") or "before"
    if role not in PHOTO_ROLES:
        raise _metadata_error(
            "role must be 'before', 'after' or 'handled'",
            "role 必须是 'before'、'after' 或 'handled'",
        )
    filename = _text(values, "filename") or ""
    if len(filename) > _MAX_FILENAME_CHARS or _CONTROL_CHARS.search(filename):
        raise _metadata_error(
            "filename is too long or contains control characters", "filename 过长或含控制字符"
        )
    # Only the keys this server understands are kept (re-encoded), never the raw header.
    kept = ",".join(
        f"{key} {base64.b64encode(values[key]).decode('ascii')}"
        for key in KEPT_METADATA_KEYS
        if key in values
    )
    return Creation(photo_id, case_id, length, sha256, mime, role, filename, kept)


# --- PATCH ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PatchHeaders:
    """A PATCH's checked headers."""

    offset: int
    body_len: int | None
    #: The chunk's declared digest and the hash to compare it with, if Upload-Checksum was sent.
    checksum: bytes | None
    chunk_hash: Hash | None


def is_offset_octets(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == OFFSET_OCTETS


def parse_patch(
    *,
    upload_offset: str | None,
    content_type: str | None,
    content_length: str | None,
    upload_checksum: str | None,
) -> PatchHeaders:
    if not is_offset_octets(content_type):
        raise tus_error(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "wrong_content_type",
            "PATCH 的内容类型必须是 application/offset+octet-stream",
            "a PATCH body must be Content-Type: application/offset+octet-stream",
        )
    offset = header_number(upload_offset)
    if offset is None:
        raise bad_header(
            "Upload-Offset (a non-negative integer) is required",
            "缺少 Upload-Offset（非负整数）",
        )
    body_len: int | None = None
    if content_length is not None:
        body_len = header_number(content_length)
        if body_len is None:
            raise bad_header("Content-Length is not a number", "Content-Length 不是数字")
    checksum: bytes | None = None
    chunk_hash: Hash | None = None
    if upload_checksum is not None:
        algorithm, _, encoded = upload_checksum.strip().partition(" ")
        factory = CHECKSUM_ALGORITHMS.get(algorithm.lower())
        if factory is None:
            choices = " or ".join(CHECKSUM_ALGORITHMS)
            raise bad_header(
                f"Upload-Checksum: algorithm {algorithm!r} is not supported; use {choices}",
                f"Upload-Checksum：不支持算法 {algorithm!r}；请用 {choices}",
            )
        chunk_hash = factory()
        try:
            checksum = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise bad_header(
                "Upload-Checksum: the digest is not base64", "Upload-Checksum：摘要不是 base64"
            ) from None
        if len(checksum) != factory().digest_size:
            raise bad_header(
                f"Upload-Checksum: that is not a {algorithm} digest",
                f"Upload-Checksum：这不是 {algorithm} 摘要",
            )
    return PatchHeaders(offset, body_len, checksum, chunk_hash)


# --- X-HTTP-Method-Override -------------------------------------------------------------------

_OVERRIDABLE: Final = frozenset({b"PATCH", b"DELETE", b"HEAD"})


class MethodOverride:
    """tus 1.0: "If a request contains the X-HTTP-Method-Override header, the Server MUST use
    the value of the header as the request method" — for clients behind proxies that pass only
    GET and POST. Only a POST to an upload, and only to PATCH, DELETE or HEAD: nothing else is
    overridden (a pure ASGI middleware, outside the body limit, so a PATCH sent as a POST
    streams to disk like any PATCH)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].startswith(UPLOADS_PATH + "/")
        ):
            for name, value in scope["headers"]:
                if name == b"x-http-method-override" and value.strip().upper() in _OVERRIDABLE:
                    scope = {**scope, "method": value.strip().upper().decode("ascii")}
                    break
        await self.app(scope, receive, send)
