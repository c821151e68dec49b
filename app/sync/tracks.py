"""Sending patrol tracks (the protocol of :mod:`app.domain.tracks`).

One attempt at one track: send its header (the server answers how many points it holds
already), then the points from there in batches, writing the server's count to the store after
each answer. An attempt cut anywhere — before the header, mid-batch, or with the answer lost —
is simply made again: the header's answer says where to resume, the server keeps each point
once by its index, and a batch sent twice is a duplicate. Nothing is marked delivered before
the server says it holds every point.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.domain.errors import Message
from app.domain.tracks import BATCH_POINTS, batch_id
from app.storage.sites import check_delivered, check_refused, outgoing_checks
from app.storage.store import Changes, LocalStore, utc_now
from app.storage.track_sync import (
    OutgoingTrack,
    track_confirmed,
    track_progress,
    wire_points,
)
from app.sync.client import ServerClient
from app.sync.errors import ErrorKind, SyncError

if TYPE_CHECKING:
    from app.sync.engine import SyncReport


def _received(answer: dict[str, Any], track: OutgoingTrack) -> int:
    received = answer.get("received")
    if not isinstance(received, int) or not 0 <= received <= track.point_count:
        raise SyncError(
            ErrorKind.RETRYABLE,
            "garbled",
            Message(
                "服务器对轨迹的回答无法解读", "The server's answer about a track was unreadable"
            ),
        )
    return received


def send_track(
    client: ServerClient,
    store: LocalStore,
    track: OutgoingTrack,
    *,
    batch_points: int = BATCH_POINTS,
    stopped: Callable[[], bool] = lambda: False,
) -> Changes:
    """One attempt to deliver ``track``; raises :class:`SyncError` when it is cut short."""
    header = {
        "started_at": track.started_at.isoformat(),
        "ended_at": track.ended_at.isoformat() if track.ended_at else None,
        "distance_m": round(track.distance_m, 1),
        "point_count": track.point_count,
    }
    answer = client.send("PUT", f"/api/v1/tracks/{track.id}", json=header).json()
    received = _received(answer, track)
    changes = track_progress(store, track.id, received)
    while received < track.point_count:
        if stopped():
            return changes
        points = wire_points(store, track.id, received, batch_points)
        if not points:
            break  # the store has fewer points than the header said: the server decides
        body = {
            "batch_id": batch_id(track.id, received, len(points)),
            "first": received,
            "points": [p.to_json() for p in points],
        }
        answer = client.send("POST", f"/api/v1/tracks/{track.id}/points", json=body).json()
        now = _received(answer, track)
        if now <= received:
            raise SyncError(
                ErrorKind.RETRYABLE,
                "no_progress",
                Message(
                    "服务器未接收轨迹点，稍后重试", "The server took no track points; will retry"
                ),
            )
        received = now
        changes |= track_progress(store, track.id, received)
    if received >= track.point_count:
        changes |= track_confirmed(store, track.id, utc_now())
    return changes


def push_site_checks(
    client: ServerClient,
    store: LocalStore,
    retrying: Callable[[Callable[[], Any]], Any],
    report: SyncReport,
) -> Changes:
    """Checks recorded at key sites, one request each (idempotent by the check's id)."""
    changes = Changes()
    for check in outgoing_checks(store):
        try:
            retrying(
                functools.partial(
                    client.send, "POST", f"/api/v1/sites/{check.site_id}/checks", json=check.body
                )
            )
        except SyncError as exc:
            if exc.kind not in (ErrorKind.REJECTED, ErrorKind.CONFLICT):
                raise
            reason = {"code": exc.code, "zh": exc.message.zh, "en": exc.message.en}
            changes |= check_refused(store, check.id, reason)
            report.checks_failed += 1
            continue
        changes |= check_delivered(store, check.id, utc_now())
        report.checks_sent += 1
    return changes
