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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.capture.photos import PhotoError, inspect_with_thumbnail
from app.domain.contract import FeedKind
from app.domain.errors import Message
from app.domain.lifecycle import TRANSITIONS, Action, CaseStatus
from app.storage.changelog import record_step
from app.storage.db import translate_errors
from app.storage.models import (
    CalendarDay,
    Case,
    CaseStep,
    Comment,
    Department,
    OutboxEntry,
    Photo,
    SyncState,
    TimeLimit,
    User,
)
from app.storage.photos import original_path, store_original, write_thumbnail
from app.storage.states import (
    CASE_ENTITIES,
    OPEN_DELIVERIES,
    OPEN_STATES,
    SETTLED_STATES,
    DeliveryState,
    OutboxEntity,
    OutboxState,
)
from app.storage.store import Changes, LocalStore, index_case

CURSOR_KEY = "feed_cursor"
#: What the server last announced of its category table (see _on_taxonomy).
TAXONOMY_KEY = "server_taxonomy"
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

    @property
    def idle(self) -> bool:
        return self.pending_changes == 0 and self.pending_photos == 0


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
                    _adopt_server_state(s, case, r.current)
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
            _adopt_case_detail(s, entry.entity_id, detail)
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
                _adopt_case_detail(s, entry.entity_id, detail)
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
            known = _known_cases(s, entries)
            for entry in entries:
                try:
                    with s.begin_nested():
                        n = _apply_entry(s, entry, user_id)
                except (SQLAlchemyError, KeyError, TypeError, ValueError) as exc:
                    # One entry this version cannot apply must not stop the feed for good.
                    skipped.append(f"{entry.get('seq')}:{entry.get('kind')}: {exc}"[:300])
                    continue
                applied += n
                if n:
                    changes |= _feed_changes(entry, known)
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
            return DeliverySummary(
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

#: Feed kinds that carry a case (and may add its step and its report's photos).
_CASE_KINDS = ("case", "decision", "task")
#: Feed kinds of reference data.
_REFERENCE_KINDS = ("user", "department", "time_limit", "calendar_day")


def _known_cases(s: Session, entries: list[dict[str, Any]]) -> frozenset[str]:
    """Which of the cases a feed page carries this laptop has already (one query a page)."""
    ids = {str(e.get("entity_id", "")) for e in entries if e.get("kind") in _CASE_KINDS}
    if not ids:
        return frozenset()
    return frozenset(s.scalars(select(Case.id).where(Case.id.in_(ids))))


def _feed_changes(entry: dict[str, Any], known: frozenset[str]) -> Changes:
    """What an applied feed entry may have changed, by its kind (erring on the side of more:
    a view refreshed for nothing costs less than a stale one)."""
    kind = entry.get("kind")
    payload: dict[str, Any] = entry.get("payload") or {}
    entity_id = str(entry.get("entity_id", ""))
    if kind in _CASE_KINDS:
        photos = frozenset(
            str(p["photo_id"])
            for p in payload.get("photos") or []
            if isinstance(p, dict) and p.get("photo_id")
        )
        created = frozenset() if entity_id in known else frozenset({entity_id})
        return Changes(cases=frozenset({entity_id}), created=created, steps=True, photos=photos)
    if kind == "comment":
        return Changes(cases=frozenset({str(payload.get("case_id") or entity_id)}))
    if kind == "photo":
        photo = frozenset({str(payload.get("photo_id", ""))})
        return Changes(cases=frozenset({str(payload.get("case_id", ""))}), photos=photo)
    if kind in _REFERENCE_KINDS:
        return Changes(reference=True)
    return Changes()


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


def _adopt_server_state(s: Session, case: Case, current: dict[str, Any]) -> None:
    """The server's workflow state wins: status, revision, department, deadline, assignee."""
    status = current.get("status")
    if status in {c.value for c in CaseStatus}:
        case.status = status
    revision = current.get("revision")
    if isinstance(revision, int):
        case.server_revision = max(case.server_revision or 0, revision)
    _set_department(s, case, current.get("department_id"))
    case.deadline = _time(current.get("deadline"))
    case.assignee_id = current.get("assignee_id")


def _set_department(s: Session, case: Case, department_id: str | None) -> None:
    # Only a department this laptop knows (they arrive through the feed before their cases).
    if department_id is None or s.get(Department, department_id) is not None:
        case.department_id = department_id


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _apply_entry(s: Session, entry: dict[str, Any], user_id: str) -> int:
    try:
        kind = FeedKind(str(entry.get("kind")))
    except ValueError:
        return 0  # a kind newer than this app: skipped, the cursor moves on
    payload: dict[str, Any] = entry.get("payload") or {}
    feed = _Entry(str(entry.get("entity_id", "")), payload, _time(entry.get("at")), user_id)
    return _HANDLERS[kind](s, feed)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One feed entry as its handler gets it (``user_id``: the account syncing)."""

    entity_id: str
    payload: dict[str, Any]
    at: datetime | None
    user_id: str


def _on_decision(s: Session, e: _Entry) -> int:
    return _apply_decision(s, e.entity_id, e.payload, e.at)


def _on_task(s: Session, e: _Entry) -> int:
    payload = e.payload
    step_id = payload.get("step_id")
    if step_id and s.get(CaseStep, step_id) is not None:
        # Applied before — or this inspector reported the case and its "decision" entry
        # (same step) came first. The task's own parts are still kept: the assignment and
        # the report's photos; the status is not touched (a feed read again must not undo
        # later local work).
        return _keep_task_parts(s, e.entity_id, payload, e.user_id, e.at)
    existing = s.scalar(select(Case).where(Case.id == e.entity_id))
    source = existing.status if existing is not None else _source_of(payload.get("event"))
    if payload.get("case") and _newer(existing, payload.get("revision")):
        _upsert_case(s, payload["case"], e.user_id)
    applied = _apply_decision(s, e.entity_id, payload, e.at, source=source)
    if applied:
        _remember_remote_photos(s, e.entity_id, payload.get("photos") or [], e.at)
    return applied


def _on_comment(s: Session, e: _Entry) -> int:
    payload = e.payload
    comment_id = str(payload.get("id") or payload.get("comment_id") or "")
    if not comment_id or s.get(Comment, comment_id) is not None:
        return 0
    s.add(
        Comment(
            id=comment_id,
            case_id=str(payload.get("case_id") or e.entity_id),
            author_name=str(payload.get("author_name") or payload.get("author") or ""),
            role=str(payload.get("role") or ""),
            text=str(payload.get("text") or ""),
            at=_time(payload.get("at")) or e.at,
        )
    )
    return 1


def _on_case(s: Session, e: _Entry) -> int:
    return _apply_case_event(s, e.entity_id, e.payload)


def _on_photo(s: Session, e: _Entry) -> int:
    payload = e.payload
    if s.scalar(select(Case.id).where(Case.id == str(payload.get("case_id", "")))) is None:
        return 0  # a photo of a case this laptop does not keep
    before = s.get(Photo, str(payload.get("photo_id", "")))
    _remember_remote_photos(s, str(payload["case_id"]), [payload], e.at)
    return int(before is None)


def _on_user(s: Session, e: _Entry) -> int:
    payload = e.payload
    user = s.get(User, e.entity_id) or User(id=e.entity_id)
    user.username = str(payload.get("username") or f"user-{e.entity_id[-12:]}")
    user.display_name = str(payload.get("display_name") or "")
    user.role = str(payload.get("role") or "")
    user.active = bool(payload.get("active", True))
    s.add(user)
    return 1


def _on_calendar_day(s: Session, e: _Entry) -> int:
    day = s.get(CalendarDay, e.entity_id)
    if e.payload.get("deleted"):
        if day is not None:
            s.delete(day)
        return 1
    day = day or CalendarDay(day=e.entity_id)
    day.working = bool(e.payload.get("working"))
    day.name = str(e.payload.get("name") or "")
    s.add(day)
    return 1


def _on_department(s: Session, e: _Entry) -> int:
    payload = e.payload
    department = s.get(Department, e.entity_id) or Department(id=e.entity_id)
    department.code = str(payload.get("code", ""))
    department.name = str(payload.get("name", ""))
    department.name_en = str(payload.get("name_en", ""))
    department.active = bool(payload.get("active", True))
    s.add(department)
    return 1


def _on_time_limit(s: Session, e: _Entry) -> int:
    payload = e.payload
    rule = s.get(TimeLimit, e.entity_id)
    if payload.get("deleted"):
        if rule is not None:
            s.delete(rule)
        return 1
    rule = rule or TimeLimit(id=e.entity_id)
    rule.category_code = payload.get("category_code")
    rule.urgency = payload.get("urgency")
    rule.amount = int(payload.get("amount", 0))
    rule.unit = str(payload.get("unit", ""))
    s.add(rule)
    return 1


def _on_taxonomy(s: Session, e: _Entry) -> int:
    """The server's category table was replaced: recorded, deliberately not applied.

    The entry carries only how many categories came from which file, not the table, and the
    local store has no category table: the app validates with the bundled GB/T 47678.5 table
    (``LocalStore.taxonomy``), and the server refuses a category it does not know with a reason
    the inspector sees. What the server announced is kept (``server_taxonomy`` in sync_state)
    so that a later version can fetch the city's table and a support person can see the
    mismatch; nothing else changes.
    """
    record = {"count": e.payload.get("count"), "source": e.payload.get("source")}
    if e.at is not None:
        record["at"] = e.at.isoformat()
    s.merge(SyncState(key=TAXONOMY_KEY, value=json.dumps(record, ensure_ascii=False)))
    return 1


#: How each feed kind is applied (every FeedKind has one: tests/test_layering.py checks it).
_HANDLERS: dict[FeedKind, Callable[[Session, _Entry], int]] = {
    FeedKind.DECISION: _on_decision,
    FeedKind.TASK: _on_task,
    FeedKind.COMMENT: _on_comment,
    FeedKind.CASE: _on_case,
    FeedKind.PHOTO: _on_photo,
    FeedKind.USER: _on_user,
    FeedKind.CALENDAR_DAY: _on_calendar_day,
    FeedKind.DEPARTMENT: _on_department,
    FeedKind.TIME_LIMIT: _on_time_limit,
    FeedKind.TAXONOMY: _on_taxonomy,
}


def feed_handlers() -> frozenset[FeedKind]:
    """The feed kinds this client applies."""
    return frozenset(_HANDLERS)


def _keep_task_parts(
    s: Session, case_id: str, payload: dict[str, Any], user_id: str, at: datetime | None
) -> int:
    case = s.scalar(select(Case).where(Case.id == case_id))
    if case is None:
        return 0
    assignee = (payload.get("case") or {}).get("assignee_id") or user_id
    changed = int(case.assignee_id != assignee)
    if _newer(case, payload.get("revision")) or case.assignee_id is None:
        case.assignee_id = assignee
    _remember_remote_photos(s, case_id, payload.get("photos") or [], at)
    return changed


def _remember_remote_photos(
    s: Session, case_id: str, photos: list[dict[str, Any]], at: datetime | None
) -> None:
    """Photos of a task's report: recorded as ``remote`` until the sync downloads them."""
    for p in photos:
        photo_id = str(p.get("photo_id") or "")
        sha256 = str(p.get("sha256") or "")
        if not photo_id or len(sha256) != 64 or s.get(Photo, photo_id) is not None:
            continue  # known already (this inspector's own photo, say)
        if s.scalar(select(Photo.id).where(Photo.case_id == case_id, Photo.sha256 == sha256)):
            continue
        s.add(
            Photo(
                id=photo_id,
                case_id=case_id,
                sha256=sha256,
                mime=str(p.get("mime") or "image/jpeg"),
                size_bytes=int(p.get("size_bytes") or 0),
                role=str(p.get("role") or "before"),
                original_name="",
                created_at=at or datetime.now(UTC),
                delivery=REMOTE,
                upload_offset=0,
            )
        )


def _newer(case: Case | None, revision: Any) -> bool:
    """Whether a server revision is newer than what this laptop has of the case."""
    if case is None or not isinstance(revision, int):
        return True
    return revision > (case.server_revision or 0)


def _source_of(event: Any) -> str | None:
    """The status a case must have been in for ``event`` (for a case new on this laptop)."""
    try:
        sources = TRANSITIONS[Action(event)].sources
    except (KeyError, ValueError):
        return None
    return next(iter(sorted(sources))).value if len(sources) == 1 else None


def _apply_decision(
    s: Session,
    case_id: str,
    payload: dict[str, Any],
    at: datetime | None,
    *,
    source: str | None = None,
) -> int:
    case = s.scalar(select(Case).where(Case.id == case_id))
    status = payload.get("status")
    if case is None or status not in {c.value for c in CaseStatus}:
        return 0
    step_id = payload.get("step_id")
    if step_id and s.get(CaseStep, step_id) is not None:
        return 0  # applied before
    from_status = source or case.status
    revision = payload.get("revision")
    if _newer(case, revision):
        case.status = status
        if isinstance(revision, int):
            case.server_revision = revision
    # else: older than what this laptop has (its own later change was confirmed meanwhile):
    # the step still joins the history, the state stays.
    if step_id:
        record_step(
            s,
            case.id,
            str(payload.get("event", "")),
            from_status,
            status,
            role=str(payload.get("role", "supervisor")),
            at=at or case.updated_at,
            opinion=str(payload.get("opinion") or ""),
            step_id=step_id,
        )
    return 1


def _upsert_case(s: Session, data: dict[str, Any], user_id: str | None) -> None:
    """A case from the server (a re-inspection task, or a supervisor's queue): inserted, or its
    server fields refreshed. ``user_id``: the inspector a task without an assignee is for."""
    case = s.scalar(select(Case).where(Case.id == data["id"]))
    author_id = data.get("author_id")
    if author_id and s.get(User, author_id) is None:
        s.add(User(id=author_id, username=f"user-{author_id[-12:]}", role="inspector"))
        s.flush()  # before the case that refers to it
    created = _time(data.get("created_at")) or datetime.now(UTC)
    if case is None:
        case = Case(
            id=data["id"],
            created_at=created,
            revision=1,
            delivery=DeliveryState.CONFIRMED,
            confirmed_at=_time(data.get("updated_at")),
        )
        s.add(case)
    for name in ("category_code", "description", "address", "urgency", "lat", "lon", "accuracy_m"):
        if name in data:
            setattr(case, name, data[name])
    case.position_source = data.get("position_source")
    case.observed_at = _time(data.get("observed_at"))
    case.submitted_at = _time(data.get("submitted_at"))
    case.updated_at = _time(data.get("updated_at")) or created
    case.author_id = author_id
    case.deadline = _time(data.get("deadline"))
    case.assignee_id = data.get("assignee_id") or user_id
    case.grid_code = data.get("grid_code")
    _set_department(s, case, data.get("department_id"))
    status = data.get("status")
    if status in {c.value for c in CaseStatus}:
        case.status = status
    s.flush()
    index_case(s, case)  # found by search like any case


def _apply_case_event(s: Session, case_id: str, payload: dict[str, Any]) -> int:
    """A supervisor's feed entry: a case moved (submitted, accepted, dispatched …).

    The entry carries the whole case and the step; the case is inserted or refreshed when the
    entry is newer than what this laptop has, and the step joins the case's log once. While a
    decision taken here is still on its way, the case keeps its local state (the decision's
    answer settles it).
    """
    data = payload.get("case")
    if not isinstance(data, dict) or data.get("id") != case_id:
        return 0  # an entry of an older server, without the case: nothing to keep
    case = s.scalar(select(Case).where(Case.id == case_id))
    waiting = case is not None and s.scalar(
        select(OutboxEntry.seq).where(
            OutboxEntry.entity == OutboxEntity.DECISION,
            OutboxEntry.entity_id == case_id,
            OutboxEntry.state.in_(OPEN_STATES),
        )
    )
    changed = 0
    if not waiting and _newer(case, data.get("revision")):
        _upsert_case(s, data, None)
        refreshed = s.scalar(select(Case).where(Case.id == case_id))
        if refreshed is not None and isinstance(data.get("revision"), int):
            refreshed.server_revision = data["revision"]
        changed = 1
    step = payload.get("step")
    if isinstance(step, dict):
        changed |= _add_step(s, case_id, step)
    return changed


def _add_step(s: Session, case_id: str, step: dict[str, Any]) -> int:
    """A step of the server's log, added once (keyed by the server's step id)."""
    step_id = str(step.get("id") or "")
    if not step_id or s.get(CaseStep, step_id) is not None:
        return 0
    if s.scalar(select(Case.id).where(Case.id == case_id)) is None:
        return 0
    record_step(
        s,
        case_id,
        str(step.get("action", "")),
        str(step.get("from_status", "")),
        str(step.get("to_status", "")),
        role=str(step.get("role", "")),
        at=_time(step.get("at")) or datetime.now(UTC),
        actor_id=step.get("actor_id"),
        opinion=str(step.get("opinion") or ""),
        department_id=step.get("department_id"),
        deadline=_time(step.get("deadline")),
        assignee_id=step.get("assignee_id"),
        step_id=step_id,
    )
    return 1


def _adopt_case_detail(s: Session, case_id: str, detail: dict[str, Any]) -> None:
    """The server's answer to a decision (the case with its whole log) written locally."""
    data = detail.get("case")
    case = s.scalar(select(Case).where(Case.id == case_id))
    if isinstance(data, dict) and case is not None:
        waiting = s.scalar(
            select(OutboxEntry.seq).where(
                OutboxEntry.entity == OutboxEntity.DECISION,
                OutboxEntry.entity_id == case_id,
                OutboxEntry.state.in_(OPEN_STATES),
            )
        )
        revision = data.get("revision")
        if isinstance(revision, int):
            case.server_revision = max(case.server_revision or 0, revision)
        if not waiting:  # later decisions taken here are still on their way: keep their state
            _adopt_server_state(s, case, data)
    for step in detail.get("steps") or []:
        if isinstance(step, dict):
            _add_step(s, case_id, step)
