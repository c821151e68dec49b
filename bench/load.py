"""Load run: many inspectors syncing cases and photos and supervisors pulling feeds, against two
server nodes sharing one PostgreSQL and one bucket.

Run from the project root::

    .venv/bin/python bench/load.py [--inspectors 1000] [--supervisors 20] [--cases 2]
        [--photos 1] [--photo-kb 300] [--concurrency 48] [--max-seconds 300] [--json]

Everything runs on 127.0.0.1: a PostgreSQL cluster (tests/pg.py), an S3 endpoint (moto's server
mode, a child process) and two ``citypatrol-server`` nodes on separate data folders
(``--photo-store s3://…``). ``--inspectors`` accounts and ``--supervisors`` supervisor accounts
are written straight into the database, each with a token (laptops sign in once a month; 1,000
Argon2 sign-ins would measure Argon2). Then, with at most ``--concurrency`` inspectors at work at
once, each inspector pushes ``--cases`` cases (create and submit, one push each), uploads
``--photos`` photos of ``--photo-kb`` KB per case (tus creation-with-upload: one request) and
pulls its feed once; meanwhile every supervisor pulls the supervisors' feed from its cursor,
over and over, until the inspectors are done and the feed is drained. Requests alternate
between the two nodes (as a round-robin load balancer would spread them).

Printed: requests per second, cases per second and photo MB/s over the run; p50 and p99 latency
per kind of request; errors (anything but the expected answer: must be 0, else the exit status
is 1); each node's peak resident memory (VmHWM); and whether every supervisor saw every case
and photo. Bounded: it stops starting inspectors after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import itertools
import json
import os
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

import boto3  # noqa: E402
import httpx  # noqa: E402
from helpers import ServerProcess, free_port  # noqa: E402
from pg import PostgresServer  # noqa: E402
from s3 import AWS, start_moto  # noqa: E402

from app.domain.lifecycle import Role  # noqa: E402
from server.accounts.auth import hash_password, issue_token  # noqa: E402
from server.db import create_db_engine, session_factory  # noqa: E402
from server.models import User  # noqa: E402

MB = 1_000_000


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    cases: int = 0
    photo_bytes: int = 0
    #: Requests sent again after the connection closed under them (not errors).
    retried: int = 0
    #: Inspectors that ran (the rest were not started: --max-seconds had passed).
    inspectors_done: int = 0
    case_ids: set[str] = field(default_factory=set)
    photo_ids: set[str] = field(default_factory=set)


class Nodes:
    """Two nodes, requests alternating between them."""

    def __init__(self, urls: list[str], limit: int) -> None:
        limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        timeout = httpx.Timeout(60.0, connect=10.0)
        self.clients = [httpx.AsyncClient(base_url=u, limits=limits, timeout=timeout) for u in urls]
        self._turn = itertools.count()

    def next(self) -> httpx.AsyncClient:
        return self.clients[next(self._turn) % len(self.clients)]

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


async def timed(
    stats: Stats, kind: str, expect: int, send: Any, *args: Any, **kwargs: Any
) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        try:
            response: httpx.Response = await send(*args, **kwargs)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            # A kept-alive connection the node closed as this request went out (uvicorn's
            # keep-alive timeout): every request here is idempotent, so it goes again once,
            # as the sync client's retry would send it.
            stats.retried += 1
            response = await send(*args, **kwargs)
    except httpx.HTTPError as exc:
        stats.errors.append(f"{kind}: {type(exc).__name__} {exc}")
        return None
    stats.latencies[kind].append(time.perf_counter() - started)
    if response.status_code != expect:
        stats.errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
        return None
    return response


def case_change(op: str, case_id: str, base: int | None) -> dict[str, Any]:
    return {
        "change_id": str(uuid.uuid4()),
        "op": op,
        "base_revision": base,
        "case": {
            "id": case_id,
            "status": "draft",
            "category_code": "06010",
            "description": "负载测试：暴露垃圾约两立方米",
            "address": "鼓楼区中山路 100 号",
            "urgency": "normal",
            "lat": 32.06,
            "lon": 118.79,
            "accuracy_m": 5.0,
            "created_at": datetime.now(UTC).isoformat(),
        },
    }


async def inspector(
    nodes: Nodes, token: str, args: argparse.Namespace, photo: bytes, stats: Stats
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    sha = hashlib.sha256(photo).hexdigest()
    for _ in range(args.cases):
        case_id = str(uuid.uuid4())
        body = {
            "changes": [case_change("create", case_id, None), case_change("submit", case_id, 1)]
        }
        pushed = await timed(stats, "push", 200, nodes.next().post, "/api/v1/cases/push", json=body, headers=auth)  # fmt: skip
        if pushed is None:
            continue
        outcomes = [r["outcome"] for r in pushed.json()["results"]]
        if outcomes != ["applied", "applied"]:
            stats.errors.append(f"push: {outcomes}")
            continue
        stats.cases += 1
        stats.case_ids.add(case_id)
        for _ in range(args.photos):
            photo_id = str(uuid.uuid4())
            meta = {"case_id": case_id, "photo_id": photo_id, "sha256": sha, "mime": "image/jpeg"}
            encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())  # fmt: skip
            headers = {
                **auth,
                "Tus-Resumable": "1.0.0",
                "Upload-Length": str(len(photo)),
                "Upload-Metadata": encoded,
                "Content-Type": "application/offset+octet-stream",
            }
            sent = await timed(stats, "photo", 201, nodes.next().post, "/api/v1/uploads", content=photo, headers=headers)  # fmt: skip
            if sent is not None:
                if sent.headers.get("Upload-Offset") != str(len(photo)):
                    stats.errors.append(f"photo: kept {sent.headers.get('Upload-Offset')}")
                    continue
                stats.photo_bytes += len(photo)
                stats.photo_ids.add(photo_id)
    await timed(stats, "feed_inspector", 200, nodes.next().get, "/api/v1/feed", params={"cursor": 0, "limit": 500}, headers=auth)  # fmt: skip


async def supervisor(nodes: Nodes, token: str, done: asyncio.Event, stats: Stats) -> set[str]:
    auth = {"Authorization": f"Bearer {token}"}
    cursor, seen = 0, set()
    while True:
        finished = done.is_set()
        page = await timed(stats, "feed_supervisor", 200, nodes.next().get, "/api/v1/feed", params={"cursor": cursor, "limit": 500}, headers=auth)  # fmt: skip
        if page is None:
            await asyncio.sleep(0.2)
            continue
        body = page.json()
        cursor = body["cursor"]
        seen.update(e["entity_id"] for e in body["entries"])
        if body["more"]:
            continue
        if finished:
            return seen
        await asyncio.sleep(0.25)


def make_accounts(url: str, inspectors: int, supervisors: int) -> tuple[list[str], list[str]]:
    """Accounts and tokens straight into the database (one password hash shared by all)."""
    engine = create_db_engine(url)
    shared_hash = hash_password("load-test-password")
    now = datetime.now(UTC)
    tokens: dict[str, list[str]] = {"inspector": [], "supervisor": []}
    try:
        with session_factory(engine).begin() as session:
            for role, count in ((Role.INSPECTOR, inspectors), (Role.SUPERVISOR, supervisors)):
                for i in range(count):
                    user = User(
                        id=str(uuid.uuid4()),
                        username=f"load-{role.value}-{i:04d}",
                        display_name=f"负载 {i}",
                        role=role.value,
                        password_hash=shared_hash,
                        disabled=False,
                        created_at=now,
                    )
                    session.add(user)
                    session.flush()
                    token, _ = issue_token(session, user, timedelta(days=1))
                    tokens[role.value].append(token)
    finally:
        engine.dispose()
    return tokens["inspector"], tokens["supervisor"]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def drive(
    urls: list[str], inspectors: list[str], supervisors: list[str], args: argparse.Namespace
) -> tuple[Stats, list[set[str]], float, int]:
    stats = Stats()
    nodes = Nodes(urls, args.concurrency + len(supervisors) + 8)
    photo = b"\xff\xd8\xff\xe0" + os.urandom(args.photo_kb * 1000 - 4)
    done = asyncio.Event()
    watchers = [asyncio.create_task(supervisor(nodes, t, done, stats)) for t in supervisors]
    gate = asyncio.Semaphore(args.concurrency)
    started = time.perf_counter()
    deadline = started + args.max_seconds
    launched = 0

    async def one(token: str) -> None:
        async with gate:
            if time.perf_counter() < deadline:
                await inspector(nodes, token, args, photo, stats)
                stats.inspectors_done += 1

    try:
        work = [asyncio.create_task(one(t)) for t in inspectors]
        launched = len(work)
        await asyncio.gather(*work)
        elapsed = time.perf_counter() - started
        done.set()
        seen = list(await asyncio.gather(*watchers))
    finally:
        await nodes.close()
    return stats, seen, elapsed, launched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inspectors", type=int, default=1000)
    parser.add_argument("--supervisors", type=int, default=20)
    parser.add_argument("--cases", type=int, default=2, help="cases per inspector (default 2)")
    parser.add_argument("--photos", type=int, default=1, help="photos per case (default 1)")
    parser.add_argument("--photo-kb", type=int, default=300, help="photo size (default 300 KB)")
    parser.add_argument("--concurrency", type=int, default=48, help="inspectors at once")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        root = Path(tmp)
        pg = PostgresServer(free_port())
        moto, endpoint = start_moto(root / "moto.log")
        nodes: list[ServerProcess] = []
        try:
            client: Any = boto3.client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
                region_name=AWS["AWS_DEFAULT_REGION"],
            )
            client.create_bucket(Bucket="citypatrol")
            url = pg.create_database()
            env = {**AWS, "AWS_ENDPOINT_URL": endpoint}
            extra = ("--database-url", url, "--photo-store", "s3://citypatrol/load")
            for name in ("a", "b"):  # one after the other: the first one migrates
                nodes.append(ServerProcess(root / name, *extra, env=env))
            inspectors, supervisors = make_accounts(url, args.inspectors, args.supervisors)
            stats, seen, elapsed, launched = asyncio.run(
                drive([n.url for n in nodes], inspectors, supervisors, args)
            )
            memory = [peak_rss_mb(n.process.pid) for n in nodes]
        finally:
            for node in nodes:
                node.stop()
            moto.terminate()
            moto.wait(20)
            pg.stop()

    requests = sum(len(v) for v in stats.latencies.values())
    expected = stats.case_ids | stats.photo_ids
    complete = sum(expected <= s for s in seen)
    results: dict[str, Any] = {
        "inspectors": stats.inspectors_done,
        "inspectors_planned": launched,
        "supervisors": args.supervisors,
        "seconds": round(elapsed, 2),
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1),
        "cases": stats.cases,
        "cases_per_s": round(stats.cases / elapsed, 1),
        "photos": len(stats.photo_ids),
        "photo_mb_per_s": round(stats.photo_bytes / MB / elapsed, 1),
        "latency_ms": {
            kind: {
                "n": len(v),
                "p50": round(percentile(v, 0.5) * 1000, 1),
                "p99": round(percentile(v, 0.99) * 1000, 1),
            }
            for kind, v in sorted(stats.latencies.items())
        },
        "errors": len(stats.errors),
        "retried_on_a_closed_connection": stats.retried,
        "first_errors": stats.errors[:5],
        "node_peak_rss_mb": [round(m, 1) for m in memory],
        "supervisors_saw_everything": complete,
    }
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(
            f"{stats.inspectors_done} of {launched} inspectors ({args.concurrency} at once; the "
            f"rest not started after --max-seconds) and {args.supervisors} "
            f"supervisors, two nodes on PostgreSQL + S3 (moto), {elapsed:.1f} s"
        )
        print(
            f"  {requests} requests = {results['requests_per_s']} requests/s; {stats.cases} cases "
            f"= {results['cases_per_s']} cases/s; {len(stats.photo_ids)} photos of "
            f"{args.photo_kb} KB = {results['photo_mb_per_s']} MB/s"
        )
        for kind, figures in results["latency_ms"].items():
            print(f"  {kind:<16} n={figures['n']:<6} p50 {figures['p50']:7.1f} ms   p99 {figures['p99']:7.1f} ms")  # fmt: skip
        print(
            f"  errors: {len(stats.errors)} (must be 0); sent again after a kept-alive "
            f"connection closed: {stats.retried}"
        )
        print(f"  node peak RSS (VmHWM): {', '.join(f'{m:.0f} MB' for m in memory)}")
        print(f"  supervisors that saw every case and photo: {complete} of {args.supervisors}")
    for error in stats.errors[:5]:
        print(f"WARNING: {error}")
    failed = bool(stats.errors) or complete != args.supervisors
    if complete != args.supervisors:
        print("WARNING: a supervisor's feed missed cases or photos")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
