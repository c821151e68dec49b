"""Case positions and patrol tracks in the store: the rules hold across real writes."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from app.capture.positions import Fix, FixQuality, PositionSource
from app.capture.tracks import CameraClock, TrackRecorder, TrackState, geotag_from_track
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
    # Two saved edits, one unsent update: each outbox entry is a whole snapshot.
    assert [op for _, _, _, op in store.pending_outbox()] == ["create", "update"]


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


def camera_jpeg(path: Path, taken: str | None, gps: bool = False) -> Path:
    """A JPEG from a camera whose clock says ``taken`` (no zone), optionally with EXIF GPS."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (32.0, 3.0, 36.0), 3: "E", 4: (118.0, 47.0, 24.0)})
    Image.new("RGB", (320, 240), (90, 90, 200)).save(path, format="JPEG", exif=exif)
    return path


def walk_track(store: LocalStore) -> None:
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
        for s in range(0, 120, 2)
    ]
    store.add_track_points(created.id, [p for f in fixes if (p := recorder.offer(f)) is not None])


def test_photo_with_exif_gps_takes_that_position(store: LocalStore, tmp_path: Path) -> None:
    case = store.create_case(CaseFields(description="暴露垃圾"))
    store.attach_photo(case.id, camera_jpeg(tmp_path / "gps.jpg", "2026:11:20 10:00:31", gps=True))
    (photo,) = store.photos(case.id)
    assert photo.position_source == "photo"
    assert photo.lat == pytest.approx(32.06) and photo.lon == pytest.approx(118.79)


def test_photo_without_gps_is_placed_on_the_track_by_capture_time(
    store: LocalStore, tmp_path: Path
) -> None:
    walk_track(store)
    case = store.create_case(CaseFields(description="井盖缺失"))
    # The camera is on Beijing time and runs 60 s fast: 10:01:31 on the camera is 02:00:31 UTC.
    camera = CameraClock(utc_offset=timedelta(hours=8), ahead=timedelta(seconds=60))
    store.attach_photo(
        case.id, camera_jpeg(tmp_path / "nogps.jpg", "2026:11:20 10:01:31"), camera=camera
    )
    (photo,) = store.photos(case.id)
    assert photo.position_source == "track"
    assert photo.taken_at == T0 + timedelta(seconds=31)
    assert photo.lat == pytest.approx(32.0 + 1.4 * 31 / 111_195, abs=3 / 111_195)
    assert photo.accuracy_m is not None and 4.0 <= photo.accuracy_m <= 10.0


def test_photo_outside_any_track_has_no_position(store: LocalStore, tmp_path: Path) -> None:
    walk_track(store)
    case = store.create_case(CaseFields(description="占道经营"))
    store.attach_photo(case.id, camera_jpeg(tmp_path / "late.jpg", "2026:11:20 15:00:00"),
                       camera=CameraClock(utc_offset=timedelta(hours=8)))  # fmt: skip
    store.attach_photo(case.id, camera_jpeg(tmp_path / "untimed.jpg", None))
    assert [(p.position_source, p.lat) for p in store.photos(case.id)] == [
        (None, None),
        (None, None),
    ]


def test_folder_import_attaches_the_good_and_names_the_bad(
    store: LocalStore, tmp_path: Path, samples: Path
) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    for name in ("DSCN0010.jpg", "DSCN0012.jpg"):
        shutil.copy(samples / "photos" / "jpg" / "gps" / name, folder / name)
    shutil.copy(
        samples / "photos" / "heic" / "mobile" / "iphone_13_pro_max.HEIC", folder / "iphone.HEIC"
    )
    shutil.copy(samples / "photos" / "jpg" / "corrupted.jpg", folder / "corrupted.jpg")
    (folder / "notes.txt").write_text("巡查笔记")
    (folder / ".hidden.jpg").write_bytes(b"")
    case = store.create_case(CaseFields(description="暴露垃圾"))
    batch = store.attach_photos(case.id, [folder])
    assert len(batch.attached) == 3
    assert sorted(exc.text("en").split(":")[0] for exc in batch.refused) == [
        "Photo corrupted.jpg",
        "Photo notes.txt",
    ]
    photos = store.photos(case.id)
    assert {p.mime for p in photos} == {"image/jpeg", "image/heic"}
    assert all(p.path.is_file() and p.thumbnail.is_file() for p in photos)
    again = store.attach_photos(case.id, [folder])  # importing the same folder twice adds nothing
    assert sorted(again.attached) == sorted(batch.attached)
    assert len(store.photos(case.id)) == 3
