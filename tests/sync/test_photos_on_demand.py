"""An office receives thumbnails first and originals only for open cases or when a photo is
opened (``SyncOptions.originals``), against a real server on 127.0.0.1 with real photos
(JPEG and HEIC from ../shared/samples)."""

from __future__ import annotations

from pathlib import Path

import httpx
from helpers import ServerProcess
from PIL import Image
from sync_helpers import api, sha256, signed_in, submitted_case

from app.storage.photos import original_path, thumbnail_path
from app.sync.backoff import Backoff
from app.sync.engine import Originals, SyncEngine, SyncOptions

FAST = SyncOptions(backoff=Backoff(base_s=0.01, cap_s=0.05))
JPEG = "photos/jpg/gps/DSCN0010.jpg"
HEIC = "photos/heic/mobile/iphone_13_pro_max.HEIC"
# Photos no other test here sends (a laptop stores by content: the same bytes of another,
# open case would be an original on disk already).
OTHER_JPEG = "photos/jpg/gps/DSCN0012.jpg"
OTHER_HEIC = "photos/heic/mobile/HMD_Nokia_8.3_5G.heif"


def _sync(store: object, options: SyncOptions = FAST) -> None:
    report = SyncEngine(store, options).run()  # type: ignore[arg-type]
    assert report.ok, report.lines("en")


def test_the_thumbnail_endpoint_gives_an_upright_small_jpeg(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = submitted_case(inspector, "缩略图：暴露垃圾")
    inspector.attach_photos(case_id, [samples / JPEG, samples / HEIC])
    _sync(inspector)
    with api(server, "supervisor") as office:
        for photo in inspector.photos(case_id):
            response = office.get(f"/api/v1/photos/{photo.id}/thumbnail")
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "image/jpeg"
            thumb = tmp_path / f"{photo.id}.jpg"
            thumb.write_bytes(response.content)
            with Image.open(thumb) as image:
                assert image.format == "JPEG"
                assert max(image.size) == 256  # the long edge, whatever the source's size
            again = office.get(f"/api/v1/photos/{photo.id}/thumbnail")
            assert again.content == response.content  # the node's cached copy
    unknown = httpx.get(
        f"{server.url}/api/v1/photos/{inspector.photos(case_id)[0].id}/thumbnail", timeout=10
    )
    assert unknown.status_code == 401


def test_an_office_gets_originals_of_open_cases_and_thumbnails_of_the_rest(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    open_case = submitted_case(inspector, "仍在处理：暴露垃圾")
    done_case = submitted_case(inspector, "将被驳回：重复上报")
    inspector.attach_photos(open_case, [samples / OTHER_JPEG])
    inspector.attach_photos(done_case, [samples / OTHER_HEIC])
    _sync(inspector)
    with api(server, "supervisor") as supervisor:
        rejected = supervisor.post(
            f"/api/v1/cases/{done_case}/actions", json={"action": "reject", "opinion": "重复上报"}
        )
        assert rejected.status_code == 200, rejected.text

    office = signed_in(tmp_path / "office", server, "supervisor")
    _sync(office)
    [kept] = office.photos(open_case)
    [later] = office.photos(done_case)
    for photo in (kept, later):  # every thumbnail is there
        assert thumbnail_path(office.photos_dir, photo.sha256).is_file()
    assert original_path(office.photos_dir, kept.sha256, kept.mime).is_file()
    assert not original_path(office.photos_dir, later.sha256, later.mime).exists()

    # Opened: fetched now, checked against its SHA-256.
    report = SyncEngine(office, FAST).fetch_originals(frozenset({later.id}))
    assert report.photos_received == 1
    path = original_path(office.photos_dir, later.sha256, later.mime)
    assert sha256(path.read_bytes()) == sha256((samples / OTHER_HEIC).read_bytes())


def test_on_demand_only_thumbnails_and_all_everything(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = submitted_case(inspector, "按需下载：占道经营", category_code="09006")
    inspector.attach_photos(case_id, [samples / JPEG])
    _sync(inspector)
    on_demand = signed_in(tmp_path / "office1", server, "supervisor")
    _sync(on_demand, SyncOptions(backoff=FAST.backoff, originals=Originals.ON_DEMAND))
    [photo] = on_demand.photos(case_id)
    assert thumbnail_path(on_demand.photos_dir, photo.sha256).is_file()
    assert not original_path(on_demand.photos_dir, photo.sha256, photo.mime).exists()
    everything = signed_in(tmp_path / "office2", server, "supervisor")
    _sync(everything, SyncOptions(backoff=FAST.backoff, originals=Originals.ALL))
    assert original_path(everything.photos_dir, photo.sha256, photo.mime).is_file()
