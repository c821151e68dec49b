"""The sync engine against a real server: delivery, receipts, refusals, conflicts, the feed."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from filelock import FileLock
from helpers import ServerProcess, run_cli
from sync_helpers import GPS_PHOTOS, api, sha256, signed_in, submitted_case

from app.domain import CaseFields
from app.domain.lifecycle import CaseStatus
from app.domain.taxonomy import Taxonomy, load_default_taxonomy
from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.sync.backoff import Backoff
from app.sync.engine import LOCK_FILE, Progress, SyncEngine, SyncOptions
from app.sync.errors import ErrorKind
from app.sync.session import sign_in

FAST = SyncOptions(backoff=Backoff(base_s=0.01, cap_s=0.05), chunk_size=64 * 1024)


def test_a_sync_delivers_cases_and_photos_and_the_server_confirms_each(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    store = signed_in(tmp_path / "laptop", server)
    first = submitted_case(store, "暴露垃圾，已拍照")
    second = submitted_case(store, "路灯不亮", category_code="01037")
    draft = store.create_case(CaseFields(description="草稿：稍后补充")).id
    photos = sorted((samples / GPS_PHOTOS).glob("*.jpg"))[:3]
    store.attach_photos(first, photos[:2])
    store.attach_photos(second, photos[2:])
    events: list[Progress] = []

    report = SyncEngine(store, FAST, progress=events.append).run()

    assert report.ok, report.lines("en")
    assert report.confirmed == 5 and report.photos_sent == 3  # 3 creates + 2 submits
    assert report.photo_bytes_sent == sum(p.stat().st_size for p in photos)
    for case_id, status in ((first, "submitted"), (second, "submitted"), (draft, "draft")):
        row = store.get_case(case_id)
        assert (row.delivery, row.server_revision) == (
            "confirmed",
            2 if status == "submitted" else 1,
        )
        assert row.confirmed_at is not None
    supervisor = api(server, "supervisor")
    assert supervisor.get(f"/api/v1/cases/{first}").json()["case"]["status"] == "submitted"
    assert supervisor.get(f"/api/v1/cases/{draft}").status_code == 404  # drafts stay private
    owner = api(server, "demo")
    for case_id in (first, second):
        for photo in store.photos(case_id):
            body = owner.get(f"/api/v1/photos/{photo.id}").content
            assert sha256(body) == photo.sha256
    ledger = SyncLedger(store)
    assert {(e.kind, e.state) for e in ledger.case_ledger(first)} == {
        ("change", "sent"),
        ("photo", "confirmed"),
    }
    assert ledger.summary().idle and ledger.last_sync() is not None
    photo_events = [e for e in events if e.phase == "photos"]
    assert photo_events[-1].bytes_done == photo_events[-1].bytes_total == report.photo_bytes_sent
    assert [e.bytes_done for e in photo_events] == sorted(e.bytes_done for e in photo_events)

    again = SyncEngine(store, FAST).run()  # nothing left: nothing sent
    assert again.ok and (again.pushed, again.photos_sent, again.photo_bytes_sent) == (0, 0, 0)


def _taxonomy_with_an_extra_category(tmp_path: Path) -> Taxonomy:
    source = Path(load_default_taxonomy().source)
    lines = source.read_text(encoding="utf-8").splitlines()
    matter = next(line for line in lines if ",06010," in line)
    path = tmp_path / "city-taxonomy.csv"
    path.write_text(
        "\n".join([*lines, matter.replace(",06010,", ",06999,").replace("暴露垃圾", "本市特有")])
        + "\n",
        encoding="utf-8",
    )
    return Taxonomy.from_csv(path)


def test_a_change_the_server_refuses_is_marked_failed_and_the_rest_goes_through(
    server: ServerProcess, tmp_path: Path
) -> None:
    data = tmp_path / "laptop"
    sign_in(LocalStore(data), server.url, "demo", "demo")
    store = LocalStore(data, taxonomy=_taxonomy_with_an_extra_category(tmp_path))
    good = submitted_case(store, "好的案件")
    unknown = submitted_case(store, "服务器不认识的类别", category_code="06999")
    later = submitted_case(store, "之后的案件")

    report = SyncEngine(store, FAST).run()

    assert not report.ok and report.rejected == 2  # the create, then its submit
    assert store.get_case(good).delivery == store.get_case(later).delivery == "confirmed"
    refused = store.get_case(unknown)
    assert refused.delivery == "failed" and refused.server_revision is None
    assert refused.status is CaseStatus.DRAFT  # back in the inspector's hands
    reason = json.loads(refused.delivery_error or "{}")
    assert reason["code"] == "invalid_case" and "06999" in reason["en"] + reason["zh"]
    assert any("Refused by the server: 2 changes" in line for line in report.lines("en"))
    assert any("被服务器拒收" in line for line in report.lines("zh_CN"))

    # Corrected, the case travels again — as a new creation, since the server never had it.
    supervisor = api(server, "supervisor")
    store.update_case(
        unknown,
        CaseFields(
            category_code="06010", description="改正了类别", lat=32.0, lon=118.8, accuracy_m=3.0
        ),
    )
    assert supervisor.get(f"/api/v1/cases/{unknown}").status_code == 404
    store.submit_case(unknown)
    fixed = SyncEngine(store, FAST).run()
    assert fixed.confirmed == 2  # the new create and submit; the refused changes stay refused
    assert fixed.ok is False  # … and are still reported, until the inspector has seen them
    assert store.get_case(unknown).server_revision == 2
    assert [(e.what, e.state) for e in SyncLedger(store).case_ledger(unknown)] == [
        ("create", "failed"),
        ("submit", "failed"),
        ("create", "sent"),
        ("submit", "sent"),
    ]
    assert supervisor.get(f"/api/v1/cases/{unknown}").json()["case"]["description"] == "改正了类别"


def test_decisions_and_tasks_come_back_through_the_feed(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    store = signed_in(tmp_path / "demo", server)
    returned = submitted_case(store, "需要补充照片")
    to_check = submitted_case(store, "井盖缺失", category_code="01001")
    store.attach_photo(to_check, samples / GPS_PHOTOS / "DSCN0027.jpg")
    assert SyncEngine(store, FAST).run().ok
    supervisor = api(server, "supervisor")
    ok = supervisor.post(
        f"/api/v1/cases/{returned}/actions",
        json={"action": "return", "opinion": "请补充近景照片"},
    )
    assert ok.status_code == 200, ok.text
    inspector2 = supervisor.get("/api/v1/me").json()  # just to prove the token works
    assert inspector2["role"] == "supervisor"
    departments = supervisor.get("/api/v1/departments").json()
    for action, extra in (
        ("accept", {}),
        ("register", {}),
        ("dispatch", {"department_id": departments[0]["id"], "deadline": "2030-01-01T00:00:00Z"}),
        ("handle", {"opinion": "已更换井盖"}),
    ):
        answer = supervisor.post(
            f"/api/v1/cases/{to_check}/actions", json={"action": action, **extra}
        )
        assert answer.status_code == 200, (action, answer.text)
    checker = signed_in(tmp_path / "inspector2", server, "inspector2")
    checker_id = checker.account().user_id  # type: ignore[union-attr]
    answer = supervisor.post(
        f"/api/v1/cases/{to_check}/actions",
        json={"action": "request_reinspection", "assignee_id": checker_id},
    )
    assert answer.status_code == 200, answer.text

    report = SyncEngine(store, FAST).run()
    assert report.ok and report.pulled >= 2
    row = store.get_case(returned)
    assert row.status is CaseStatus.RETURNED
    assert [s.opinion for s in store.steps(returned)][-1] == "请补充近景照片"
    assert store.get_case(to_check).status is CaseStatus.REINSPECTING

    task_report = SyncEngine(checker, FAST).run()
    assert task_report.ok
    task = checker.get_case(to_check)  # a case another inspector reported, now a task here
    assert task.status is CaseStatus.REINSPECTING and task.description == "井盖缺失"
    # … with the photo of the report, downloaded and checked, for the re-inspection offline.
    assert task_report.photos_received == 1
    [photo] = checker.photos(to_check)
    [original] = store.photos(to_check)
    assert (photo.id, photo.sha256, photo.delivery) == (original.id, original.sha256, "confirmed")
    assert sha256(photo.path.read_bytes()) == photo.sha256 and photo.thumbnail.exists()
    assert photo.width == original.width and photo.lat == original.lat
    assert SyncEngine(checker, FAST).run().photos_received == 0  # once
    assert checker.list_cases().total >= 1
    # Departments arrived through the feed too.
    assert departments[0]["id"] in {d["id"] for d in _local_departments(checker)}


def _local_departments(store: LocalStore) -> list[dict[str, str]]:
    import sqlite3

    with sqlite3.connect(store.data_dir / "citypatrol.db") as conn:
        return [{"id": r[0]} for r in conn.execute("SELECT id FROM departments")]


def test_an_edit_that_lost_to_another_device_is_kept_as_a_visible_conflict(
    server: ServerProcess, tmp_path: Path
) -> None:
    store = signed_in(tmp_path / "laptop", server)
    case_id = submitted_case(store, "原始描述")
    assert SyncEngine(store, FAST).run().ok
    supervisor = api(server, "supervisor")
    supervisor.post(
        f"/api/v1/cases/{case_id}/actions", json={"action": "return", "opinion": "请改正地址"}
    )
    assert SyncEngine(store, FAST).run().ok
    assert store.get_case(case_id).status is CaseStatus.RETURNED
    store.update_case(
        case_id,
        CaseFields(
            category_code="06010", description="本机的修改", lat=32.0, lon=118.8, accuracy_m=3.0
        ),
    )
    # Meanwhile the same inspector resubmitted the case from another device.
    other = api(server, "demo")
    server_case = other.get(f"/api/v1/cases/{case_id}").json()["case"]
    snapshot = {
        k: server_case[k]
        for k in (
            "id",
            "category_code",
            "description",
            "address",
            "urgency",
            "lat",
            "lon",
            "accuracy_m",
            "position_source",
            "observed_at",
            "created_at",
        )
    }
    snapshot.update(status="returned", description="另一台设备的修改", revision=9)
    from app.domain.ids import new_id

    pushed = other.post(
        "/api/v1/cases/push",
        json={"changes": [{"change_id": new_id(), "op": "submit", "case": snapshot}]},
    ).json()
    assert pushed["results"][0]["outcome"] == "applied"

    report = SyncEngine(store, FAST).run()

    assert report.conflicts == 1 and not report.ok
    row = store.get_case(case_id)
    assert row.delivery == "conflict" and row.status is CaseStatus.SUBMITTED  # the server's state
    assert row.description == "本机的修改"  # nothing typed here is dropped silently
    ledger = SyncLedger(store)
    [conflict] = ledger.conflicts(case_id)
    assert conflict["mine"]["description"] == "本机的修改"
    assert conflict["server"]["description"] == "另一台设备的修改"
    assert any("conflict" in line for line in report.lines("en"))
    ledger.resolve_conflict(conflict["seq"], store.clock())
    row = store.get_case(case_id)
    assert (row.delivery, row.description) == ("confirmed", "另一台设备的修改")
    assert SyncEngine(store, FAST).run().ok


def test_an_expired_session_stops_the_sync_and_loses_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    store = signed_in(tmp_path / "laptop", server)
    case_id = submitted_case(store, "会话过期前记录")
    from app.sync.credentials import CredentialStore

    account = store.account()
    assert account is not None
    token = CredentialStore(store.data_dir).load(account.server_url, account.username)
    import httpx

    revoked = httpx.post(
        f"{server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status_code == 204

    report = SyncEngine(store, FAST).run()

    assert report.error is not None and report.error.kind is ErrorKind.AUTH
    assert not report.ok and report.confirmed == 0
    assert store.get_case(case_id).delivery == "pending"
    assert [op for *_, op in store.pending_outbox()] == ["create", "submit"]
    sign_in(store, server.url, "demo", "demo")
    assert SyncEngine(store, FAST).run().ok
    assert store.get_case(case_id).delivery == "confirmed"


def test_two_syncs_never_run_at_once(server: ServerProcess, tmp_path: Path) -> None:
    store = signed_in(tmp_path / "laptop", server)
    submitted_case(store, "并发同步")
    with FileLock(store.data_dir / LOCK_FILE, timeout=0):  # another process is syncing
        busy = SyncEngine(store, FAST).run()
    assert busy.error is not None and busy.error.code == "busy" and busy.confirmed == 0
    assert SyncEngine(store, FAST).run().ok


def test_photos_wait_on_a_metered_connection_while_records_go(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    store = signed_in(tmp_path / "laptop", server)
    case_id = submitted_case(store, "计费网络")
    store.attach_photo(case_id, samples / GPS_PHOTOS / "DSCN0021.jpg")
    metered = SyncOptions(photos=False, backoff=FAST.backoff)
    held = SyncEngine(store, metered).run()
    assert held.confirmed == 2 and held.photos_sent == 0 and not held.ok
    assert any("metered" in line for line in held.lines("en"))
    assert store.get_case(case_id).delivery == "confirmed"
    assert SyncEngine(store, FAST).run().photos_sent == 1


def test_a_stop_request_ends_the_cycle_between_steps(server: ServerProcess, tmp_path: Path) -> None:
    store = signed_in(tmp_path / "laptop", server)
    submitted_case(store, "停止")
    stop = threading.Event()
    stop.set()
    report = SyncEngine(store, FAST, stop=stop).run()
    assert report.confirmed == 0 and not report.ok


def test_not_signed_in_is_an_auth_error(tmp_path: Path) -> None:
    with LocalStore(tmp_path / "new") as store:
        report = SyncEngine(store, FAST).run()
    assert report.error is not None and report.error.kind is ErrorKind.AUTH
    assert "citypatrol login" in report.error.message.en


def test_cli_sync_prints_progress_and_exits_non_zero_when_something_is_left(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    data = tmp_path / "data"
    login = run_cli(
        "login", "--server", server.url, "--user", "demo", data_dir=data, input="demo\n"
    )
    assert login.returncode == 0, login.stderr
    new = run_cli(
        "case", "new", "--category", "06010", "--description", "命令行同步", "--lat", "32.0", "--lon", "118.8",
        "--photo", str(samples / GPS_PHOTOS / "DSCN0025.jpg"), "--submit", "--json",
        data_dir=data,
    )  # fmt: skip
    assert new.returncode == 0, new.stderr
    synced = run_cli("sync", "--json", data_dir=data)
    assert synced.returncode == 0, synced.stderr + synced.stdout
    result = json.loads(synced.stdout)
    assert result["ok"] and result["confirmed"] == 2 and result["photos_sent"] == 1
    human = run_cli("--lang", "en", "sync", data_dir=data)
    assert human.returncode == 0 and "Changes delivered 0" in human.stdout

    gone = ServerProcess(tmp_path / "gone", "--demo")  # signed in, then switched off
    offline = tmp_path / "offline"
    login = run_cli(
        "login", "--server", gone.url, "--user", "demo", data_dir=offline, input="demo\n"
    )
    assert login.returncode == 0, login.stderr
    gone.stop()
    with LocalStore(offline) as store:
        submitted_case(store, "离线")
    failed = run_cli("--lang", "en", "sync", "--attempts", "1", data_dir=offline)
    assert failed.returncode == 1
    assert "Cannot reach the server" in failed.stdout + failed.stderr
    assert "Not yet delivered: 2 changes" in failed.stdout + failed.stderr


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_report_lines_speak_both_languages(lang: str) -> None:
    from app.storage.ledger import DeliverySummary
    from app.sync.engine import SyncReport

    report = SyncReport(left=DeliverySummary(1, 0, 0, 2, 3_000_000, 0))
    text = "\n".join(report.lines(lang))
    assert ("Not yet delivered" in text) == (lang == "en")
    assert ("尚未送达" in text) == (lang == "zh_CN")


def test_another_account_on_the_same_laptop_reads_its_feed_from_the_start(
    server: ServerProcess, tmp_path: Path
) -> None:
    store = signed_in(tmp_path / "shared-laptop", server)
    assert SyncEngine(store, FAST).run().ok
    ledger = SyncLedger(store)
    assert ledger.feed_cursor() > 0  # the departments, at least
    sign_in(store, server.url, "demo", "demo")  # the same account again: carry on
    assert ledger.feed_cursor() > 0
    sign_in(store, server.url, "inspector2", "inspector2")
    assert ledger.feed_cursor() == 0


def test_a_taxonomy_entry_is_recorded_and_an_unknown_kind_skipped(tmp_path: Path) -> None:
    """The server's ``taxonomy`` entry (its category table was replaced) is kept as what the
    server announced, not applied: the entry carries no table and the laptop has none to fill.
    A kind newer than this app moves the cursor on without a complaint."""
    from app.storage.feed import TAXONOMY_KEY
    from app.storage.models import SyncState

    entries = [
        {
            "seq": 6,
            "kind": "taxonomy",
            "entity_id": "categories",
            "at": "2026-06-01T09:00:00+00:00",
            "payload": {"count": 1234, "source": "city.csv"},
        },
        {"seq": 7, "kind": "from_a_newer_server", "entity_id": "x", "payload": {}},
    ]
    with LocalStore(tmp_path / "laptop") as store:
        ledger = SyncLedger(store)
        result = ledger.apply_feed(entries, 7, "u1")
        assert (result.applied, result.skipped) == (1, [])
        assert ledger.feed_cursor() == 7
        with store.read() as s:
            row = s.get(SyncState, TAXONOMY_KEY)
            assert row is not None
            assert json.loads(row.value) == {
                "count": 1234,
                "source": "city.csv",
                "at": "2026-06-01T09:00:00+00:00",
            }
