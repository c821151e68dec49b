"""A real S3 endpoint on 127.0.0.1 for the tests and benchmarks: moto's server mode.

``MotoS3`` runs moto's S3 server in a thread of this process, behind a :class:`FaultProxy`,
so a test can take the object store away (:meth:`MotoS3.outage`: connections are refused and
dropped) and give it back with its objects intact — as a store that went down and came back.
Servers reach it through the standard AWS variables (:meth:`MotoS3.env`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
from faultproxy import FaultProxy
from helpers import free_port
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class MotoS3:
    def __init__(self) -> None:
        self.port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self.proxy = FaultProxy(self.port)
        self.endpoint = self.proxy.url
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            aws_access_key_id="citypatrol",
            aws_secret_access_key="citypatrol",
            region_name="us-east-1",
        )

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "citypatrol",
            "AWS_SECRET_ACCESS_KEY": "citypatrol",
            "AWS_DEFAULT_REGION": "us-east-1",
            # No instance-metadata probing for credentials on a test machine.
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def bucket(self) -> str:
        name = f"photos-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> dict[str, int]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        found: dict[str, int] = {}
        for page in pages:
            contents: list[Any] = page.get("Contents", [])  # type: ignore[assignment]
            found.update({obj["Key"]: int(obj["Size"]) for obj in contents})
        return found

    def read(self, bucket: str, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=bucket, Key=key)["Body"].read())

    @contextmanager
    def outage(self) -> Iterator[None]:
        """The store is unreachable inside the block (its objects are kept)."""
        self.proxy.set_target(free_port())  # nothing listens there: connections fail
        self.proxy.drop_all()
        try:
            yield
        finally:
            self.proxy.set_target(self.port)

    def stop(self) -> None:
        self.proxy.close()
        self.server.stop()
