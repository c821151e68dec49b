"""Request ids and Prometheus metrics: what an operator needs to follow one request and to watch
the server as a whole.

Every request gets an id — the proxy's ``X-Request-ID`` if it sent a sane one (nginx's
``$request_id``, see deploy/nginx), else a new one — that comes back in the response's
``X-Request-ID`` and is in every log line written while the request runs (a context variable
read by :class:`RequestIdFilter`; the threads FastAPI runs endpoints on copy the context).
An inspector's screenshot of an error, the nginx access log and the server's log then meet.

Metrics (``/metrics``, Prometheus text format, prometheus-client): requests by route *template*
(``/api/v1/cases/{case_id}``, never the ids themselves: one series per route, not per case) and
status, their latency, sync batches pushed, uploads created and photos completed, and sign-ins
refused by the throttle. With ``--workers N`` each worker writes its figures to files in one
folder (prometheus-client's multiprocess mode, :data:`MULTIPROC_ENV`) and any worker answers
for all of them. ``/metrics`` says nothing about cases or people, but it does tell the load: the
shipped nginx config keeps it off the internet, and ``CITYPATROL_SERVER_METRICS_TOKEN`` makes
the server itself ask the scraper for a bearer token.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from server.errors import refuse
from server.settings import Settings

#: prometheus-client's multiprocess folder (set by ``citypatrol-server --workers N``).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "citypatrol_request_id", default=None
)

#: What a request id taken from a client may look like: short, no spaces, nothing to escape.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

REQUESTS = Counter(
    "citypatrol_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "citypatrol_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
SYNC_BATCHES = Counter(
    "citypatrol_sync_batches", "Batches of case changes pushed by clients, by status", ["status"]
)
UPLOADS_CREATED = Counter("citypatrol_uploads_created", "tus uploads created (new photos)")
PHOTOS_COMPLETED = Counter(
    "citypatrol_photos_completed", "Photo uploads completed and verified (whole-file SHA-256)"
)
PHOTO_BYTES = Counter("citypatrol_photo_bytes_completed", "Bytes of the photos completed")
THROTTLED_SIGN_INS = Counter(
    "citypatrol_sign_ins_throttled", "Sign-ins refused by the throttle (429)"
)

UNMATCHED = "<unmatched>"  # probes for routes that do not exist share one series


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every log record (``record.request_id``, or None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _route(scope: Scope) -> str:
    route = scope.get("route")  # FastAPI's APIRoute puts itself in the scope when it matches
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def _count(method: str, route: str, status: int) -> None:
    """The domain counters that a request's route and status tell on their own."""
    if route == "/api/v1/cases/push" and method == "POST":
        SYNC_BATCHES.labels(str(status)).inc()
    elif route == "/api/v1/uploads" and method == "POST" and status == 201:
        UPLOADS_CREATED.inc()
    elif route == "/api/v1/auth/login" and status == 429:
        THROTTLED_SIGN_INS.inc()


class RequestMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware): tus PATCH bodies stream through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        rid = given if given and _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            method, route = scope.get("method", ""), _route(scope)
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)
            _count(method, route, status)
            request_id.reset(token)


def _registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def install(app: FastAPI, settings: Settings) -> None:
    """Request ids on every request; ``/metrics`` unless turned off."""
    app.add_middleware(RequestMiddleware)
    if not settings.metrics:
        return
    token = settings.metrics_token

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        if token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                raise refuse(
                    401,
                    "metrics_token",
                    "查看运行指标需要指标令牌",
                    "the metrics need the metrics token (Authorization: Bearer …)",
                    {"WWW-Authenticate": "Bearer"},
                )
        return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)
