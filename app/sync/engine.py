"""One sync cycle: push case changes, upload photos, pull the change feed.

The order is fixed (DESIGN.md): records first (small, and photos can only join a case the server
has), then photos, then the feed. Every answer from the server is written to the store before
the next request (:class:`~app.storage.ledger.SyncLedger`), so a cycle cut short anywhere —
dropped connection, server restart, the laptop's lid closed, the process killed — loses nothing
and the next cycle carries on from there.

Errors are classified once (:class:`~app.sync.errors.ErrorKind`). A retryable failure (network,
timeout, 5xx, 429) is retried with exponential backoff and full jitter, up to
``SyncOptions.attempts`` times per step; an expired session stops the cycle at once (nothing is
lost: sign in and sync again); a change or photo the server refuses is marked failed with the
reason and the rest goes on. Two syncs never run at once: a cycle holds an exclusive lock file
in the data folder, so the GUI's background sync and ``citypatrol sync`` cannot overlap. A cycle
reports success only when nothing is left to send and nothing failed; otherwise its report
says what is left and why.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from filelock import FileLock, Timeout

from app.capture.photos import PhotoError
from app.domain.errors import Message
from app.domain.lifecycle import Role
from app.domain.tracks import BATCH_POINTS
from app.storage.ledger import (
    DeliverySummary,
    OutgoingPhoto,
    Receipt,
    ReceiptOutcome,
    SyncLedger,
    claimed,
)
from app.storage.store import Changes, LocalStore, utc_now
from app.storage.track_sync import outgoing_tracks, track_failed
from app.sync.backoff import Backoff
from app.sync.basemaps import sync_basemaps
from app.sync.client import TIMEOUT, ServerClient
from app.sync.connection import load_connection
from app.sync.credentials import CredentialStore
from app.sync.errors import ErrorKind, SyncError
from app.sync.inspections import download_inspection_photos, push_inspections
from app.sync.tracks import push_site_checks, send_track
from app.sync.updates import UpdateOffer, check_update
from app.sync.upload import DEFAULT_CHUNK, Uploader, UploadGoneError, check_local_file

T = TypeVar("T")
log = logging.getLogger("citypatrol.sync")
LOCK_FILE = "sync.lock"
#: A thumbnail from the server larger than this is not one (a 256 px JPEG is ~10–30 KB).
_THUMB_MAX = 1024 * 1024


class Originals(enum.StrEnum):
    """Which photos of others' cases a laptop downloads whole; thumbnails always come first."""

    #: Every photo (as before thumbnails came first).
    ALL = "all"
    #: Photos of cases still being worked on (not closed, evaluated, void or rejected): a city
    #: office stops receiving every original of every case it ever saw.
    OPEN_CASES = "open_cases"
    #: None: only when someone opens one (:meth:`SyncEngine.fetch_originals`).
    ON_DEMAND = "on_demand"


@dataclass(frozen=True)
class SyncOptions:
    batch_size: int = 100
    chunk_size: int = DEFAULT_CHUNK
    #: False holds photos back (a metered connection): records still go.
    photos: bool = True
    #: Tries per step for retryable failures within one cycle.
    attempts: int = 4
    backoff: Backoff = field(default_factory=lambda: Backoff(base_s=0.5, cap_s=30.0))
    feed_page: int = 500
    #: Points per track batch (app.domain.tracks).
    track_batch: int = BATCH_POINTS
    timeout: httpx.Timeout = field(default_factory=lambda: TIMEOUT)
    #: Which photos of others' cases come whole (their thumbnails always come).
    originals: Originals = Originals.OPEN_CASES


@dataclass(frozen=True, slots=True)
class Progress:
    phase: str  # push | photos | pull
    items_done: int
    items_total: int
    bytes_done: int = 0
    bytes_total: int = 0
    current: str | None = None


@dataclass
class SyncReport:
    """What one cycle did, and what is left and why."""

    pushed: int = 0
    confirmed: int = 0
    conflicts: int = 0
    rejected: int = 0
    photos_sent: int = 0
    photos_failed: int = 0
    photo_bytes_sent: int = 0
    pulled: int = 0
    photos_received: int = 0
    #: Patrol tracks the server now holds whole, and tracks it refused.
    tracks_sent: int = 0
    tracks_failed: int = 0
    #: Checks at key sites delivered, and refused.
    checks_sent: int = 0
    checks_failed: int = 0
    #: Basemaps downloaded from the server (names), and the bytes that came for them.
    basemaps_received: list[str] = field(default_factory=list)
    basemap_bytes: int = 0
    #: A newer client the server offers (app.sync.updates); the app tells the user.
    update: UpdateOffer | None = None
    error: SyncError | None = None
    problems: list[Message] = field(default_factory=list)
    left: DeliverySummary | None = None
    photos_held_back: bool = False
    #: Seconds spent in each phase (push, photos, pull).
    timings: dict[str, float] = field(default_factory=dict)
    #: What the cycle changed in the local store, for views to refresh only that.
    changes: Changes = field(default_factory=Changes)

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and not self.problems
            and self.left is not None
            and self.left.idle
            and self.left.failed_changes == 0
            and self.left.conflicts == 0
            and self.left.failed_photos == 0
            and self.left.failed_tracks == 0
            and self.left.failed_checks == 0
        )

    def lines(self, language: str = "zh_CN") -> list[str]:
        """The report for people: what went, then what is left and why."""
        zh = language.startswith("zh")
        out = [
            f"已上报变更 {self.confirmed}，照片 {self.photos_sent}（{self.photo_bytes_sent / 1e6:.1f} MB），收到更新 {self.pulled}"
            if zh
            else f"Changes delivered {self.confirmed}, photos {self.photos_sent} "
            f"({self.photo_bytes_sent / 1e6:.1f} MB), updates received {self.pulled}"
        ]
        if self.photos_received:
            out.append(
                f"已下载核查任务的照片 {self.photos_received} 张"
                if zh
                else f"Photos of re-inspection tasks downloaded: {self.photos_received}"
            )
        if self.basemaps_received:
            names = "、".join(self.basemaps_received) if zh else ", ".join(self.basemaps_received)
            out.append(f"已下载底图：{names}" if zh else f"Basemaps downloaded: {names}")
        if self.update is not None:
            v = self.update.version
            out.append(f"服务器提供新版本 {v}" if zh else f"A new version is available: {v}")
        if self.error is not None:
            out.append(self.error.message.zh if zh else self.error.message.en)
        out += [m.zh if zh else m.en for m in self.problems]
        left = self.left
        if left is not None:
            if left.pending_changes or left.pending_photos:
                out.append(
                    f"尚未送达：{left.pending_changes} 项变更，{left.pending_photos} 张照片"
                    f"（{left.pending_photo_bytes / 1e6:.1f} MB）"
                    if zh
                    else f"Not yet delivered: {left.pending_changes} changes, "
                    f"{left.pending_photos} photos ({left.pending_photo_bytes / 1e6:.1f} MB)"
                )
            if left.pending_checks or left.failed_checks:
                out.append(
                    f"重点部位检查：{left.pending_checks} 次尚未送达，{left.failed_checks} 次被拒收"
                    if zh
                    else f"Key-site checks: {left.pending_checks} not yet delivered, "
                    f"{left.failed_checks} refused"
                )
            if left.pending_tracks or left.failed_tracks:
                out.append(
                    f"巡查轨迹：{left.pending_tracks} 条尚未送达，{left.failed_tracks} 条被拒收"
                    if zh
                    else f"Patrol tracks: {left.pending_tracks} not yet delivered, "
                    f"{left.failed_tracks} refused"
                )
            if self.photos_held_back and left.pending_photos:
                out.append(
                    "按流量计费网络的设置，照片暂缓上传"
                    if zh
                    else "Photos are held back on a metered connection (settings)"
                )
            if left.failed_changes or left.failed_photos:
                out.append(
                    f"被服务器拒收：{left.failed_changes} 项变更，{left.failed_photos} 张照片——请查看原因并修改"
                    if zh
                    else f"Refused by the server: {left.failed_changes} changes, "
                    f"{left.failed_photos} photos — see the reasons and correct them"
                )
            if left.conflicts:
                out.append(
                    f"有 {left.conflicts} 处修改与办公室的处理冲突，请逐一处理"
                    if zh
                    else f"{left.conflicts} edits conflict with the office's decisions; resolve them"
                )
        return out


class SyncBusyError(SyncError):
    def __init__(self) -> None:
        super().__init__(
            ErrorKind.RETRYABLE,
            "busy",
            Message("另一个同步正在进行", "Another sync is already running"),
        )


def _not_signed_in() -> SyncError:
    return SyncError(
        ErrorKind.AUTH,
        "not_signed_in",
        Message(
            "尚未登录服务器，请先登录（citypatrol login）",
            "Not signed in to a server; sign in first (citypatrol login)",
        ),
    )


class SyncEngine:
    """Runs sync cycles for one local store."""

    def __init__(
        self,
        store: LocalStore,
        options: SyncOptions | None = None,
        *,
        progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.store = store
        self.ledger = SyncLedger(store)
        self.options = options or SyncOptions()
        self._progress = progress
        self._stop = stop or threading.Event()
        self._token = token
        self._transport = transport
        self._lock = FileLock(Path(store.data_dir) / LOCK_FILE, timeout=0)

    # -- the cycle ---------------------------------------------------------------------------

    def run(self) -> SyncReport:
        """One full cycle. Never raises for sync failures: they are in the report."""
        report = SyncReport()
        try:
            self._lock.acquire()
        except Timeout:
            report.error = SyncBusyError()
            report.left = self.ledger.summary()
            return report
        try:
            self._cycle(report)
        except SyncError as exc:
            report.error = exc
        finally:
            report.changes |= self.ledger.release_claims()
            report.left = self.ledger.summary()
            if report.ok:
                self.ledger.set_last_sync(utc_now())
            self._lock.release()
        return report

    def _client(self, server_url: str, token: str) -> ServerClient:
        return ServerClient(
            server_url,
            token,
            transport=self._transport,
            timeout=self.options.timeout,
            connection=load_connection(self.store.data_dir),
        )

    def _signed_in(self) -> tuple[Any, str]:
        account = self.store.account()
        if account is None:
            raise _not_signed_in()
        token = self._token or CredentialStore(self.store.data_dir).load(
            account.server_url, account.username
        )
        if not token:
            raise _not_signed_in()
        return account, token

    def fetch_originals(self, photo_ids: frozenset[str]) -> SyncReport:
        """Download these remote photos' originals now, whatever ``options.originals`` says
        (a photo the user opened). Raises :class:`SyncError` as a cycle's steps do."""
        report = SyncReport()
        account, token = self._signed_in()
        with self._client(account.server_url, token) as client:
            self._download_photos(client, report, only=photo_ids)
        return report

    def _cycle(self, report: SyncReport) -> None:
        account, token = self._signed_in()
        with self._client(account.server_url, token) as client:
            report.changes |= self.ledger.release_claims()
            with _timed(report, "push"):
                self._push(client, report)
                self._push_decisions(client, report)
                self._push_tracks(client, report)
                report.changes |= push_site_checks(client, self.store, self._retrying, report)
                self._push_inspections(client, report)
            if self.options.photos:
                with _timed(report, "photos"):
                    self._upload_photos(client, report)
            else:
                report.photos_held_back = True
            with _timed(report, "pull"):
                self._pull(client, report, account.user_id)
                self._download_photos(client, report)
                report.update = self._check_update(client)
                if self.store.actor.role in (Role.SUPERVISOR, Role.ADMIN):
                    # Bulletins are made at the office: only its laptops fetch these photos.
                    received, changes = download_inspection_photos(
                        self.store,
                        client,
                        self._retrying,
                        self._stopped,
                        _partial_path(self.store, "x").parent,
                    )
                    report.photos_received += received
                    report.changes |= changes
            # Basemaps are big: held back on a metered connection like photos (the same setting).
            if self.options.photos:
                with _timed(report, "basemaps"):
                    self._download_basemaps(client, report)

    def _check_update(self, client: ServerClient) -> UpdateOffer | None:
        """The newer client the server offers, if any; a failed check fails nothing (the
        records are what the sync is for) and is tried again at the next cycle."""
        try:
            return check_update(client)
        except SyncError as exc:
            log.info("update check failed: %s", exc.message.en)
            return None

    def _stopped(self) -> bool:
        return self._stop.is_set()

    def _emit(self, progress: Progress) -> None:
        if self._progress is not None:
            self._progress(progress)

    def _retrying(self, step: Callable[[], T]) -> T:
        """Run ``step``; retry retryable failures with backoff; anything else propagates."""
        failures = 0
        while True:
            try:
                return step()
            except SyncError as exc:
                failures += 1
                if not exc.retryable or failures >= self.options.attempts or self._stopped():
                    raise
                # Stop cuts the wait short; a server's Retry-After is a floor (app.sync.backoff).
                self._stop.wait(self.options.backoff.wait(failures, exc.retry_after))

    # -- push --------------------------------------------------------------------------------

    def _push(self, client: ServerClient, report: SyncReport) -> None:
        total = self.ledger.summary().pending_changes
        done = 0
        rounds = 0
        while not self._stopped():
            batch = self.ledger.claim_changes(self.options.batch_size)
            if not batch:
                return
            report.changes |= claimed(batch)
            rounds += 1
            if rounds > max(10, 4 * (total // self.options.batch_size + 1)):
                return  # the server keeps asking to retry: leave the rest for the next cycle
            self._emit(Progress("push", done, total, current=batch[0].case_id))
            changes = [c.to_json() for c in batch]
            try:
                results = self._retrying(functools.partial(client.push, changes))
            except SyncError as exc:
                if exc.kind is not ErrorKind.REJECTED or len(batch) == 1:
                    if exc.kind is ErrorKind.REJECTED:  # this one change is malformed
                        receipt = Receipt(
                            batch[0].change_id,
                            ReceiptOutcome.REJECTED,
                            reason={"code": exc.code, "zh": exc.message.zh, "en": exc.message.en},
                        )
                        self._record(report, [receipt])
                        continue
                    raise
                # The server refused the batch as a whole: find the culprit one change at a time.
                report.changes |= self.ledger.release_claims()
                self._push_one_by_one(client, report, len(batch))
                continue
            receipts = [_receipt(r) for r in results]
            self._record(report, receipts)
            report.pushed += len(batch)
            done += len(batch)
        return

    def _push_decisions(self, client: ServerClient, report: SyncReport) -> None:
        """A supervisor's decisions, one request each, in the order they were taken."""
        while not self._stopped():
            decision = self.ledger.claim_decision()
            if decision is None:
                return
            report.changes |= claimed(decision)
            self._emit(Progress("push", report.pushed, report.pushed + 1, current=decision.case_id))
            detail, reason = self._retrying(
                functools.partial(client.act, decision.case_id, decision.to_json())
            )
            report.pushed += 1
            if reason is None and detail is not None:
                report.changes |= self.ledger.decision_applied(
                    decision.change_id, detail, utc_now()
                )
                report.confirmed += 1
            else:
                current = self._retrying(functools.partial(client.case, decision.case_id))
                report.changes |= self.ledger.decision_refused(
                    decision.change_id, reason or {}, current, utc_now()
                )
                report.rejected += 1

    def _push_inspections(self, client: ServerClient, report: SyncReport) -> None:
        """Scored inspections, then their photos (app.sync.inspections)."""
        sent, changes, problems = push_inspections(
            self.store, client, self._retrying, self._stopped, photos=self.options.photos
        )
        report.pushed += sent
        report.confirmed += sent
        report.changes |= changes
        report.problems += problems

    def _push_one_by_one(self, client: ServerClient, report: SyncReport, count: int) -> None:
        for _ in range(count):
            batch = self.ledger.claim_changes(1)
            if not batch:
                return
            report.changes |= claimed(batch)
            try:
                results = self._retrying(functools.partial(client.push, [batch[0].to_json()]))
            except SyncError as exc:
                if exc.kind is not ErrorKind.REJECTED:
                    raise
                results = [
                    {
                        "change_id": batch[0].change_id,
                        "outcome": ReceiptOutcome.REJECTED,
                        "reason": {"code": exc.code, "zh": exc.message.zh, "en": exc.message.en},
                    }
                ]
            self._record(report, [_receipt(r) for r in results])
            report.pushed += 1

    def _record(self, report: SyncReport, receipts: list[Receipt]) -> None:
        summary = self.ledger.record_receipts(receipts, utc_now())
        report.changes |= summary.changes
        report.confirmed += summary.confirmed
        report.conflicts += summary.conflicts
        report.rejected += summary.rejected

    # -- tracks ------------------------------------------------------------------------------

    def _push_tracks(self, client: ServerClient, report: SyncReport) -> None:
        """Stopped patrol tracks, each resumed from the point count the server last gave."""
        for track in outgoing_tracks(self.store):
            if self._stopped():
                return
            self._emit(Progress("push", report.pushed, report.pushed + 1, current=track.id))
            try:
                report.changes |= self._retrying(
                    functools.partial(
                        send_track,
                        client,
                        self.store,
                        track,
                        batch_points=self.options.track_batch,
                        stopped=self._stopped,
                    )
                )
            except SyncError as exc:
                if exc.kind not in (ErrorKind.REJECTED, ErrorKind.CONFLICT):
                    raise
                reason = {"code": exc.code, "zh": exc.message.zh, "en": exc.message.en}
                report.changes |= track_failed(self.store, track.id, reason)
                report.tracks_failed += 1
                continue
            if not self._stopped():
                report.tracks_sent += 1

    # -- photos ------------------------------------------------------------------------------

    def _upload_photos(self, client: ServerClient, report: SyncReport) -> None:
        photos = self.ledger.pending_photos()
        meter = _PhotoMeter(self, len(photos), sum(p.size_bytes - p.upload_offset for p in photos))
        uploader = Uploader(client, self.options.chunk_size)
        try:
            for index, photo in enumerate(photos):
                if self._stopped():
                    return
                meter.start(index, photo)
                # Its upload's state (and, once confirmed, its outbox entry) may change below.
                report.changes |= Changes(photos=frozenset({photo.photo_id}), outbox=True)
                try:
                    self._retrying(
                        functools.partial(
                            self._upload_one, uploader, photo, meter.moved, meter.sent
                        )
                    )
                except SyncError as exc:
                    if exc.kind is not ErrorKind.REJECTED:
                        raise
                    reason = {"code": exc.code, "zh": exc.message.zh, "en": exc.message.en}
                    report.changes |= self.ledger.upload_failed(photo.photo_id, reason)
                    report.photos_failed += 1
                    continue
                if not self._stopped():
                    report.photos_sent += 1
        finally:
            report.photo_bytes_sent += uploader.bytes_sent

    def _upload_one(
        self,
        uploader: Uploader,
        photo: OutgoingPhoto,
        moved: Callable[[int], None],
        sent: Callable[[int], None],
    ) -> None:
        """One attempt at one photo: find or create its upload, send what the server lacks."""
        check_local_file(photo)
        current = self.ledger.pending_photo(photo.photo_id)
        if current is None:
            return  # confirmed meanwhile
        url = current.upload_url
        offset: int | None = None
        if url is not None:
            try:
                offset = uploader.offset(url)
            except UploadGoneError:
                self.ledger.upload_forgotten(photo.photo_id)
                url = None
        if url is None:
            url, offset = uploader.create(photo, on_sent=sent)
            if offset >= photo.size_bytes:  # it went whole with its creation: one local write
                moved(offset)
                self.ledger.upload_confirmed(photo.photo_id, utc_now())
                return
            self.ledger.upload_created(photo.photo_id, url, offset)
        assert offset is not None
        moved(offset)
        try:
            final = uploader.send_from(photo, url, offset, moved, stop=self._stopped, on_sent=sent)
        except UploadGoneError:
            self.ledger.upload_forgotten(photo.photo_id)
            raise SyncError(
                ErrorKind.RETRYABLE,
                "upload_gone",
                Message("服务器上的上传已失效，将重新上传", "The upload expired; starting again"),
            ) from None
        if final >= photo.size_bytes:
            self.ledger.upload_confirmed(photo.photo_id, utc_now())

    # -- photos of tasks ---------------------------------------------------------------------

    def _download_photos(
        self, client: ServerClient, report: SyncReport, only: frozenset[str] | None = None
    ) -> None:
        """Photos of others' cases (a task's report photos, an office's submissions): every
        thumbnail first (small: lists and maps show them at once), then the originals
        ``options.originals`` wants — or just ``only``'s, whatever it says."""
        photos = self.ledger.remote_photos()
        if only is not None:
            photos = [p for p in photos if p.photo_id in only]
        for photo in photos:
            if self._stopped():
                return
            if not self.ledger.has_thumbnail(photo):
                self._download_thumbnail(client, photo, report)
        policy = self.options.originals
        if only is None and policy is Originals.ON_DEMAND:
            return
        if only is None and policy is Originals.OPEN_CASES:
            open_cases = self.ledger.open_cases({p.case_id for p in photos})
            photos = [p for p in photos if p.case_id in open_cases]
        for photo in photos:
            if self._stopped():
                return
            part = _partial_path(self.store, photo.photo_id)
            try:
                self._retrying(
                    functools.partial(client.download, f"/api/v1/photos/{photo.photo_id}", part)
                )
                report.changes |= self.ledger.store_download(photo.photo_id, part, utc_now())
            except SyncError as exc:
                if exc.kind is not ErrorKind.REJECTED:
                    raise
                reason = {"code": exc.code, "zh": exc.message.zh, "en": exc.message.en}
                report.changes |= self.ledger.download_failed(photo.photo_id, reason)
            except PhotoError as exc:
                reason = {"code": exc.code, "zh": exc.message.zh, "en": exc.message.en}
                report.changes |= self.ledger.download_failed(photo.photo_id, reason)
            else:
                report.photos_received += 1
            finally:
                part.unlink(missing_ok=True)

    def _download_thumbnail(
        self, client: ServerClient, photo: OutgoingPhoto, report: SyncReport
    ) -> None:
        path = f"/api/v1/photos/{photo.photo_id}/thumbnail"
        try:
            response = self._retrying(
                functools.partial(client.send, "GET", path, expect=frozenset({404, 422}))
            )
        except SyncError as exc:
            if exc.kind is not ErrorKind.REJECTED:
                raise
            return  # the original's download says what is wrong
        data = response.content
        # Refused, or not a JPEG of thumbnail size: the original will do.
        if response.status_code == 200 and data[:2] == b"\xff\xd8" and len(data) < _THUMB_MAX:
            report.changes |= self.ledger.store_thumbnail(photo.photo_id, data)

    # -- basemaps ---------------------------------------------------------------------------

    def _download_basemaps(self, client: ServerClient, report: SyncReport) -> None:
        def progress(index: int, count: int, done: int, total: int, name: str) -> None:
            self._emit(Progress("basemaps", index, count, done, total, name))

        result = sync_basemaps(self.store, client, self._retrying, progress, self._stopped)
        report.basemaps_received += result.downloaded
        if result.downloaded or result.removed:
            # The maps list basemaps as configuration (reference): they reload their choice.
            report.changes |= Changes(reference=True)
        report.basemap_bytes += result.bytes_received
        report.problems += result.problems

    # -- pull --------------------------------------------------------------------------------

    def _pull(self, client: ServerClient, report: SyncReport, user_id: str) -> None:
        cursor = self.ledger.feed_cursor()
        while not self._stopped():
            page = self._retrying(functools.partial(client.feed, cursor, self.options.feed_page))
            entries: list[dict[str, Any]] = page["entries"]
            new_cursor = int(page["cursor"])
            if entries:
                result = self.ledger.apply_feed(entries, new_cursor, user_id)
                report.changes |= result.changes
                report.pulled += result.applied
                for why in result.skipped:
                    log.warning("feed entry skipped: %s", why)
                if result.skipped:
                    report.problems.append(
                        Message(
                            f"有 {len(result.skipped)} 条服务器更新无法应用（已记入日志）",
                            f"{len(result.skipped)} updates from the server could not be applied (logged)",
                        )
                    )
            cursor = new_cursor
            self._emit(Progress("pull", report.pulled, report.pulled))
            if not page.get("more"):
                return


class _PhotoMeter:
    """Turns upload offsets into ledger writes, and bytes on the wire into progress reports."""

    _EVERY = 1024 * 1024  # report at most once per MiB sent

    def __init__(self, engine: SyncEngine, count: int, total_bytes: int) -> None:
        self.engine, self.count, self.total_bytes = engine, count, total_bytes
        self.index = self.before = self.done = self.inflight = self.unreported = 0
        self.photo: OutgoingPhoto | None = None
        self.confirmed = 0

    def start(self, index: int, photo: OutgoingPhoto) -> None:
        self.index, self.photo, self.before = index, photo, self.done
        self.confirmed = self.inflight = 0

    def moved(self, offset: int) -> None:
        """The server confirmed ``offset`` bytes of the current photo."""
        photo = self.photo
        assert photo is not None
        if offset < photo.size_bytes:  # the whole photo is recorded by upload_confirmed
            self.engine.ledger.upload_progress(photo.photo_id, offset)
        self.confirmed, self.inflight = max(0, offset - photo.upload_offset), 0
        self._report()

    def sent(self, n: int) -> None:
        self.inflight += n
        self.unreported += n
        if self.unreported >= self._EVERY:
            self._report()

    def _report(self) -> None:
        photo = self.photo
        assert photo is not None
        remaining = photo.size_bytes - photo.upload_offset
        self.done = self.before + min(remaining, self.confirmed + self.inflight)
        self.unreported = 0
        self.engine._emit(
            Progress(
                "photos",
                self.index,
                self.count,
                self.done,
                self.total_bytes,
                photo.original_name,
            )
        )


@contextlib.contextmanager
def _timed(report: SyncReport, phase: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[phase] = time.perf_counter() - start


def _partial_path(store: LocalStore, photo_id: str) -> Path:
    folder = Path(store.photos_dir) / ".downloads"
    folder.mkdir(exist_ok=True)
    return folder / f"{photo_id}.part"


def _receipt(result: dict[str, Any]) -> Receipt:
    return Receipt(
        change_id=str(result.get("change_id", "")),
        outcome=str(result.get("outcome", "")),
        server_revision=result.get("server_revision"),
        reason=result.get("reason"),
        current=result.get("current"),
    )


def last_sync(store: LocalStore) -> datetime | None:
    return SyncLedger(store).last_sync()
