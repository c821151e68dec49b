"""The sync side of the local store: what to send, what the server confirmed, what came back.

The sync engine (:mod:`app.sync.engine`) talks to the server; everything it learns is written
here, each answer in one transaction. Nothing is marked sent before the server's explicit
receipt, and nothing local is ever deleted: a change the server refused stays in the outbox as
``failed`` with the reason, a change that lost to the office's decision stays as ``conflict``
with the server's version beside it, until the inspector resolves it.

Delivery states (the ledger the GUI shows per case and per photo; the members of
:class:`~app.storage.states.DeliveryState`):

* cases: ``pending`` (changes not yet confirmed) → ``sending`` → ``confirmed`` (every change has
  the server's receipt; ``server_revision`` and ``confirmed_at`` say which and when), or
  ``failed`` (a change was rejected; ``delivery_error`` holds the reason) or ``conflict``;
* photos: ``pending`` → ``sending`` (an upload exists on the server; ``upload_url`` and
  ``upload_offset`` say how far it got) → ``confirmed``, or ``failed`` with the reason.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.capture.photo_errors import PhotoError
from app.domain.errors import Message
from app.domain.lifecycle import TERMINAL_STATUSES, CaseStatus
from app.storage.db import translate_errors
from app.storage.feed import (
    adopt_case_detail,
    adopt_server_state,
    apply_entry,
    feed_changes,
    known_cases,
)
from app.storage.models import (
    Case,
    OutboxEntry,
    Photo,
    SyncState,
)
from app.storage.photos import original_path, store_original, thumbnail_path, write_thumbnail
from app.storage.sites import check_counts
from app.storage.states import (
    CASE_ENTITIES,
    OPEN_DELIVERIES,
    OPEN_STATES,
    SETTLED_STATES,
    DeliveryState,
    OutboxEntity,
    OutboxState,
)
from app.storage.store import Changes, LocalStore
from app.storage.track_sync import track_counts

CURSOR_KEY = "feed_cursor"
LAST_SYNC_KEY = "last_sync"
#: A photo on the server (of a task's report) not yet downloaded to this laptop.
REMOTE = DeliveryState.REMOTE


class ReceiptOutcome(enum.StrEnum):
    """The server's answer for one pushed change."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # applied before (a resend): as good as applied
    CONFLICT = "conflict"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class OutgoingDecision:
    """A supervisor's decision as the actions endpoint takes it."""

    seq: int
    change_id: str
    case_id: str
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {**self.payload, "change_id": self.change_id}


@dataclass(frozen=True, slots=True)
class OutgoingChange:
    """A case change as the push endpoint takes it."""

    seq: int
    change_id: str
    case_id: str
    op: str
    payload: dict[str, Any]
    base_revision: int | None

    def to_json(self) -> dict[str, Any]:
        change: dict[str, Any] = {
            "change_id": self.change_id,
            "op": self.op,
            "base_revision": self.base_revision,
            "case": self.payload,
        }
        opinion = self.payload.get("opinion")
        if opinion:
            change["case"] = {k: v for k, v in self.payload.items() if k != "opinion"}
            change["opinion"] = opinion
        return change


@dataclass(frozen=True, slots=True)
class Receipt:
    """The server's answer for one change."""

    change_id: str
    outcome: str  # applied | duplicate | conflict | rejected
    server_revision: int | None = None
    reason: dict[str, str] | None = None  # code, zh, en
    current: dict[str, Any] | None = None  # the server's version of the case, on a conflict


@dataclass(frozen=True, slots=True)
class ReceiptSummary:
    confirmed: int
    conflicts: int
    rejected: int
    retry: int  # answered "try again" (a concurrent change on the server)
    changes: Changes = field(default_factory=Changes)


@dataclass(frozen=True, slots=True)
class OutgoingPhoto:
    photo_id: str
    case_id: str
    sha256: str
    mime: str
    size_bytes: int
    role: str
    original_name: str
    path: Path
    upload_url: str | None
    upload_offset: int


@dataclass(frozen=True, slots=True)
class FeedResult:
    applied: int  # entries that changed something here
    skipped: list[str]  # entries that could not be applied (seq:kind: why)
    changes: Changes = field(default_factory=Changes)


@dataclass(frozen=True, slots=True)
class DeliverySummary:
    """What is still on the laptop only — the status bar's "pending" figures."""

    pending_changes: int
    failed_changes: int
    conflicts: int
    pending_photos: int
    pending_photo_bytes: int
    failed_photos: int
    #: Stopped patrol tracks not yet whole on the server, and tracks it refused.
    pending_tracks: int = 0
    failed_tracks: int = 0
    #: Checks at key sites not yet delivered, and checks the server refused.
    pending_checks: int = 0
    failed_checks: int = 0

    @property
    def idle(self) -> bool:
        return (
            self.pending_changes == 0
            and self.pending_photos == 0
            and self.pending_tracks == 0
            and self.pending_checks == 0
        )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line of a case's delivery ledger."""

    kind: str  # change | photo
    what: str  # create/update/submit…, or the photo's file name
    state: str
    created_at: datetime
    confirmed_at: datetime | None
    server_revision: int | None
    error: str | None


def _reason_text(reason: dict[str, str] | None) -> str | None:
    if reason is None:
        return None
    return json.dumps(
        {k: reason.get(k, "") for k in ("code", "zh", "en")}, ensure_ascii=False, sort_keys=True
    )


class SyncLedger:
    """Reads and writes of the sync module, over one :class:`LocalStore`.

    Every write returns what it changed (a :class:`Changes`, or a result with ``changes``),
    except the two claims, which return the work they claimed (what a claim changed is
    :func:`claimed`).
    """

    def __init__(self, store: LocalStore) -> None:
        self.store = store

    # -- outbox: case changes --------------------------------------------------------------

    def claim_changes(self, limit: int) -> list[OutgoingChange]:
        """The oldest unsent case changes (at most ``limit``), marked ``sending``."""
        with self.store.write() as s:
            entries = list(
                s.scalars(
                    select(OutboxEntry)
                    .where(
                        OutboxEntry.entity == OutboxEntity.CASE, OutboxEntry.state.in_(OPEN_STATES)
                    )
                    .order_by(OutboxEntry.seq)
                    .limit(limit)
                )
            )
            for e in entries:
                e.state = OutboxState.SENDING
                e.attempts += 1
            case_ids = {e.entity_id for e in entries}
            if case_ids:
                s.execute(
                    update(Case)
                    .where(Case.id.in_(case_ids), Case.delivery.in_(OPEN_DELIVERIES))
                    .values(delivery=DeliveryState.SENDING)
                )
            return [
                OutgoingChange(e.seq, e.change_id, e.entity_id, e.op, e.payload, e.base_revision)
                for e in entries
            ]

    def record_receipts(self, receipts: list[Receipt], now: datetime) -> ReceiptSummary:
        """Write the server's answers for one pushed batch, in one transaction."""
        confirmed = conflicts = rejected = retry = 0
        with self.store.write() as s:
            touched: set[str] = set()
            for r in receipts:
                entry = s.scalar(select(OutboxEntry).where(OutboxEntry.change_id == r.change_id))
                if entry is None or entry.state in SETTLED_STATES:
                    continue
                case = s.scalar(select(Case).where(Case.id == entry.entity_id))
                if case is None:
                    continue
                touched.add(case.id)
                if r.outcome in (ReceiptOutcome.APPLIED, ReceiptOutcome.DUPLICATE):
                    entry.state, entry.sent_at = OutboxState.SENT, now
                    entry.last_error = entry.response = None
                    if r.server_revision is not None:
                        case.server_revision = max(case.server_revision or 0, r.server_revision)
                    confirmed += 1
                elif (
                    r.outcome == ReceiptOutcome.CONFLICT
                    and (r.reason or {}).get("code") == "concurrent_change"
                ):
                    entry.state = OutboxState.PENDING  # the server asks to try again
                    retry += 1
                elif r.outcome == ReceiptOutcome.CONFLICT and r.current is not None:
                    # The office moved the case on meanwhile: its workflow state wins; the local
                    # edit is kept beside the server's version for the inspector to resolve.
                    entry.state = OutboxState.CONFLICT
                    entry.last_error = _reason_text(r.reason)
                    entry.response = {"reason": r.reason, "current": r.current}
                    adopt_server_state(s, case, r.current)
                    conflicts += 1
                else:
                    entry.state = OutboxState.FAILED
                    entry.last_error = _reason_text(r.reason)
                    entry.response = {"reason": r.reason, "current": r.current}
                    if entry.op == "create" and case.server_revision is None:
                        # The server never took the case: it is back in the inspector's hands,
                        # to correct and submit again (the reason is in its delivery ledger).
                        case.status = CaseStatus.DRAFT.value
                        case.submitted_at = None
                    rejected += 1
            for case_id in touched:
                _settle_case(s, case_id, now)
        changes = Changes(cases=frozenset(touched), outbox=bool(touched))
        return ReceiptSummary(confirmed, conflicts, rejected, retry, changes)

    def release_claims(self) -> Changes:
        """Changes left ``sending`` by an interrupted push go back to ``pending``.

        Harmless either way: the server's ingest is idempotent, so a change it already
        applied comes back ``duplicate`` and is then marked sent.
        """
        with self.store.write() as s:
            sending = frozenset(
                s.scalars(select(Case.id).where(Case.delivery == DeliveryState.SENDING))
            )
            released = s.execute(
                update(OutboxEntry)
                .where(
                    OutboxEntry.entity.in_(CASE_ENTITIES),
                    OutboxEntry.state == OutboxState.SENDING,
                )
                .values(state=OutboxState.PENDING)
            )
            s.execute(
                update(Case)
                .where(Case.delivery == DeliveryState.SENDING)
                .values(delivery=DeliveryState.PENDING)
            )
            outbox = bool(cast("CursorResult[Any]", released).rowcount)
        return Changes(cases=sending, outbox=outbox)

    # -- outbox: supervisors' decisions ----------------------------------------------------

    def claim_decision(self) -> OutgoingDecision | None:
        """The oldest unsent decision, marked ``sending`` (decisions go one at a time, in order)."""
        with self.store.write() as s:
            e = s.scalar(
                select(OutboxEntry)
                .where(
                    OutboxEntry.entity == OutboxEntity.DECISION,
                    OutboxEntry.state.in_(OPEN_STATES),
                )
                .order_by(OutboxEntry.seq)
                .limit(1)
            )
            if e is None:
                return None
            e.state = OutboxState.SENDING
            e.attempts += 1
            return OutgoingDecision(e.seq, e.change_id, e.entity_id, dict(e.payload))

    def decision_applied(self, change_id: str, detail: dict[str, Any], now: datetime) -> Changes:
        """The server applied the decision (or had already): its case and steps are adopted."""
        with self.store.write() as s:
            entry = s.scalar(select(OutboxEntry).where(OutboxEntry.change_id == change_id))
            if entry is None:
                return Changes()
            entry.state, entry.sent_at = OutboxState.SENT, now
            entry.last_error = entry.response = None
            s.flush()
            adopt_case_detail(s, entry.entity_id, detail)
            _settle_case(s, entry.entity_id, now)
            return Changes(cases=frozenset({entry.entity_id}), steps=True, outbox=True)

    def decision_refused(
        self,
        change_id: str,
        reason: dict[str, str],
        detail: dict[str, Any] | None,
        now: datetime,
    ) -> Changes:
        """The server refused the decision: it is kept as ``failed`` with the reason, the case
        takes the server's state, and later decisions on the case (built on this one) fail too."""
        with self.store.write() as s:
            entry = s.scalar(select(OutboxEntry).where(OutboxEntry.change_id == change_id))
            if entry is None:
                return Changes()
            entry.state = OutboxState.FAILED
            entry.last_error = _reason_text(reason)
            entry.response = {"reason": reason, "current": (detail or {}).get("case")}
            later = s.scalars(
                select(OutboxEntry).where(
                    OutboxEntry.entity == OutboxEntity.DECISION,
                    OutboxEntry.entity_id == entry.entity_id,
                    OutboxEntry.seq > entry.seq,
                    OutboxEntry.state.in_(OPEN_STATES),
                )
            )
            follow = {
                "code": "earlier_decision_refused",
                "zh": "此前对该案件的操作被服务器拒绝，本操作未发送",
                "en": "An earlier decision on this case was refused; this one was not sent",
            }
            for other in later:
                other.state = OutboxState.FAILED
                other.last_error = _reason_text(follow)
                other.response = {"reason": follow, "current": None}
            s.flush()
            if detail is not None:
                adopt_case_detail(s, entry.entity_id, detail)
            _settle_case(s, entry.entity_id, now)
            return Changes(
                cases=frozenset({entry.entity_id}), steps=detail is not None, outbox=True
            )

    def conflicts(self, case_id: str | None = None) -> list[dict[str, Any]]:
        """Unresolved conflicts: the local change and the server's version, for the inspector."""
        with self.store.read() as s:
            stmt = select(OutboxEntry).where(OutboxEntry.state == OutboxState.CONFLICT)
            if case_id is not None:
                stmt = stmt.where(OutboxEntry.entity_id == case_id)
            return [
                {
                    "seq": e.seq,
                    "case_id": e.entity_id,
                    "op": e.op,
                    "mine": e.payload,
                    "server": (e.response or {}).get("current"),
                    "reason": (e.response or {}).get("reason"),
                }
                for e in s.scalars(stmt.order_by(OutboxEntry.seq))
            ]

    def resolve_conflict(self, seq: int, now: datetime) -> Changes:
        """Take the server's version: the local change is kept in the outbox as ``resolved``."""
        with self.store.write() as s:
            entry = s.get(OutboxEntry, seq)
            if entry is None or entry.state != OutboxState.CONFLICT:
                return Changes()
            case = s.scalar(select(Case).where(Case.id == entry.entity_id))
            current = (entry.response or {}).get("current")
            if case is not None and current:
                for name in ("category_code", "description", "address", "urgency"):
                    if name in current:
                        setattr(case, name, current[name])
                for name in ("lat", "lon", "accuracy_m"):
                    if name in current:
                        setattr(case, name, current[name])
            entry.state = OutboxState.RESOLVED
            if case is None:
                return Changes(outbox=True)
            _settle_case(s, case.id, now)
            return Changes(cases=frozenset({case.id}), outbox=True)

    # -- photos ----------------------------------------------------------------------------

    def pending_photos(self) -> list[OutgoingPhoto]:
        """Photos not yet confirmed whose case the server already has, oldest first."""
        with self.store.read() as s:
            rows = s.execute(
                select(Photo)
                .join(Case, Case.id == Photo.case_id)
                .where(Photo.delivery.in_(OPEN_DELIVERIES), Case.server_revision.is_not(None))
                .order_by(Photo.created_at, Photo.id)
            ).scalars()
            return [self._outgoing(p) for p in rows]

    def pending_photo(self, photo_id: str) -> OutgoingPhoto | None:
        """The photo as the store has it now, or None once it is no longer waiting."""
        with self.store.read() as s:
            p = s.get(Photo, photo_id)
            if p is None or p.delivery not in OPEN_DELIVERIES:
                return None
            return self._outgoing(p)

    def _outgoing(self, p: Photo) -> OutgoingPhoto:
        return OutgoingPhoto(
            p.id,
            p.case_id,
            p.sha256,
            p.mime,
            p.size_bytes,
            p.role,
            p.original_name,
            original_path(self.store.photos_dir, p.sha256, p.mime),
            p.upload_url,
            p.upload_offset,
        )

    def upload_created(self, photo_id: str, url: str, offset: int) -> Changes:
        return self._photo(
            photo_id, delivery=DeliveryState.SENDING, upload_url=url, upload_offset=offset
        )

    def upload_progress(self, photo_id: str, offset: int) -> Changes:
        return self._photo(photo_id, upload_offset=offset)

    def upload_forgotten(self, photo_id: str) -> Changes:
        """The server no longer has the upload (expired, or its data was lost): start over."""
        return self._photo(
            photo_id, delivery=DeliveryState.PENDING, upload_url=None, upload_offset=0
        )

    def upload_confirmed(self, photo_id: str, now: datetime) -> Changes:
        with self.store.write() as s:
            photo = s.get(Photo, photo_id)
            if photo is None:
                return Changes()
            photo.delivery, photo.confirmed_at = DeliveryState.CONFIRMED, now
            photo.delivery_error = None
            photo.upload_offset = photo.size_bytes
            s.execute(
                update(OutboxEntry)
                .where(OutboxEntry.entity == OutboxEntity.PHOTO, OutboxEntry.entity_id == photo_id)
                .values(state=OutboxState.SENT, sent_at=now, last_error=None)
            )
        return Changes(photos=frozenset({photo_id}), outbox=True)

    def upload_failed(self, photo_id: str, reason: dict[str, str]) -> Changes:
        """The server refused the photo itself (retrying will not help)."""
        with self.store.write() as s:
            photo = s.get(Photo, photo_id)
            if photo is None:
                return Changes()
            photo.delivery, photo.delivery_error = DeliveryState.FAILED, _reason_text(reason)
            s.execute(
                update(OutboxEntry)
                .where(OutboxEntry.entity == OutboxEntity.PHOTO, OutboxEntry.entity_id == photo_id)
                .values(state=OutboxState.FAILED, last_error=_reason_text(reason))
            )
        return Changes(photos=frozenset({photo_id}), outbox=True)

    def _photo(self, photo_id: str, **values: Any) -> Changes:
        with self.store.write() as s:
            s.execute(update(Photo).where(Photo.id == photo_id).values(**values))
        return Changes(photos=frozenset({photo_id}))

    # -- photos of others' reports (re-inspection tasks) ---------------------------------

    def remote_photos(self) -> list[OutgoingPhoto]:
        """Photos on the server that this laptop has not downloaded yet."""
        with self.store.read() as s:
            rows = s.scalars(
                select(Photo).where(Photo.delivery == REMOTE).order_by(Photo.created_at, Photo.id)
            )
            return [self._outgoing(p) for p in rows]

    def store_download(self, photo_id: str, downloaded: Path, now: datetime) -> Changes:
        """Check a downloaded photo against its SHA-256, keep it and its thumbnail, record it.

        Raises :class:`~app.capture.photos.PhotoError` for bytes that are not the photo.
        """
        with self.store.read() as s:
            photo = s.get(Photo, photo_id)
            if photo is None or photo.delivery != REMOTE:
                return Changes()
            sha256, mime = photo.sha256, photo.mime
        from app.capture.photos import inspect_with_thumbnail  # Pillow: only here

        info, thumbnail = inspect_with_thumbnail(downloaded)
        if info.sha256 != sha256:
            raise PhotoError(
                "download_mismatch",
                Message(
                    "下载的照片与服务器记录的校验值不符",
                    "The downloaded photo does not match the server's checksum",
                ),
            )
        with translate_errors(self.store.data_dir):
            store_original(downloaded, self.store.photos_dir, sha256=sha256, mime=mime)
            write_thumbnail(self.store.photos_dir, sha256, thumbnail)
        with self.store.write() as s:
            photo = s.get(Photo, photo_id)
            if photo is None:
                return Changes()
            photo.delivery, photo.confirmed_at = DeliveryState.CONFIRMED, now
            photo.width, photo.height = info.display_width, info.display_height
            photo.taken_at, photo.lat, photo.lon = info.taken_at, info.gps_lat, info.gps_lon
            photo.orientation, photo.make, photo.model = info.orientation, info.make, info.model
        return Changes(photos=frozenset({photo_id}))

    def has_thumbnail(self, photo: OutgoingPhoto) -> bool:
        return thumbnail_path(self.store.photos_dir, photo.sha256).exists()

    def store_thumbnail(self, photo_id: str, data: bytes) -> Changes:
        """Keep a remote photo's thumbnail (from the server) until its original is fetched."""
        with self.store.read() as s:
            photo = s.get(Photo, photo_id)
            if photo is None or photo.delivery != REMOTE:
                return Changes()
            sha256 = photo.sha256
        write_thumbnail(self.store.photos_dir, sha256, data)
        return Changes(photos=frozenset({photo_id}))

    def open_cases(self, case_ids: set[str]) -> set[str]:
        """Which of ``case_ids`` are still being worked on (not closed, evaluated, void or
        rejected): the office keeps their photos' originals."""
        done = [s.value for s in (*TERMINAL_STATUSES, CaseStatus.CLOSED)]
        with self.store.read() as s:
            return set(
                s.scalars(select(Case.id).where(Case.id.in_(case_ids), Case.status.not_in(done)))
            )

    def download_failed(self, photo_id: str, reason: dict[str, str]) -> Changes:
        """The server will not give this photo (gone, or no longer ours to see)."""
        return self._photo(
            photo_id, delivery=DeliveryState.UNAVAILABLE, delivery_error=_reason_text(reason)
        )

    # -- the change feed -------------------------------------------------------------------

    def feed_cursor(self) -> int:
        with self.store.read() as s:
            row = s.get(SyncState, CURSOR_KEY)
            return int(row.value) if row is not None else 0

    def apply_feed(self, entries: list[dict[str, Any]], cursor: int, user_id: str) -> FeedResult:
        """Apply one page of the feed and move the cursor past it, in one transaction.

        Applying an entry twice changes nothing (every row is keyed by the server's id), so a
        page re-read after a crash is harmless.
        """
        applied, skipped = 0, []
        changes = Changes()
        with self.store.write() as s:
            known = known_cases(s, entries)
            for entry in entries:
                try:
                    with s.begin_nested():
                        n = apply_entry(s, entry, user_id)
                except (SQLAlchemyError, KeyError, TypeError, ValueError) as exc:
                    # One entry this version cannot apply must not stop the feed for good.
                    skipped.append(f"{entry.get('seq')}:{entry.get('kind')}: {exc}"[:300])
                    continue
                applied += n
                if n:
                    changes |= feed_changes(entry, known)
            s.merge(SyncState(key=CURSOR_KEY, value=str(cursor)))
        return FeedResult(applied, skipped, changes)

    def reset_cursor(self) -> Changes:
        """Read the feed from the start again (another account signed in on this laptop)."""
        with self.store.write() as s:
            s.merge(SyncState(key=CURSOR_KEY, value="0"))
        return Changes()  # sync bookkeeping: nothing a view shows

    # -- summary ---------------------------------------------------------------------------

    def set_last_sync(self, at: datetime) -> Changes:
        with self.store.write() as s:
            s.merge(SyncState(key=LAST_SYNC_KEY, value=at.isoformat()))
        return Changes()  # sync bookkeeping: the status bar reads it from the sync's report

    def last_sync(self) -> datetime | None:
        with self.store.read() as s:
            row = s.get(SyncState, LAST_SYNC_KEY)
            return datetime.fromisoformat(row.value) if row is not None else None

    def summary(self) -> DeliverySummary:
        with self.store.read() as s:
            by_state = dict(
                s.execute(
                    select(OutboxEntry.state, func.count())
                    .where(OutboxEntry.entity.in_(CASE_ENTITIES))
                    .group_by(OutboxEntry.state)
                ).all()
            )
            photos = s.execute(
                select(
                    func.count(), func.coalesce(func.sum(Photo.size_bytes - Photo.upload_offset), 0)
                ).where(Photo.delivery.in_(OPEN_DELIVERIES))
            ).one()
            failed_photos = s.scalar(
                select(func.count())
                .select_from(Photo)
                .where(Photo.delivery == DeliveryState.FAILED)
            )
            pending_tracks, failed_tracks = track_counts(s)
            pending_checks, failed_checks = check_counts(s)
            return DeliverySummary(
                pending_checks=pending_checks,
                failed_checks=failed_checks,
                pending_tracks=pending_tracks,
                failed_tracks=failed_tracks,
                pending_changes=sum(by_state.get(state, 0) for state in OPEN_STATES),
                failed_changes=by_state.get(OutboxState.FAILED, 0),
                conflicts=by_state.get(OutboxState.CONFLICT, 0),
                pending_photos=int(photos[0]),
                pending_photo_bytes=int(photos[1]),
                failed_photos=int(failed_photos or 0),
            )

    def case_ledger(self, case_id: str) -> list[LedgerEntry]:
        """What the server has confirmed of one case, change by change and photo by photo."""
        with self.store.read() as s:
            lines = [
                LedgerEntry(
                    "change",
                    e.op,
                    e.state,
                    e.created_at,
                    e.sent_at,
                    e.base_revision,
                    e.last_error,
                )
                for e in s.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.entity.in_(CASE_ENTITIES), OutboxEntry.entity_id == case_id)
                    .order_by(OutboxEntry.seq)
                )
            ]
            lines += [
                LedgerEntry(
                    "photo",
                    p.original_name or p.sha256[:12],
                    p.delivery,
                    p.created_at,
                    p.confirmed_at,
                    None,
                    p.delivery_error,
                )
                for p in s.scalars(
                    select(Photo).where(Photo.case_id == case_id).order_by(Photo.created_at)
                )
            ]
            return lines


def claimed(work: list[OutgoingChange] | OutgoingDecision | None) -> Changes:
    """What a claim changed: the claimed entries are ``sending`` (and a case change's case)."""
    if work is None or work == []:
        return Changes()
    if isinstance(work, OutgoingDecision):
        return Changes(outbox=True)
    return Changes(cases=frozenset(c.case_id for c in work), outbox=True)


# -- helpers ----------------------------------------------------------------------------------


def _settle_case(s: Session, case_id: str, now: datetime) -> None:
    """Derive a case's delivery state from its outbox entries."""
    case = s.scalar(select(Case).where(Case.id == case_id))
    if case is None:
        return
    states = set(
        s.scalars(
            select(OutboxEntry.state).where(
                OutboxEntry.entity.in_(CASE_ENTITIES), OutboxEntry.entity_id == case_id
            )
        )
    )
    if OutboxState.CONFLICT in states:
        case.delivery = DeliveryState.CONFLICT
    elif OutboxState.FAILED in states:
        case.delivery = DeliveryState.FAILED
        case.delivery_error = s.scalar(
            select(OutboxEntry.last_error)
            .where(OutboxEntry.entity_id == case_id, OutboxEntry.state == OutboxState.FAILED)
            .order_by(OutboxEntry.seq)  # the first refusal: the later ones follow from it
            .limit(1)
        )
    elif states & set(OPEN_STATES):
        case.delivery = DeliveryState.PENDING
    else:
        case.delivery, case.confirmed_at = DeliveryState.CONFIRMED, now
        case.delivery_error = None
