"""Benchmark of the photo stores: the local folder against S3-compatible object storage.

Run from the project root::

    .venv/bin/python bench/s3.py [--count N] [--size-mb M] [--chunk-mib C] [--json]

An S3 endpoint is started on 127.0.0.1 (moto's server mode, a child process) and two servers
(``bench/support/blob_server.py --demo``, SQLite, temporary data folders): one keeping photos in
its data folder, one in a bucket (``--photo-store s3://…``, the standard AWS variables pointing
at the endpoint). Each gets ``--count`` photos of ``--size-mb`` MB (random bytes behind a JPEG
signature), uploaded over one keep-alive connection, first whole with their creation
(creation-with-upload) and then in PATCHes of ``--chunk-mib`` MiB; then every photo is
downloaded. Printed: upload and download MB/s per store, and the ratio S3 ÷ local. The bare S3
rates (boto3 PUT and GET of the same bytes straight to the endpoint) are printed beside them:
with moto — a Python process keeping objects in memory — the endpoint itself is the limit,
which a real object store (MinIO, Ceph RGW, SeaweedFS, Garage) on the same network is not.

Figures only; a photo not complete or not byte-identical prints WARNING and exits 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

import boto3  # noqa: E402
import httpx  # noqa: E402
from helpers import ServerProcess, free_port  # noqa: E402
from server_photos import insert_case, photo_bytes, tus_upload  # noqa: E402

MB = 1_000_000
BLOB_SERVER = [sys.executable, str(ROOT / "bench" / "support" / "blob_server.py")]
AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def start_moto(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=2)
            return process, url
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto did not start:\n{log.read_text()[-2000:]}") from None
            time.sleep(0.1)


def run_store(
    server: ServerProcess, datas: list[bytes], chunk: int, problems: list[str]
) -> dict[str, float]:
    login = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "demo", "password": "demo"}
    )
    login.raise_for_status()
    case_id = insert_case(server.data_dir, "demo")
    headers = {"Authorization": f"Bearer {login.json()['token']}", "Tus-Resumable": "1.0.0"}
    total = sum(len(d) for d in datas) / MB
    rates: dict[str, float] = {}
    ids: list[tuple[str, str]] = []
    with httpx.Client(base_url=server.url, headers=headers, timeout=120) as http:
        for way, step, along in (("one_request", 0, True), ("chunked", chunk, False)):
            started = time.perf_counter()
            for data in datas:
                sha = hashlib.sha256(data).hexdigest()
                ids.append(
                    (tus_upload(http, case_id, data, sha, step or len(data), along=along), sha)
                )
            rates[f"upload_{way}"] = total / (time.perf_counter() - started)
        started = time.perf_counter()
        for photo_id, sha in ids:
            got = http.get(f"/api/v1/photos/{photo_id}")
            if got.status_code != 200 or hashlib.sha256(got.content).hexdigest() != sha:
                problems.append(f"{server.url} photo {photo_id}: {got.status_code}")
        rates["download"] = 2 * total / (time.perf_counter() - started)
    return rates


def bare_s3(endpoint: str, datas: list[bytes]) -> dict[str, float]:
    client: Any = boto3.client("s3", endpoint_url=endpoint, **_credentials())
    client.create_bucket(Bucket="bare")
    total = sum(len(d) for d in datas) / MB
    started = time.perf_counter()
    for i, data in enumerate(datas):
        client.put_object(Bucket="bare", Key=f"p{i}", Body=data)
    put = total / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(len(datas)):
        client.get_object(Bucket="bare", Key=f"p{i}")["Body"].read()
    return {"put": put, "get": total / (time.perf_counter() - started)}


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS["AWS_SECRET_ACCESS_KEY"],
        "region_name": AWS["AWS_DEFAULT_REGION"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=30, help="photos per way (default 30)")
    parser.add_argument("--size-mb", type=float, default=4.0, help="photo size (default 4 MB)")
    parser.add_argument("--chunk-mib", type=float, default=1.0, help="PATCH size (default 1 MiB)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    size = int(args.size_mb * MB)
    chunk = int(args.chunk_mib * 1024 * 1024)
    problems: list[str] = []
    datas = [photo_bytes(size) for _ in range(args.count)]
    with tempfile.TemporaryDirectory(prefix="bench-s3-") as tmp:
        root = Path(tmp)
        moto, endpoint = start_moto(root / "moto.log")
        servers: list[ServerProcess] = []
        try:
            client: Any = boto3.client("s3", endpoint_url=endpoint, **_credentials())
            client.create_bucket(Bucket="citypatrol")
            local = ServerProcess(root / "local", "--demo", command=BLOB_SERVER)
            servers.append(local)
            env = {**AWS, "AWS_ENDPOINT_URL": endpoint}
            s3 = ServerProcess(
                root / "s3", "--demo", "--photo-store", "s3://citypatrol/photos",
                command=BLOB_SERVER, env=env,
            )  # fmt: skip
            servers.append(s3)
            figures = {
                "local": run_store(local, datas, chunk, problems),
                "s3": run_store(s3, datas, chunk, problems),
                "bare_s3": bare_s3(endpoint, datas),
            }
        finally:
            for server in servers:
                server.stop()
            moto.terminate()
            moto.wait(20)
    ratios = {k: figures["s3"][k] / figures["local"][k] for k in figures["local"]}
    results: dict[str, Any] = {
        "photos": args.count,
        "photo_mb": args.size_mb,
        "chunk_mib": args.chunk_mib,
        "machine": os.uname().machine,
        **{
            f"{store}_{k}_mb_s": round(v, 1)
            for store in ("local", "s3", "bare_s3")
            for k, v in figures[store].items()
        },
        **{f"ratio_s3_to_local_{k}": round(v, 2) for k, v in ratios.items()},
    }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{args.count} photos of {args.size_mb:g} MB per way, one connection")
        for key, label in (
            ("upload_one_request", "upload, creation-with-upload"),
            ("upload_chunked", f"upload, {args.chunk_mib:g} MiB PATCHes"),
            ("download", "download"),
        ):
            print(
                f"  {label:<31} local {figures['local'][key]:7.1f} MB/s   "
                f"S3 {figures['s3'][key]:7.1f} MB/s   S3/local {ratios[key]:.2f}"
            )
        bare = figures["bare_s3"]
        print(
            f"  the S3 endpoint itself (boto3 straight to moto): PUT {bare['put']:.1f} MB/s, "
            f"GET {bare['get']:.1f} MB/s"
        )
    for problem in problems:
        print(f"WARNING: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
