"""The local store API against a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from app.domain import CaseFields, CaseStatus, DomainError, TransitionError, ValidationError
from app.storage import CaseQuery, LocalStore
from app.storage.photos import PhotoError

GARBAGE = CaseFields(
    category_code="06010",
    description="人民路与解放路交叉口暴露垃圾堆积约2立方米",
    address="鼓楼区人民路12号",
    lat=32.05,
    lon=118.78,
    accuracy_m=6.0,
)


def make_png(path: Path, colour: tuple[int, int, int] = (10, 120, 200)) -> Path:
    Image.new("RGB", (40, 30), colour).save(path, format="PNG")
    return path


def raw(store: LocalStore, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(store.data_dir / "citypatrol.db") as conn:
        return conn.execute(sql, args).fetchall()


def test_create_case_returns_what_changed_and_writes_its_outbox_entry(store: LocalStore) -> None:
    created = store.create_case(GARBAGE)
    assert created.changes.created == {created.id}
    assert created.changes.cases == {created.id}
    assert created.changes.outbox
    row = store.get_case(created.id)
    assert row.status is CaseStatus.DRAFT
    assert row.description == GARBAGE.description
    assert row.delivery == "pending"
    assert [(e[2], e[3]) for e in store.pending_outbox()] == [(created.id, "create")]
    payload = raw(store, "SELECT payload FROM outbox WHERE entity_id = ?", created.id)[0][0]
    assert json.loads(str(payload))["description"] == GARBAGE.description


def test_submit_appends_a_step_and_an_outbox_entry(store: LocalStore) -> None:
    created = store.create_case(GARBAGE)
    changes = store.submit_case(created.id)
    assert changes.steps and changes.outbox and changes.cases == {created.id}
    row = store.get_case(created.id)
    assert row.status is CaseStatus.SUBMITTED
    assert row.submitted_at is not None
    steps = store.steps(created.id)
    assert [(s.action, s.from_status, s.to_status, s.role) for s in steps] == [
        ("submit", "draft", "submitted", "inspector")
    ]
    assert [e[3] for e in store.pending_outbox()] == ["create", "submit"]


def test_submit_of_an_incomplete_draft_lists_every_missing_field(store: LocalStore) -> None:
    created = store.create_case(CaseFields(description=""))
    with pytest.raises(ValidationError) as info:
        store.submit_case(created.id)
    assert {e.field for e in info.value.errors} == {"category_code", "description", "position"}
    assert store.get_case(created.id).status is CaseStatus.DRAFT
    assert store.steps(created.id) == []
    assert [e[3] for e in store.pending_outbox()] == ["create"]


def test_submitted_case_cannot_be_edited_or_submitted_again(store: LocalStore) -> None:
    created = store.create_case(GARBAGE)
    store.submit_case(created.id)
    with pytest.raises(DomainError) as edit:
        store.update_case(created.id, GARBAGE)
    assert edit.value.code == "not_editable"
    assert "已上报" in edit.value.text("zh_CN")
    with pytest.raises(TransitionError):
        store.submit_case(created.id)
    assert store.get_case(created.id).revision == 2


def test_update_of_a_draft_bumps_revision_and_reindexes(store: LocalStore) -> None:
    created = store.create_case(GARBAGE)
    store.update_case(
        created.id,
        CaseFields(category_code="01037", description="中山路3号路灯夜间不亮", lat=32.0, lon=118.7),
    )
    row = store.get_case(created.id)
    assert row.revision == 2 and row.category_code == "01037"
    assert store.list_cases(CaseQuery(text="路灯")).total == 1
    assert store.list_cases(CaseQuery(text="垃圾")).total == 0
    assert [e[3] for e in store.pending_outbox()] == ["create", "update"]


def test_invalid_fields_are_refused_before_anything_is_written(store: LocalStore) -> None:
    with pytest.raises(ValidationError) as info:
        store.create_case(CaseFields(category_code="99999", lat=91.0, lon=0.0, accuracy_m=-1))
    assert {e.field for e in info.value.errors} == {"category_code", "lat", "accuracy_m"}
    assert raw(store, "SELECT count(*) FROM cases") == [(0,)]
    assert raw(store, "SELECT count(*) FROM outbox") == [(0,)]


def test_a_time_in_the_future_is_refused(store: LocalStore) -> None:
    future = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(ValidationError) as info:
        store.create_case(CaseFields(description="x", observed_at=future))
    assert info.value.errors[0].code == "in_future"


def test_unknown_case_gives_not_found(store: LocalStore) -> None:
    with pytest.raises(DomainError) as info:
        store.get_case("01a00000-0000-7000-8000-000000000000")
    assert info.value.code == "not_found"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("垃圾", {"garbage"}),  # two characters: the usual query
        ("圾", {"garbage"}),  # one character, also at the end of a run
        ("积", {"garbage"}),
        ("暴露垃圾堆积", {"garbage"}),  # a longer substring
        ("路灯", {"light"}),
        ("人民路", {"garbage", "light"}),  # matches the address of one, description of other
        ("12号", {"garbage"}),  # digits and Chinese mixed
        ("LED", {"light"}),  # case-insensitive Latin
        ("led灯", {"light"}),
        ("ＬＥＤ", {"light"}),  # full-width letters are normalised
        ("井盖", set()),
        ("垃圾 人民路", {"garbage"}),  # several terms: all must match
        ("口暴", {"garbage"}),
        ("路口", set()),  # not a substring of anything
    ],
)
def test_search_finds_chinese_substrings(store: LocalStore, query: str, expected: set[str]) -> None:
    ids = {
        "garbage": store.create_case(GARBAGE).id,
        "light": store.create_case(
            CaseFields(
                category_code="01037",
                description="人民路路灯不亮，LED灯损坏",
                address="玄武区中山路3号",
            )
        ).id,
    }
    found = {r.id for r in store.list_cases(CaseQuery(text=query)).rows}
    assert found == {ids[name] for name in expected}


def test_search_does_not_match_across_punctuation(store: LocalStore) -> None:
    store.create_case(CaseFields(description="东门，垃圾"))
    assert store.list_cases(CaseQuery(text="门垃")).total == 0
    assert store.list_cases(CaseQuery(text="门，垃")).total == 1  # both runs present


def test_query_of_punctuation_only_lists_everything(store: LocalStore) -> None:
    store.create_case(GARBAGE)
    assert store.list_cases(CaseQuery(text="，。!")).total == 1


def test_filters_combine_with_search_and_page(store: LocalStore) -> None:
    clock = [datetime(2026, 1, 1, 8, 0, tzinfo=UTC)]
    store.clock = lambda: clock[0]
    ids = []
    for i in range(30):
        clock[0] += timedelta(hours=1)
        code = "06010" if i % 2 else "01037"
        text = "暴露垃圾" if i % 2 else "路灯不亮"
        created = store.create_case(
            CaseFields(category_code=code, description=f"{text}{i}", lat=32.0, lon=118.0)
        )
        ids.append(created.id)
        if i % 3 == 0:
            store.submit_case(created.id)

    page = store.list_cases(CaseQuery(), offset=0, limit=10)
    assert page.total == 30 and len(page.rows) == 10
    assert [r.id for r in page.rows] == list(reversed(ids))[:10]  # newest first
    second = store.list_cases(CaseQuery(), offset=10, limit=10)
    assert [r.id for r in second.rows] == list(reversed(ids))[10:20]

    submitted_garbage = CaseQuery(
        text="垃圾", statuses=frozenset({CaseStatus.SUBMITTED}), categories=frozenset({"06010"})
    )
    expected = {ids[i] for i in range(30) if i % 2 and i % 3 == 0}
    assert {r.id for r in store.list_cases(submitted_garbage, limit=100).rows} == expected

    window = CaseQuery(
        created_from=datetime(2026, 1, 1, 10, 30, tzinfo=UTC),
        created_to=datetime(2026, 1, 1, 13, 30, tzinfo=UTC),
    )
    assert {r.id for r in store.list_cases(window).rows} == set(ids[2:5])
    assert store.list_cases(CaseQuery(deliveries=frozenset({"pending"}))).total == 30
    assert store.list_cases(CaseQuery(deliveries=frozenset({"confirmed"}))).total == 0
    # The lazy view's path gives the same order as the paged one.
    assert store.rows(store.case_ids(CaseQuery())[:5]) == store.list_cases(limit=5).rows


def test_attaching_the_same_photo_twice_stores_one_file_and_one_record(
    store: LocalStore, tmp_path: Path
) -> None:
    created = store.create_case(GARBAGE)
    photo = make_png(tmp_path / "a.png")
    first = store.attach_photo(created.id, photo)
    second = store.attach_photo(created.id, photo)
    assert first.id == second.id
    assert second.changes.photos == frozenset()
    assert store.get_case(created.id).photo_count == 1
    files = [p for p in store.photos_dir.rglob("*") if p.is_file() and "thumbs" not in p.parts]
    assert len(files) == 1 and files[0].suffix == ".png"
    (photo,) = store.photos(created.id)
    assert photo.path == files[0] and photo.thumbnail.is_file()
    assert [e[3] for e in store.pending_outbox()] == ["create", "upload"]


def test_photo_type_comes_from_content_not_name(store: LocalStore, tmp_path: Path) -> None:
    created = store.create_case(GARBAGE)
    disguised = make_png(tmp_path / "looks-like.jpg")
    store.attach_photo(created.id, disguised)
    assert raw(store, "SELECT mime FROM photos") == [("image/png",)]


def test_broken_photo_is_refused_and_nothing_is_stored(store: LocalStore, tmp_path: Path) -> None:
    created = store.create_case(GARBAGE)
    good = make_png(tmp_path / "good.png")
    truncated = tmp_path / "truncated.jpg"
    Image.new("RGB", (400, 300), (1, 2, 3)).save(tmp_path / "full.jpg")
    truncated.write_bytes((tmp_path / "full.jpg").read_bytes()[:600])
    text_file = tmp_path / "notes.jpg"
    text_file.write_text("not a photo")
    for bad in (truncated, text_file, tmp_path / "missing.jpg"):
        with pytest.raises(PhotoError) as info:
            store.attach_photo(created.id, bad)
        assert bad.name in info.value.text("en") and bad.name in info.value.text("zh_CN")
    store.attach_photo(created.id, good)
    assert store.get_case(created.id).photo_count == 1
    assert [
        p.name for p in store.photos_dir.rglob("*") if p.is_file() and "thumbs" not in p.parts
    ] == [f"{raw(store, 'SELECT sha256 FROM photos')[0][0]}.png"]


def test_committed_data_survives_reopening(data_dir: Path) -> None:
    with LocalStore(data_dir) as first:
        created = first.create_case(GARBAGE)
        first.submit_case(created.id)
        actor = first.get_case(created.id).author_id
    with LocalStore(data_dir) as second:
        row = second.get_case(created.id)
        assert row.status is CaseStatus.SUBMITTED
        assert row.author_id == actor  # the local identity is stable across restarts
        assert second.list_cases(CaseQuery(text="垃圾")).total == 1


def test_both_search_plans_give_the_same_pages(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.storage.queries as queries_module

    clock = [datetime(2026, 3, 1, tzinfo=UTC)]
    store.clock = lambda: clock[0]
    for i in range(60):
        clock[0] += timedelta(minutes=1)
        text = "暴露垃圾" if i % 3 else "路灯不亮"
        store.create_case(
            CaseFields(category_code="06010", description=f"{text}{i}", lat=32.0, lon=118.0)
        )
    queries = [
        CaseQuery(text="垃圾"),
        CaseQuery(text="垃圾", statuses=frozenset({CaseStatus.DRAFT})),
    ]
    few = [(store.list_cases(q, offset=5, limit=10)) for q in queries]
    monkeypatch.setattr(queries_module, "WALK_INDEX_ABOVE", 0)
    many = [(store.list_cases(q, offset=5, limit=10)) for q in queries]
    assert few == many
    assert few[0].total == 40 and [r.description for r in few[0].rows][:2] == [
        "暴露垃圾52",
        "暴露垃圾50",
    ]


def test_many_matches_walk_the_creation_time_index(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.storage.queries as queries_module

    statements: list[str] = []
    store.create_case(CaseFields(description="暴露垃圾"))

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    from sqlalchemy import event

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.list_cases(CaseQuery(text="垃圾"))
        assert not any("+cases.pk" in s for s in statements)
        monkeypatch.setattr(queries_module, "WALK_INDEX_ABOVE", 0)
        store.list_cases(CaseQuery(text="垃圾"))
        assert any("+cases.pk IN" in s for s in statements)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def test_edits_saved_one_after_another_travel_as_one_update(store: LocalStore) -> None:
    created = store.create_case(CaseFields(description="暴"))
    for text in ("暴露", "暴露垃圾", "暴露垃圾约两立方米"):
        store.update_case(created.id, CaseFields(description=text))
    outbox = store.pending_outbox()
    assert [e[3] for e in outbox] == ["create", "update"]
    from app.storage.ledger import SyncLedger

    [_create, update] = SyncLedger(store).claim_changes(10)
    assert update.payload["description"] == "暴露垃圾约两立方米"  # the newest snapshot
    # Once an update is being sent, a new edit is a new entry (the sent one is not changed).
    store.update_case(created.id, CaseFields(description="改"))
    assert [e[3] for e in store.pending_outbox()] == ["create", "update", "update"]


def test_cases_sort_newest_oldest_or_recently_changed(store: LocalStore) -> None:
    from app.storage import CaseQuery

    first = store.create_case(CaseFields(description="第一")).id
    second = store.create_case(CaseFields(description="第二")).id
    third = store.create_case(CaseFields(description="第三")).id
    store.update_case(first, CaseFields(description="第一，补充"))

    def ids(order: str, text: str = "") -> list[str]:
        return [r.id for r in store.list_cases(CaseQuery(text=text, order=order)).rows]

    assert ids("newest") == [third, second, first]
    assert ids("oldest") == [first, second, third]
    assert ids("updated") == [first, third, second]
    assert ids("oldest", text="第") == [first, second, third]
    pks = store.case_ids(CaseQuery(order="oldest"))
    assert [r.id for r in store.rows(pks)] == [first, second, third]


def test_two_threads_writing_at_once_wait_for_each_other_instead_of_failing(
    store: LocalStore,
) -> None:
    # The GUI writes from two threads: imports in the database lane, the sync's ledger in the
    # network lane. A write transaction that reads first must not fail with "database is
    # locked" when the other thread commits meanwhile (SQLite's BUSY_SNAPSHOT in WAL mode).
    import threading

    from app.storage.ledger import SyncLedger

    cases = [store.create_case(CaseFields(description=f"并发 {i}")).id for i in range(2)]
    errors: list[BaseException] = []

    def edit(case_id: str) -> None:
        try:
            for n in range(150):
                store.update_case(case_id, CaseFields(description=f"并发修改 {n}"))
                SyncLedger(store).claim_changes(5)
                SyncLedger(store).release_claims()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(case_id,)) for case_id in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
