"""Photos in S3-compatible object storage: a real S3 endpoint on 127.0.0.1 (moto's server mode,
tests/objectstore.py) and real server processes on SQLite and PostgreSQL.

What is checked: the bytes end up in the bucket (``complete/<storage_name>`` under the prefix),
SHA-256 checked, nothing left behind in ``partial/`` nor in the data folder; an upload resumes
after a restart from the segments in the bucket; the object store failing while an upload
completes loses nothing (503 and the old offset), and the upload finishes once it is back. The
deduction photos of scored inspections go to the same bucket (``complete/inspection-<sha256>``)
with the same checks and the same 503 when the store is away.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from inspection_http import http, inspection, load_street
from objectstore import MotoS3
from test_tus import TusServer, Uploader, insert_case, jpeg

from server.photos.protocol import MAX_UPLOAD_BYTES
from server.photos.s3 import parse_location

PREFIX = "city"


@pytest.fixture(scope="module")
def s3() -> Iterator[MotoS3]:
    store = MotoS3()
    yield store
    store.stop()


class S3Server(TusServer):
    bucket: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, s3: MotoS3, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[S3Server]:
    bucket = s3.bucket()
    url = None
    if request.param == "postgresql":
        url = str(request.getfixturevalue("postgres").create_database())
    env = {**s3.env(), "CITYPATROL_SERVER_PHOTO_STORE": f"s3://{bucket}/{PREFIX}"}
    process = S3Server(tmp_path_factory.mktemp("s3server") / "data", url, env=env)
    process.bucket = bucket
    yield process
    process.stop()


def storage_name(server: TusServer, photo_id: str) -> str:
    photo = server.photo(photo_id)
    assert photo is not None
    return photo.storage_name


def test_location_must_be_a_bucket() -> None:
    assert parse_location("s3://photos") == ("photos", "")
    assert parse_location("s3://photos/city/a/") == ("photos", "city/a/")
    for bad in ("photos", "s3://", "http://photos/x", "s3://photos/x?versionId=1"):
        with pytest.raises(ValueError):
            parse_location(bad)


def test_a_chunked_upload_lands_in_the_bucket_checked(server: S3Server, s3: MotoS3) -> None:
    demo = Uploader(server, "demo")
    case_id = insert_case(server, "demo")
    data = jpeg(700_000)
    url = demo.created(case_id, data)
    photo_id = url.rsplit("/", 1)[1]
    assert demo.patch(url, 0, data[:300_000]).status_code == 204
    name = storage_name(server, photo_id)
    # The first PATCH's bytes are a segment in the bucket: any node can resume from them.
    assert s3.keys(server.bucket, f"{PREFIX}/partial/{name}/") == {
        f"{PREFIX}/partial/{name}/{0:016d}": 300_000
    }
    assert demo.patch(url, 300_000, data[300_000:]).status_code == 204
    assert s3.read(server.bucket, f"{PREFIX}/complete/{name}") == data
    assert s3.keys(server.bucket, f"{PREFIX}/partial/") == {}
    got = demo.download(photo_id)
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["content-length"] == str(len(data))
    # Nothing of the photo on the node's own disk.
    photos = Path(server.data_dir) / "photos"
    assert not photos.exists() or not any(p.is_file() for p in photos.rglob("*"))


def test_a_wrong_sha256_resets_the_upload_and_its_segments(server: S3Server, s3: MotoS3) -> None:
    demo = Uploader(server, "demo")
    case_id = insert_case(server, "demo")
    data = jpeg(200_000)
    url = demo.created(case_id, data, sha256=hashlib.sha256(b"other").hexdigest())
    photo_id = url.rsplit("/", 1)[1]
    response = demo.patch(url, 0, data)
    assert response.status_code == 460
    assert response.headers["Upload-Offset"] == "0"
    name = storage_name(server, photo_id)
    assert s3.keys(server.bucket, f"{PREFIX}/partial/{name}/") == {}
    assert s3.keys(server.bucket, f"{PREFIX}/complete/{name}") == {}


def test_an_upload_resumes_after_a_restart_from_the_bucket(server: S3Server) -> None:
    demo = Uploader(server, "demo")
    case_id = insert_case(server, "demo")
    data = jpeg(500_000)
    url = demo.created(case_id, data)
    assert demo.patch(url, 0, data[:200_000]).status_code == 204
    server.restart()  # a new process: no hash state kept, no spool: only the bucket
    demo = Uploader(server, "demo")
    assert demo.offset(url) == 200_000
    assert demo.patch(url, 200_000, data[200_000:]).status_code == 204
    assert demo.download(url.rsplit("/", 1)[1]).content == data


def test_the_store_failing_while_an_upload_completes_loses_nothing(
    server: S3Server, s3: MotoS3
) -> None:
    demo = Uploader(server, "demo")
    case_id = insert_case(server, "demo")
    data = jpeg(600_000)
    url = demo.created(case_id, data)
    photo_id = url.rsplit("/", 1)[1]
    assert demo.patch(url, 0, data[:250_000]).status_code == 204
    with s3.outage():
        response = demo.patch(url, 250_000, data[250_000:])
        assert response.status_code == 503, response.text
        assert response.json()["detail"]["code"] == "photo_store_unavailable"
        assert response.headers["Retry-After"]
        # The offset did not move past what the store holds; the photo is not announced.
        assert demo.offset(url) == 250_000
        photo = server.photo(photo_id)
        assert photo is not None
        assert photo.state == "uploading"
        assert demo.download(photo_id).status_code == 404
    # Back: the client resends what was not stored, and the upload finishes.
    assert demo.patch(url, 250_000, data[250_000:]).status_code == 204
    assert demo.download(photo_id).content == data
    name = storage_name(server, photo_id)
    assert s3.read(server.bucket, f"{PREFIX}/complete/{name}") == data


def test_a_download_while_the_store_is_away_is_503_not_404(server: S3Server, s3: MotoS3) -> None:
    demo = Uploader(server, "demo")
    case_id = insert_case(server, "demo")
    data = jpeg(100_000)
    photo_id = demo.upload(case_id, data)
    with s3.outage():
        response = demo.download(photo_id)
        assert response.status_code == 503
        assert response.json()["detail"]["code"] == "photo_store_unavailable"
    assert demo.download(photo_id).content == data


def test_backup_refuses_a_bucket_it_cannot_copy(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(tmp_path / "data"),
         "--photo-store", "s3://photos/city", "backup", str(tmp_path / "out.tar")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "object storage" in result.stderr
    assert not (tmp_path / "out.tar").exists()


def test_inspection_photos_live_in_the_bucket(server: S3Server, s3: MotoS3) -> None:
    load_street(server)
    photo = jpeg(300_000)
    key = f"{PREFIX}/complete/inspection-{hashlib.sha256(photo).hexdigest()}"
    body = inspection("unannounced", photo)
    iid = body["id"]
    first, second, third = (d["id"] for d in body["deductions"])
    with (
        http(server, "demo") as author,
        http(server, "inspector2") as other,
        http(server, "supervisor") as chief,
    ):
        assert author.post("/api/v1/inspections", json=body).status_code == 201
        url = f"/api/v1/inspections/{iid}/photos"
        # Wrong bytes (another size; the same size, other content): refused, nothing kept.
        for wrong in (photo[:-1], photo[:-1] + bytes([photo[-1] ^ 0xFF])):
            refused = author.put(f"{url}/{first}", content=wrong)
            assert refused.status_code == 400, refused.text
            assert refused.json()["detail"]["code"] == "photo_mismatch"
        assert s3.keys(server.bucket, f"{PREFIX}/complete/inspection-") == {}
        assert chief.get(f"{url}/{first}").status_code == 404
        # Over the limit: refused from its Content-Length, before any byte is read.
        token = author.headers["Authorization"]
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
            raw.sendall(
                f"PUT {url}/{first} HTTP/1.1\r\nHost: a\r\nAuthorization: {token}\r\n"
                f"Content-Length: {MAX_UPLOAD_BYTES + 1}\r\n\r\n".encode()
            )
            assert raw.recv(4096).startswith(b"HTTP/1.1 413 ")

        put = author.put(f"{url}/{first}", content=photo)
        assert put.status_code == 200 and put.json()["outcome"] == "applied", put.text
        assert s3.read(server.bucket, key) == photo
        resent = author.put(f"{url}/{first}", content=photo)
        assert resent.status_code == 200 and resent.json()["outcome"] == "duplicate"
        # Another deduction with the same photo shares its object.
        assert author.put(f"{url}/{second}", content=photo).json()["outcome"] == "applied"
        assert s3.keys(server.bucket, f"{PREFIX}/complete/inspection-") == {key: len(photo)}

        got = chief.get(f"{url}/{first}")
        assert got.status_code == 200, got.text
        assert got.content == photo
        assert got.headers["content-type"] == "image/jpeg"
        assert got.headers["content-length"] == str(len(photo))
        assert author.get(f"{url}/{second}").content == photo
        # Unpublished and unannounced: hidden from the others (not even its existence).
        assert other.get(f"{url}/{first}").status_code == 404
        assert other.put(f"{url}/{third}", content=photo).status_code == 404

        # The store away: 503 with Retry-After, and nothing committed (the photo is not there).
        with s3.outage():
            away = author.put(f"{url}/{third}", content=photo)
            assert away.status_code == 503, away.text
            assert away.json()["detail"]["code"] == "photo_store_unavailable"
            assert away.headers["Retry-After"]
            down = chief.get(f"{url}/{first}")
            assert down.status_code == 503 and down.headers["Retry-After"]
        assert chief.get(f"{url}/{third}").status_code == 404
        back = author.put(f"{url}/{third}", content=photo)
        assert back.status_code == 200 and back.json()["outcome"] == "applied"
        assert chief.get(f"{url}/{third}").content == photo
    # Nothing of the photo on the node's own disk, nothing left spooled.
    for folder in ("photos", "photo-spool"):
        kept = Path(server.data_dir) / folder
        assert not kept.exists() or not [p for p in kept.rglob("*") if p.is_file()], folder
