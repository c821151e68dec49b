"""Several server workers on one PostgreSQL database, and who may call what (role × route).

``test_two_workers_*`` — two server processes started at the same moment on one fresh
PostgreSQL database (the scale-out deployment of DESIGN.md):

* both start (migrations, and the demo accounts, must not race);
* inspectors push overlapping batches to both workers at once — the same change ids sent to
  both concurrently, and windows that overlap by half — while a supervisor reads the change
  feed page by page, alternating between the workers. Then: every push answered 200; every
  change id applied exactly once and otherwise answered ``duplicate`` with the same server
  revision; exactly one case, one submit step and one feed entry per case; the feed read from
  either worker identical and strictly increasing; and the live reader, which moved its cursor
  past entries while others were still being written, saw exactly the final feed — no entry
  ever appeared behind a cursor it had passed.

``test_role_route_matrix`` — every route the app serves (its OpenAPI document, plus the
routes left out of it) is called by anonymous, the inspector who owns the case, another
inspector, a supervisor and an administrator, with a minimal valid request; the exact status
of each is in ``EXPECTED`` / ``HIDDEN_EXPECTED``. A route without an expectation fails the
test, so a new route cannot slip in unconsidered.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from helpers import ROOT, ServerProcess

from app.domain.ids import new_id

PASSWORD = "correct horse battery staple"
INSPECTORS = [f"patrol{i}" for i in range(1, 5)]
CASES_PER_INSPECTOR = 50
WINDOW = 20  # changes per batch; consecutive windows overlap by half
RETRIES = 3  # resends of a batch that failed, as a client would


# --- starting workers -----------------------------------------------------------------------


def start_together(root: Path, database_url: str, *extra: str, count: int = 2) -> list[Any]:
    """``count`` servers on one database, their processes started at the same moment.

    Returns each ServerProcess, or the exception that kept it from starting.
    """
    barrier = threading.Barrier(count)
    started: list[Any] = [None] * count

    def start(index: int) -> None:
        barrier.wait()
        try:
            started[index] = ServerProcess(
                root / f"worker{index}" / "data", "--database-url", database_url, *extra
            )
        except Exception as exc:
            started[index] = exc

    threads = [threading.Thread(target=start, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return started


def add_user(data_dir: Path, database_url: str, name: str, role: str) -> None:
    """``citypatrol-server user add`` (the public command), the password on standard input."""
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data_dir),
         "--database-url", database_url, "user", "add", name, "--role", role],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def server_errors(*servers: ServerProcess) -> str:
    """What the servers logged about their errors: exception lines and the server frames."""
    found: list[str] = []
    for server in servers:
        for line in server.log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            error = entry.get("error") if isinstance(entry, dict) else None
            if not error:
                continue
            lines = error.splitlines()
            telling = [
                x.strip()
                for i, x in enumerate(lines)
                if re.match(r"^[\w.]+(Error|Exception|Detected)\b", x)
                or x.startswith(("DETAIL", "HINT"))
                or (i and 'File "' + str(ROOT / "server") in lines[i - 1])
            ]
            found.append(f"{server.url}: " + " | ".join(dict.fromkeys(telling)))
    return "\n".join(dict.fromkeys(found))


def why(exc: Exception) -> str:
    """The telling lines of a server that did not start (its log is JSON: newlines escaped)."""
    text = str(exc).replace("\\n", "\n")
    lines = [x.strip() for x in text.splitlines() if "Error" in x or "DETAIL" in x]
    return "\n".join(dict.fromkeys(lines[-6:])) or text[-2000:]


@dataclass
class Pair:
    a: ServerProcess
    b: ServerProcess
    database_url: str

    @property
    def both(self) -> tuple[ServerProcess, ServerProcess]:
        return (self.a, self.b)


@pytest.fixture(scope="module")
def pair(postgres: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    url = str(postgres.create_database())
    root = tmp_path_factory.mktemp("workers")
    started = start_together(root, url)
    failed = [s for s in started if isinstance(s, Exception)]
    for server in started:
        if isinstance(server, ServerProcess) and failed:
            server.stop()
    if failed:
        pytest.fail(f"a worker did not start: {failed[0]}")
    accounts = [(n, "inspector") for n in INSPECTORS] + [("chief", "supervisor")]
    with ThreadPoolExecutor(len(accounts)) as pool:
        list(pool.map(lambda a: add_user(root / "cli", url, *a), accounts))
    yield Pair(started[0], started[1], url)
    for server in started:
        server.stop()


def token(server: ServerProcess, username: str, password: str = PASSWORD) -> str:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": username, "password": password},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def client(server: ServerProcess, bearer: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {bearer}"}, timeout=120
    )


# --- two workers ----------------------------------------------------------------------------


def test_two_workers_start_together_with_the_demo_accounts(postgres: Any, tmp_path: Path) -> None:
    """``--demo`` seeds accounts on start; workers starting at once must all come up (as with
    ``--workers N``), and each account must exist once. Three workers, up to three times on
    fresh databases: the race is a matter of milliseconds."""
    for attempt in range(1, 4):
        url = str(postgres.create_database())
        started = start_together(tmp_path / f"attempt{attempt}", url, "--demo", count=3)
        try:
            failed = [why(s) for s in started if isinstance(s, Exception)]
            assert not failed, f"attempt {attempt}: a worker died on start:\n" + "\n".join(failed)
            for server in started:
                assert token(server, "demo", "demo")
        finally:
            for server in started:
                if isinstance(server, ServerProcess):
                    server.stop()
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
            rows = conn.execute("SELECT username, count(*) FROM users GROUP BY username").fetchall()
        assert all(count == 1 for _, count in rows), rows


def snapshot(case_id: str, created_at: str) -> dict[str, Any]:
    return {
        "id": case_id,
        "status": "draft",
        "category_code": "09009",
        "description": "机动车乱停放，占用盲道",
        "address": "玄武区中山路1号",
        "urgency": "normal",
        "lat": 32.05,
        "lon": 118.78,
        "accuracy_m": 8.0,
        "created_at": created_at,
    }


def inspector_changes(count: int) -> list[dict[str, Any]]:
    """``count`` new cases, each a create then a submit (the order a client sends them in)."""
    changes: list[dict[str, Any]] = []
    for _ in range(count):
        case = snapshot(new_id(), datetime.now(UTC).isoformat())
        changes.append({"change_id": new_id(), "op": "create", "case": case})
        changes.append({"change_id": new_id(), "op": "submit", "base_revision": 1, "case": case})
    return changes


@dataclass
class PushRecord:
    worker: str
    status: int
    body: str
    results: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LiveReader:
    """A supervisor paging the feed while pushes run, alternating between the workers."""

    clients: list[httpx.Client]
    page: int = 7
    seen: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cursor: int = 0

    def run(self, pushing: threading.Event) -> None:
        turn = 0
        try:
            while True:
                done = not pushing.is_set()  # read before the page: then the page is final
                http = self.clients[turn % len(self.clients)]
                turn += 1
                response = http.get(
                    "/api/v1/feed", params={"cursor": self.cursor, "limit": self.page}
                )
                if response.status_code != 200:
                    self.errors.append(f"{http.base_url} {response.status_code} {response.text}")
                    return
                page = response.json()
                self.seen += page["entries"]
                self.cursor = page["cursor"]
                if done and not page["more"]:
                    return
                if not page["entries"]:
                    time.sleep(0.01)
        except Exception as exc:
            self.errors.append(repr(exc))


def read_all(http: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = http.get("/api/v1/feed", params={"cursor": cursor, "limit": 1000}).json()
        entries += page["entries"]
        cursor = page["cursor"]
        if not page["more"]:
            return entries


def test_two_workers_apply_overlapping_pushes_once_and_feed_in_commit_order(pair: Pair) -> None:
    chief = [client(s, token(s, "chief")) for s in pair.both]
    plans = {name: inspector_changes(CASES_PER_INSPECTOR) for name in INSPECTORS}
    records: list[PushRecord] = []
    lock = threading.Lock()

    def send(
        http: httpx.Client, worker: str, batch: list[dict[str, Any]], go: threading.Barrier
    ) -> None:
        go.wait()
        # A client resends what failed (at-least-once); every attempt is recorded.
        for _attempt in range(RETRIES + 1):
            try:
                response = http.post("/api/v1/cases/push", json={"changes": batch})
            except httpx.TransportError as exc:  # e.g. the connection a 500 left reset
                record = PushRecord(worker, 0, repr(exc))
            else:
                record = PushRecord(worker, response.status_code, response.text[:3000])
                if response.status_code == 200:
                    record.results = response.json()["results"]
            with lock:
                records.append(record)
            if record.status == 200:
                return

    def drive(name: str) -> None:
        a, b = (client(s, token(s, name)) for s in pair.both)
        changes = plans[name]
        half = WINDOW // 2
        position, step = 0, 0
        while position < len(changes):
            if step % 2 == 0:
                # The same batch to both workers at once (a resend racing the first send).
                first = second = changes[position : position + WINDOW]
                position += WINDOW
            else:
                # Two new windows overlapping by half, at once: each worker meets the other's
                # uncommitted rows midway through its batch.
                chunk = changes[position : position + WINDOW + half]
                first, second = chunk[:WINDOW], chunk[half:]
                position += WINDOW + half
            step += 1
            go = threading.Barrier(2)
            threads = [
                threading.Thread(target=send, args=(a, "a", first, go)),
                threading.Thread(target=send, args=(b, "b", second, go)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        # Finally everything again, to both: nothing but duplicates.
        go = threading.Barrier(2)
        threads = [
            threading.Thread(target=send, args=(http, w, changes, go))
            for http, w in ((a, "a"), (b, "b"))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        a.close()
        b.close()

    pushing = threading.Event()
    pushing.set()
    reader = LiveReader(chief)
    reader_thread = threading.Thread(target=reader.run, args=(pushing,))
    reader_thread.start()
    with ThreadPoolExecutor(len(INSPECTORS)) as pool:
        list(pool.map(drive, INSPECTORS))
    pushing.clear()
    reader_thread.join(timeout=120)
    assert not reader_thread.is_alive(), "the live feed reader never caught up"

    problems: list[str] = []
    # Every push answered, and answered in full (first time: failures are resent meanwhile).
    failed = [r for r in records if r.status != 200]
    if failed:
        problems.append(
            f"{len(failed)} of {len(records)} push requests failed (statuses "
            f"{dict(Counter(r.status for r in failed))}, 0: connection reset; each failed batch "
            f"was resent until answered), e.g. worker {failed[0].worker}: "
            f"{failed[0].status} {failed[0].body}\n{server_errors(*pair.both)}"
        )
    # Each change id: applied exactly once, every other answer a duplicate, one revision.
    answers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        for result in record.results:
            answers[result["change_id"]].append(result)
    all_changes = [c for changes in plans.values() for c in changes]
    unanswered = {c["change_id"] for c in all_changes} - set(answers)
    if unanswered:
        problems.append(f"{len(unanswered)} changes never answered (even after resends)")
    wrong = {
        change_id: [(r["outcome"], r["server_revision"], r.get("reason")) for r in results]
        for change_id, results in answers.items()
        if sorted(r["outcome"] for r in results) != ["applied"] + ["duplicate"] * (len(results) - 1)
        or len({r["server_revision"] for r in results}) != 1
    }
    if wrong:
        problems.append(
            f"{len(wrong)} change ids answered wrongly, e.g. {next(iter(wrong.items()))}"
        )

    # One case, one submit step per case, seen the same through either worker.
    case_ids = {c["case"]["id"] for c in all_changes}
    for case_id in sorted(case_ids)[:: max(1, len(case_ids) // 20)]:
        details = [http.get(f"/api/v1/cases/{case_id}").json() for http in chief]
        if details[0] != details[1]:
            problems.append(f"case {case_id} reads differently from the two workers")
        elif details[0].get("case", {}).get("revision") != 2 or [
            s["action"] for s in details[0]["steps"]
        ] != ["submit"]:
            problems.append(f"case {case_id} is not submitted once: {details[0]}")
    plain_url = pair.database_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain_url) as conn:
        cases = conn.execute("SELECT count(*) FROM cases").fetchone()
        receipts = conn.execute("SELECT count(*) FROM change_receipts").fetchone()
        steps = conn.execute(
            "SELECT case_id, count(*) FROM case_steps GROUP BY case_id HAVING count(*) <> 1"
        ).fetchall()
    if (cases, receipts, steps) != ((len(case_ids),), (len(all_changes),), []):
        problems.append(
            f"database: {cases} cases (expected {len(case_ids)}), {receipts} receipts "
            f"(expected {len(all_changes)}), cases without exactly one step: {steps[:5]}"
        )

    # The feed: the same from either worker, strictly increasing, one submit per case.
    full = [read_all(http) for http in chief]
    if full[0] != full[1]:
        problems.append("the two workers serve different feeds")
    seqs = [e["seq"] for e in full[0]]
    if seqs != sorted(set(seqs)):
        problems.append("the feed is not strictly increasing")
    submits = [e["entity_id"] for e in full[0] if e["payload"].get("event") == "submit"]
    if sorted(submits) != sorted(case_ids):
        problems.append(f"{len(submits)} submit entries in the feed for {len(case_ids)} cases")

    # The live reader never had an entry appear behind its cursor.
    problems += reader.errors
    seen = [e["seq"] for e in reader.seen]
    if seen != sorted(set(seen)):
        problems.append("the live reader got entries out of order or twice")
    missed = sorted(set(seqs) - set(seen))
    if missed:
        problems.append(
            f"{len(missed)} feed entries committed behind a cursor the live reader had already "
            f"passed, e.g. seq {missed[:10]}"
        )
    elif reader.seen != full[0]:
        problems.append("the live reader saw entries that differ from the final feed")
    assert not problems, "\n".join(problems)


# --- role × route matrix --------------------------------------------------------------------

ANON, OWNER, OTHER, SUPERVISOR, ADMIN = (
    "anonymous", "inspector (owner)", "inspector (not owner)", "supervisor", "admin",
)  # fmt: skip
#: A department's handler (issue 15): the matrix's case is not dispatched to its department, so
#: it is "not found" to the handler everywhere (tests/server/test_handlers.py covers a handler's
#: own department's case, endpoint by endpoint).
HANDLER = "handler"
IDENTITIES = (ANON, OWNER, OTHER, SUPERVISOR, ADMIN, HANDLER)
USERNAMES = {
    OWNER: "demo",
    OTHER: "inspector2",
    SUPERVISOR: "supervisor",
    ADMIN: "admin",
    HANDLER: "handler",
}


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(IDENTITIES, status)


def signed_in(status: int) -> dict[str, int]:
    return {**everyone(status), ANON: 401}


def uploader_only(status: int) -> dict[str, int]:
    """Someone else's upload is "not found" (its existence is not revealed)."""
    return {ANON: 401, OWNER: status, OTHER: 404, SUPERVISOR: 404, ADMIN: 404, HANDLER: 404}


#: Every route of the OpenAPI document → the exact status per identity.
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/healthz"): everyone(200),
    ("POST", "/api/v1/auth/login"): everyone(200),
    ("POST", "/api/v1/auth/logout"): signed_in(204),
    ("GET", "/api/v1/me"): signed_in(200),
    ("POST", "/api/v1/cases/push"): {ANON: 401, OWNER: 200, OTHER: 200, SUPERVISOR: 403, ADMIN: 403, HANDLER: 403},
    ("GET", "/api/v1/feed"): signed_in(200),
    ("GET", "/api/v1/cases"): signed_in(200),
    ("GET", "/api/v1/cases/{case_id}"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 200, ADMIN: 200, HANDLER: 404},
    ("POST", "/api/v1/cases/{case_id}/actions"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 200, ADMIN: 403, HANDLER: 403},
    ("GET", "/api/v1/departments"): signed_in(200),
    ("POST", "/api/v1/departments"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 403, ADMIN: 201, HANDLER: 403},
    ("OPTIONS", "/api/v1/uploads"): everyone(204),
    ("POST", "/api/v1/uploads"): {ANON: 401, OWNER: 201, OTHER: 403, SUPERVISOR: 403, ADMIN: 403, HANDLER: 404},
    ("HEAD", "/api/v1/uploads/{photo_id}"): uploader_only(200),
    ("PATCH", "/api/v1/uploads/{photo_id}"): uploader_only(204),
    ("DELETE", "/api/v1/uploads/{photo_id}"): uploader_only(204),
    ("GET", "/api/v1/photos/{photo_id}"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 200, ADMIN: 200, HANDLER: 404},
    ("GET", "/api/v1/photos/{photo_id}/thumbnail"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 200, ADMIN: 200, HANDLER: 404},
    ("GET", "/api/v1/cases/{case_id}/comments"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 200, ADMIN: 200, HANDLER: 404},
    ("POST", "/api/v1/cases/{case_id}/comments"): {ANON: 401, OWNER: 201, OTHER: 404, SUPERVISOR: 201, ADMIN: 201, HANDLER: 404},
    ("GET", "/api/v1/time-limits"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 200, ADMIN: 200, HANDLER: 403},
    ("POST", "/api/v1/time-limits"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 403, ADMIN: 201, HANDLER: 403},
    ("PUT", "/api/v1/time-limits/{rule_id}"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 403, ADMIN: 200, HANDLER: 403},
    ("DELETE", "/api/v1/time-limits/{rule_id}"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 403, ADMIN: 204, HANDLER: 403},
    ("GET", "/api/v1/basemaps"): signed_in(200),
    # No basemap was added in this world: a well-formed id is "not found" to every account.
    ("GET", "/api/v1/basemaps/{sha256}"): signed_in(404),
    # A department's handler sees no patrol track.
    ("GET", "/api/v1/tracks"): {**signed_in(200), HANDLER: 403},
    ("GET", "/api/v1/tracks/{track_id}"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 200, ADMIN: 200, HANDLER: 403},
    ("PUT", "/api/v1/tracks/{track_id}"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 403, ADMIN: 403, HANDLER: 403},
    ("POST", "/api/v1/tracks/{track_id}/points"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 403, ADMIN: 403, HANDLER: 403},
    ("GET", "/api/v1/sites"): signed_in(200),
    # The owner's own key site; another inspector's is "not found".
    ("POST", "/api/v1/sites/{site_id}/checks"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 403, ADMIN: 403, HANDLER: 403},
    ("GET", "/api/v1/responsibilities"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 200, ADMIN: 200, HANDLER: 403},
    ("GET", "/api/v1/responsibilities/{grid_code}"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 200, ADMIN: 200, HANDLER: 403},
    ("PUT", "/api/v1/responsibilities/{grid_code}"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 403, ADMIN: 200, HANDLER: 403},
    ("DELETE", "/api/v1/responsibilities/{grid_code}"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 403, ADMIN: 204, HANDLER: 403},
    # No client release was added in this world either: "not found" to every account.
    ("GET", "/api/v1/releases/latest"): signed_in(404),
    ("GET", "/api/v1/releases/{sha256}"): signed_in(404),
    # Inspections (an unannounced one by the owner, not published): issue 18.
    ("POST", "/api/v1/inspections"): {ANON: 401, OWNER: 201, OTHER: 403, SUPERVISOR: 403, ADMIN: 403, HANDLER: 403},
    ("GET", "/api/v1/inspections"): signed_in(200),
    ("GET", "/api/v1/inspections/{inspection_id}"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 200, ADMIN: 200, HANDLER: 404},
    ("POST", "/api/v1/inspections/{inspection_id}/publish"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 200, ADMIN: 403, HANDLER: 403},
    ("PUT", "/api/v1/inspections/{inspection_id}/photos/{deduction_id}"): uploader_only(200),
    ("GET", "/api/v1/inspections/{inspection_id}/photos/{deduction_id}"): {ANON: 401, OWNER: 200, OTHER: 404, SUPERVISOR: 200, ADMIN: 200, HANDLER: 404},
    # Checklist templates from the app's editor (issue 18): admins publish, the office reads.
    ("POST", "/api/v1/checklists"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 403, ADMIN: 201, HANDLER: 403},
    ("GET", "/api/v1/checklists"): {ANON: 401, OWNER: 403, OTHER: 403, SUPERVISOR: 200, ADMIN: 200, HANDLER: 403},
}  # fmt: skip
#: Routes the app serves but leaves out of its OpenAPI document.
HIDDEN_EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/openapi.json"): everyone(200),
    ("GET", "/docs"): everyone(200),
    ("GET", "/docs/oauth2-redirect"): everyone(200),
    ("GET", "/redoc"): everyone(200),
    # Operations, not the API: no token is set here (server.observability; nginx blocks it).
    ("GET", "/metrics"): everyone(200),
}


def served_routes() -> set[tuple[str, str]]:
    """Every (method, path) the app routes: the OpenAPI document's and the hidden ones."""
    from server.api import create_app
    from server.settings import Settings

    with tempfile.TemporaryDirectory(prefix="citypatrol-routes-") as folder:
        app = create_app(Settings(data_dir=Path(folder), database_url="sqlite://"))
    try:  # FastAPI ≥ 0.13x keeps included routers nested; this walks them
        from fastapi.routing import iter_route_contexts

        found = [(c.path, c.methods) for c in iter_route_contexts(app.routes)]
    except ImportError:  # older FastAPI flattens them into app.routes
        found = [(getattr(r, "path", None), getattr(r, "methods", None)) for r in app.routes]
    routes: set[tuple[str, str]] = set()
    for path, listed in found:
        assert isinstance(path, str), found
        methods = set(listed or ())
        # Starlette adds HEAD to every GET route; a HEAD of its own stays.
        routes |= {(m, path) for m in (methods - {"HEAD"} if "GET" in methods else methods)}
    return routes


def tiny_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class World:
    """What the minimal requests need: the server, sign-ins, a case, a department, a photo."""

    server: ServerProcess
    tokens: dict[str, str]
    case_id: str
    photo: bytes

    def http(self, identity: str) -> httpx.Client:
        headers = {"Tus-Resumable": "1.0.0"}
        if identity != ANON:
            headers["Authorization"] = f"Bearer {self.tokens[identity]}"
        return httpx.Client(base_url=self.server.url, headers=headers, timeout=60)

    def submitted_case(self) -> str:
        case_id = new_id()
        case = snapshot(case_id, datetime.now(UTC).isoformat())
        with self.http(OWNER) as http:
            response = http.post(
                "/api/v1/cases/push",
                json={
                    "changes": [
                        {"change_id": new_id(), "op": "create", "case": case},
                        {"change_id": new_id(), "op": "submit", "case": case},
                    ]
                },
            )
        assert [r["outcome"] for r in response.json()["results"]] == ["applied", "applied"]
        return case_id

    def upload(self, identity: str = OWNER) -> tuple[httpx.Response, str]:
        photo_id = str(uuid.uuid4())
        metadata = {
            "case_id": self.case_id,
            "photo_id": photo_id,
            "sha256": hashlib.sha256(self.photo).hexdigest(),
            "mime": "image/jpeg",
            "filename": "井盖.jpg",
        }
        header = ",".join(
            f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items()
        )
        with self.http(identity) as http:
            response = http.post(
                "/api/v1/uploads",
                headers={"Upload-Length": str(len(self.photo)), "Upload-Metadata": header},
            )
        return response, photo_id

    def new_upload(self) -> str:
        response, photo_id = self.upload()
        assert response.status_code == 201, response.text
        return photo_id

    def send_bytes(self, identity: str, photo_id: str) -> httpx.Response:
        with self.http(identity) as http:
            return http.patch(
                f"/api/v1/uploads/{photo_id}",
                content=self.photo,
                headers={"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
            )

    def complete_photo(self) -> str:
        photo_id = self.new_upload()
        response = self.send_bytes(OWNER, photo_id)
        assert response.status_code == 204, response.text
        return photo_id


TRACK_HEADER = {"started_at": "2026-12-01T08:00:00+08:00", "distance_m": 0.0, "point_count": 1}
TRACK_POINT = [28_300_000, 117_210_000, 1_764_547_200_000, 40, 0]


def _owner_track(world: World) -> str:
    """A track of the owner's with one point to come."""
    track_id = new_id()
    with world.http(OWNER) as http:
        assert http.put(f"/api/v1/tracks/{track_id}", json=TRACK_HEADER).status_code == 200
    return track_id


def _put_track(world: World, identity: str) -> httpx.Response:
    track_id = _owner_track(world)
    with world.http(identity) as http:
        return http.put(f"/api/v1/tracks/{track_id}", json=TRACK_HEADER)


def _track_points(world: World, identity: str) -> httpx.Response:
    track_id = _owner_track(world)
    with world.http(identity) as http:
        return http.post(
            f"/api/v1/tracks/{track_id}/points",
            json={"batch_id": new_id(), "first": 0, "points": [TRACK_POINT]},
        )


def _owner_site(world: World) -> str:
    """The id of a key site the owner checks (loaded once with ``citypatrol-server site load``)."""
    with world.http(ADMIN) as http:
        found = [s["id"] for s in http.get("/api/v1/sites").json() if s["name"] == "矩阵小学"]
    if found:
        return str(found[0])
    with tempfile.TemporaryDirectory(prefix="citypatrol-sites-") as folder:
        path = Path(folder) / "sites.geojson"
        feature = {
            "type": "Feature",
            "properties": {"name": "矩阵小学", "frequency": "daily", "due": "10:00",
                           "inspector": USERNAMES[OWNER], "radius_m": 100},
            "geometry": {"type": "Point", "coordinates": [117.215, 28.3005]},
        }  # fmt: skip
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", "--data-dir", str(world.server.data_dir),
             "--database-url", world.server.database_url, "site", "load", str(path)],
            capture_output=True, text=True, cwd=ROOT, check=False, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return _owner_site(world)


def _site_check(world: World, identity: str) -> httpx.Response:
    site_id = _owner_site(world)
    with world.http(identity) as http:
        return http.post(
            f"/api/v1/sites/{site_id}/checks",
            json={"id": new_id(), "at": datetime.now(UTC).isoformat(), "lat": 28.3005,
                  "lon": 117.215, "outcome": "no_problem"},
        )  # fmt: skip


#: A cell of the sample grid (loaded once with ``citypatrol-server grid load``).
MATRIX_CELL = "360681017001001"
MATRIX_RESPONSIBILITY = {"inspectors": [USERNAMES[OWNER]], "departments": {"06": "HWC"}}


def _grid_cell(world: World) -> str:
    with world.http(ADMIN) as http:
        if http.get(f"/api/v1/responsibilities/{MATRIX_CELL}").status_code == 200:
            return MATRIX_CELL
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(world.server.data_dir),
         "--database-url", world.server.database_url, "grid", "load",
         str(ROOT.parent / "shared" / "samples" / "map" / "grids.geojson")],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return MATRIX_CELL


def _responsibility(method: str) -> Callable[[World, str], httpx.Response]:
    def call(world: World, identity: str) -> httpx.Response:
        cell = _grid_cell(world)
        if method == "DELETE":  # something to remove, each time
            with world.http(ADMIN) as http:
                put = http.put(f"/api/v1/responsibilities/{cell}", json=MATRIX_RESPONSIBILITY)
            assert put.status_code == 200, put.text
        with world.http(identity) as http:
            return http.request(
                method,
                f"/api/v1/responsibilities/{cell}",
                json=MATRIX_RESPONSIBILITY if method == "PUT" else None,
            )

    return call


def _list_responsibilities(world: World, identity: str) -> httpx.Response:
    _grid_cell(world)
    with world.http(identity) as http:
        return http.get("/api/v1/responsibilities")


def _request(method: str, path: str, **kwargs: Any) -> Callable[[World, str], httpx.Response]:
    def call(world: World, identity: str) -> httpx.Response:
        with world.http(identity) as http:
            return http.request(method, path, **kwargs)

    return call


def _logout(world: World, identity: str) -> httpx.Response:
    # A fresh session: logging out must not end the one the other requests use.
    fresh = (
        "" if identity == ANON else token(world.server, USERNAMES[identity], USERNAMES[identity])
    )
    headers = {"Authorization": f"Bearer {fresh}"} if fresh else {}
    return httpx.post(f"{world.server.url}/api/v1/auth/logout", headers=headers, timeout=60)


def _act(world: World, identity: str) -> httpx.Response:
    with world.http(identity) as http:
        return http.post(
            f"/api/v1/cases/{world.submitted_case()}/actions", json={"action": "accept"}
        )


def _create_department(world: World, identity: str) -> httpx.Response:
    code = "D" + uuid.uuid4().hex[:12]
    with world.http(identity) as http:
        return http.post("/api/v1/departments", json={"code": code, "name": "测试部门"})


def _head_upload(world: World, identity: str) -> httpx.Response:
    with world.http(identity) as http:
        return http.head(f"/api/v1/uploads/{world.new_upload()}")


def _delete_upload(world: World, identity: str) -> httpx.Response:
    with world.http(identity) as http:
        return http.delete(f"/api/v1/uploads/{world.new_upload()}")


def _get_photo(world: World, identity: str) -> httpx.Response:
    with world.http(identity) as http:
        return http.get(f"/api/v1/photos/{world.complete_photo()}")


def _get_thumbnail(world: World, identity: str) -> httpx.Response:
    with world.http(identity) as http:
        return http.get(f"/api/v1/photos/{world.complete_photo()}/thumbnail")


def _unused_rule_body(world: World) -> dict[str, Any]:
    """A time-limit rule for a category no rule has yet (one per category and urgency)."""
    from app.domain.taxonomy import load_default_taxonomy

    with world.http(ADMIN) as http:
        used = {r["category_code"] for r in http.get("/api/v1/time-limits").json()}
    code = next(c.code for c in load_default_taxonomy().matters if c.code not in used)
    return {"category_code": code, "amount": 2, "unit": "working_days"}


def _create_time_limit(world: World, identity: str) -> httpx.Response:
    with world.http(identity) as http:
        return http.post("/api/v1/time-limits", json=_unused_rule_body(world))


def _new_rule(world: World) -> str:
    response = _create_time_limit(world, ADMIN)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _update_time_limit(world: World, identity: str) -> httpx.Response:
    rule_id = _new_rule(world)
    with world.http(identity) as http:
        return http.put(f"/api/v1/time-limits/{rule_id}", json=_unused_rule_body(world))


def _delete_time_limit(world: World, identity: str) -> httpx.Response:
    rule_id = _new_rule(world)
    with world.http(identity) as http:
        return http.delete(f"/api/v1/time-limits/{rule_id}")


def _inspection_body(world: World) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "id": new_id(), "template_code": "street-sanitation", "template_version": 1,
        "object_kind": "street_section", "object_id": "S-1", "object_name": "建设路",
        "department_code": None, "mode": "unannounced", "started_at": now, "finished_at": now,
        "deductions": [{
            "id": new_id(), "item_code": "A1", "note": "", "at": now,
            "photo_sha256": hashlib.sha256(world.photo).hexdigest(),
            "photo_mime": "image/jpeg", "photo_size": len(world.photo),
        }],
    }  # fmt: skip


def _send_inspection(world: World, identity: str) -> httpx.Response:
    with world.http(identity) as http:
        return http.post("/api/v1/inspections", json=_inspection_body(world))


def _new_inspection(world: World) -> tuple[str, str]:
    body = _inspection_body(world)
    with world.http(OWNER) as http:
        response = http.post("/api/v1/inspections", json=body)
    assert response.status_code == 201, response.text
    return body["id"], body["deductions"][0]["id"]


def _inspection_call(
    method: str, tail: str = "", *, photo: bool = False
) -> Callable[[World, str], httpx.Response]:
    def call(world: World, identity: str) -> httpx.Response:
        inspection_id, deduction_id = _new_inspection(world)
        if photo and method == "GET":
            with world.http(OWNER) as http:
                put = http.put(
                    f"/api/v1/inspections/{inspection_id}/photos/{deduction_id}",
                    content=world.photo,
                )
            assert put.status_code == 200, put.text
        path = f"/api/v1/inspections/{inspection_id}{tail}"
        if photo:
            path += f"/photos/{deduction_id}"
        with world.http(identity) as http:
            return http.request(method, path, content=world.photo if method == "PUT" else None)

    return call


def _publish_checklist(world: World, identity: str) -> httpx.Response:
    """A new template (a code of its own, version 1) as the file format gives it."""
    document = json.loads(
        (ROOT / "resources" / "checklists" / "street-sanitation.json").read_text("utf-8")
    )
    document["code"] = "matrix-" + uuid.uuid4().hex[:12]
    with world.http(identity) as http:
        return http.post("/api/v1/checklists", json=document)


#: A minimal valid request for each route, made as a given identity.
REQUESTS: dict[tuple[str, str], Callable[[World, str], httpx.Response]] = {
    ("GET", "/healthz"): _request("GET", "/healthz"),
    ("GET", "/metrics"): _request("GET", "/metrics"),
    ("POST", "/api/v1/auth/login"): _request(
        "POST", "/api/v1/auth/login", json={"username": "supervisor", "password": "supervisor"}
    ),
    ("POST", "/api/v1/auth/logout"): _logout,
    ("GET", "/api/v1/me"): _request("GET", "/api/v1/me"),
    ("POST", "/api/v1/cases/push"): _request("POST", "/api/v1/cases/push", json={"changes": []}),
    ("GET", "/api/v1/feed"): _request("GET", "/api/v1/feed"),
    ("GET", "/api/v1/cases"): _request("GET", "/api/v1/cases"),
    ("GET", "/api/v1/cases/{case_id}"): lambda w, i: _request("GET", f"/api/v1/cases/{w.case_id}")(w, i),
    ("POST", "/api/v1/cases/{case_id}/actions"): _act,
    ("GET", "/api/v1/departments"): _request("GET", "/api/v1/departments"),
    ("POST", "/api/v1/departments"): _create_department,
    ("OPTIONS", "/api/v1/uploads"): _request("OPTIONS", "/api/v1/uploads"),
    ("POST", "/api/v1/uploads"): lambda w, i: w.upload(i)[0],
    ("HEAD", "/api/v1/uploads/{photo_id}"): _head_upload,
    ("PATCH", "/api/v1/uploads/{photo_id}"): lambda w, i: w.send_bytes(i, w.new_upload()),
    ("DELETE", "/api/v1/uploads/{photo_id}"): _delete_upload,
    ("GET", "/api/v1/photos/{photo_id}"): _get_photo,
    ("GET", "/api/v1/photos/{photo_id}/thumbnail"): _get_thumbnail,
    ("GET", "/api/v1/cases/{case_id}/comments"): lambda w, i: _request("GET", f"/api/v1/cases/{w.case_id}/comments")(w, i),
    ("POST", "/api/v1/cases/{case_id}/comments"): lambda w, i: _request("POST", f"/api/v1/cases/{w.case_id}/comments", json={"text": "请补充照片"})(w, i),
    ("GET", "/api/v1/time-limits"): _request("GET", "/api/v1/time-limits"),
    ("POST", "/api/v1/time-limits"): _create_time_limit,
    ("PUT", "/api/v1/time-limits/{rule_id}"): _update_time_limit,
    ("DELETE", "/api/v1/time-limits/{rule_id}"): _delete_time_limit,
    ("GET", "/api/v1/basemaps"): _request("GET", "/api/v1/basemaps"),
    ("GET", "/api/v1/basemaps/{sha256}"): _request("GET", "/api/v1/basemaps/" + "0" * 64),
    ("GET", "/api/v1/tracks"): _request("GET", "/api/v1/tracks"),
    ("GET", "/api/v1/tracks/{track_id}"): lambda w, i: _request("GET", f"/api/v1/tracks/{_owner_track(w)}")(w, i),
    ("PUT", "/api/v1/tracks/{track_id}"): _put_track,
    ("POST", "/api/v1/tracks/{track_id}/points"): _track_points,
    ("GET", "/api/v1/sites"): _request("GET", "/api/v1/sites"),
    ("POST", "/api/v1/sites/{site_id}/checks"): _site_check,
    ("GET", "/api/v1/responsibilities"): _list_responsibilities,
    ("GET", "/api/v1/responsibilities/{grid_code}"): _responsibility("GET"),
    ("PUT", "/api/v1/responsibilities/{grid_code}"): _responsibility("PUT"),
    ("DELETE", "/api/v1/responsibilities/{grid_code}"): _responsibility("DELETE"),
    ("GET", "/api/v1/releases/latest"): _request("GET", "/api/v1/releases/latest", params={"platform": "windows"}),
    ("GET", "/api/v1/releases/{sha256}"): _request("GET", "/api/v1/releases/" + "0" * 64),
    ("POST", "/api/v1/inspections"): _send_inspection,
    ("GET", "/api/v1/inspections"): _request("GET", "/api/v1/inspections"),
    ("GET", "/api/v1/inspections/{inspection_id}"): _inspection_call("GET"),
    ("POST", "/api/v1/inspections/{inspection_id}/publish"): _inspection_call("POST", "/publish"),
    ("PUT", "/api/v1/inspections/{inspection_id}/photos/{deduction_id}"): _inspection_call("PUT", photo=True),
    ("GET", "/api/v1/inspections/{inspection_id}/photos/{deduction_id}"): _inspection_call("GET", photo=True),
    ("POST", "/api/v1/checklists"): _publish_checklist,
    ("GET", "/api/v1/checklists"): _request("GET", "/api/v1/checklists"),
    ("GET", "/openapi.json"): _request("GET", "/openapi.json"),
    ("GET", "/docs"): _request("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"): _request("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"): _request("GET", "/redoc"),
}  # fmt: skip


def test_every_route_has_an_expectation_and_a_request(server: ServerProcess) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
    }
    hidden = served_routes() - documented
    for name, actual, table in (
        ("documented", documented, EXPECTED),
        ("undocumented", hidden, HIDDEN_EXPECTED),
    ):
        assert not actual - set(table), (
            f"{name} routes without an expected status per role — add them to the table: "
            f"{sorted(actual - set(table))}"
        )
        assert not set(table) - actual, f"stale expectations: {sorted(set(table) - actual)}"
    assert set(REQUESTS) == set(EXPECTED) | set(HIDDEN_EXPECTED)


def test_the_benchmark_endpoint_is_only_in_the_benchmarks_app(server: ServerProcess) -> None:
    """``PUT /api/v1/bench/blob`` (bench/server_photos.py's baseline) is added by the
    benchmarks' own app; the production app neither documents nor serves it."""
    sys.path.insert(0, str(ROOT / "bench" / "support"))
    from blob_server import create_bench_app

    from server.settings import Settings

    document = httpx.get(f"{server.url}/openapi.json").json()
    assert not [p for p in document["paths"] if "bench" in p]
    assert ("PUT", "/api/v1/bench/blob") not in served_routes()
    response = httpx.put(f"{server.url}/api/v1/bench/blob", content=b"x" * 1024)
    assert response.status_code in (404, 405)
    with tempfile.TemporaryDirectory(prefix="citypatrol-bench-") as folder:
        bench = create_bench_app(Settings(data_dir=Path(folder), database_url="sqlite://"))
        assert "/api/v1/bench/blob" in bench.openapi()["paths"]


def test_role_route_matrix(server: ServerProcess) -> None:
    loaded = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir),
         "--database-url", server.database_url, "checklist", "load",
         str(ROOT / "resources" / "checklists" / "street-sanitation.json")],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    objects = server.data_dir.parent / "objects.csv"
    objects.write_text("kind,id,name,department_code\nstreet_section,S-1,建设路,\n")
    loaded = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir),
         "--database-url", server.database_url, "inspection-object", "load", str(objects)],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    tokens = {i: token(server, u, u) for i, u in USERNAMES.items()}
    world = World(server, tokens, case_id="", photo=tiny_jpeg())
    world.case_id = world.submitted_case()
    expected = {**EXPECTED, **HIDDEN_EXPECTED}
    mismatches = []
    rows = []
    for route, statuses in expected.items():
        actual = {}
        for identity in IDENTITIES:
            response = REQUESTS[route](world, identity)
            actual[identity] = response.status_code
            if response.status_code != statuses[identity]:
                mismatches.append(
                    f"{route[0]} {route[1]} as {identity}: {response.status_code} "
                    f"(expected {statuses[identity]}) {response.text[:300]}"
                )
        rows.append(
            f"{route[0]:7} {route[1]:38} " + " ".join(f"{actual[i]:>4}" for i in IDENTITIES)
        )
    table = "\n".join([f"{'':46} " + " ".join(f"{i[:4]:>4}" for i in IDENTITIES), *rows])
    assert not mismatches, "\n".join(mismatches) + "\n\n" + table
