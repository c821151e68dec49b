"""The bulletin and the case report as PDF files, read back with poppler (pdftotext, pdfimages).

Two kinds of input: hand-built data (every figure known, to check the layout and the wording),
and data assembled from a real store by :mod:`app.storage.bulletin` (the whole path).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from report_builders import add_case_with_steps, add_department, add_user

from app.documents.pdf import PHOTO_MAX_EDGE, DocumentError, write_bulletin_pdf, write_case_pdf
from app.domain.indicators import Counts, Period
from app.storage.bulletin import (
    BulletinData,
    CaseReportData,
    CommentEntry,
    OverdueCase,
    PhotoRef,
    RankedDepartment,
    TimelineEntry,
    TypicalCase,
    bulletin_data,
    case_report_data,
    podium,
    short_id,
)
from app.storage.store import LocalStore
from app.ui.tasks import TaskRunner

# Whole local days: the period reads as dates.
#: Documents speak the city's time (Asia/Shanghai), whatever the computer's zone.
CITY = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 1).replace(tzinfo=CITY)
END = datetime(2026, 12, 1).replace(tzinfo=CITY)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found (poppler-utils): scripts/setup.sh installs it")
    return path


def pdf_text(path: Path) -> list[str]:
    """The text of each page, as pdftotext lays it out."""
    result = subprocess.run(
        [need("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=120,
    )
    pages = result.stdout.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_images(path: Path) -> list[dict[str, str]]:
    """The rows of ``pdfimages -list`` (page, width, height, enc, object id …)."""
    result = subprocess.run(
        [need("pdfimages"), "-list", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = result.stdout.splitlines()
    header = lines[0].split()
    return [dict(zip(header, line.split(), strict=False)) for line in lines[2:] if line.strip()]


def squeeze(text: str) -> str:
    """Without any white space (pdftotext spaces CJK text unpredictably)."""
    return re.sub(r"\s+", "", text)


def assert_page_numbers(pages: list[str], zh: bool = True) -> None:
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        wanted = f"第{n}页/共{total}页" if zh else f"Page{n}of{total}"
        assert wanted in squeeze(page), f"page {n}: no '{wanted}' in {page[-300:]!r}"


def order_of(text: str, names: list[str]) -> list[int]:
    positions = [text.find(n) for n in names]
    assert all(p >= 0 for p in positions), (names, positions)
    return positions


# -- hand-built data ---------------------------------------------------------------------------


def counts(**values: int) -> Counts:
    return Counts(**values)


def ranked() -> list[RankedDepartment]:
    # on-time 4/4, 2/3, 1/2, 1/5; the last has nothing due
    return [
        RankedDepartment(
            1,
            "d1",
            "市容环卫局",
            counts(due_to_handle=4, handled_on_time=4, due_to_close=3, closed_of_due=3, handled=4),
        ),
        RankedDepartment(
            2,
            "d2",
            "市政工程处",
            counts(due_to_handle=3, handled_on_time=2, handled=3, reworked=1),
        ),
        RankedDepartment(3, "d3", "城管执法大队", counts(due_to_handle=2, handled_on_time=1)),
        RankedDepartment(
            4, "d4", "交警支队", counts(due_to_handle=5, handled_on_time=1, overdue=3)
        ),
        RankedDepartment(None, "d5", "园林绿化局", counts()),
    ]


def sample_photo(samples: Path, name: str = "DSCN0010.jpg") -> Path:
    return samples / "photos" / "jpg" / "gps" / name


def photo(path: Path, role: str) -> PhotoRef:
    return PhotoRef(path, path, role, None, path.name)


def timeline(start: datetime) -> list[TimelineEntry]:
    steps = [
        ("submit", "上报", ""),
        ("dispatch", "派遣", "请三日内清理"),
        ("handle", "处置反馈", "已清理完毕"),
        ("close", "结案", ""),
    ]
    return [
        TimelineEntry(
            at=start + timedelta(hours=i),
            action=action,
            action_name=name,
            actor="王五",
            opinion=opinion,
            department="市容环卫局" if action == "dispatch" else "",
            deadline=start + timedelta(days=3) if action == "dispatch" else None,
        )
        for i, (action, name, opinion) in enumerate(steps)
    ]


def hand_bulletin(samples: Path, *, overdue: int = 60, language: str = "zh_CN") -> BulletinData:
    ranking = ranked()
    top, bottom = podium(ranking)
    late = [
        OverdueCase(
            case_id=f"case-{i}",
            short_id=f"od{i:06d}",
            category="09009 机动车乱停放",
            address=f"解放路 {i} 号",
            department="交警支队",
            deadline=START + timedelta(days=i % 20),
            days_overdue=30 - i % 20,
        )
        for i in range(overdue)
    ]
    typical = [
        TypicalCase(
            case_id="case-typical",
            short_id="ty000001",
            category="06010 暴露垃圾",
            description="人民路口垃圾堆放，<影响通行>",
            address="人民路 12 号",
            status="已结案",
            department="市容环卫局",
            closed_at=START + timedelta(days=3),
            timeline=timeline(START),
            before=[photo(sample_photo(samples, "DSCN0010.jpg"), "before")],
            after=[photo(sample_photo(samples, "DSCN0012.jpg"), "after")],
        )
    ]
    return BulletinData(
        period=Period(START, END),
        cutoff=END,
        generated_at=END,
        language=language,
        totals=counts(
            reports=12,
            accepted=9,
            rejected=3,
            registered=8,
            due_to_close=6,
            closed_of_due=4,
            due_to_handle=14,
            handled_on_time=8,
            handled=10,
            reworked=1,
            overdue=overdue,
        ),
        ranking=ranking,
        top=top,
        bottom=bottom,
        overdue=late,
        typical=typical,
    )


def test_podium_never_names_a_department_twice() -> None:
    top, bottom = podium(ranked())
    assert [r.name for r in top] == ["市容环卫局", "市政工程处"]
    assert [r.name for r in bottom] == ["城管执法大队", "交警支队"]
    alone = ranked()[:1]
    assert podium(alone) == (alone, [])  # ranked alone: at the top, never at the bottom
    assert podium([]) == ([], [])


def test_chinese_bulletin_reads_back(qapp: QApplication, samples: Path, tmp_path: Path) -> None:
    out = write_bulletin_pdf(hand_bulletin(samples), tmp_path / "通报.pdf")
    assert out == tmp_path / "通报.pdf"
    pages = pdf_text(out)
    assert len(pages) >= 2
    text = "\n".join(pages)
    flat = squeeze(text)
    assert "城市管理问题处置情况通报" in flat
    assert "统计周期：2026-11-01至2026-11-30" in flat
    # every page has the header and the page number
    for page in pages:
        assert "城市管理问题处置情况通报" in squeeze(page.split("\n", 2)[0])
        assert "2026-11-01至2026-11-30" in squeeze(page.split("\n", 2)[0])
    assert_page_numbers(pages)
    # counts and rates (4/6 closed, 8/14 on time, 9/12 valid, 1/10 reworked)
    assert "本期共接收上报问题12件，立案8件" in flat
    assert "结案率66.7%" in flat
    assert "按期处置率57.1%" in flat
    assert "有效上报率75.0%" in flat
    assert "返工率10.0%" in flat
    # ranking: order, rates, and the unranked department last
    ranking = text[text.index("二、责任部门排名") : text.index("三、超期未处置案件")]
    names = ["市容环卫局", "市政工程处", "城管执法大队", "交警支队", "园林绿化局"]
    assert order_of(ranking, names) == sorted(order_of(ranking, names))
    for rate in ("100.0%", "66.7%", "50.0%", "20.0%"):
        assert rate in ranking
    assert "表扬（排名靠前）：市容环卫局、市政工程处" in squeeze(ranking)
    assert "通报（排名靠后）：城管执法大队、交警支队" in squeeze(ranking)
    # every overdue case, in order, with its days overdue
    assert "共60件" in flat
    ids = [f"od{i:06d}" for i in range(60)]
    assert order_of(text, ids) == sorted(order_of(text, ids))
    line = next(line for line in text.splitlines() if "od000007" in line)
    assert "解放路 7 号" in line and "交警支队" in line and line.split()[-1] == "23"
    # the typical case, escaped text kept literally
    assert "案例1：06010暴露垃圾" in flat
    assert "人民路口垃圾堆放，<影响通行>" in flat
    assert "请三日内清理" in flat and "已清理完毕" in flat


def test_english_bulletin_on_request(qapp: QApplication, samples: Path, tmp_path: Path) -> None:
    out = write_bulletin_pdf(hand_bulletin(samples), tmp_path / "bulletin.pdf", "en")
    pages = pdf_text(out)
    text = "\n".join(pages)
    assert "City Management Case Handling Bulletin" in text
    assert "Period: 2026-11-01 to 2026-11-30" in text
    assert "closure rate 66.7%" in text
    assert "Commended (top): 市容环卫局, 市政工程处" in text
    assert "Named for improvement (bottom): 城管执法大队, 交警支队" in text
    assert "60 in all." in text
    assert_page_numbers(pages, zh=False)
    assert "通报（" not in text and "第 1 页" not in text


def test_bulletin_photos_are_embedded_once_and_downscaled(
    qapp: QApplication, samples: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.jpg"  # a 12-megapixel photo
    with Image.open(sample_photo(samples, "DSCN0021.jpg")) as image:
        image.resize((4000, 3000)).save(big, quality=90)
    data = hand_bulletin(samples, overdue=0)
    first = data.typical[0]
    second = TypicalCase(
        **{
            **{f: getattr(first, f) for f in first.__dataclass_fields__},
            "short_id": "ty000002",
            "before": [photo(big, "before"), first.before[0]],  # the first photo again
        }
    )
    data = BulletinData(
        **{
            **{f: getattr(data, f) for f in data.__dataclass_fields__},
            "typical": [first, second],
        }
    )
    out = write_bulletin_pdf(data, tmp_path / "b.pdf")
    images = pdf_images(out)
    objects = {row["object"] for row in images}
    assert len(images) == 5  # 2 in the first case, 3 in the second
    assert len(objects) == 3, images  # DSCN0010, DSCN0012 (both shown twice) and big
    sizes = {(int(row["width"]), int(row["height"])) for row in images}
    assert (PHOTO_MAX_EDGE, PHOTO_MAX_EDGE * 3 // 4) in sizes  # the big one, downscaled
    assert all(max(w, h) <= PHOTO_MAX_EDGE for w, h in sizes)
    assert out.stat().st_size < 2_000_000


def case_data(samples: Path, *, before: list[PhotoRef] | None = None) -> CaseReportData:
    start = datetime(2026, 11, 3, 9, 0).replace(tzinfo=CITY)
    return CaseReportData(
        case_id="01900000-0000-7000-8000-0000cafe0001",
        short_id="cafe0001",
        language="zh_CN",
        generated_at=start + timedelta(days=5),
        status="已结案",
        category_code="06010",
        category="06010 暴露垃圾",
        description="人民路口垃圾堆放",
        address="人民路 12 号",
        urgency="一般",
        lat=31.23,
        lon=121.47,
        accuracy_m=8.0,
        grid_code="310101001001001",
        observed_at=start,
        submitted_at=start,
        author="张三",
        department="市容环卫局",
        deadline=start + timedelta(days=3),
        timeline=timeline(start),
        comments=[CommentEntry(start + timedelta(hours=5), "李四", "supervisor", "请加快进度")],
        before=before
        if before is not None
        else [photo(sample_photo(samples, "DSCN0010.jpg"), "before")],
        after=[photo(sample_photo(samples, "DSCN0012.jpg"), "after")],
    )


def test_a_bulletin_is_written_off_the_main_thread(
    qapp: QApplication, qtbot: QtBot, samples: Path, tmp_path: Path
) -> None:
    """The UI writes documents in a background lane; nothing there needs the main thread."""
    runner = TaskRunner()
    results: list[object] = []
    runner.run_db(
        lambda: write_bulletin_pdf(hand_bulletin(samples), tmp_path / "b.pdf"),
        results.append,
        results.append,
    )
    qtbot.waitUntil(lambda: bool(results), timeout=60_000)
    runner.wait()
    assert results == [tmp_path / "b.pdf"]
    assert_page_numbers(pdf_text(tmp_path / "b.pdf"))


def test_case_pdf_lists_the_timeline_in_order(
    qapp: QApplication, samples: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.jpg"
    before = [photo(sample_photo(samples, "DSCN0010.jpg"), "before"), photo(missing, "before")]
    out = write_case_pdf(case_data(samples, before=before), tmp_path / "case.pdf", "zh_CN")
    pages = pdf_text(out)
    text = "\n".join(pages)
    flat = squeeze(text)
    assert "案件报告" in flat and "01900000-0000-7000-8000-0000cafe0001" in flat
    steps = text[text.index("处置过程") : text.index("评论")]
    actions = ["上报", "派遣", "处置反馈", "结案", "请三日内清理", "已清理完毕"]
    at = dict(zip(actions, order_of(steps, actions), strict=True))
    assert (
        at["上报"]
        < at["派遣"]
        < at["请三日内清理"]
        < at["处置反馈"]
        < at["已清理完毕"]
        < at["结案"]
    )
    assert "请加快进度" in flat and "31.230000,121.470000" in flat
    assert "照片文件缺失：gone.jpg" in flat
    assert_page_numbers(pages)
    # The location map (the case has a position) and the two photos that can be read.
    assert len(pdf_images(out)) == 3


def test_unwritable_destination_is_a_clear_error(
    qapp: QApplication, samples: Path, tmp_path: Path
) -> None:
    data = case_data(samples)
    with pytest.raises(DocumentError) as missing_folder:
        write_case_pdf(data, tmp_path / "no such folder" / "case.pdf")
    assert missing_folder.value.code == "pdf_not_written"
    assert "no such folder" in missing_folder.value.text("en")
    assert "无法写入 PDF 文件" in missing_folder.value.text("zh_CN")

    folder = tmp_path / "a folder.pdf"
    folder.mkdir()
    with pytest.raises(DocumentError, match=re.escape("a folder.pdf")):
        write_case_pdf(data, folder)
    assert folder.is_dir() and not any(folder.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a folder.pdf"]  # no temp file left


def test_without_a_gui_application_the_error_is_clear(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from app.documents.pdf import DocumentError, write_case_pdf\n"
        "try:\n"
        "    write_case_pdf(object(), Path(sys.argv[1]))\n"
        "except DocumentError as exc:\n"
        "    print(exc.code)\n"
    )
    out = tmp_path / "case.pdf"
    result = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
        timeout=120,
    )
    assert result.stdout.strip() == "no_gui_application", result.stderr
    assert not out.exists()


def test_an_existing_file_is_replaced_whole(
    qapp: QApplication, samples: Path, tmp_path: Path
) -> None:
    out = tmp_path / "case.pdf"
    out.write_bytes(b"old")
    write_case_pdf(case_data(samples), out, "en")
    assert out.read_bytes().startswith(b"%PDF")
    assert "Case Report" in pdf_text(out)[0]
    assert [p.name for p in tmp_path.iterdir()] == ["case.pdf"]


# -- from a real store -------------------------------------------------------------------------

WEEK = Period(
    datetime(2026, 11, 2).replace(tzinfo=CITY), datetime(2026, 11, 9).replace(tzinfo=CITY)
)
NOW = datetime(2026, 11, 12).replace(tzinfo=CITY)
OVERDUE = 45  # more than a page of overdue cases


def nov(n: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, n, hour).replace(tzinfo=CITY)


def city_store(store: LocalStore, samples: Path) -> dict[str, str]:
    """On-time: 市容环卫局 2/2, 市政工程处 1/2, 交警支队 1/(1 + OVERDUE); one typical case."""
    inspector = add_user(store, "zhangsan", display_name="张三")
    supervisor = add_user(store, "lisi", display_name="李四", role="supervisor")
    deps = {
        name: add_department(store, name, name_en=en)
        for name, en in (
            ("市容环卫局", "Sanitation"),
            ("市政工程处", "Works"),
            ("交警支队", "Traffic"),
        )
    }
    cases: dict[str, str] = {}

    def case(
        label: str, department: str, deadline: datetime, handled: datetime | None, closed: bool
    ) -> None:
        t0 = nov(2, 9)
        sup: dict[str, Any] = {"actor_id": supervisor}
        steps: list[Any] = [
            ("submit", t0, {"actor_id": inspector}),
            ("accept", t0 + timedelta(hours=1), sup),
            ("register", t0 + timedelta(hours=2), sup),
            (
                "dispatch",
                t0 + timedelta(hours=3),
                {**sup, "department_id": deps[department], "deadline": deadline,
                 "opinion": f"{label}：请按时处置"},
            ),
        ]  # fmt: skip
        if handled is not None:
            steps.append(("handle", handled, {**sup, "opinion": f"{label}：已清理"}))
        if closed and handled is not None:
            steps += [
                ("request_reinspection", handled + timedelta(hours=1), sup),
                ("reinspect_pass", handled + timedelta(hours=2), {"actor_id": inspector}),
                ("close", handled + timedelta(hours=3), {**sup, "opinion": f"{label}：结案"}),
            ]
        cases[label] = add_case_with_steps(
            store,
            steps,
            author_id=inspector,
            category_code="09009" if department == "交警支队" else "06010",
            description=f"{label} 问题描述",
            address=f"{label} 号",
            created_at=t0,
        )

    case("环卫甲", "市容环卫局", nov(4), nov(3, 10), closed=True)
    case("环卫乙", "市容环卫局", nov(4), nov(3, 11), closed=True)
    case("市政甲", "市政工程处", nov(4), nov(3, 10), closed=False)
    case("市政乙", "市政工程处", nov(4), nov(5, 10), closed=False)  # late
    case("交警甲", "交警支队", nov(4), nov(3, 10), closed=False)
    for i in range(OVERDUE):
        case(f"超期{i:02d}", "交警支队", nov(3 + i % 5) + timedelta(minutes=i), None, False)
    gps = samples / "photos" / "jpg" / "gps"
    store.attach_photo(cases["环卫甲"], gps / "DSCN0010.jpg", role="before")
    store.attach_photo(cases["环卫甲"], gps / "DSCN0012.jpg", role="before")
    store.attach_photo(cases["环卫甲"], gps / "DSCN0021.jpg", role="after")
    return cases


def test_bulletin_from_a_store(
    qapp: QApplication, store: LocalStore, samples: Path, tmp_path: Path
) -> None:
    cases = city_store(store, samples)
    data = bulletin_data(store, WEEK, now=NOW)
    out = write_bulletin_pdf(data, tmp_path / "bulletin.pdf")
    pages = pdf_text(out)
    assert len(pages) >= 3  # the overdue list runs over a page; the typical case has its own
    assert_page_numbers(pages)
    text = "\n".join(pages)
    flat = squeeze(text)
    assert "城市管理问题处置情况通报" in flat and "统计周期：2026-11-02至2026-11-08" in flat
    reports = 5 + OVERDUE
    assert f"本期共接收上报问题{reports}件，立案{reports}件" in flat
    assert "已结案2件，结案率" + f"{2 / reports * 100:.1f}%" in flat
    due, on_time = 5 + OVERDUE, 4
    assert f"按期处置{on_time}件，按期处置率{on_time / due * 100:.1f}%" in flat
    ranking = text[text.index("二、责任部门排名") : text.index("三、超期未处置案件")]
    names = ["市容环卫局", "市政工程处", "交警支队"]
    assert order_of(ranking, names) == sorted(order_of(ranking, names))
    for name, rate in zip(
        names, ("100.0%", "50.0%", f"{1 / (1 + OVERDUE) * 100:.1f}%"), strict=True
    ):
        line = next(line for line in ranking.splitlines() if name in line)
        assert rate in line, line
    assert "表扬（排名靠前）：市容环卫局" in flat and "通报（排名靠后）：交警支队" in flat
    overdue = [short_id(cases[f"超期{i:02d}"]) for i in range(OVERDUE)]
    assert all(s in text for s in overdue)
    assert f"共{OVERDUE}件" in flat
    assert "案例1：06010暴露垃圾" in flat and "环卫甲问题描述" in flat
    images = pdf_images(out)
    # The photos are on the typical case's page (the inspections' section, empty here, follows).
    typical_page = next(n for n, page in enumerate(pages, 1) if "案例1" in page.replace(" ", ""))
    assert len(images) == 3 and {row["page"] for row in images} == {str(typical_page)}
    assert "督导检查情况" in pages[-1] and "无。" in pages[-1]

    english = pdf_text(write_bulletin_pdf(bulletin_data(store, WEEK, now=NOW, language="en"),
                                          tmp_path / "en.pdf", "en"))  # fmt: skip
    assert "Commended (top): Sanitation" in "\n".join(english)
    assert_page_numbers(english, zh=False)


def test_case_report_from_a_store(
    qapp: QApplication, store: LocalStore, samples: Path, tmp_path: Path
) -> None:
    cases = city_store(store, samples)
    data = case_report_data(store, cases["环卫甲"], "zh_CN")
    out = write_case_pdf(data, tmp_path / "case.pdf", "zh_CN")
    pages = pdf_text(out)
    assert_page_numbers(pages)
    text = "\n".join(pages)
    steps = text[text.index("处置过程") : text.index("评论")]
    wanted = ["上报", "受理", "立案", "派遣", "环卫甲：请按时处置", "处置反馈", "环卫甲：已清理",
              "派发核查", "核查通过", "环卫甲：结案"]  # fmt: skip
    assert order_of(steps, wanted) == sorted(order_of(steps, wanted))
    assert "张三" in steps and "李四" in steps and "市容环卫局" in steps
    images = pdf_images(out)
    assert len(images) == 3
