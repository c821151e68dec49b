"""Fault tests of the local store: SIGKILL mid-write, read-only folder, full disk, a newer
schema, a corrupt file.

Real processes, real files and real mounts: the read-only folder and the full disk are made
inside ``unshare -rm`` namespaces (as root ``chmod`` stops nothing), so nothing is mocked.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.domain.validation import CaseFields
from app.storage import CaseQuery, LocalStore, StoreError
from app.storage.db import DATABASE_FILE
from tests.helpers import ROOT, run_cli

WRITER = Path(__file__).with_name("crash_writer.py")
ROUNDS = 20
SEED = 20240607
CATEGORY = "06010"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}
#: A description written by crash_writer.py: token, text, then a checksum of everything before it.
DESCRIPTION = re.compile(
    r"^(?P<body>(?P<token>\S+) .*（第(?P<round>\d+)轮，版本(?P<version>\d)）) 校验(?P<sum>[0-9a-f]{16})$"
)
#: Exit codes of our own namespace set-up scripts (never the app's).
SETUP_FAILED = 97


# -- helpers --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _cli_env() -> dict[str, str]:
    return {**os.environ, "LANG": "C.UTF-8"}


def _failure_problems(
    label: str, proc: subprocess.CompletedProcess[str], *needles: str
) -> list[str]:
    """What is wrong with a CLI run that should have failed cleanly with one of ``needles``."""
    problems = []
    if proc.returncode == 0:
        problems.append("exit code 0, expected a failure")
    if "Traceback" in proc.stderr:
        problems.append("Python traceback in stderr")
    if not any(n.lower() in proc.stderr.lower() for n in needles):
        problems.append(f"stderr mentions none of {needles!r}")
    if not problems:
        return []
    return [
        f"{label}: {'; '.join(problems)}\n    exit code: {proc.returncode}\n"
        f"    stdout: {proc.stdout.strip()!r}\n    stderr: {proc.stderr.strip()!r}"
    ]


def _in_parallel(
    *runs: Callable[[], subprocess.CompletedProcess[str]],
) -> list[subprocess.CompletedProcess[str]]:
    """Run independent CLI invocations side by side (each one is mostly Python start-up)."""
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        return list(pool.map(lambda run: run(), runs))


def _check_photo_files(store: LocalStore) -> tuple[int, int]:
    """Every photo row points at a whole file; every file under a final name is whole.

    Returns ``(photo rows, leftover .import-* temporary files)``.
    """
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, sha256, mime, size_bytes FROM photos")).all()
    for photo_id, sha, mime, size in rows:
        path = store.photos_dir / sha[:2] / f"{sha}.{EXTENSIONS[mime]}"
        assert not path.name.startswith(".import-")
        assert path.is_file(), f"photo {photo_id} points at missing file {path}"
        assert _sha256(path) == sha, (
            f"photo {photo_id}: {path} does not hash to its name (torn file)"
        )
        assert path.stat().st_size == size, f"photo {photo_id}: size of {path} differs from its row"
    leftovers = 0
    thumbs = store.photos_dir / "thumbs"
    for path in store.photos_dir.rglob("*"):
        if path.is_dir():
            continue
        if path.name.startswith((".import-", ".thumb-")):
            leftovers += 1
            continue
        if thumbs in path.parents:
            # A cached thumbnail is named after its original; it must be a whole JPEG.
            assert path.read_bytes().endswith(b"\xff\xd9"), f"torn thumbnail {path}"
            assert (store.photos_dir / path.name[:2]).is_dir(), (
                f"thumbnail without original: {path}"
            )
            continue
        match = re.fullmatch(r"([0-9a-f]{64})\.(png|jpg)", path.name)
        assert match and path.parent.name == match[1][:2], (
            f"unexpected file in the photo store: {path}"
        )
        assert _sha256(path) == match[1], f"{path} does not hash to its name: a half-written photo"
    return len(rows), leftovers


@pytest.fixture
def unshare(tmp_path: Path) -> str:
    """The ``unshare`` binary, after proving this kernel lets us mount in a new namespace."""
    exe = shutil.which("unshare")
    if exe is None:
        pytest.fail(
            "`unshare` (util-linux) is not installed: the fault tests need it to mount a "
            "read-only folder and a small tmpfs"
        )
    probe_dir = tmp_path / "unshare-probe"
    probe_dir.mkdir()
    probe = subprocess.run(
        [exe, "-rm", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$1"', "sh", str(probe_dir)],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        pytest.fail(
            "the kernel refused `unshare -rm` with a mount (user or mount namespaces disabled?); "
            f"exit code {probe.returncode}, stderr: {probe.stderr.strip()!r}"
        )
    return exe


# -- 1. SIGKILL while writing ---------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    """One case as read back from the store, with everything written in its transactions."""

    id: str
    pk: int
    description: str
    status: str
    revision: int
    updated_at: datetime
    photo_count: int
    photos: frozenset[tuple[str, str, str]]  # (photo id, sha256, original name)
    case_ops: tuple[str, ...]
    photo_ops: tuple[tuple[str, ...], ...]
    steps: tuple[tuple[str, str, str], ...]


@dataclass
class _Planned:
    """A case crash_writer.py announced, and the writes it reported as committed."""

    token: str
    round_no: int
    order: tuple[str, ...]  # the writes it meant to do: create, [photo], [update], [submit]
    reported: list[str] = field(default_factory=list)
    case_id: str | None = None
    description: str = ""  # the last description reported
    photos: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (sha256, name)
    settled: _Stored | None = None  # its state once its round was checked; never changes again


class _Writer:
    """One crash_writer.py child; started ahead of time, told to go, then SIGKILLed."""

    def __init__(self, data_dir: Path, scratch: Path, round_no: int) -> None:
        self.round_no = round_no
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(WRITER),
                str(data_dir),
                str(scratch),
                str(round_no),
                str(SEED * 100 + round_no),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            cwd=ROOT,
        )
        self.records: list[dict[str, Any]] = []
        self.first_case = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            for raw in self.proc.stdout:
                if not raw.endswith(b"\n"):
                    break  # cut short by the kill: nothing was claimed
                record = json.loads(raw)
                self.records.append(record)
                if record["op"] == "create":
                    self.first_case.set()
        finally:
            self.first_case.set()

    def _stderr(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def go_and_kill(self, delay: float) -> list[dict[str, Any]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()
        if not self.first_case.wait(60) or self.proc.poll() is not None:
            pytest.fail(
                f"round {self.round_no}: the writer wrote no case; stderr:\n{self._stderr()}"
            )
        time.sleep(delay)
        self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(30)
        self.reader.join(30)
        if code != -signal.SIGKILL:
            pytest.fail(
                f"round {self.round_no}: the writer exited by itself ({code}); stderr:\n{self._stderr()}"
            )
        return self.records

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self.stderr.close()


def _read_back(store: LocalStore) -> dict[str, _Stored]:
    """Every case in the store with its photos, outbox entries and steps, keyed by token."""
    rows = store.list_cases(limit=10**9).rows
    case_ops: dict[str, list[str]] = defaultdict(list)
    for _seq, _change, entity_id, op in store.pending_outbox():
        case_ops[entity_id].append(op)
    with store.engine.connect() as conn:
        photos: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
        for photo_id, case_id, sha, name in conn.execute(
            text("SELECT id, case_id, sha256, original_name FROM photos")
        ):
            photos[case_id].add((photo_id, sha, name))
        steps: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for case_id, action, from_status, to_status in conn.execute(
            text("SELECT case_id, action, from_status, to_status FROM case_steps ORDER BY at, id")
        ):
            steps[case_id].append((action, from_status, to_status))
        last_payload: dict[str, dict[str, Any]] = {}
        for entity_id, payload in conn.execute(
            text("SELECT entity_id, payload FROM outbox WHERE entity = 'case' ORDER BY seq")
        ):
            last_payload[entity_id] = json.loads(payload)
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    by_token: dict[str, _Stored] = {}
    for row in rows:
        match = DESCRIPTION.match(row.description)
        assert match, f"case {row.id}: description not as written (torn?): {row.description!r}"
        assert hashlib.sha256(match["body"].encode()).hexdigest()[:16] == match["sum"], (
            f"case {row.id}: description checksum mismatch (torn write): {row.description!r}"
        )
        payload = last_payload.get(row.id)
        assert payload is not None, f"case {row.id} has no outbox entry"
        assert (payload["description"], payload["status"], payload["revision"]) == (
            row.description,
            row.status.value,
            row.revision,
        ), f"case {row.id}: its newest outbox snapshot does not match the case"
        case_photos = frozenset(photos.get(row.id, set()))
        by_token[match["token"]] = _Stored(
            id=row.id,
            pk=row.pk,
            description=row.description,
            status=row.status.value,
            revision=row.revision,
            updated_at=row.updated_at,
            photo_count=row.photo_count,
            photos=case_photos,
            case_ops=tuple(case_ops.get(row.id, [])),
            photo_ops=tuple(tuple(case_ops.get(p[0], [])) for p in sorted(case_photos)),
            steps=tuple(steps.get(row.id, [])),
        )
    return by_token


def _apply(records: list[dict[str, Any]], planned: dict[str, _Planned], round_no: int) -> list[str]:
    """Fold the writer's reports into ``planned``; returns this round's tokens in order."""
    tokens: list[str] = []
    by_id: dict[str, _Planned] = {}
    for record in records:
        op = record["op"]
        if op == "plan":
            order = ("create", *(step for step in ("photo", "update", "submit") if record[step]))
            planned[record["token"]] = _Planned(record["token"], round_no, order)
            tokens.append(record["token"])
            continue
        if op == "create":
            case = planned[record["token"]]
            case.case_id, case.description = record["id"], record["description"]
            by_id[record["id"]] = case
        else:
            case = by_id[record["id"]]
            if op == "photo":
                case.photos[record["photo_id"]] = (record["sha256"], record["name"])
            elif op == "update":
                case.description = record["description"]
        case.reported.append(op)
    return tokens


def _check_round_case(
    case: _Planned, stored: _Stored | None, *, last: bool, scratch: Path, store: LocalStore
) -> str:
    """Check one case of the round just killed; returns what happened to it."""
    where = f"round {case.round_no}, case {case.token} ({case.case_id})"
    if stored is None:
        assert not case.reported, f"{where}: reported committed but missing from the store"
        assert last, f"{where}: announced but never created, yet not the case being written"
        return "not started"
    version = DESCRIPTION.fullmatch(stored.description)
    assert version is not None  # checked by _read_back
    done = ["create"]
    done += ["photo"] if stored.photos else []
    done += ["update"] if version["version"] == "2" else []
    done += ["submit"] if stored.status == "submitted" else []
    assert tuple(done) == case.order[: len(done)], (
        f"{where}: stored writes {done} are not a prefix of {case.order}"
    )
    extra = len(done) - len(case.reported)
    assert extra >= 0, f"{where}: reported {case.reported} but the store only holds {done}"
    assert extra <= (1 if last else 0), (
        f"{where}: store holds {done}, reported only {case.reported}"
    )
    if case.case_id is not None:
        assert stored.id == case.case_id, f"{where}: stored under another id {stored.id}"
    if "create" in case.reported and ("update" in case.reported or "update" not in done):
        assert stored.description == case.description, (
            f"{where}: description differs from the one written"
        )
    for photo_id, (sha, name) in case.photos.items():
        assert (photo_id, sha, name) in stored.photos, (
            f"{where}: reported photo {photo_id} missing or different"
        )
    for photo_id, sha, name in stored.photos:
        assert name == f"r{case.round_no:02d}-{case.token[-5:]}.png", (
            f"{where}: photo {photo_id} has name {name}"
        )
        assert sha == _sha256(scratch / name), f"{where}: photo {photo_id} is not the file attached"
    assert len(stored.photos) == stored.photo_count == done.count("photo")
    assert stored.revision == 1 + done.count("update") + done.count("submit"), (
        f"{where}: revision {stored.revision}"
    )
    expected_ops = (
        ("create",)
        + (("update",) if "update" in done else ())
        + (("submit",) if "submit" in done else ())
    )
    assert stored.case_ops == expected_ops, (
        f"{where}: outbox {stored.case_ops}, expected {expected_ops}"
    )
    assert stored.photo_ops == (("upload",),) * len(stored.photos), (
        f"{where}: photo outbox {stored.photo_ops}"
    )
    expected_steps = (("submit", "draft", "submitted"),) if "submit" in done else ()
    assert stored.steps == expected_steps, f"{where}: steps {stored.steps}"
    # Readable one by one, and found by the search index on its token.
    row = store.get_case(stored.id)
    assert (row.description, row.revision, row.status.value) == (
        stored.description,
        stored.revision,
        stored.status,
    )
    assert set(store.case_ids(CaseQuery(text=case.token))) == {stored.pk}, (
        f"{where}: search by token fails"
    )
    case.settled = stored
    return "unreported write kept" if extra else "as reported"


def test_sigkill_during_writes_leaves_every_committed_case_whole(tmp_path: Path) -> None:
    data_dir, scratch = tmp_path / "data", tmp_path / "scratch"
    scratch.mkdir()
    rng = random.Random(SEED)
    planned: dict[str, _Planned] = {}
    outcomes: dict[str, int] = defaultdict(int)
    writers: list[_Writer] = []
    leftovers = photo_rows = 0
    try:
        writers.append(_Writer(data_dir, scratch, 0))
        for round_no in range(ROUNDS):
            writer = writers[-1]
            if round_no + 1 < ROUNDS:  # the next writer imports (only) while this one runs
                writers.append(_Writer(data_dir, scratch, round_no + 1))
            records = writer.go_and_kill(rng.uniform(0.05, 1.5))
            tokens = _apply(records, planned, round_no)
            with LocalStore(data_dir) as store:
                assert store.integrity_check() == "ok", f"round {round_no}: integrity check failed"
                stored = _read_back(store)
                unknown = set(stored) - set(planned)
                assert not unknown, f"round {round_no}: cases nobody wrote: {sorted(unknown)[:5]}"
                for case in planned.values():
                    if case.settled is not None:
                        assert stored.get(case.token) == case.settled, (
                            f"round {round_no}: case {case.token} of round {case.round_no} changed "
                            f"after a later crash:\n  was {case.settled}\n  now {stored.get(case.token)}"
                        )
                for token in tokens:
                    last = token == tokens[-1]
                    outcome = _check_round_case(
                        planned[token], stored.get(token), last=last, scratch=scratch, store=store
                    )
                    outcomes[outcome] += 1
                photo_rows, leftovers = _check_photo_files(store)
        # Finally the search index once more for every case: one query per round's token prefix.
        survivors = [c for c in planned.values() if c.settled is not None]
        with LocalStore(data_dir) as store:
            assert store.integrity_check() == "ok"
            for round_no in range(ROUNDS):
                expected = {c.settled.pk for c in survivors if c.settled and c.round_no == round_no}
                found = set(store.case_ids(CaseQuery(text=f"巡{round_no:02d}查")))
                assert found == expected, f"searching round {round_no}'s cases finds other ones"
            total = len(store.case_ids())
    finally:
        for writer in writers:
            writer.stop()
    reported = sum(1 for c in planned.values() if "create" in c.reported)
    assert reported >= ROUNDS
    assert total == len(survivors)
    print(
        f"\n{ROUNDS} SIGKILLs: {total} cases survived whole ({reported} reported committed, "
        f"{outcomes['unreported write kept']} with a write committed just before the kill but not "
        f"yet reported), {photo_rows} photos intact, {leftovers} leftover .import-* temp files"
    )


# -- 2. read-only data folder ---------------------------------------------------------------

#: Bind-mount $1 onto itself read-only, prove it is, then run the rest of the arguments.
READ_ONLY_SH = f"""
dir=$1; shift
mount --bind "$dir" "$dir" && mount -o remount,bind,ro "$dir" || {{
    echo "test set-up: cannot mount $dir read-only" >&2; exit {SETUP_FAILED}; }}
if touch "$dir/.write-probe" 2>/dev/null; then
    echo "test set-up: $dir is still writable" >&2; exit {SETUP_FAILED}; fi
exec "$@"
"""


def _run_cli_read_only(
    unshare: str, mount: Path, data_dir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    cmd = [unshare, "-rm", "sh", "-c", READ_ONLY_SH, "sh", str(mount)]
    cmd += [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args]
    proc = subprocess.run(
        cmd, check=False, capture_output=True, text=True, timeout=120, env=_cli_env(), cwd=ROOT
    )
    assert proc.returncode != SETUP_FAILED, proc.stderr
    return proc


def test_read_only_data_dir_gives_clear_message_and_exit_code(tmp_path: Path, unshare: str) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    existing = tmp_path / "existing"
    with LocalStore(existing) as store:  # an existing store, written while the folder was writable
        case_id = store.create_case(
            CaseFields(category_code=CATEGORY, description="只读测试：已有案件")
        ).id
    assert (existing / DATABASE_FILE).is_file()
    before = {"fresh": _snapshot(fresh), "existing": _snapshot(existing)}

    new = ("case", "new", "--category", CATEGORY, "--description", "x")
    runs = [
        ("empty folder: case new", fresh, fresh, new, "read-only"),
        ("empty folder: case list", fresh, fresh, ("case", "list"), "read-only"),
        ("existing store: case new", existing, existing, new, "read-only"),
        ("existing store: case list", existing, existing, ("case", "list"), "read-only"),
        # A data folder still to be created on a read-only disk, in Chinese:
        (
            "missing folder, zh_CN: case new",
            fresh,
            fresh / "data",
            ("--lang", "zh_CN", *new),
            "只读",
        ),
    ]
    results = _in_parallel(
        *(
            partial(_run_cli_read_only, unshare, mount, data_dir, *args)
            for _, mount, data_dir, args, _ in runs
        )
    )
    problems: list[str] = []
    for (label, *_, needle), proc in zip(runs, results, strict=True):
        problems += _failure_problems(label, proc, needle)
    after = {"fresh": _snapshot(fresh), "existing": _snapshot(existing)}
    if after != before:
        problems.append(f"the read-only folders changed:\n  before {before}\n  after  {after}")
    assert not problems, "\n".join(problems)
    with LocalStore(existing) as store:
        assert store.get_case(case_id).description == "只读测试：已有案件"


# -- 3. full disk ---------------------------------------------------------------------------

#: Runs in one mount namespace: a 2 MB tmpfs at $1; each step's stdout, stderr and exit code
#: go to files in $2 (outside the tmpfs), and the data folder is copied there at the end.
FULL_DISK_SH = f"""
mnt=$1 out=$2 py=$3 photo1=$4 photo2=$5 long=$6
mount -t tmpfs -o size=2m tmpfs "$mnt" || {{
    echo "test set-up: cannot mount a tmpfs on $mnt" >&2; exit {SETUP_FAILED}; }}
data="$mnt/data"
step() {{
    name=$1; shift
    "$py" -m app.cli --data-dir "$data" "$@" >"$out/$name.out" 2>"$out/$name.err"
    echo $? >"$out/$name.rc"
}}
step seed1 case new --json --category {CATEGORY} --description "满盘前的案件一：人民路井盖破损"
step seed2 case new --json --category {CATEGORY} --description "满盘前的案件二：带照片" --photo "$photo1"
dd if=/dev/zero of="$mnt/filler" bs=64k 2>"$out/dd.err" || true
df -Pk "$mnt" >"$out/df.txt"
step full_long case new --category {CATEGORY} --description "$long"
step full_long_zh --lang zh_CN case new --category {CATEGORY} --description "$long"
step full_photo case new --category {CATEGORY} --description "满盘时带照片" --photo "$photo2"
rm -f "$mnt/filler"
step after case list --json
cp -a "$data" "$out/data-after"
echo done >"$out/finished"
"""


def test_full_disk_gives_clear_message_and_loses_nothing(
    tmp_path: Path, unshare: str, samples: Path
) -> None:
    photo1, photo2 = sorted((samples / "photos" / "jpg" / "gps").glob("*.jpg"))[:2]
    mount, out = tmp_path / "disk", tmp_path / "out"
    mount.mkdir()
    out.mkdir()
    long_description = ("满盘测试：道路破损、井盖缺失、路灯不亮。" * 120)[:1990]
    script = tmp_path / "full_disk.sh"
    script.write_text(FULL_DISK_SH)
    proc = subprocess.run(
        [
            unshare,
            "-rm",
            "sh",
            str(script),
            str(mount),
            str(out),
            sys.executable,
            str(photo1),
            str(photo2),
            long_description,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env=_cli_env(),
        cwd=ROOT,
    )
    assert proc.returncode != SETUP_FAILED and (out / "finished").exists(), proc.stderr

    def step(name: str) -> subprocess.CompletedProcess[str]:
        rc = int((out / f"{name}.rc").read_text())
        return subprocess.CompletedProcess(
            name, rc, (out / f"{name}.out").read_text(), (out / f"{name}.err").read_text()
        )

    for name in ("seed1", "seed2"):
        assert step(name).returncode == 0, f"{name}: {step(name).stderr}"
    before = [json.loads(step(name).stdout) for name in ("seed2", "seed1")]  # newest first
    assert before[0]["photo_count"] == 1
    available_kb = int((out / "df.txt").read_text().splitlines()[1].split()[3])
    assert available_kb < 64, f"the filler did not fill the disk:\n{(out / 'df.txt').read_text()}"

    problems = _failure_problems(
        "full disk: case new (long description)", step("full_long"), "disk is full"
    )
    problems += _failure_problems(
        "full disk, zh_CN: case new (long description)", step("full_long_zh"), "磁盘已满"
    )
    problems += _failure_problems("full disk: case new --photo", step("full_photo"), "disk is full")

    # Whatever the messages said, nothing saved before may be lost.
    after = step("after")
    assert after.returncode == 0, f"case list after freeing space failed: {after.stderr}"
    assert json.loads(after.stdout) == before, (
        "the cases after the full disk differ from those before"
    )
    with LocalStore(out / "data-after") as store:
        assert store.integrity_check() == "ok"
        assert [r.id for r in store.list_cases().rows] == [c["id"] for c in before]
        photo_rows, _ = _check_photo_files(store)
        assert photo_rows == 1
    assert not problems, "\n".join(problems)


# -- 4. a database from a newer app ---------------------------------------------------------


def test_database_from_newer_app_version_is_refused_untouched(data_dir: Path) -> None:
    with LocalStore(data_dir) as store:
        store.create_case(CaseFields(category_code=CATEGORY, description="来自未来版本的数据库"))
    db = data_dir / DATABASE_FILE
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num='9999_future'")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = _snapshot(data_dir)
    db_hash = _sha256(db)

    new = ("case", "new", "--category", CATEGORY, "--description", "x")
    en_list, en_new, zh_list = _in_parallel(
        partial(run_cli, "case", "list", data_dir=data_dir),
        partial(run_cli, *new, data_dir=data_dir),
        partial(run_cli, "--lang", "zh_CN", "case", "list", data_dir=data_dir),
    )
    problems = _failure_problems("newer schema: case list", en_list, "newer version")
    problems += _failure_problems("newer schema: case new", en_new, "newer version")
    problems += _failure_problems("newer schema, zh_CN: case list", zh_list, "更新版本")
    with pytest.raises(StoreError) as refused:
        LocalStore(data_dir)
    assert refused.value.code == "newer_version"
    assert _sha256(db) == db_hash, "the database file was modified"
    assert _snapshot(data_dir) == before, "the data folder was modified"
    assert not problems, "\n".join(problems)


# -- 5. a corrupt database file -------------------------------------------------------------


def test_corrupt_database_file_gives_clear_error(data_dir: Path) -> None:
    data_dir.mkdir()
    db = data_dir / DATABASE_FILE
    db.write_bytes(random.Random(SEED).randbytes(64 * 1024))
    before = _snapshot(data_dir)

    new = ("case", "new", "--category", CATEGORY, "--description", "x")
    en_list, en_new, zh_list = _in_parallel(
        partial(run_cli, "case", "list", data_dir=data_dir),
        partial(run_cli, *new, data_dir=data_dir),
        partial(run_cli, "--lang", "zh_CN", "case", "list", data_dir=data_dir),
    )
    damaged = ("damaged", "not a database", "corrupt")
    problems = _failure_problems("corrupt file: case list", en_list, *damaged)
    problems += _failure_problems("corrupt file: case new", en_new, *damaged)
    problems += _failure_problems("corrupt file, zh_CN: case list", zh_list, "损坏")
    with pytest.raises(StoreError) as refused:
        LocalStore(data_dir)
    assert refused.value.code == "corrupt"
    assert _snapshot(data_dir) == before, "the corrupt database file (or its folder) was modified"
    assert not problems, "\n".join(problems)
