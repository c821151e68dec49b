"""Store methods behind the case editor: category usage, removing a photo, nearby open cases."""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from app.capture.positions import EARTH_MEAN_RADIUS_M, Fix, FixQuality, PositionSource
from app.domain import CaseFields, DomainError, Role
from app.storage import LocalStore
from app.storage.store import Account

LAT, LON = 32.05, 118.78
M_PER_DEG = math.radians(1) * EARTH_MEAN_RADIUS_M


def make_png(path: Path, colour: tuple[int, int, int] = (10, 120, 200)) -> Path:
    Image.new("RGB", (40, 30), colour).save(path, format="PNG")
    return path


def execute(store: LocalStore, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(store.data_dir / "citypatrol.db") as conn:
        return conn.execute(sql, args).fetchall()


def offset(north_m: float = 0.0, east_m: float = 0.0, lat: float = LAT) -> tuple[float, float]:
    return (
        lat + north_m / M_PER_DEG,
        LON + east_m / (M_PER_DEG * math.cos(math.radians(lat))),
    )


def case_at(store: LocalStore, position: tuple[float, float], category: str = "06010") -> str:
    lat, lon = position
    fields = CaseFields(category_code=category, description="暴露垃圾", lat=lat, lon=lon)
    return store.create_case(fields).id


# -- category usage -----------------------------------------------------------------------


def test_category_usage_counts_the_users_own_cases_most_used_first(store: LocalStore) -> None:
    assert store.category_usage() == []
    for code in ("06010", "01037", "06010", "09006", "06010", "01037"):
        store.create_case(CaseFields(category_code=code))
    store.create_case(CaseFields(description="no category yet"))
    assert store.category_usage() == [("06010", 3), ("01037", 2), ("09006", 1)]
    assert store.category_usage(limit=2) == [("06010", 3), ("01037", 2)]


def test_category_usage_ties_go_to_the_most_recently_used(data_dir: Path) -> None:
    moments = iter(datetime(2026, 3, 1, 8, tzinfo=UTC) + timedelta(minutes=i) for i in range(10))
    with LocalStore(data_dir, clock=lambda: next(moments)) as store:
        for code in ("09006", "01037", "06010"):
            store.create_case(CaseFields(category_code=code))
        assert [code for code, _ in store.category_usage()] == ["06010", "01037", "09006"]


def test_category_usage_is_per_user(store: LocalStore) -> None:
    store.create_case(CaseFields(category_code="06010"))
    store.set_account(Account("http://127.0.0.1:1", "u-2", "inspector2", "二号", Role.INSPECTOR))
    assert store.category_usage() == []
    store.create_case(CaseFields(category_code="09009"))
    assert store.category_usage() == [("09009", 1)]


# -- removing a photo ---------------------------------------------------------------------


def test_remove_photo_detaches_it_and_resolves_its_upload(
    store: LocalStore, tmp_path: Path
) -> None:
    case_id = case_at(store, (LAT, LON))
    kept = store.attach_photo(case_id, make_png(tmp_path / "a.png")).id
    gone = store.attach_photo(case_id, make_png(tmp_path / "b.png", (200, 10, 10))).id
    file = next(p for p in store.photos(case_id) if p.id == gone).path
    changes = store.remove_photo(gone)
    assert changes.photos == {gone} and changes.cases == {case_id} and changes.outbox
    assert [p.id for p in store.photos(case_id)] == [kept]
    assert store.get_case(case_id).photo_count == 1
    assert execute(store, "SELECT state FROM outbox WHERE entity_id = ?", gone) == [("resolved",)]
    assert [e[2] for e in store.pending_outbox() if e[3] == "upload"] == [kept]
    assert file.exists()  # the content-addressed file stays


def test_remove_photo_keeps_the_file_another_case_shares(store: LocalStore, tmp_path: Path) -> None:
    png = make_png(tmp_path / "shared.png")
    first, second = case_at(store, (LAT, LON)), case_at(store, (LAT, LON))
    store.attach_photo(first, png)
    other = store.attach_photo(second, png).id
    store.remove_photo(other)
    (photo,) = store.photos(first)
    assert photo.path.exists() and photo.thumbnail.exists()
    assert store.photos(second) == []


def test_remove_photo_is_refused_once_submitted_or_confirmed(
    store: LocalStore, tmp_path: Path
) -> None:
    case_id = case_at(store, (LAT, LON))
    photo = store.attach_photo(case_id, make_png(tmp_path / "a.png")).id
    execute(store, "UPDATE photos SET delivery = 'confirmed' WHERE id = ?", photo)
    with pytest.raises(DomainError) as confirmed:
        store.remove_photo(photo)
    assert confirmed.value.code == "photo_confirmed"
    assert "a.png" in confirmed.value.text("en") and "a.png" in confirmed.value.text("zh_CN")
    execute(store, "UPDATE photos SET delivery = 'pending' WHERE id = ?", photo)
    store.submit_case(case_id)
    with pytest.raises(DomainError) as submitted:
        store.remove_photo(photo)
    assert submitted.value.code == "not_editable"
    assert len(store.photos(case_id)) == 1
    with pytest.raises(DomainError) as missing:
        store.remove_photo("no-such-photo")
    assert missing.value.code == "not_found"


def test_a_removed_photo_can_be_attached_again(store: LocalStore, tmp_path: Path) -> None:
    case_id = case_at(store, (LAT, LON))
    png = make_png(tmp_path / "a.png")
    store.remove_photo(store.attach_photo(case_id, png).id)
    again = store.attach_photo(case_id, png).id
    assert [p.id for p in store.photos(case_id)] == [again]


# -- nearby open cases --------------------------------------------------------------------


def test_nearby_open_cases_within_the_radius_nearest_first(store: LocalStore) -> None:
    at_29 = case_at(store, offset(north_m=29))
    at_10 = case_at(store, offset(east_m=-10))
    case_at(store, offset(north_m=31))  # outside 30 m
    case_at(store, offset(east_m=31))  # outside, east
    case_at(store, offset(north_m=5), category="01037")  # another category
    case_at(store, offset(north_m=20, east_m=20))  # 28.3 m: inside the circle
    store.create_case(CaseFields(category_code="06010"))  # no position
    found = store.nearby_open_cases("06010", LAT, LON)
    assert [c.id for c in found][:1] == [at_10]
    assert found[-1].id == at_29 and len(found) == 3
    assert store.nearby_open_cases("06010", LAT, LON, radius_m=12) == found[:1]
    assert store.nearby_open_cases("09006", LAT, LON) == []


def test_nearby_open_cases_excludes_the_case_itself_and_closed_ones(store: LocalStore) -> None:
    me = case_at(store, (LAT, LON))
    statuses = ("submitted", "returned", "dispatched", "closed", "evaluated", "void", "rejected")
    ids = {status: case_at(store, offset(north_m=3)) for status in statuses}
    for status, case_id in ids.items():
        execute(store, "UPDATE cases SET status = ? WHERE id = ?", status, case_id)
    found = {c.id for c in store.nearby_open_cases("06010", LAT, LON, exclude_id=me)}
    assert found == {ids["submitted"], ids["returned"], ids["dispatched"]}
    assert me in {c.id for c in store.nearby_open_cases("06010", LAT, LON)}


def test_nearby_open_cases_only_recent_ones(data_dir: Path) -> None:
    now = [datetime(2026, 3, 1, 8, tzinfo=UTC)]
    with LocalStore(data_dir, clock=lambda: now[0]) as store:
        old = case_at(store, (LAT, LON))
        now[0] += timedelta(days=6)
        recent = case_at(store, offset(north_m=2))
        now[0] += timedelta(days=1, hours=1)
        assert [c.id for c in store.nearby_open_cases("06010", LAT, LON)] == [recent]
        found = store.nearby_open_cases("06010", LAT, LON, days=30)
        assert [c.id for c in found] == [old, recent]


def test_nearby_open_cases_far_north_and_at_the_antimeridian(store: LocalStore) -> None:
    # At 69.6° N a degree of longitude is about 38.8 km: the box must widen accordingly.
    north = 69.65
    near = case_at(store, offset(east_m=25, lat=north))
    case_at(store, offset(east_m=40, lat=north))
    assert [c.id for c in store.nearby_open_cases("06010", north, LON)] == [near]
    east = store.create_case(
        CaseFields(category_code="06010", lat=-16.5, lon=-179.99990)
    ).id  # about 19 m across the antimeridian from 179.99992
    assert [c.id for c in store.nearby_open_cases("06010", -16.5, 179.99992)] == [east]


def test_nearby_open_cases_sees_positions_set_later(store: LocalStore) -> None:
    case_id = store.create_case(CaseFields(category_code="06010")).id
    assert store.nearby_open_cases("06010", LAT, LON) == []
    lat, lon = offset(north_m=8)
    fix = Fix(lat, lon, 4.0, None, None, FixQuality.GPS, PositionSource.GPS, 3)
    store.set_case_position(case_id, fix)
    assert [c.id for c in store.nearby_open_cases("06010", LAT, LON)] == [case_id]
    assert store.case_position(case_id) is not None


def test_nearby_open_cases_with_nonsense_input_finds_nothing(store: LocalStore) -> None:
    case_at(store, (LAT, LON))
    assert store.nearby_open_cases("06010", math.nan, LON) == []
    assert store.nearby_open_cases("06010", LAT, LON, radius_m=-1) == []


def test_case_position_carries_its_source(store: LocalStore) -> None:
    typed = store.create_case(CaseFields(lat=LAT, lon=LON, accuracy_m=3.0)).id
    fix = store.case_position(typed)
    assert fix is not None and fix.source is PositionSource.MANUAL and fix.accuracy_m == 3.0
    assert store.case_position(store.create_case(CaseFields()).id) is None
    with pytest.raises(DomainError):
        store.case_position("nope")
