"""Every error answer of the server, in one shape: ``{"detail": {"code", "zh", "en"}}``.

A refusal tells a person why, in Chinese and English (the bilingual model of
:mod:`app.domain.errors`), and a program what, with a stable ``code``. Endpoints raise
:class:`ApiError` (or a domain error, mapped here to its status); FastAPI's own refusals (an
unknown route, a wrong method, a body that does not validate) and the unexpected ones (a busy
database, a full disk, a bug) are answered in the same shape by the handlers installed with
:func:`install`. A 422 also lists the failing fields under ``detail.errors`` (location, message
and rule, never the input: it may be megabytes, or hostile).

Retry-After has one policy (:class:`RetryAfter`): how long a client should wait depends on what
it waits for, not on which route it called.
"""

from __future__ import annotations

import enum
import errno
import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from app.domain.errors import CityPatrolError, Message, TransitionError
from app.domain.lifecycle import STATE_ERRORS

log = logging.getLogger("citypatrol.server")

HTTP_423_LOCKED = 423
#: tus: "460 Checksum Mismatch" (not an IANA status; clients know it from the protocol).
HTTP_460_CHECKSUM_MISMATCH = 460


class RetryAfter(enum.IntEnum):
    """Seconds a client waits before trying again, by what it waits for."""

    #: Another request holds what this one needs for a moment (an upload's lock, the rows of a
    #: pushed batch, an upload being created and removed at once).
    CONTENDED = 1
    #: The database is busy or unreachable.
    DATABASE_BUSY = 2
    #: The photo storage is full: an administrator has to act.
    STORAGE_FULL = 600


class Refusal(BaseModel):
    """Why a request was refused: a stable code, and the reason in Chinese and English."""

    code: str
    zh: str
    en: str
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="422 only: each failing field (loc, msg, type)"
    )


class ErrorBody(BaseModel):
    """The body of every error answer."""

    detail: Refusal


#: Documented on every router: the shape of its error answers (FastAPI would otherwise document
#: its own 422 shape, which this server does not send).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "the request does not validate (detail.errors)"}
}


def documented(codes: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, each with the :class:`ErrorBody` shape."""
    return {code: {"model": ErrorBody, "description": text} for code, text in codes.items()}


class ApiError(CityPatrolError):
    """A refusal with its HTTP status (and headers, e.g. Retry-After or tus's Upload-Offset)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: Message,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(code, message)
        self.status_code = status_code
        self.headers = headers or {}
        #: More of the answer's ``detail`` beside code, zh and en (e.g. a checklist's problems).
        self.extra = extra or {}


def refuse(
    status_code: int, code: str, zh: str, en: str, headers: dict[str, str] | None = None
) -> ApiError:
    """An :class:`ApiError` to raise: ``raise refuse(404, "no_case", "没有这个案件", "no such case")``."""
    return ApiError(status_code, code, Message(zh, en), headers)


def retry_later(status_code: int, code: str, zh: str, en: str, wait: RetryAfter) -> ApiError:
    """A refusal the client should retry after ``wait`` (the one Retry-After policy)."""
    return refuse(status_code, code, zh, en, {"Retry-After": str(int(wait))})


def not_signed_in() -> ApiError:
    return refuse(
        status.HTTP_401_UNAUTHORIZED,
        "not_signed_in",
        "未登录或会话已过期",
        "not signed in or the session has expired",
        {"WWW-Authenticate": "Bearer"},
    )


def body(code: str, message: Message, **extra: Any) -> dict[str, Any]:
    return {"detail": {"code": code, "zh": message.zh, "en": message.en, **extra}}


def error_response(
    status_code: int,
    code: str,
    message: Message,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse(body(code, message, **extra), status_code=status_code, headers=headers)


def domain_status(exc: CityPatrolError) -> int:
    """The HTTP status of a domain error: a conflict with the case's state is 409, a decision
    naming an unknown party or lacking a requirement is 400."""
    if isinstance(exc, ApiError):
        return exc.status_code
    if isinstance(exc, TransitionError) and exc.code in STATE_ERRORS:
        return status.HTTP_409_CONFLICT
    # Any other domain refusal (a missing requirement, DecisionError's unknown party, a
    # validation error): the request itself is wrong.
    return status.HTTP_400_BAD_REQUEST


# FastAPI's and Starlette's own refusals carry an English text only; these are their words.
_STATUS_TEXT: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求无效", "Bad request"),
    401: ("not_signed_in", "未登录或会话已过期", "Not signed in or the session has expired"),
    403: ("forbidden", "无权进行此操作", "Forbidden"),
    404: ("not_found", "找不到该资源", "Not Found"),
    405: ("method_not_allowed", "不支持该请求方法", "Method Not Allowed"),
}


def _from_http_exception(exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail
    if isinstance(detail, dict) and {"code", "zh", "en"} <= detail.keys():
        content: dict[str, Any] = {"detail": detail}
    else:
        code, zh, en = _STATUS_TEXT.get(exc.status_code, ("http_error", "请求被拒绝", "Refused"))
        text = str(detail) if detail else en
        content = {
            "detail": {"code": code, "zh": zh if text == en else f"{zh}：{text}", "en": text}
        }
    return JSONResponse(content, status_code=exc.status_code, headers=exc.headers)


def validation_response(exc: RequestValidationError) -> JSONResponse:
    """422 naming each field and rule, without echoing the input."""
    errors = [
        {"loc": list(e["loc"]), "msg": str(e["msg"]), "type": str(e["type"])}
        for e in exc.errors()[:50]
    ]
    # Each part of a location at most 50 characters: a key is input too (a hostile one may be
    # megabytes long), and the summary is only for reading.
    where = "; ".join(f"{'.'.join(str(p)[:50] for p in e['loc'])}: {e['msg']}" for e in errors[:5])
    message = Message(f"请求数据无效：{where}", f"The request is not valid: {where}")
    return JSONResponse(
        body("invalid_request", message, errors=errors),
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def database_busy() -> JSONResponse:
    return error_response(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "database_busy",
        Message("数据库繁忙，请稍后重试", "The database is busy; try again"),
        {"Retry-After": str(int(RetryAfter.DATABASE_BUSY))},
    )


def storage_full() -> JSONResponse:
    return error_response(
        status.HTTP_507_INSUFFICIENT_STORAGE,
        "storage_full",
        Message(
            "服务器的照片存储已满，请稍后重试", "The server's photo storage is full; retry later"
        ),
        {"Retry-After": str(int(RetryAfter.STORAGE_FULL))},
    )


def disk_full(exc: OperationalError) -> bool:
    """Whether the database failed for want of disk space (SQLite's SQLITE_FULL, PostgreSQL's
    53100 disk_full) — not busy: retrying soon will not help, an administrator must act."""
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "53100" or "database or disk is full" in str(orig)


def database_unavailable(exc: OperationalError) -> JSONResponse:
    """503 (busy: retry) or, when the disk is full, 507 saying so."""
    if not disk_full(exc):
        return database_busy()
    return error_response(
        status.HTTP_507_INSUFFICIENT_STORAGE,
        "server_disk_full",
        Message(
            "服务器磁盘已满，暂时无法保存；请通知管理员",
            "The server's disk is full; tell an administrator",
        ),
        {"Retry-After": str(int(RetryAfter.STORAGE_FULL))},
    )


def internal_error() -> JSONResponse:
    return error_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        Message("服务器内部错误", "Internal error"),
    )


def response_for(exc: Exception) -> JSONResponse | None:
    """The answer for an exception an endpoint raised, or None when it is not an answer (a bug:
    the caller logs it and answers 500)."""
    if isinstance(exc, CityPatrolError):
        if isinstance(exc, ApiError):
            return error_response(exc.status_code, exc.code, exc.message, exc.headers, **exc.extra)
        return error_response(domain_status(exc), exc.code, exc.message)
    if isinstance(exc, StarletteHTTPException):
        return _from_http_exception(exc)
    if isinstance(exc, RequestValidationError):
        return validation_response(exc)
    if isinstance(exc, OperationalError):
        # The database is busy or away (or its disk is full): the client's request was fine.
        return database_unavailable(exc)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return storage_full()
    return None


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    response = response_for(exc)
    if response is None:  # pragma: no cover - only the types registered below reach here
        raise exc
    if isinstance(exc, OperationalError):
        log.exception("database unavailable for %s %s", request.method, request.url.path)
    elif isinstance(exc, OSError):
        log.error("photo storage full during %s %s", request.method, request.url.path)
    return response


def install(app: FastAPI) -> None:
    """Answer every refusal in the one shape (and wrap the app in :class:`UnexpectedErrors`)."""
    for kind in (CityPatrolError, StarletteHTTPException, RequestValidationError):
        app.add_exception_handler(kind, _handle)
    app.add_middleware(UnexpectedErrors)


class UnexpectedErrors:
    """A clean JSON answer for anything unexpected, so the connection stays usable.

    A busy or unreachable database is 503 with Retry-After (the client retries); anything else
    is logged with its traceback and answered 500 (nothing of the exception reaches the
    client). An error after the response has started cannot be answered any more: it goes on
    to the server, which logs it and closes the connection.

    A plain ASGI middleware: unlike ``@app.middleware("http")`` (Starlette's
    ``BaseHTTPMiddleware``) it runs the endpoint in the request's own task, and passes request
    and response messages straight through instead of relaying each one through a memory
    stream and an extra task: a fixed cost on every request and a per-chunk one on uploads.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_watching(message: AsgiMessage) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_watching)
            return
        except OperationalError as exc:
            if started:
                raise
            log.exception("database unavailable for %s %s", scope["method"], scope["path"])
            response = database_unavailable(exc)
        except Exception:
            if started:
                raise
            log.exception("unexpected error in %s %s", scope["method"], scope["path"])
            response = internal_error()
        await response(scope, receive, send)
