"""The headless subcommands of the public CLI contract, run as real processes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import run_cli


def test_case_new_then_list_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    new = run_cli(
        "case", "new", "--category", "09006", "--description", "中山路占道经营水果摊",
        "--address", "中山路8号", "--lat", "32.04", "--lon", "118.78", "--accuracy", "4.5",
        data_dir=data,
    )  # fmt: skip
    assert new.returncode == 0, new.stderr
    case_id = new.stdout.strip()
    listed = run_cli("case", "list", "--json", data_dir=data)
    assert listed.returncode == 0, listed.stderr
    cases = json.loads(listed.stdout)
    assert len(cases) == 1
    case = cases[0]
    assert case["id"] == case_id
    assert (case["category_code"], case["status"], case["lat"], case["accuracy_m"]) == (
        "09006",
        "draft",
        32.04,
        4.5,
    )
    assert case["description"] == "中山路占道经营水果摊"
    assert case["delivery"] == "pending"


def test_case_new_submit_with_photo(tmp_path: Path, samples: Path) -> None:
    data = tmp_path / "data"
    photo = samples / "photos" / "jpg" / "gps" / "DSCN0010.jpg"
    new = run_cli(
        "case", "new", "--category", "06010", "--description", "暴露垃圾", "--lat", "43.46", "--lon", "11.88",
        "--photo", str(photo), "--submit", "--json",
        data_dir=data,
    )  # fmt: skip
    assert new.returncode == 0, new.stderr
    case = json.loads(new.stdout)
    assert case["status"] == "submitted" and case["photo_count"] == 1


def test_invalid_case_exits_non_zero_with_the_reasons(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run_cli("case", "new", "--category", "99999", "--description", "x", "--lat", "95", "--lon", "0",
                     data_dir=data)  # fmt: skip
    assert result.returncode == 1
    assert "Unknown category code 99999" in result.stderr
    assert "Latitude must be between -90 and 90" in result.stderr
    assert "Traceback" not in result.stderr
    zh = run_cli(
        "--lang", "zh_CN", "case", "new", "--category", "99999", "--description", "x", data_dir=data
    )
    assert "类别代码 99999 不存在" in zh.stderr
    assert json.loads(run_cli("case", "list", "--json", data_dir=data).stdout) == []


def test_broken_photo_refuses_the_whole_case(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = run_cli(
        "case",
        "new",
        "--category",
        "06010",
        "--description",
        "x",
        "--photo",
        str(bad),
        data_dir=data,
    )
    assert result.returncode == 1
    assert "bad.jpg" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(run_cli("case", "list", "--json", data_dir=data).stdout) == []


def test_case_list_search_and_status_filter(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for text, extra in (
        ("井盖缺失", ["--submit", "--lat", "32", "--lon", "118"]),
        ("路灯不亮", []),
    ):
        assert (
            run_cli(
                "case", "new", "--category", "01037", "--description", text, *extra, data_dir=data
            ).returncode
            == 0
        )
    found = json.loads(run_cli("case", "list", "--json", "--search", "井盖", data_dir=data).stdout)
    assert [c["description"] for c in found] == ["井盖缺失"]
    drafts = json.loads(
        run_cli("case", "list", "--json", "--status", "draft", data_dir=data).stdout
    )
    assert [c["description"] for c in drafts] == ["路灯不亮"]
    plain = run_cli("--lang", "zh_CN", "case", "list", data_dir=data)
    assert "草稿" in plain.stdout and "已上报" in plain.stdout


def test_self_test_passes(tmp_path: Path) -> None:
    result = run_cli("--self-test", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout
    for check in ("taxonomy", "store", "pdf", "window"):
        assert f"ok   {check}" in result.stdout


def test_gps_replay_prints_the_decoded_fixes(samples: Path) -> None:
    log = samples / "nmea" / "ublox-8.log"
    result = run_cli("gps", "replay", str(log), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    expected = [
        json.loads(line)
        for line in (samples / "nmea" / "ublox-8.log.chk").read_text().splitlines()
        if '"class":"TPV"' in line
        and json.loads(line).get("mode", 0) >= 2
        and "lat" in json.loads(line)
    ]
    assert len(data["fixes"]) == len(expected) > 0
    assert abs(data["fixes"][0]["lat"] - expected[0]["lat"]) < 1e-6
    assert data["message"] is None
    text = run_cli("gps", "replay", str(log))
    assert f"{len(expected)} fixes from" in text.stderr


def test_gps_replay_of_a_log_without_fix_says_so(samples: Path) -> None:
    result = run_cli("--lang", "zh_CN", "gps", "replay", str(samples / "nmea" / "bu303-nofix.log"))
    assert result.returncode == 0
    assert result.stdout == ""
    assert "没有定位结果" in result.stderr


def test_photo_inspect_reads_gps_and_camera(samples: Path) -> None:
    result = run_cli(
        "photo", "inspect", str(samples / "photos" / "jpg" / "gps" / "DSCN0010.jpg"), "--json"
    )
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert abs(info["gps_lat"] - 43.467448) < 1e-5 and abs(info["gps_lon"] - 11.885127) < 1e-5
    assert (info["make"], info["width"], info["height"]) == ("NIKON", 640, 480)
    assert info["sha256"] == "17307b1207eb6487d7908e9d154890b46e3d2e0192369cfd3f4c33d5a5af4035"


def test_photo_inspect_refuses_a_non_photo_clearly(tmp_path: Path) -> None:
    fake = tmp_path / "report.jpg"
    fake.write_text("%PDF-1.4 not a photo")
    result = run_cli("photo", "inspect", str(fake))
    assert result.returncode == 1
    assert "report.jpg" in result.stderr and "Traceback" not in result.stderr


def test_export_writes_each_format_and_prints_the_count_and_path(tmp_path: Path) -> None:
    import csv
    import sqlite3

    data = tmp_path / "data"
    for extra in (["--lat", "32.04", "--lon", "118.78"], []):
        new = run_cli(
            "case", "new", "--category", "09006", "--description", '中山路占道经营,"水果摊"\n两处',
            *extra, data_dir=data,
        )  # fmt: skip
        assert new.returncode == 0, new.stderr
    out = tmp_path / "cases.csv"
    result = run_cli("export", "--format", "csv", str(out), "--language", "en", data_dir=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Exported 2 cases to {out}"
    text = out.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(text.splitlines(keepends=True)))
    assert [r["description"] for r in rows] == ['中山路占道经营,"水果摊"\n两处'] * 2
    assert {r["status_name"] for r in rows} == {"Draft"}
    assert {r["category_name"] for r in rows} == {"Street vending on the roadway"}

    zh = run_cli("--lang", "zh_CN", "export", "--format", "gpkg", str(tmp_path / "c.gpkg"), data_dir=data)  # fmt: skip
    assert zh.returncode == 0, zh.stderr
    assert zh.stdout.strip() == f"已导出 2 个案件：{tmp_path / 'c.gpkg'}"
    with sqlite3.connect(tmp_path / "c.gpkg") as conn:
        got = conn.execute("SELECT status_name, geom IS NULL FROM cases ORDER BY fid").fetchall()
    assert got == [("草稿", 0), ("草稿", 1)]

    geojson = run_cli("export", "--format", "geojson", str(tmp_path / "c.geojson"), data_dir=data)
    assert geojson.returncode == 0, geojson.stderr
    features = json.loads((tmp_path / "c.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["geometry"] for f in features] == [
        {"type": "Point", "coordinates": [118.78, 32.04]},
        None,
    ]


def test_export_failure_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = tmp_path / "missing" / "cases.csv"
    result = run_cli("export", "--format", "csv", str(out), data_dir=data)
    assert result.returncode == 1
    assert "does not exist" in result.stderr and str(out.parent) in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    zh = run_cli("--lang", "zh_CN", "export", "--format", "gpkg", str(out), data_dir=data)
    assert zh.returncode == 1 and "不存在" in zh.stderr
    assert not out.parent.exists()
    usage = run_cli("export", "--format", "xlsx", str(tmp_path / "c.xlsx"), data_dir=data)
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


def _two_departments(data_dir: Path) -> None:
    """June 2026 (Asia/Shanghai): 环卫所 handles one case on time and one late (then closes the
    first); 路灯所 has one case dispatched, not yet due. Hand-counted figures below."""
    from datetime import UTC, datetime, timedelta

    from report_builders import add_case_with_steps, add_department

    from app.storage import LocalStore

    def at(day: int, hour: int = 2) -> datetime:  # 02:00 UTC = 10:00 in Shanghai
        return datetime(2026, 6, day, hour, tzinfo=UTC)

    with LocalStore(data_dir) as store:
        sanitation = add_department(store, "环卫所", name_en="Sanitation")
        lighting = add_department(store, "路灯所", name_en="Street lighting")
        for handled_day, close in ((3, True), (9, False)):
            add_case_with_steps(
                store,
                [
                    ("submit", at(1)),
                    ("accept", at(1, 3)),
                    ("register", at(1, 4)),
                    ("dispatch", at(1, 5), {"department_id": sanitation, "deadline": at(5)}),
                    ("handle", at(handled_day), {"opinion": "已清运"}),
                    *([("request_reinspection", at(3, 5)), ("reinspect_pass", at(3, 6)),
                       ("close", at(3, 7))] if close else []),
                ],
            )  # fmt: skip
        add_case_with_steps(
            store,
            [
                ("submit", at(10)),
                ("accept", at(10, 3)),
                ("register", at(10, 4)),
                ("dispatch", at(10, 5), {"department_id": lighting, "deadline": at(10) + timedelta(days=60)}),
            ],
            category_code="01037",
        )  # fmt: skip


def test_report_indicators_of_a_period_as_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _two_departments(data)
    result = run_cli(
        "--lang", "en", "report", "indicators", "--from", "2026-06-01", "--to", "2026-06-30",
        "--json", data_dir=data,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    city = figures["city"]
    assert (city["reports"], city["accepted"], city["registered"], city["closed"]) == (3, 3, 3, 1)
    assert (city["due_to_handle"], city["handled_on_time"], city["handled_late"]) == (2, 1, 1)
    assert city["on_time_rate"] == 0.5
    assert city["due_to_close"] == 3 and abs(city["closure_rate"] - 1 / 3) < 1e-9
    assert figures["departments"]["Sanitation"]["on_time_rate"] == 0.5
    assert figures["departments"]["Street lighting"]["due_to_handle"] == 0
    assert figures["departments"]["Street lighting"]["on_time_rate"] is None  # nothing due: "—"
    text = run_cli(
        "--lang", "en", "report", "indicators", "--from", "2026-06-01", "--to", "2026-06-30",
        data_dir=data,
    )  # fmt: skip
    lines = text.stdout.splitlines()
    assert lines[1].split("\t") == ["City", "3", "3", "3", "1", "33.3%", "50.0%", "0.0%", "0"]
    assert any(line.startswith("Street lighting\t") and "\t—\t" in line for line in lines)


def test_report_bulletin_writes_the_pdf_without_a_display(tmp_path: Path) -> None:
    import subprocess

    data = tmp_path / "data"
    _two_departments(data)
    out = tmp_path / "june.pdf"
    result = run_cli(
        "report", "bulletin", "--from", "2026-06-01", "--to", "2026-06-30", str(out),
        data_dir=data,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2026-06-01" in text and "2026-06-30" in text  # the city's days, not UTC times
    assert re.search(r"第\s*1\s*页", text)
    assert re.search(r"(前三|排名靠前|top)[^\n]*环卫所", text), (
        text
    )  # ranked alone: named at the top
    backwards = run_cli(
        "report", "bulletin", "--from", "2026-06-30", "--to", "2026-06-01", str(out),
        data_dir=data,
    )  # fmt: skip
    assert backwards.returncode == 2 and "before" in backwards.stderr


def _department_loop(data_dir: Path) -> None:
    """June 2026: 环卫所 signs for one task within the hour and another after five hours,
    reports both handled itself, asks for one extension (approved) and one return (refused).
    Hand-counted figures below."""
    from datetime import UTC, datetime, timedelta

    from report_builders import add_case_with_steps, add_department

    from app.storage import LocalStore

    def at(day: int, hour: int = 2) -> datetime:  # 02:00 UTC = 10:00 in Shanghai
        return datetime(2026, 6, day, hour, tzinfo=UTC)

    handler = {"role": "handler"}
    with LocalStore(data_dir) as store:
        sanitation = add_department(store, "环卫所", name_en="Sanitation")
        for signed_after, request, answer in ((1, "request_extension", "approve_extension"),
                                              (5, "request_return", "refuse_request")):  # fmt: skip
            dispatch = {"department_id": sanitation, "deadline": at(6)}
            add_case_with_steps(
                store,
                [
                    ("submit", at(1)),
                    ("accept", at(1, 3)),
                    ("register", at(1, 4)),
                    ("dispatch", at(2), dispatch),
                    ("sign_for", at(2) + timedelta(hours=signed_after), handler),
                    (request, at(3), {**handler, "opinion": "理由", "deadline": at(8)}),
                    (answer, at(3, 5), {"opinion": "意见", "deadline": at(8)}),
                    ("handle", at(4), {**handler, "opinion": "已处置"}),
                ],
            )


def test_report_indicators_count_the_departments_loop(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _department_loop(data)
    args = ("--lang", "en", "report", "indicators", "--from", "2026-06-01", "--to", "2026-06-30")
    result = run_cli(*args, "--json", data_dir=data)
    assert result.returncode == 0, result.stderr
    loop = json.loads(result.stdout)["loop"]
    assert loop["sign_for_limit_hours"] == 2
    city = loop["city"]
    assert (city["due_to_sign"], city["signed_on_time"], city["signed_late"]) == (2, 1, 1)
    assert city["sign_for_rate"] == 0.5
    assert (city["handled"], city["handled_by_department"]) == (2, 2)
    assert city["requests"] == {"extension": 1, "return": 1}
    assert city["approved"] == {"extension": 1} and city["refused"] == 1
    assert city["approval_rate"] == 0.5
    assert loop["departments"]["Sanitation"]["signed_late"] == 1
    longer = json.loads(run_cli(*args, "--json", "--sign-for-hours", "6", data_dir=data).stdout)
    assert longer["loop"]["city"]["signed_on_time"] == 2
    text = run_cli(*args, data_dir=data).stdout.splitlines()
    assert ["City", "2", "1", "50.0%", "2", "2", "2", "1", "1"] in [r.split("\t") for r in text]
    bad = run_cli(*args, "--sign-for-hours", "0", data_dir=data)
    assert bad.returncode == 2 and "hours" in bad.stderr


def test_the_bulletin_names_departments_with_late_sign_for(tmp_path: Path) -> None:
    import subprocess

    data = tmp_path / "data"
    _department_loop(data)
    out = tmp_path / "june.pdf"
    result = run_cli(
        "report", "bulletin", "--from", "2026-06-01", "--to", "2026-06-30", str(out),
        data_dir=data,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"签收及时率\s*50", text), text
    assert re.search(r"签收超时的部门：\s*环卫所（1\s*件）", text), text
