"""Benchmark of tus photo uploads (``server/photos/``) against a plain HTTP PUT of the same bytes.

Run from the project root::

    .venv/bin/python bench/server_photos.py [--count N] [--size-mb M] [--chunk-mib C] [--json]

A real server is started (``bench/support/blob_server.py --demo``: the production app plus a
bare ``PUT /api/v1/bench/blob``; a temporary data folder, SQLite) and a case is
written straight into its database. Then ``--count`` (default 100) photos of ``--size-mb``
(default 4) MB — random bytes behind a JPEG signature, so the server's magic-byte check passes,
with their SHA-256 declared — are sent one after the other over one keep-alive connection
(httpx), each in three ways, the order rotating so that none always meets another's dirty pages:

1. **tus, chunked** — creation (POST, a database row), then PATCHes of ``--chunk-mib``
   (default 1) MiB. Each PATCH is streamed to disk and hashed on the way, and fsynced before its
   offset is committed (SQLite, synchronous FULL); the last one checks the whole-file SHA-256
   (kept from PATCH to PATCH, not read back) and the type, commits, moves the file and appends a
   feed entry.
2. **tus, one PATCH** — the same, with the whole photo in one PATCH (what tus clients do by
   default: tuspy and tus-js-client send the rest of the file unless told to chunk).
3. **tus, one request** — creation-with-upload: the whole photo with its creation (POST), as
   the CityPatrol client sends a photo that fits one chunk; the target ≥ 0.8 is for this way.
4. **plain PUT** — the same bytes in one request to the bare endpoint, which streams them to a
   temporary file the way a PATCH does and fsyncs it (and nothing else: no sign-in, no
   database, no hashing, no verification).

Printed: MB/s of each, the ratio of each tus way to the PUT (targets: ≥ 0.8 in one request,
≥ 0.7 in chunks), the server
process's CPU time per photo for each way (user + system: steadier than wall time on a shared
machine) and its peak resident size (``VmHWM``) after 10 photos and after all of them — flat,
because no request holds a whole file in memory. Payload generation and hashing on this side
are not timed. Figures only: a missed target prints MISS; a wrong result (a photo not complete
or not byte-identical) prints WARNING and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from server.db import create_db_engine, session_factory  # noqa: E402
from server.models import Case, User  # noqa: E402

MODES = ("tus_chunked", "tus_whole", "tus_one_request", "put")
TUS_MODES = MODES[:-1]
#: The targets of issue 16: one request ≥ 0.8 of the PUT, chunks ≥ 0.7.
TARGETS = {"tus_chunked": 0.7, "tus_whole": 0.8, "tus_one_request": 0.8}
MB = 1_000_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    server = ROOT / "bench" / "support" / "blob_server.py"
    cmd = [sys.executable, str(server), "--data-dir", str(data_dir), "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*cmd, "--demo"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"server did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)


def insert_case(data_dir: Path, username: str) -> str:
    """A case written straight into the server's database (records come before photos)."""
    engine = create_db_engine(f"sqlite:///{data_dir / 'server.db'}")
    now = datetime.now(UTC)
    case_id = str(uuid.uuid4())
    try:
        with session_factory(engine).begin() as session:
            author = session.query(User).filter(User.username == username).one()
            session.add(
                Case(
                    id=case_id,
                    author_id=author.id,
                    status="submitted",
                    category_code="06010",
                    created_at=now,
                    submitted_at=now,
                    received_at=now,
                    updated_at=now,
                )
            )
    finally:
        engine.dispose()
    return case_id


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def photo_bytes(size: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 4)


def tus_upload(
    http: httpx.Client, case_id: str, data: bytes, sha256: str, chunk: int, *, along: bool = False
) -> str:
    """A tus upload in PATCHes of ``chunk`` bytes; ``along``: the whole photo goes with its
    creation (creation-with-upload), no PATCH."""
    photo_id = str(uuid.uuid4())
    meta = {"case_id": case_id, "photo_id": photo_id, "sha256": sha256, "mime": "image/jpeg"}
    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
    headers = {"Upload-Length": str(len(data)), "Upload-Metadata": encoded}
    if along:
        headers["Content-Type"] = "application/offset+octet-stream"
    created = http.post("/api/v1/uploads", headers=headers, content=data if along else None)
    if created.status_code != 201:
        raise RuntimeError(f"creation failed: {created.status_code} {created.text}")
    if along:
        if created.headers["Upload-Offset"] != str(len(data)):
            raise RuntimeError(f"creation-with-upload kept {created.headers['Upload-Offset']}")
        return photo_id
    url = created.headers["Location"]
    for start in range(0, len(data), chunk):
        response = http.patch(
            url,
            content=data[start : start + chunk],
            headers={
                "Upload-Offset": str(start),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        if response.status_code != 204:
            raise RuntimeError(f"PATCH failed: {response.status_code} {response.text}")
    return photo_id


def plain_put(http: httpx.Client, data: bytes) -> None:
    response = http.put("/api/v1/bench/blob", content=data)
    if response.status_code != 200 or response.json()["bytes"] != len(data):
        raise RuntimeError(f"PUT failed: {response.status_code} {response.text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100, help="photos (default 100)")
    parser.add_argument("--size-mb", type=float, default=4.0, help="photo size in MB (default 4)")
    parser.add_argument("--chunk-mib", type=float, default=1.0, help="tus chunk (default 1 MiB)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed photos first (default 2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    size = int(args.size_mb * MB)
    chunk = int(args.chunk_mib * 1024 * 1024)
    checkpoint = min(10, args.count)
    problems: list[str] = []

    with tempfile.TemporaryDirectory(prefix="citypatrol-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        process, url = start_server(data_dir, Path(tmp) / "server.log")
        try:
            login = httpx.post(
                f"{url}/api/v1/auth/login", json={"username": "demo", "password": "demo"}
            )
            login.raise_for_status()
            case_id = insert_case(data_dir, "demo")
            headers = {"Authorization": f"Bearer {login.json()['token']}", "Tus-Resumable": "1.0.0"}
            seconds = dict.fromkeys(MODES, 0.0)
            cpu = dict.fromkeys(MODES, 0.0)
            rss_at_checkpoint = float("nan")
            sent: list[tuple[str, str]] = []
            with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
                for i in range(args.warmup + args.count):
                    data = photo_bytes(size)
                    sha256 = hashlib.sha256(data).hexdigest()
                    # Rotate which goes first, so none always meets another's dirty pages.
                    turn = i % len(MODES)
                    for mode in MODES[turn:] + MODES[:turn]:
                        cpu_before = cpu_seconds(process.pid)
                        started = time.perf_counter()
                        if mode == "put":
                            plain_put(http, data)
                        else:
                            step = chunk if mode == "tus_chunked" else len(data)
                            along = mode == "tus_one_request"
                            photo_id = tus_upload(http, case_id, data, sha256, step, along=along)
                            sent.append((photo_id, sha256))
                        if i >= args.warmup:
                            seconds[mode] += time.perf_counter() - started
                            cpu[mode] += cpu_seconds(process.pid) - cpu_before
                    if i + 1 - args.warmup == checkpoint:
                        rss_at_checkpoint = peak_rss_mb(process.pid)
                rss_at_end = peak_rss_mb(process.pid)
                # The tus photos must be complete and byte-identical (checked on a sample).
                for photo_id, sha256 in sent[:: max(1, len(sent) // 10)]:
                    got = http.get(f"/api/v1/photos/{photo_id}")
                    if got.status_code != 200 or hashlib.sha256(got.content).hexdigest() != sha256:
                        problems.append(f"photo {photo_id}: {got.status_code}, content differs")
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    total_mb = args.count * size / MB
    rates = {mode: total_mb / seconds[mode] for mode in MODES}
    ratios = {mode: rates[mode] / rates["put"] for mode in TUS_MODES}
    figures: dict[str, float] = {
        "photos": args.count,
        "photo_mb": size / MB,
        "chunk_mib": chunk / 1024 / 1024,
        **{f"{mode}_mb_per_s": round(rate, 1) for mode, rate in rates.items()},
        **{f"ratio_{mode}": round(ratio, 3) for mode, ratio in ratios.items()},
        **{f"target_{mode}": target for mode, target in TARGETS.items()},
        **{
            f"server_cpu_ms_per_photo_{mode}": round(cpu[mode] / args.count * 1000, 1)
            for mode in MODES
        },
        f"server_peak_rss_mb_after_{checkpoint}": round(rss_at_checkpoint, 1),
        f"server_peak_rss_mb_after_{args.count}": round(rss_at_end, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        labels = {
            "tus_chunked": f"tus, {chunk / 1024 / 1024:g} MiB PATCHes",
            "tus_whole": "tus, one PATCH per photo",
            "tus_one_request": "tus, creation-with-upload",
            "put": "plain PUT + fsync",
        }
        print(f"{args.count} photos of {size / MB:g} MB ({total_mb:g} MB per way), one connection")
        for mode in MODES:
            line = (
                f"  {labels[mode]:<27} {rates[mode]:7.1f} MB/s ({seconds[mode]:.2f} s, "
                f"server CPU {cpu[mode] / args.count * 1000:4.1f} ms/photo)"
            )
            if mode in ratios:
                verdict = "ok" if ratios[mode] >= TARGETS[mode] else "MISS"
                line += f"   ratio to PUT {ratios[mode]:.2f} ({verdict}, target {TARGETS[mode]})"
            print(line)
        print(
            f"  server peak RSS (VmHWM): {rss_at_checkpoint:.1f} MB after {checkpoint} photos, "
            f"{rss_at_end:.1f} MB after {args.count} (each way)"
        )
    for problem in problems:
        print(f"WARNING: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
