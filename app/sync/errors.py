"""Sync errors, classified once: retryable, auth, conflict, rejected."""

from __future__ import annotations

import enum

from app.domain.errors import CityPatrolError, Message


class ErrorKind(enum.StrEnum):
    RETRYABLE = "retryable"  # network down, timeout, server 5xx: try again later
    AUTH = "auth"  # not signed in, wrong password, session expired: sign in again
    CONFLICT = "conflict"
    REJECTED = "rejected"  # the server refused the request itself: retrying will not help


class SyncError(CityPatrolError):
    def __init__(
        self, kind: ErrorKind, code: str, message: Message, retry_after: float | None = None
    ) -> None:
        super().__init__(code, message)
        self.kind = kind
        #: Seconds the server asked us to wait (``Retry-After`` on 429/503), if it said.
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind is ErrorKind.RETRYABLE


def refusal(response_body: object, status: int, fallback: str = "") -> tuple[str, Message]:
    """The server's reason for refusing a request: ``(code, message)``.

    The server answers every error with ``{"detail": {"code", "zh", "en"}}`` (server.errors);
    anything else (a proxy's page, an older server's ``{"detail": "text"}``) keeps its text in
    both languages, under the HTTP status as its code.
    """
    detail = response_body.get("detail") if isinstance(response_body, dict) else None
    if (
        isinstance(detail, dict)
        and isinstance(detail.get("zh"), str)
        and isinstance(detail.get("en"), str)
    ):
        return str(detail.get("code") or status), Message(detail["zh"], detail["en"])
    text = (str(detail) if detail is not None else fallback)[:300]
    return str(status), Message(text, text)
