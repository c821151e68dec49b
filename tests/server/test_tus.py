"""tus 1.0 photo uploads and photo downloads, against real server processes on 127.0.0.1.

Most tests share one SQLite server (one test restarts it in place); a server with short expiry
and idle periods and one on PostgreSQL have their own. Cases and extra accounts are written
straight into the server's database (records are pushed before photos; this module tests
photos, not case ingest). ``tusclient`` (tuspy) is the official tus client, for interoperability.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from helpers import ServerProcess
from sqlalchemy import func, select
from tusclient.client import TusClient

from app.domain.lifecycle import Role
from server.accounts import users
from server.db import create_db_engine, session_factory
from server.models import Case, FeedEntry, Photo, User
from server.photos import hashing

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"
MAX_SIZE = 50 * 1024 * 1024


class TusServer(ServerProcess):
    """A server process (demo accounts) plus a direct line to its database."""

    def __init__(
        self, data_dir: Path, database_url: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.extra = ["--demo"] + (["--database-url", database_url] if database_url else [])
        self.env = env or {}
        self._start(data_dir)
        self.database_url = database_url or f"sqlite:///{data_dir / 'server.db'}"
        self.engine = create_db_engine(self.database_url)
        self.sessions = session_factory(self.engine)
        self.tokens: dict[str, str] = {}

    def _start(self, data_dir: Path) -> None:
        with mock.patch.dict(os.environ, self.env):  # the child inherits the environment
            super().__init__(data_dir, *self.extra)

    def restart(self) -> None:
        """Stop the process and start a new one on the same data (at a new port)."""
        super().stop()
        self._start(self.data_dir)

    def stop(self) -> None:
        super().stop()
        self.engine.dispose()

    @property
    def photos(self) -> Path:
        return Path(self.data_dir) / "photos"

    def photo(self, photo_id: str) -> Photo | None:
        with self.sessions() as session:
            return session.get(Photo, photo_id)

    def partial_file(self, photo_id: str) -> Path:
        photo = self.photo(photo_id)
        assert photo is not None
        return self.photos / "partial" / photo.storage_name

    def user_id(self, username: str) -> str:
        with self.sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            assert user is not None
            return user.id

    def ensure_user(self, username: str, role: Role) -> None:
        """An account whose password is its name (the demo accounts already are)."""
        with self.sessions.begin() as session:
            if session.scalar(select(User).where(User.username == username)) is None:
                users.add_user(session, username, username, role, policy=False)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = httpx.post(
                f"{self.url}/api/v1/auth/login", json={"username": username, "password": username}
            )
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["token"]
        return self.tokens[username]


def insert_case(
    server: TusServer, author_username: str, assignee_username: str | None = None
) -> str:
    """A submitted case by ``author_username``, written straight into the server's database."""
    now = datetime.now(UTC)
    case_id = str(uuid.uuid4())
    with server.sessions.begin() as session:
        session.add(
            Case(
                id=case_id,
                author_id=server.user_id(author_username),
                status="submitted",
                category_code="06010",
                description="暴露垃圾 test case",
                created_at=now,
                submitted_at=now,
                received_at=now,
                updated_at=now,
                assignee_id=server.user_id(assignee_username) if assignee_username else None,
            )
        )
    return case_id


def jpeg(size: int) -> bytes:
    """Random bytes behind a JPEG signature: passes the magic check, compresses like a photo."""
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 4)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def metadata(**values: str) -> str:
    return ",".join(f"{key} {b64(value)}" for key, value in values.items())


class Uploader:
    """One signed-in user speaking tus by hand (httpx), so every header is visible."""

    def __init__(self, server: TusServer, username: str) -> None:
        self.server = server
        self.token = server.token(username)
        self.http = httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"Bearer {self.token}", **TUS},
            timeout=30,
        )

    def create(
        self,
        case_id: str,
        data: bytes,
        *,
        photo_id: str | None = None,
        sha256: str | None = None,
        length: str | None = None,
        **meta: str,
    ) -> httpx.Response:
        values = {
            "case_id": case_id,
            "photo_id": photo_id or str(uuid.uuid4()),
            "sha256": sha256 or hashlib.sha256(data).hexdigest(),
            "mime": "image/jpeg",
            "role": "before",
            "filename": "IMG_0001.jpg",
            **meta,
        }
        return self.http.post(
            "/api/v1/uploads",
            headers={
                "Upload-Length": str(len(data)) if length is None else length,
                "Upload-Metadata": metadata(**values),
            },
        )

    def created(self, case_id: str, data: bytes, **kwargs: str) -> str:
        response = self.create(case_id, data, **kwargs)
        assert response.status_code == 201, response.text
        return response.headers["Location"]

    def patch(
        self, url: str, offset: int, body: bytes, checksum: tuple[str, bytes] | None = None
    ) -> httpx.Response:
        headers = {"Upload-Offset": str(offset), "Content-Type": OCTETS}
        if checksum is not None:
            algorithm, digest = checksum
            headers["Upload-Checksum"] = f"{algorithm} {base64.b64encode(digest).decode()}"
        return self.http.patch(url, content=body, headers=headers)

    def offset(self, url: str) -> int:
        response = self.http.head(url)
        assert response.status_code == 200, response.status_code
        return int(response.headers["Upload-Offset"])

    def upload(self, case_id: str, data: bytes, chunk: int | None = None, **meta: str) -> str:
        """A whole upload; returns the photo id."""
        url = self.created(case_id, data, **meta)
        step = chunk or len(data)
        for start in range(0, len(data), step):
            response = self.patch(url, start, data[start : start + step])
            assert response.status_code == 204, response.text
            assert response.headers["Upload-Offset"] == str(min(start + step, len(data)))
        return url.rsplit("/", 1)[1]

    def download(self, photo_id: str) -> httpx.Response:
        return self.http.get(f"/api/v1/photos/{photo_id}")


def raw_patch(server: TusServer, token: str, url: str, offset: int, length: int) -> socket.socket:
    """A PATCH announcing ``length`` body bytes over a raw socket; the body is sent by the test."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = (
        f"PATCH {url} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
        f"Content-Type: {OCTETS}\r\nUpload-Offset: {offset}\r\nContent-Length: {length}\r\n\r\n"
    )
    sock.sendall(head.encode())
    return sock


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def has_bytes(path: Path) -> bool:
    """Whether the partial file exists and is not empty (the first PATCH creates it)."""
    return path.exists() and path.stat().st_size > 0


def rehashes(server: TusServer, photo_id: str) -> int:
    """How often the running process read an upload's earlier bytes back to rebuild its SHA-256
    state (it keeps the state between PATCHes it serves itself)."""
    return server.log.read_text().count(f"upload {photo_id}: hashing the")


def patch_when_unlocked(client: Uploader, url: str, offset: int, body: bytes) -> httpx.Response:
    """PATCH, retrying while an earlier (dropped) request still holds the upload (423)."""
    deadline = time.monotonic() + 10
    while True:
        response = client.patch(url, offset, body)
        if response.status_code != 423 or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TusServer]:
    process = TusServer(tmp_path_factory.mktemp("tus") / "data")
    process.ensure_user("tus_other", Role.INSPECTOR)
    process.ensure_user("tus_assignee", Role.INSPECTOR)
    process.ensure_user("tus_admin", Role.ADMIN)
    yield process
    process.stop()


@pytest.fixture
def demo(server: TusServer) -> Uploader:
    return Uploader(server, "demo")


@pytest.fixture
def other(server: TusServer) -> Uploader:
    return Uploader(server, "tus_other")


@pytest.fixture
def case_id(server: TusServer) -> str:
    return insert_case(server, "demo")


# --- protocol basics ------------------------------------------------------------------------------


def test_options_advertise_the_protocol(server: TusServer) -> None:
    response = httpx.options(f"{server.url}/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation", "creation-with-upload", "checksum", "termination", "expiration",
    }  # fmt: skip
    assert response.headers["Tus-Max-Size"] == str(MAX_SIZE)
    assert set(response.headers["Tus-Checksum-Algorithm"].split(",")) == {"sha1", "sha256"}


def test_openapi_lists_the_endpoints_and_the_bench_route_is_off_by_default(
    server: TusServer,
) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert {"post", "options"} <= set(paths["/api/v1/uploads"])
    assert {"head", "patch", "delete"} <= set(paths["/api/v1/uploads/{photo_id}"])
    assert "get" in paths["/api/v1/photos/{photo_id}"]
    assert "/api/v1/bench/blob" not in paths
    assert httpx.put(f"{server.url}/api/v1/bench/blob", content=b"x" * 10).status_code == 404
    assert not (server.photos / "bench").exists()


def test_a_photo_in_one_patch_is_verified_stored_and_announced(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    data = jpeg(300_000)
    url = demo.created(case_id, data)
    photo_id = url.rsplit("/", 1)[1]
    assert url == f"/api/v1/uploads/{photo_id}"
    response = demo.patch(url, 0, data)
    assert response.status_code == 204, response.text
    assert response.headers["Upload-Offset"] == str(len(data))
    assert response.headers["Tus-Resumable"] == "1.0.0"

    photo = server.photo(photo_id)
    assert photo is not None and photo.state == "complete" and photo.completed_at is not None
    assert photo.upload_offset == photo.size_bytes == len(data)
    assert photo.expires_at is None
    stored = server.photos / "complete" / photo.storage_name
    assert stored.read_bytes() == data
    assert not (server.photos / "partial" / photo.storage_name).exists()
    with server.sessions() as session:
        entry = session.scalar(
            select(FeedEntry).where(FeedEntry.kind == "photo", FeedEntry.entity_id == photo_id)
        )
    assert entry is not None and entry.role == "supervisor" and entry.user_id is None
    assert entry.payload["case_id"] == case_id and entry.payload["sha256"] == photo.sha256

    download = demo.download(photo_id)
    assert download.status_code == 200 and download.content == data
    assert download.headers["Content-Type"] == "image/jpeg"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"] == f'inline; filename="{photo_id}.jpg"'
    # A completed upload still answers HEAD (offset == length: the client's proof of receipt).
    head = demo.http.head(url)
    assert head.headers["Upload-Offset"] == head.headers["Upload-Length"] == str(len(data))


def test_an_upload_in_chunks_reports_its_offset_and_expiry(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    data = jpeg(250_000)
    created = demo.create(case_id, data, filename="DSCN0010.jpg")
    assert created.status_code == 201
    url = created.headers["Location"]
    expires = parsedate_to_datetime(created.headers["Upload-Expires"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24, minutes=1)
    head = demo.http.head(url)
    assert head.status_code == 200
    assert head.headers["Upload-Offset"] == "0"
    assert head.headers["Upload-Length"] == str(len(data))
    assert head.headers["Cache-Control"] == "no-store"
    assert head.headers["Tus-Resumable"] == "1.0.0"
    echoed = dict(pair.split(" ") for pair in head.headers["Upload-Metadata"].split(","))
    assert base64.b64decode(echoed["filename"]).decode() == "DSCN0010.jpg"

    chunk = 64 * 1024
    for start in range(0, len(data), chunk):
        response = demo.patch(url, start, data[start : start + chunk])
        assert response.status_code == 204, response.text
        end = min(start + chunk, len(data))
        assert response.headers["Upload-Offset"] == str(end)
        if end < len(data):
            assert "Upload-Expires" in response.headers
            assert demo.offset(url) == end
            assert server.partial_file(url.rsplit("/", 1)[1]).stat().st_size == end
    assert demo.download(url.rsplit("/", 1)[1]).content == data


def test_creation_is_idempotent_per_photo_id(
    server: TusServer, demo: Uploader, other: Uploader, case_id: str
) -> None:
    data = jpeg(100_000)
    photo_id = str(uuid.uuid4())
    first = demo.create(case_id, data, photo_id=photo_id)
    assert first.status_code == 201
    assert demo.patch(first.headers["Location"], 0, data[:40_000]).status_code == 204
    again = demo.create(case_id, data, photo_id=photo_id)
    assert again.status_code == 200
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Upload-Offset"] == "40000"
    with server.sessions() as session:
        assert session.scalar(select(func.count()).where(Photo.id == photo_id)) == 1
    storage_name = server.partial_file(photo_id).name
    assert [f.name for f in (server.photos / "partial").iterdir()].count(storage_name) == 1
    # The same id with other content is a conflict, never a second upload.
    changed = demo.create(case_id, jpeg(100_000), photo_id=photo_id)
    assert changed.status_code == 409 and "other content" in changed.json()["detail"]["en"]
    assert (
        other.create(insert_case(server, "tus_other"), data, photo_id=photo_id).status_code == 409
    )
    # Completed: the same creation still answers with the same URL, now at the end.
    assert demo.patch(first.headers["Location"], 40_000, data[40_000:]).status_code == 204
    done = demo.create(case_id, data, photo_id=photo_id)
    assert done.status_code == 200 and done.headers["Upload-Offset"] == str(len(data))


def test_a_stale_offset_gets_409_and_changes_nothing(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    data = jpeg(90_000)
    url = demo.created(case_id, data)
    assert demo.patch(url, 0, data[:30_000]).status_code == 204
    for offset in (0, 10_000, 60_000):
        response = demo.patch(url, offset, data[offset : offset + 10_000])
        assert response.status_code == 409, response.text
        assert response.headers["Upload-Offset"] == "30000"
        assert "30000" in response.json()["detail"]["en"]
    assert demo.offset(url) == 30_000
    assert server.partial_file(url.rsplit("/", 1)[1]).read_bytes() == data[:30_000]


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_chunk_with_a_wrong_checksum_gets_460_and_is_discarded(
    server: TusServer, demo: Uploader, case_id: str, algorithm: str
) -> None:
    data = jpeg(80_000)
    url = demo.created(case_id, data)
    good = hashlib.new(algorithm, data[:50_000]).digest()
    assert demo.patch(url, 0, data[:50_000], (algorithm, good)).status_code == 204
    wrong = hashlib.new(algorithm, b"something else").digest()
    response = demo.patch(url, 50_000, data[50_000:], (algorithm, wrong))
    assert response.status_code == 460, response.text
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert "checksum" in response.json()["detail"]["en"].lower()
    assert demo.offset(url) == 50_000
    assert server.partial_file(url.rsplit("/", 1)[1]).stat().st_size == 50_000
    right = hashlib.new(algorithm, data[50_000:]).digest()
    assert demo.patch(url, 50_000, data[50_000:], (algorithm, right)).status_code == 204
    assert demo.download(url.rsplit("/", 1)[1]).content == data


def test_a_wrong_whole_file_sha256_gets_460_and_resets_the_upload(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    data = jpeg(70_000)
    url = demo.created(case_id, data, sha256=hashlib.sha256(b"another photo").hexdigest())
    assert demo.patch(url, 0, data[:35_000]).status_code == 204
    response = demo.patch(url, 35_000, data[35_000:])
    assert response.status_code == 460, response.text
    assert "SHA-256" in response.json()["detail"]["en"]
    assert response.headers["Upload-Offset"] == "0"
    photo_id = url.rsplit("/", 1)[1]
    assert demo.offset(url) == 0
    assert server.partial_file(photo_id).stat().st_size == 0
    photo = server.photo(photo_id)
    assert photo is not None and photo.state == "uploading"
    assert demo.download(photo_id).status_code == 404


@pytest.mark.parametrize(
    ("mime", "body"),
    [
        ("image/jpeg", b"<html><script>alert(1)</script></html>" + b" " * 1000),
        ("image/jpeg", b"\x89PNG\r\n\x1a\n" + os.urandom(1000)),
        ("image/png", jpeg(1000)),
        ("image/heic", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(1000)),
        ("image/heif", b"\x00\x00\x00\x08ftyp" + os.urandom(100)),
    ],
)
def test_bytes_that_are_not_the_declared_image_type_get_415(
    server: TusServer, demo: Uploader, case_id: str, mime: str, body: bytes
) -> None:
    url = demo.created(case_id, body, mime=mime)
    photo_id = url.rsplit("/", 1)[1]
    storage_name = server.partial_file(photo_id).name
    response = demo.patch(url, 0, body)
    assert response.status_code == 415, response.text
    assert mime in response.json()["detail"]["en"]
    assert demo.http.head(url).status_code == 404
    assert not (server.photos / "partial" / storage_name).exists()
    assert not (server.photos / "complete" / storage_name).exists()


def test_png_and_a_real_heic_photo_are_accepted(
    server: TusServer, demo: Uploader, case_id: str, samples: Path
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)
    heic = (samples / "photos" / "heic" / "IMG_5195.HEIC").read_bytes()
    for mime, data in (("image/png", png), ("image/heic", heic)):
        photo_id = demo.upload(case_id, data, chunk=200_000, mime=mime)
        response = demo.download(photo_id)
        assert response.content == data and response.headers["Content-Type"] == mime
        ext = {"image/png": "png", "image/heic": "heic"}[mime]
        assert response.headers["Content-Disposition"] == f'inline; filename="{photo_id}.{ext}"'


def test_size_limits_get_413(server: TusServer, demo: Uploader, case_id: str) -> None:
    too_big = demo.create(case_id, b"", length=str(MAX_SIZE + 1))
    assert too_big.status_code == 413 and str(MAX_SIZE) in too_big.json()["detail"]["en"]
    assert demo.create(case_id, b"", length=str(MAX_SIZE), sha256="0" * 64).status_code == 201

    data = jpeg(10_000)
    url = demo.created(case_id, data)
    assert demo.patch(url, 0, data[:4000]).status_code == 204
    # Declared too long (Content-Length): refused before a byte is read.
    response = demo.patch(url, 4000, data[4000:] + b"overflow")
    assert response.status_code == 413, response.text
    # Chunked (no Content-Length): refused once the body passes Upload-Length; nothing is kept.
    body = iter([data[4000:8000], data[8000:], b"x" * 5000])
    response = demo.http.patch(
        url, content=body, headers={"Upload-Offset": "4000", "Content-Type": OCTETS}
    )
    assert response.status_code == 413, response.text
    assert demo.offset(url) == 4000
    assert server.partial_file(url.rsplit("/", 1)[1]).read_bytes() == data[:4000]
    assert demo.patch(url, 4000, data[4000:]).status_code == 204


@pytest.mark.parametrize("version", [None, "0.2.2", "1.0", ""])
@pytest.mark.parametrize("method", ["POST", "HEAD", "PATCH", "DELETE"])
def test_a_wrong_or_missing_tus_resumable_gets_412(
    server: TusServer, demo: Uploader, case_id: str, method: str, version: str | None
) -> None:
    data = jpeg(1000)
    url = demo.created(case_id, data) if method != "POST" else "/api/v1/uploads"
    headers = {
        "Authorization": f"Bearer {demo.token}",
        "Upload-Length": "1000",
        "Upload-Metadata": metadata(case_id=case_id, photo_id=str(uuid.uuid4()), sha256="0" * 64,
                                    mime="image/jpeg"),
        "Upload-Offset": "0",
        "Content-Type": OCTETS,
    }  # fmt: skip
    if version is not None:
        headers["Tus-Resumable"] = version
    response = httpx.request(method, f"{server.url}{url}", headers=headers)
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0"
    assert response.headers["Tus-Resumable"] == "1.0.0"
    if method != "POST":
        assert demo.offset(url) == 0  # nothing happened


def test_requests_without_a_valid_token_get_401(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    data = jpeg(1000)
    url = demo.created(case_id, data)
    photo_id = url.rsplit("/", 1)[1]
    for headers in ({**TUS}, {**TUS, "Authorization": "Bearer not-a-token"}):
        anonymous = httpx.Client(base_url=server.url, headers=headers)
        assert anonymous.post("/api/v1/uploads", headers={"Upload-Length": "1"}).status_code == 401
        assert anonymous.head(url).status_code == 401
        patched = anonymous.patch(
            url, content=data, headers={"Upload-Offset": "0", "Content-Type": OCTETS}
        )
        assert patched.status_code == 401
        assert patched.headers["WWW-Authenticate"] == "Bearer"
        assert anonymous.delete(url).status_code == 401
        assert anonymous.get(f"/api/v1/photos/{photo_id}").status_code == 401
    assert demo.offset(url) == 0


def test_only_the_author_or_the_assignee_inspector_may_upload(
    server: TusServer, demo: Uploader, other: Uploader, case_id: str
) -> None:
    data = jpeg(2000)
    response = other.create(case_id, data)
    assert response.status_code == 403 and "author" in response.json()["detail"]["en"]
    for username in ("supervisor", "tus_admin"):
        response = Uploader(server, username).create(case_id, data)
        assert response.status_code == 403, username
        assert "only inspectors" in response.json()["detail"]["en"]
    unknown = str(uuid.uuid4())
    response = demo.create(unknown, data)
    assert response.status_code == 404
    assert (
        unknown in response.json()["detail"]["en"]
        and "push the case" in response.json()["detail"]["en"]
    )
    # A re-inspection: the assignee adds an "after" photo to someone else's case.
    reinspected = insert_case(server, "demo", assignee_username="tus_assignee")
    photo_id = Uploader(server, "tus_assignee").upload(reinspected, data, role="after")
    photo = server.photo(photo_id)
    assert photo is not None and photo.role == "after" and photo.state == "complete"


def test_someone_elses_upload_is_not_found(
    server: TusServer, demo: Uploader, other: Uploader, case_id: str
) -> None:
    data = jpeg(2000)
    url = demo.created(case_id, data)
    for intruder in (other, Uploader(server, "supervisor")):
        assert intruder.http.head(url).status_code == 404
        response = intruder.patch(url, 0, data)
        assert response.status_code == 404 and response.json()["detail"]["en"] == "upload not found"
        assert intruder.http.delete(url).status_code == 404
    assert demo.offset(url) == 0
    assert other.http.head(f"/api/v1/uploads/{uuid.uuid4()}").status_code == 404


def test_downloads_are_for_the_uploader_the_case_people_supervisors_and_admins(
    server: TusServer, demo: Uploader, other: Uploader
) -> None:
    case_id = insert_case(server, "demo", assignee_username="tus_assignee")
    data = jpeg(5000)
    photo_id = Uploader(server, "tus_assignee").upload(case_id, data, role="after")
    for username in ("tus_assignee", "demo", "supervisor", "tus_admin"):
        response = Uploader(server, username).download(photo_id)
        assert response.status_code == 200, username
        assert response.content == data
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert other.download(photo_id).status_code == 404
    unfinished = demo.created(case_id, data).rsplit("/", 1)[1]
    for missing in (str(uuid.uuid4()), unfinished, "..%2F..%2Fserver.db", "x" * 36):
        response = demo.download(missing)
        assert response.status_code == 404, missing
        assert response.json()["detail"]["en"] in ("photo not found", "Not Found")
    assert demo.download("../../server.db").status_code == 404


def test_termination_frees_an_unfinished_upload(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    data = jpeg(20_000)
    url = demo.created(case_id, data)
    assert demo.patch(url, 0, data[:10_000]).status_code == 204
    partial = server.partial_file(url.rsplit("/", 1)[1])
    response = demo.http.delete(url)
    assert response.status_code == 204 and response.headers["Tus-Resumable"] == "1.0.0"
    assert not partial.exists()
    assert demo.http.head(url).status_code == 404
    assert demo.patch(url, 10_000, data[10_000:]).status_code == 404
    assert demo.http.delete(url).status_code == 404
    # A complete photo is case evidence: it is not deleted through the upload API.
    photo_id = demo.upload(case_id, data)
    response = demo.http.delete(f"/api/v1/uploads/{photo_id}")
    assert response.status_code == 409
    assert demo.download(photo_id).status_code == 200


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, 400),
        ({"Upload-Length": "-5"}, 400),
        ({"Upload-Length": "abc"}, 400),
        ({"Upload-Length": "0"}, 400),
        ({"Upload-Length": "١٢".encode()}, 400),  # UTF-8 Arabic-Indic digits are no length
        ({"Upload-Length": "100", "Upload-Metadata": "case_id !!!"}, 400),
        ({"Upload-Length": "100", "Upload-Metadata": "a b c"}, 400),
        (
            {"Upload-Length": "100", "Upload-Metadata": f"case_id {b64('x')},case_id {b64('y')}"},
            400,
        ),
        ({"Upload-Length": "100", "Upload-Metadata": f"case_id {b64('x')}"}, 400),
        ({"Upload-Defer-Length": "1"}, 400),
    ],
)
def test_malformed_creations_get_400(
    server: TusServer, demo: Uploader, headers: dict[str, Any], expected: int
) -> None:
    response = demo.http.post("/api/v1/uploads", headers=headers)
    assert response.status_code == expected, response.text
    assert response.json()["detail"]["en"]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("photo_id", "not-a-uuid", 400),
        ("photo_id", "../../etc/passwd", 400),
        ("sha256", "abc", 400),
        ("sha256", "g" * 64, 400),
        ("mime", "image/gif", 415),
        ("mime", "text/html", 415),
        ("role", "during", 400),
        ("filename", "a\x00b.jpg", 400),
        ("filename", "x" * 300, 400),
        ("case_id", "c" * 80, 400),
    ],
)
def test_bad_metadata_values_are_refused(
    demo: Uploader, case_id: str, field: str, value: str, expected: int
) -> None:
    values = {"case_id": case_id, field: value}
    response = demo.create(values.pop("case_id"), jpeg(100), **values)
    assert response.status_code == expected, response.text
    assert field.split("_", maxsplit=1)[0] in response.json()["detail"]["en"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/octet-stream", "Upload-Offset": "0"},
        {"Content-Type": OCTETS},
        {"Content-Type": OCTETS, "Upload-Offset": "-1"},
        {"Content-Type": OCTETS, "Upload-Offset": "0", "Upload-Checksum": "md5 AAAA"},
        {"Content-Type": OCTETS, "Upload-Offset": "0", "Upload-Checksum": "sha1 not*base64"},
        {"Content-Type": OCTETS, "Upload-Offset": "0", "Upload-Checksum": f"sha1 {b64('short')}"},
    ],
)
def test_malformed_patches_get_4xx_and_change_nothing(
    server: TusServer, demo: Uploader, case_id: str, headers: dict[str, str]
) -> None:
    data = jpeg(1000)
    url = demo.created(case_id, data)
    response = demo.http.patch(url, content=data, headers=headers)
    assert response.status_code in (400, 415), response.text
    assert response.json()["detail"]["en"]
    assert demo.offset(url) == 0


@pytest.mark.parametrize(
    "filename",
    [
        "../../../../etc/passwd",
        "..\\..\\..\\Windows\\System32\\drivers\\etc\\hosts",
        "/tmp/evil.jpg",
        "井盖破损_人民路🚧📷.jpg",
        "photo\u202egpj.exe",
        "CON",
        'quote".jpg; filename=evil.html',
    ],
)
def test_filenames_are_only_metadata(
    server: TusServer, demo: Uploader, case_id: str, filename: str
) -> None:
    data = jpeg(3000)
    photo_id = demo.upload(case_id, data, filename=filename)
    photo = server.photo(photo_id)
    assert photo is not None and photo.metadata_json["filename"] == filename
    assert photo.storage_name.endswith(".jpg") and len(photo.storage_name) == 36
    assert (server.photos / "complete" / photo.storage_name).read_bytes() == data
    for found in server.data_dir.parent.rglob("*"):
        assert found.name not in {"passwd", "hosts", "evil.jpg", "CON"}, found
    head = demo.http.head(f"/api/v1/uploads/{photo_id}")
    echoed = dict(pair.split(" ") for pair in head.headers["Upload-Metadata"].split(","))
    assert base64.b64decode(echoed["filename"]).decode() == filename
    response = demo.download(photo_id)
    assert response.headers["Content-Disposition"] == f'inline; filename="{photo_id}.jpg"'


# --- interrupted uploads ----------------------------------------------------------------------------


def test_a_dropped_connection_keeps_what_reached_the_disk_and_the_upload_resumes(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    data = jpeg(1_000_000)
    url = demo.created(case_id, data)
    partial = server.partial_file(url.rsplit("/", 1)[1])
    sock = raw_patch(server, demo.token, url, 0, len(data))
    sock.sendall(data[:600_000])
    wait_for(lambda: has_bytes(partial))  # the server is writing
    sock.close()  # mid-body: 400 000 bytes never come

    wait_for(lambda: demo.offset(url) > 0)
    offset = demo.offset(url)
    assert offset <= 600_000
    assert partial.stat().st_size == offset
    assert partial.read_bytes() == data[:offset]

    response = patch_when_unlocked(demo, url, offset, data[offset:])
    assert response.status_code == 204, response.text
    assert demo.download(url.rsplit("/", 1)[1]).content == data


def test_a_second_patch_while_one_is_running_gets_423(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    data = jpeg(600_000)
    url = demo.created(case_id, data)
    partial = server.partial_file(url.rsplit("/", 1)[1])
    sock = raw_patch(server, demo.token, url, 0, len(data))
    sock.sendall(data[:300_000])
    wait_for(lambda: has_bytes(partial))  # the raw request is writing: it holds the upload
    response = demo.patch(url, 0, data)
    assert response.status_code == 423 and response.headers["Retry-After"]
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert demo.patch(url, 0, b"").status_code == 423
    sock.sendall(data[300_000:])
    reply = sock.recv(4096)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 204"), reply
    assert demo.offset(url) == len(data)
    assert demo.download(url.rsplit("/", 1)[1]).content == data


def test_bytes_written_but_never_committed_are_cut_back(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    """A crash between fsync and commit leaves the file longer than the offset."""
    data = jpeg(60_000)
    url = demo.created(case_id, data)
    assert demo.patch(url, 0, data[:20_000]).status_code == 204
    partial = server.partial_file(url.rsplit("/", 1)[1])
    with partial.open("ab") as stream:
        stream.write(b"uncommitted garbage" * 100)
    assert demo.offset(url) == 20_000  # the offset never counts uncommitted bytes
    assert demo.patch(url, 20_000, data[20_000:]).status_code == 204
    assert demo.download(url.rsplit("/", 1)[1]).content == data


def test_bytes_the_disk_lost_move_the_committed_offset_back(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    """Should the disk lose synced bytes, the next PATCH commits the offset back to what is
    there (409 with that offset) and the client resumes from it; the photo ends up whole."""
    data = jpeg(60_000)
    url = demo.created(case_id, data)
    assert demo.patch(url, 0, data[:40_000]).status_code == 204
    os.truncate(server.partial_file(url.rsplit("/", 1)[1]), 25_000)
    response = demo.patch(url, 40_000, data[40_000:])
    assert response.status_code == 409, response.text
    assert response.headers["Upload-Offset"] == "25000"
    assert demo.offset(url) == 25_000  # committed, not only answered
    photo = server.photo(url.rsplit("/", 1)[1])
    assert photo is not None and photo.upload_offset == 25_000
    assert demo.patch(url, 25_000, data[25_000:]).status_code == 204
    assert demo.download(url.rsplit("/", 1)[1]).content == data


def test_a_move_undone_by_a_crash_is_finished_later(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    """The database said complete but the file was still in partial/ (crash before the move)."""
    data = jpeg(8000)
    photo_id = demo.upload(case_id, data)
    photo = server.photo(photo_id)
    assert photo is not None
    (server.photos / "complete" / photo.storage_name).rename(
        server.photos / "partial" / photo.storage_name
    )
    assert demo.download(photo_id).content == data
    assert (server.photos / "complete" / photo.storage_name).exists()
    assert not (server.photos / "partial" / photo.storage_name).exists()


def test_uploads_survive_a_server_restart(server: TusServer, case_id: str) -> None:
    client = Uploader(server, "demo")
    data = jpeg(500_000)
    url = client.created(case_id, data)
    assert client.patch(url, 0, data[:200_000]).status_code == 204
    server.restart()  # the same data folder and database, a new process
    client = Uploader(server, "demo")
    offset = client.offset(url)
    assert offset == 200_000
    assert client.patch(url, offset, data[offset:]).status_code == 204
    assert client.download(url.rsplit("/", 1)[1]).content == data


def test_the_file_hash_is_kept_between_chunks_and_rebuilt_once_after_a_restart(
    server: TusServer, case_id: str
) -> None:
    client = Uploader(server, "demo")
    data = jpeg(1_000_000)
    url = client.created(case_id, data)
    photo_id = url.rsplit("/", 1)[1]
    assert not server.partial_file(photo_id).exists()  # a creation makes no file
    for start in (0, 250_000):
        assert client.patch(url, start, data[start : start + 250_000]).status_code == 204
    assert rehashes(server, photo_id) == 0  # the process kept the state: nothing read back
    server.restart()
    client = Uploader(server, "demo")
    assert client.patch(url, 500_000, data[500_000:750_000]).status_code == 204
    assert rehashes(server, photo_id) == 1  # the new process read the 500 000 bytes once
    response = client.patch(url, 750_000, data[750_000:])
    assert response.status_code == 204, response.text
    assert rehashes(server, photo_id) == 1
    assert client.download(photo_id).content == data


def test_a_kept_hash_state_is_only_handed_out_for_the_committed_state_it_belongs_to() -> None:
    states = hashing.HashStates(capacity=2)
    now = datetime.now(UTC)
    kept = hashlib.sha256(b"first chunk")
    states.put("a.jpg", 11, now, kept)
    assert states.take("a.jpg", 11, now + timedelta(microseconds=1)) is None  # another commit
    assert states.take("a.jpg", 11, now) is None  # a failed take drops the state
    states.put("a.jpg", 11, now, kept)
    assert states.take("a.jpg", 12, now) is None  # another offset
    states.put("a.jpg", 11, now, kept)
    assert states.take("a.jpg", 11, now) is kept
    assert states.take("a.jpg", 11, now) is None  # taken: one PATCH at a time owns it
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        states.put(name, 1, None, hashlib.sha256())
    assert len(states) == 2 and states.take("a.jpg", 1, None) is None  # the oldest made way


def test_a_discarded_chunk_leaves_the_file_hash_as_it_was(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    data = jpeg(90_000)
    url = demo.created(case_id, data)
    photo_id = url.rsplit("/", 1)[1]
    assert demo.patch(url, 0, data[:30_000]).status_code == 204
    wrong = ("sha256", hashlib.sha256(b"not this chunk").digest())
    assert demo.patch(url, 30_000, data[30_000:60_000], wrong).status_code == 460
    assert demo.patch(url, 30_000, data[30_000:] + b"too long").status_code == 413
    assert demo.patch(url, 30_000, data[30_000:60_000]).status_code == 204
    assert demo.patch(url, 60_000, data[60_000:]).status_code == 204
    assert rehashes(server, photo_id) == 0
    assert demo.download(photo_id).content == data


def test_a_second_process_on_the_same_upload_rebuilds_the_file_hash(
    server: TusServer, case_id: str
) -> None:
    """Two workers share the photo folder and the database (as several workers on PostgreSQL
    do): each PATCH that follows one served by the other process reads the bytes back."""
    second = TusServer(Path(server.data_dir))
    try:
        first, other = Uploader(server, "demo"), Uploader(second, "demo")
        data = jpeg(400_000)
        url = first.created(case_id, data)
        photo_id = url.rsplit("/", 1)[1]
        assert first.patch(url, 0, data[:100_000]).status_code == 204
        assert other.patch(url, 100_000, data[100_000:200_000]).status_code == 204
        assert rehashes(second, photo_id) == 1
        # The first process still holds its state for offset 100 000: it must not use it.
        assert first.patch(url, 200_000, data[200_000:300_000]).status_code == 204
        assert rehashes(server, photo_id) == 1
        assert first.patch(url, 300_000, data[300_000:]).status_code == 204
        assert rehashes(server, photo_id) == 1
        assert other.download(photo_id).content == data

        # A state kept for the same offset is stale once the upload was reset and sent again:
        # here the second sending was corrupted, and the whole-file check must still see it.
        data = jpeg(200_000)
        url = first.created(case_id, data)
        photo_id = url.rsplit("/", 1)[1]
        assert first.patch(url, 0, data[:100_000]).status_code == 204  # state kept at 100 000
        assert other.patch(url, 100_000, jpeg(100_000)).status_code == 460  # reset to 0
        corrupted = bytes([data[0] ^ 1]) + data[1:100_000]
        assert other.patch(url, 0, corrupted).status_code == 204  # offset 100 000 again
        response = first.patch(url, 100_000, data[100_000:])
        assert response.status_code == 460, response.text
        assert first.offset(url) == 0
        assert first.download(photo_id).status_code == 404
    finally:
        second.stop()


# --- expiry and stalled clients (a server with short periods) ------------------------------------------


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TusServer]:
    env = {"CITYPATROL_SERVER_UPLOAD_EXPIRY_S": "2", "CITYPATROL_SERVER_UPLOAD_IDLE_S": "1"}
    process = TusServer(tmp_path_factory.mktemp("tus-quick") / "data", env=env)
    yield process
    process.stop()


def test_expired_uploads_get_410_and_are_swept(quick: TusServer) -> None:
    client = Uploader(quick, "demo")
    case_id = insert_case(quick, "demo")
    data = jpeg(50_000)
    first = client.create(case_id, data)
    expires = parsedate_to_datetime(first.headers["Upload-Expires"])
    assert expires - datetime.now(UTC) <= timedelta(seconds=3)
    url = first.headers["Location"]
    assert client.patch(url, 0, data[:20_000]).status_code == 204
    abandoned = client.created(case_id, data)
    abandoned_file = quick.partial_file(abandoned.rsplit("/", 1)[1])
    orphan = quick.photos / "partial" / "left-by-a-crash.jpg"
    orphan.write_bytes(b"x")
    os.utime(orphan, (time.time() - 60, time.time() - 60))
    time.sleep(2.3)

    partial = quick.partial_file(url.rsplit("/", 1)[1])
    response = client.http.head(url)
    assert response.status_code == 410
    assert not partial.exists() and quick.photo(url.rsplit("/", 1)[1]) is None
    assert client.patch(url, 20_000, data[20_000:]).status_code == 404
    # The periodic sweep (run by the next creation) removes what nobody asked about again.
    client.created(case_id, data)
    assert not abandoned_file.exists() and quick.photo(abandoned.rsplit("/", 1)[1]) is None
    assert not orphan.exists()


def test_a_stalled_patch_lets_go_of_the_upload_after_the_idle_timeout(quick: TusServer) -> None:
    client = Uploader(quick, "demo")
    case_id = insert_case(quick, "demo")
    data = jpeg(300_000)
    url = client.created(case_id, data)
    sock = raw_patch(quick, client.token, url, 0, len(data))
    sock.sendall(data[:100_000])
    try:
        # The old connection stays open (a half-open TCP connection after a network change),
        # yet after 1 s without data the bytes received are committed and the lock released.
        wait_for(lambda: client.offset(url) == 100_000, timeout=5)
        response = patch_when_unlocked(client, url, 100_000, data[100_000:])
        assert response.status_code == 204, response.text
    finally:
        sock.close()
    assert client.download(url.rsplit("/", 1)[1]).content == data


# --- the official tus client (tuspy) --------------------------------------------------------------------


def tus_client(server: TusServer) -> TusClient:
    return TusClient(
        f"{server.url}/api/v1/uploads",
        headers={"Authorization": f"Bearer {server.token('demo')}"},
    )


def photo_metadata(case_id: str, path: Path) -> dict[str, str]:
    return {
        "case_id": case_id,
        "photo_id": str(uuid.uuid4()),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "mime": "image/jpeg",
        "role": "before",
        "filename": path.name,
    }


def test_tuspy_uploads_a_real_photo(server: TusServer, case_id: str, samples: Path) -> None:
    photo = samples / "photos" / "jpg" / "gps" / "DSCN0010.jpg"
    client = tus_client(server)
    meta = photo_metadata(case_id, photo)
    uploader = client.uploader(file_path=str(photo), chunk_size=48 * 1024, metadata=meta)
    uploader.upload()
    assert uploader.url == f"{server.url}/api/v1/uploads/{meta['photo_id']}"
    response = Uploader(server, "supervisor").download(meta["photo_id"])
    assert response.status_code == 200 and response.content == photo.read_bytes()


def test_tuspy_resumes_an_interrupted_upload_with_a_new_uploader(
    server: TusServer, case_id: str, samples: Path
) -> None:
    photo = samples / "photos" / "jpg" / "gps" / "DSCN0012.jpg"
    client = tus_client(server)
    meta = photo_metadata(case_id, photo)
    first = client.uploader(file_path=str(photo), chunk_size=32 * 1024, metadata=meta)
    for _ in range(3):
        first.upload_chunk()
    assert first.offset == 3 * 32 * 1024
    # The app restarts: a new uploader knows only the URL and asks the server where to go on.
    second = client.uploader(
        file_path=str(photo), url=first.url, chunk_size=32 * 1024, upload_checksum=True
    )
    assert second.offset == 3 * 32 * 1024
    second.upload()
    response = Uploader(server, "demo").download(meta["photo_id"])
    assert response.content == photo.read_bytes()
    # Resending the creation (the app did not see the answer) finds the finished upload.
    again = client.uploader(file_path=str(photo), chunk_size=32 * 1024, metadata=meta)
    assert again.create_url() == first.url


# --- PostgreSQL ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[TusServer]:
    url = str(request.getfixturevalue("postgres").create_database())
    process = TusServer(tmp_path_factory.mktemp("tus-pg") / "data", database_url=url)
    yield process
    process.stop()


def test_postgresql_upload_with_a_concurrent_patch_and_a_resend(pg_server: TusServer) -> None:
    client = Uploader(pg_server, "demo")
    case_id = insert_case(pg_server, "demo")
    data = jpeg(600_000)
    photo_id = str(uuid.uuid4())
    url = client.created(case_id, data, photo_id=photo_id)
    assert client.create(case_id, data, photo_id=photo_id).headers["Location"] == url
    partial = pg_server.partial_file(photo_id)
    sock = raw_patch(pg_server, client.token, url, 0, 400_000)
    sock.sendall(data[:300_000])
    wait_for(lambda: has_bytes(partial))
    assert client.patch(url, 0, data).status_code == 423
    sock.sendall(data[300_000:400_000])
    assert sock.recv(4096).startswith(b"HTTP/1.1 204")
    sock.close()
    assert client.patch(url, 0, data[:1000]).status_code == 409
    assert client.patch(url, 400_000, data[400_000:]).status_code == 204
    assert Uploader(pg_server, "supervisor").download(photo_id).content == data
    assert rehashes(pg_server, photo_id) == 0  # the hash state was kept between the PATCHes
    with pg_server.sessions() as session:
        photo = session.get(Photo, photo_id)
        assert photo is not None and photo.state == "complete"
        kinds = session.scalars(select(FeedEntry.role).where(FeedEntry.entity_id == photo_id))
        assert list(kinds) == ["supervisor"]


# --- limits (issue 12) ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Upload-Length", "Upload-Offset", "Content-Length"])
def test_numbers_of_5000_digits_get_400_even_before_signing_in(
    server: TusServer, demo: Uploader, case_id: str, name: str
) -> None:
    """int() raises on more than 4,300 digits: that was a 500, before authentication on PATCH."""
    huge = "9" * 5000
    if name == "Upload-Length":
        response = demo.create(case_id, jpeg(100), length=huge)
        assert response.status_code == 400, response.text
        return
    url = demo.created(case_id, jpeg(100))
    headers = {"Content-Type": OCTETS, "Upload-Offset": "0", name: huge, **TUS}
    for auth in ({}, {"Authorization": f"Bearer {demo.token}"}):
        # Content-Length that long is refused by the HTTP server itself (plain 400).
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        with sock:
            head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, **auth}.items())
            body = "" if name == "Content-Length" else "Content-Length: 0\r\n"
            sock.sendall(f"PATCH {url} HTTP/1.1\r\nHost: x\r\n{head}{body}\r\n".encode())
            status_line = sock.recv(65536).split(b"\r\n", 1)[0]
        # Without a token: 401 (no credentials is checked first) or 400, never a 500.
        assert status_line.split()[1] in ({b"400"} if auth else {b"400", b"401"}), status_line


def test_upload_metadata_over_4_kib_is_refused_and_only_known_keys_are_kept(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    big = demo.create(case_id, jpeg(100), padding="x" * 5000)
    assert big.status_code == 400 and "Upload-Metadata" in big.json()["detail"]["en"]
    huge = demo.create(case_id, jpeg(100), padding="x" * 8 * 1024 * 1024)  # the probe
    assert huge.status_code == 431  # past the 64 KiB head limit: never parsed nor stored
    data = jpeg(100)
    url = demo.created(case_id, data, note="y" * 2000)
    photo = server.photo(url.rsplit("/", 1)[1])
    assert photo is not None
    stored = photo.metadata_json["upload_metadata"]
    assert "note" not in stored and len(stored) < 600
    echoed = dict(
        pair.split(" ") for pair in demo.http.head(url).headers["Upload-Metadata"].split(",")
    )
    assert set(echoed) == {"case_id", "photo_id", "sha256", "mime", "role", "filename"}


def test_x_http_method_override_on_post_is_honoured(
    server: TusServer, demo: Uploader, case_id: str
) -> None:
    """For clients behind proxies that pass only GET and POST (the tus spec's rule)."""
    data = jpeg(200 * 1024)  # several reads of the socket, past the head limit's counting
    url = demo.created(case_id, data)
    head = demo.http.post(url, headers={"X-HTTP-Method-Override": "HEAD"})
    assert head.status_code == 200 and head.headers["Upload-Offset"] == "0"
    half = len(data) // 2
    patched = demo.http.post(
        url,
        content=data[:half],
        headers={"X-HTTP-Method-Override": "PATCH", "Upload-Offset": "0", "Content-Type": OCTETS},
    )
    assert patched.status_code == 204, patched.text
    assert patched.headers["Upload-Offset"] == str(half)
    assert demo.offset(url) == half
    deleted = demo.http.post(url, headers={"X-HTTP-Method-Override": "DELETE"})
    assert deleted.status_code == 204
    assert demo.http.head(url).status_code == 404
    # Only PATCH, DELETE and HEAD: a POST stays a POST otherwise (405 on an upload's URL).
    other = demo.http.post(url, headers={"X-HTTP-Method-Override": "PUT"})
    assert other.status_code == 405
