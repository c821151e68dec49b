"""The write rules of app.storage.changelog, and the Changes every ledger write returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from test_inbox import signed_in_offline, task_entry

from app.domain import CaseFields
from app.domain.ids import new_id
from app.storage import DeliveryState, LocalStore, OutboxEntity, OutboxState
from app.storage.changelog import enqueue, record_step, touch_revision
from app.storage.ledger import Receipt, ReceiptOutcome, SyncLedger, claimed
from app.storage.models import CaseStep, OutboxEntry
from app.storage.store import Changes, require_case


def test_enqueue_writes_a_pending_entry_of_any_entity(store: LocalStore) -> None:
    now = datetime.now(UTC)
    with store.write() as s:
        entry = enqueue(s, OutboxEntity.TRACK, "t-1", "upload", {"id": "t-1"}, now=now)
    with store.read() as s:
        row = s.scalar(select(OutboxEntry).where(OutboxEntry.change_id == entry.change_id))
        assert row is not None
        assert (row.entity, row.state, row.attempts, row.base_revision) == (
            "track",
            "pending",
            0,
            None,
        )
        assert row.payload == {"id": "t-1"}


def test_touch_revision_and_record_step(store: LocalStore) -> None:
    case_id = store.create_case(CaseFields(description="井盖")).id
    later = datetime.now(UTC) + timedelta(minutes=5)
    with store.write() as s:
        case = require_case(s, case_id)
        case.delivery = DeliveryState.CONFIRMED
        revision = case.revision
        touch_revision(case, later)
        assert (case.revision, case.updated_at, case.delivery) == (revision + 1, later, "pending")
        step = record_step(s, case_id, "submit", "draft", "submitted", role="inspector", at=later)
    with store.read() as s:
        saved = s.get(CaseStep, step.id)
        assert saved is not None
        assert (saved.action, saved.opinion, saved.attachments) == ("submit", "", [])


def test_enum_members_are_the_stored_strings(store: LocalStore) -> None:
    case_id = store.create_case(CaseFields(description="路灯")).id
    assert store.get_case(case_id).delivery == DeliveryState.PENDING == "pending"
    assert store.pending_outbox()[0][2] == case_id
    assert OutboxState.SENT == "sent" and OutboxEntity.DECISION == "decision"


def test_ledger_writes_say_what_they_changed(store: LocalStore) -> None:
    case_id = store.create_case(CaseFields(description="暴露垃圾")).id
    ledger = SyncLedger(store)
    batch = ledger.claim_changes(10)
    assert claimed(batch) == Changes(cases=frozenset({case_id}), outbox=True)
    assert claimed([]) == Changes()
    assert ledger.release_claims() == Changes(cases=frozenset({case_id}), outbox=True)
    assert ledger.release_claims() == Changes()
    batch = ledger.claim_changes(10)
    summary = ledger.record_receipts(
        [Receipt(batch[0].change_id, ReceiptOutcome.APPLIED, server_revision=1)],
        datetime.now(UTC),
    )
    assert summary.confirmed == 1
    assert summary.changes == Changes(cases=frozenset({case_id}), outbox=True)
    assert store.get_case(case_id).delivery == DeliveryState.CONFIRMED


def test_feed_says_which_cases_it_brought_and_which_are_new(store: LocalStore) -> None:
    me = signed_in_offline(store)
    task = new_id()
    result = SyncLedger(store).apply_feed([task_entry(1, task, me, datetime.now(UTC))], 1, me)
    assert result.applied == 1
    assert result.changes.cases == {task} and result.changes.created == {task}
    assert result.changes.steps
    reference = {
        "seq": 2,
        "kind": "department",
        "entity_id": new_id(),
        "at": datetime.now(UTC).isoformat(),
        "payload": {"code": "HW", "name": "环卫", "name_en": "Sanitation"},
    }
    again = SyncLedger(store).apply_feed([reference], 2, me)
    assert again.changes == Changes(reference=True)
