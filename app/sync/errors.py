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
    def __init__(self, kind: ErrorKind, code: str, message: Message) -> None:
        super().__init__(code, message)
        self.kind = kind

    @property
    def retryable(self) -> bool:
        return self.kind is ErrorKind.RETRYABLE
