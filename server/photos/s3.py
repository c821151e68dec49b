"""Photo bytes in S3-compatible object storage (``--photo-store s3://BUCKET[/PREFIX]``).

Only the S3 API is used (PutObject, GetObject, CopyObject, HeadObject, ListObjectsV2,
DeleteObjects), so Ceph RGW, SeaweedFS, Garage, MinIO and the cloud providers all serve. The
client is boto3: the endpoint, region and credentials come from the standard AWS settings
(``AWS_ENDPOINT_URL``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``/
``AWS_SECRET_ACCESS_KEY``, ``~/.aws/config`` and ``credentials``, ``AWS_PROFILE``, instance
roles …).

Layout under the prefix:

* ``partial/<storage_name>/<start>`` — an unfinished upload, as *segments*: each PATCH's bytes
  are spooled to a local file while they arrive and stored as one object starting at byte
  ``start`` when the PATCH ends (:meth:`S3Part.sync`). An object exists whole or not at all, so
  the durability rule of the upload holds as on a disk: the offset is committed only after the
  segment that holds its bytes is stored. Every node reaches every segment: an upload begun on
  one node resumes on another.
* ``complete/<storage_name>`` — a finished photo: the segments joined, with the SHA-256 checked
  (ours while joining, and the store's: ``ChecksumSHA256``), then the segments are deleted. A
  photo sent whole (a scored inspection's deduction photo, ``inspection-<sha256>``) is stored
  there directly by :meth:`S3PhotoStore.keep`, with the store checking its SHA-256 too.

The lock of an upload is not in the bucket (S3 has none): :mod:`server.photos.locks`.

When the object store is unreachable or failing, requests that need it answer 503 with
Retry-After (``photo_store_unavailable``) and nothing committed moves: a PATCH whose segment was
not stored keeps its old offset, and the client resends those bytes when the store is back.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from fastapi import status

from server import errors
from server.photos.hashing import Hash
from server.photos.locks import PartLocks, Release
from server.photos.store import Finished, clear_dead_spools, write_all

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("citypatrol.server.tus")

SCHEME: Final = "s3://"
#: Bytes read from the store at a time (downloads, hashing, joining).
READ_PIECE: Final = 256 * 1024
_NOT_FOUND: Final = frozenset({"404", "NoSuchKey", "NotFound"})


def unavailable() -> errors.ApiError:
    return errors.retry_later(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "photo_store_unavailable",
        "照片存储暂时无法访问，请稍后重试；已收到的数据不会丢失",
        "the photo storage is unreachable for now; retry shortly (nothing received is lost)",
        errors.RetryAfter.DATABASE_BUSY,
    )


@contextmanager
def _store_call(what: str) -> Iterator[None]:
    """Object-store failures become a 503 with Retry-After (the request was fine)."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        log.error("photo store: %s failed: %s", what, exc)
        raise unavailable() from exc


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in _NOT_FOUND


def parse_location(location: str) -> tuple[str, str]:
    """``s3://BUCKET[/PREFIX]`` → (bucket, prefix ending in ``/`` or empty); ValueError if not."""
    parts = urlsplit(location)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{location!r} is not s3://BUCKET[/PREFIX]")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


def s3_client() -> S3Client:
    """A client from the standard AWS settings; few retries, so an outage answers quickly."""
    config = Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=64,
    )
    return boto3.session.Session().client("s3", config=config)


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    size: int
    key: str

    @property
    def end(self) -> int:
        return self.start + self.size


class S3Part:
    """An upload's segments in the bucket, plus this PATCH's bytes spooled locally until
    :meth:`sync` stores them as the next segment."""

    def __init__(self, store: S3PhotoStore, storage_name: str, release: Release) -> None:
        self._store = store
        self._name = storage_name
        self._release = release
        self._segments = store.segments(storage_name)
        self._spool: tuple[int, Path] | None = None
        self._spool_start = self.size()
        self._spool_len = 0
        self._first = b""  # the first bytes of the upload, when this PATCH wrote them

    def size(self) -> int:
        end = 0
        for segment in self._segments:
            if segment.start != end:
                break  # a gap: only the contiguous bytes count (the rest is cut back)
            end = segment.end
        return end

    def truncate(self, length: int) -> None:
        self._discard_spool()
        self._spool_start = min(self._spool_start, length)
        if length == 0:
            self._first = b""
        doomed = [s for s in self._segments if s.start >= length]
        kept = [s for s in self._segments if s.start < length]
        if kept and kept[-1].end > length:  # a segment across the cut: store its head again
            last = kept.pop()
            with _store_call("cutting a segment back"):
                body = self._store.client.get_object(
                    Bucket=self._store.bucket,
                    Key=last.key,
                    Range=f"bytes=0-{length - last.start - 1}",
                )["Body"].read()
                self._store.client.put_object(Bucket=self._store.bucket, Key=last.key, Body=body)
            kept.append(Segment(last.start, len(body), last.key))
        self._store.delete_keys([s.key for s in doomed])
        self._segments = kept

    def seek(self, offset: int) -> None:
        self._discard_spool()
        self._spool_start = offset
        if offset == 0:
            self._first = b""

    def write(self, data: bytes) -> int:
        if self._spool is None:
            fd, name = tempfile.mkstemp(prefix="part-", dir=self._store.spool_dir)
            self._spool = (fd, Path(name))
        if self._spool_start == 0 and len(self._first) < 4096:
            self._first = (self._first + data[:4096])[:4096]
        self._spool_len += write_all(self._spool[0], data)
        return len(data)

    def sync(self) -> None:
        """Store the spooled bytes as a segment (S3 answers only once the object is durable)."""
        if self._spool is None or not self._spool_len:
            return
        fd, _path = self._spool
        key = self._store.segment_key(self._name, self._spool_start)
        os.lseek(fd, 0, os.SEEK_SET)
        # Read through the descriptor (a duplicate: closing it leaves the spool open).
        with _store_call("storing a segment"), open(os.dup(fd), "rb") as body:
            self._store.client.put_object(
                Bucket=self._store.bucket, Key=key, Body=body, ContentLength=self._spool_len
            )
        self._segments.append(Segment(self._spool_start, self._spool_len, key))
        self._spool_start += self._spool_len
        self._discard_spool()

    def head(self, size: int = 4096) -> bytes:
        if self._first and len(self._first) >= min(size, self.size()):
            return self._first[:size]
        if not self._segments:
            return b""
        with _store_call("reading a segment"):
            response = self._store.client.get_object(
                Bucket=self._store.bucket, Key=self._segments[0].key, Range=f"bytes=0-{size - 1}"
            )
            return response["Body"].read()

    def sha256(self) -> Hash:
        hasher = hashlib.sha256()
        end = self.size()
        for segment in self._segments:
            if segment.end > end:
                break
            for piece in self._store.read(segment.key):
                hasher.update(piece)
        return hasher

    def close(self) -> None:
        try:
            self._discard_spool()
        finally:
            self._release()

    def _discard_spool(self) -> None:
        if self._spool is not None:
            fd, path = self._spool
            self._spool, self._spool_len = None, 0
            os.close(fd)
            path.unlink(missing_ok=True)


def _streamer(body: Any) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        try:
            with _store_call("downloading"):
                yield from body.iter_chunks(READ_PIECE)
        finally:
            body.close()

    return chunks


class S3PhotoStore:
    """Parts and finished photos in a bucket (see the module's docstring)."""

    def __init__(
        self,
        bucket: str,
        prefix: str,
        spool_dir: Path,
        locks: PartLocks,
        client: S3Client | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.spool_dir = spool_dir
        self.locks = locks
        self.client = client or s3_client()
        clear_dead_spools(spool_dir)
        # One folder per process: workers (--workers N) share the data folder.
        self.spool_dir = spool_dir / f"{os.getpid()}"
        self.spool_dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_location(cls, location: str, spool_dir: Path, locks: PartLocks) -> S3PhotoStore:
        bucket, prefix = parse_location(location)
        return cls(bucket, prefix, spool_dir, locks)

    # -- keys --------------------------------------------------------------------------------

    def segment_key(self, storage_name: str, start: int) -> str:
        return f"{self.prefix}partial/{storage_name}/{start:016d}"

    def complete_key(self, storage_name: str) -> str:
        return f"{self.prefix}complete/{storage_name}"

    def _objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        with _store_call("listing"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", [])  # type: ignore[misc]

    def segments(self, storage_name: str) -> list[Segment]:
        prefix = f"{self.prefix}partial/{storage_name}/"
        found = [
            Segment(int(obj["Key"][len(prefix) :]), int(obj["Size"]), obj["Key"])
            for obj in self._objects(prefix)
            if obj["Key"][len(prefix) :].isdigit()
        ]
        return sorted(found, key=lambda s: s.start)

    def delete_keys(self, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):
            with _store_call("deleting"):
                self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True},
                )

    def read(self, key: str) -> Iterator[bytes]:
        with _store_call("reading"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            with _store_call("reading"):
                yield from body.iter_chunks(READ_PIECE)
        finally:
            body.close()

    # -- PhotoStore --------------------------------------------------------------------------

    def open_part(self, storage_name: str) -> S3Part | None:
        release = self.locks.acquire(storage_name)
        if release is None:
            return None
        try:
            return S3Part(self, storage_name, release)
        except BaseException:
            release()
            raise

    def sync_part_names(self) -> None:
        pass  # a segment's key is durable with the segment

    def part_in_use(self, storage_name: str) -> bool:
        return self.locks.held(storage_name)

    def remove_part(self, storage_name: str) -> None:
        self.delete_keys([s.key for s in self.segments(storage_name)])
        self.locks.forget(storage_name)

    def parts(self) -> Iterator[tuple[str, float | None]]:
        newest: dict[str, float] = {}
        base = f"{self.prefix}partial/"
        for obj in self._objects(base):
            name = obj["Key"][len(base) :].split("/", 1)[0]
            newest[name] = max(newest.get(name, 0.0), obj["LastModified"].timestamp())
        now = time.time()
        for name, modified in newest.items():
            yield name, now - modified

    def _exists(self, key: str) -> bool:
        with _store_call("checking"):
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _is_missing(exc):
                    return False
                raise
        return True

    def publish(self, storage_name: str, sha256: str) -> None:
        """Join the segments into the finished photo, SHA-256 checked; then drop them."""
        key = self.complete_key(storage_name)
        segments = self.segments(storage_name)
        if not segments:
            if self._exists(key):
                return
            raise FileNotFoundError(f"no part and no photo for {storage_name}")
        if not self._exists(key):
            expected = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
            if len(segments) == 1:
                self._copy_checked(segments[0].key, key, expected)
            else:
                self._join_checked(segments, key, sha256, expected)
        self.delete_keys([s.key for s in segments])
        self.locks.forget(storage_name)

    def _copy_checked(self, source: str, key: str, expected: str) -> None:
        """One segment: a copy inside the store, which computes its SHA-256 on the way."""
        with _store_call("publishing"):
            result = self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": source},
                ChecksumAlgorithm="SHA256",
            )
        actual = result.get("CopyObjectResult", {}).get("ChecksumSHA256")
        if actual is None:  # a store without checksums: read it back
            hasher = hashlib.sha256()
            for piece in self.read(key):
                hasher.update(piece)
            actual = base64.b64encode(hasher.digest()).decode("ascii")
        if actual != expected:
            self.delete_keys([key])
            raise RuntimeError(f"photo {key}: SHA-256 {actual} after the copy, not {expected}")

    def _join_checked(self, segments: list[Segment], key: str, sha256: str, expected: str) -> None:
        """Several segments: joined in a local file (hashed), then stored with its checksum."""
        hasher = hashlib.sha256()
        with tempfile.TemporaryFile(dir=self.spool_dir) as joined:
            for segment in segments:
                for piece in self.read(segment.key):
                    hasher.update(piece)
                    joined.write(piece)
            if hasher.hexdigest() != sha256:
                raise RuntimeError(f"photo {key}: the segments' SHA-256 is not {sha256}")
            size = joined.tell()
            joined.seek(0)
            body: BinaryIO = joined
            with _store_call("publishing"):
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentLength=size,
                    ChecksumSHA256=expected,
                )

    def keep(self, storage_name: str, source: Path, sha256: str) -> None:
        key = self.complete_key(storage_name)
        if self._exists(key):
            return
        expected = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
        with _store_call("storing a photo"), source.open("rb") as body:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentLength=os.fstat(body.fileno()).st_size,
                ChecksumSHA256=expected,
            )

    def finished(self, storage_name: str, sha256: str) -> Finished | None:
        key = self.complete_key(storage_name)
        for attempt in range(2):
            with _store_call("downloading"):
                try:
                    response: Any = self.client.get_object(Bucket=self.bucket, Key=key)
                except ClientError as exc:
                    if not _is_missing(exc):
                        raise
                    response = None
            if response is not None:
                return Finished(int(response["ContentLength"]), chunks=_streamer(response["Body"]))
            if attempt or not self.segments(storage_name):
                return None
            self.publish(storage_name, sha256)  # a publish cut short: finish it now
        return None

    def free_bytes(self) -> int | None:
        # The bucket has no "free"; the spool (PATCH bodies in flight) is on the local disk.
        try:
            return shutil.disk_usage(self.spool_dir).free
        except OSError:
            return None
