"""tus creation-with-upload: a photo that fits one request is created, received, verified and
complete in one round trip (real server processes, SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import httpx
import pytest
from test_tus import OCTETS, TusServer, Uploader, insert_case, jpeg, metadata

from server.models import FeedEntry


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TusServer]:
    url = None
    if request.param == "postgresql":
        url = str(request.getfixturevalue("postgres").create_database())
    process = TusServer(tmp_path_factory.mktemp("cwu") / "data", url)
    yield process
    process.stop()


def create_with(
    demo: Uploader,
    case_id: str,
    data: bytes,
    body: bytes,
    *,
    photo_id: str | None = None,
    sha256: str | None = None,
    content_type: str = OCTETS,
) -> httpx.Response:
    values = {
        "case_id": case_id,
        "photo_id": photo_id or str(uuid.uuid4()),
        "sha256": sha256 or hashlib.sha256(data).hexdigest(),
        "mime": "image/jpeg",
    }
    return demo.http.post(
        "/api/v1/uploads",
        content=body,
        headers={
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(**values),
            "Content-Type": content_type,
        },
    )


def test_a_whole_photo_with_its_creation_is_complete_at_once(server: TusServer) -> None:
    demo = Uploader(server, "demo")
    case_id = insert_case(server, "demo")
    data = jpeg(3_000_000)  # over the 2 MiB limit of other bodies: it streams like a PATCH
    response = create_with(demo, case_id, data, data)
    assert response.status_code == 201, response.text
    assert response.headers["Upload-Offset"] == str(len(data))
    assert "Upload-Expires" not in response.headers
    photo_id = response.headers["Location"].rsplit("/", 1)[1]
    photo = server.photo(photo_id)
    assert photo is not None and photo.state == "complete"
    assert demo.download(photo_id).content == data
    with server.sessions() as session:
        kinds = [e.kind for e in session.query(FeedEntry).filter(FeedEntry.entity_id == photo_id)]
    assert kinds == ["photo"]  # supervisors hear of it (the case is submitted)
    # Sent again (the answer was lost): the same upload, complete, nothing written twice.
    again = create_with(demo, case_id, data, data, photo_id=photo_id)
    assert again.status_code == 200
    assert again.headers["Upload-Offset"] == str(len(data))


def test_the_first_bytes_with_the_creation_then_patches(server: TusServer) -> None:
    demo = Uploader(server, "demo")
    case_id = insert_case(server, "demo")
    data = jpeg(400_000)
    response = create_with(demo, case_id, data, data[:150_000])
    assert response.status_code == 201, response.text
    assert response.headers["Upload-Offset"] == "150000"
    assert response.headers["Upload-Expires"]
    url = response.headers["Location"]
    assert demo.patch(url, 150_000, data[150_000:]).status_code == 204
    assert demo.download(url.rsplit("/", 1)[1]).content == data


def test_wrong_bytes_with_the_creation_are_refused_and_can_be_sent_again(
    server: TusServer,
) -> None:
    demo = Uploader(server, "demo")
    case_id = insert_case(server, "demo")
    # Ending in 0, as 1 in 256 random photos do: garbling the last byte must still change it
    # (writing a 0 there sent the right bytes then, and the creation was rightly complete).
    data = jpeg(100_000)[:-1] + b"\0"
    photo_id = str(uuid.uuid4())
    garbled = data[:-1] + bytes([data[-1] ^ 0xFF])
    refused = create_with(demo, case_id, data, garbled, photo_id=photo_id)
    assert refused.status_code == 460
    assert refused.json()["detail"]["code"] == "file_checksum_mismatch"
    # The creation stands, at offset 0: sending it again with the right bytes completes it.
    again = create_with(demo, case_id, data, data, photo_id=photo_id)
    assert again.status_code == 200, again.text
    assert again.headers["Upload-Offset"] == str(len(data))
    assert demo.download(photo_id).content == data


def test_a_body_past_upload_length_or_of_another_type_is_refused(server: TusServer) -> None:
    demo = Uploader(server, "demo")
    case_id = insert_case(server, "demo")
    data = jpeg(10_000)
    too_long = create_with(demo, case_id, data, data + b"more")
    assert too_long.status_code == 413
    assert too_long.json()["detail"]["code"] == "past_length"
    wrong_type = create_with(demo, case_id, data, data, content_type="image/jpeg")
    assert wrong_type.status_code == 400
    assert "offset+octet-stream" in wrong_type.json()["detail"]["en"]
    not_jpeg = b"GIF89a" + data[6:]
    refused = create_with(demo, case_id, not_jpeg, not_jpeg)
    assert refused.status_code == 415
    assert refused.json()["detail"]["code"] == "not_declared_type"
