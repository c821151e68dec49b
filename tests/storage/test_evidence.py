"""Case positions and patrol tracks in the store: the rules hold across real writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.capture.positions import Fix, FixQuality, PositionSource
from app.capture.tracks import TrackRecorder, TrackState, geotag_from_track
from app.domain import CaseFields, DomainError
from app.storage import LocalStore

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def gps(
    lat: float, lon: float, accuracy: float | None, source: PositionSource = PositionSource.GPS
) -> Fix:
    return Fix(lat, lon, accuracy, 12.0, T0, FixQuality.GPS, source, 3)


def test_typed_position_is_manual_and_an_automatic_fix_never_replaces_it(store: LocalStore) -> None:
    created = store.create_case(CaseFields(description="井盖缺失", lat=32.05, lon=118.78))
    update = store.set_case_position(created.id, gps(32.06, 118.79, 3.0))
    assert not update.replaced
    assert update.kept is not None and update.kept.source is PositionSource.MANUAL
    row = store.get_case(created.id)
    assert (row.lat, row.lon) == (32.05, 118.78)
    assert update.changes.cases == frozenset()


def test_better_fix_replaces_a_worse_one_and_a_worse_one_does_not(store: LocalStore) -> None:
    created = store.create_case(CaseFields(description="路灯不亮"))
    assert store.set_case_position(created.id, gps(32.0, 118.0, 35.0)).replaced
    assert store.set_case_position(created.id, gps(32.1, 118.1, 6.0)).replaced
    worse = store.set_case_position(created.id, gps(32.2, 118.2, 15.0))
    assert not worse.replaced
    row = store.get_case(created.id)
    assert (row.lat, row.lon, row.accuracy_m) == (32.1, 118.1, 6.0)
    assert row.revision == 3
    assert [op for _, _, _, op in store.pending_outbox()] == ["create", "update", "update"]


def test_manual_pick_replaces_anything(store: LocalStore) -> None:
    created = store.create_case(CaseFields(description="占道经营"))
    store.set_case_position(created.id, gps(32.0, 118.0, 2.0))
    picked = Fix(32.3, 118.3, None, None, None, FixQuality.MANUAL, PositionSource.MANUAL, 2)
    assert store.set_case_position(created.id, picked).replaced
    assert store.get_case(created.id).lat == 32.3


def test_position_of_a_submitted_case_cannot_change(store: LocalStore) -> None:
    created = store.create_case(
        CaseFields(category_code="06010", description="暴露垃圾", lat=32.0, lon=118.0)
    )
    store.submit_case(created.id)
    with pytest.raises(DomainError) as info:
        store.set_case_position(created.id, gps(32.0, 118.0, 1.0))
    assert info.value.code == "not_editable"


def test_recorded_track_is_stored_thinned_and_queued_when_stopped(store: LocalStore) -> None:
    recorder = TrackRecorder()
    recorder.start()
    created = store.start_track()
    fixes = [
        Fix(
            32.0 + 1.4 * s / 111_195,
            118.0,
            5.0,
            None,
            T0 + timedelta(seconds=s),
            FixQuality.GPS,
            PositionSource.GPS,
            3,
        )
        for s in range(120)
    ]
    kept = [p for f in fixes if (p := recorder.offer(f)) is not None]
    store.add_track_points(created.id, kept[:10])
    store.set_track_state(created.id, TrackState.PAUSED)
    store.add_track_points(created.id, kept[10:], distance_m=recorder.distance_m)
    store.set_track_state(created.id, TrackState.STOPPED)
    row = store.track(created.id)
    assert row.state is TrackState.STOPPED and row.point_count == len(kept)
    assert row.distance_m == pytest.approx(recorder.distance_m, rel=1e-6)
    assert store.track_points(created.id) == kept
    assert [(entity, op) for _, _, entity, op in store.pending_outbox()] == [(created.id, "upload")]
    with pytest.raises(DomainError):
        store.set_track_state(created.id, TrackState.RECORDING)


def test_photo_time_finds_the_track_in_the_store(store: LocalStore) -> None:
    recorder = TrackRecorder()
    recorder.start()
    created = store.start_track()
    fixes = [
        Fix(
            32.0 + 1.4 * s / 111_195,
            118.0,
            4.0,
            None,
            T0 + timedelta(seconds=s),
            FixQuality.GPS,
            PositionSource.GPS,
            3,
        )
        for s in range(0, 60, 2)
    ]
    store.add_track_points(created.id, [p for f in fixes if (p := recorder.offer(f)) is not None])
    moment = T0 + timedelta(seconds=31)
    placed = geotag_from_track(store.track_points_around(moment), moment)
    assert placed is not None and placed.source is PositionSource.TRACK
    assert placed.lat == pytest.approx(32.0 + 1.4 * 31 / 111_195, abs=3 / 111_195)
    assert (
        geotag_from_track(
            store.track_points_around(T0 + timedelta(hours=3)), T0 + timedelta(hours=3)
        )
        is None
    )
