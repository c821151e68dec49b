"""``citypatrol patrol import`` and ``citypatrol report coverage`` (headless, no Qt)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from app.domain.coverage import DEFAULT_BLIND_DAYS

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def add_patrol_parser(sub: Any) -> None:
    patrol = sub.add_parser("patrol", help="patrol tracks").add_subparsers(
        dest="patrol_command", required=True
    )
    imp = patrol.add_parser(
        "import", help="record a patrol track from a receiver's NMEA log (queued for sync)"
    )
    imp.add_argument("file", type=Path, metavar="FILE.nmea")
    imp.add_argument("--json", action="store_true")


def add_coverage_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", action="store_true")
    command.add_argument(
        "--blind-days",
        type=int,
        default=DEFAULT_BLIND_DAYS,
        help=f"a responsible cell unvisited this many days is a blind spot (default {DEFAULT_BLIND_DAYS})",
    )


def patrol_command(args: argparse.Namespace, data_dir: Path, language: str) -> int:
    from app.capture.nmea import decode_file
    from app.storage import LocalStore

    result = decode_file(args.file)
    zh = language.startswith("zh")
    if not result.fixes:
        message = result.message.text(language) if result.message else "no fix"
        print(f"error: {message}", file=sys.stderr)
        return EXIT_ERROR
    with LocalStore(data_dir) as store:
        created = store.import_track(result.fixes)
        row = store.track(created.id)
    if args.json:
        print(
            json.dumps(
                {
                    "id": row.id,
                    "started_at": row.started_at.isoformat(),
                    "ended_at": row.ended_at.isoformat() if row.ended_at else None,
                    "points": row.point_count,
                    "fixes": len(result.fixes),
                    "distance_m": round(row.distance_m, 1),
                    "delivery": row.delivery,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        print(
            f"已记录巡查轨迹 {row.id}：{row.point_count} 个点（来自 {len(result.fixes)} 个定位），"
            f"{row.distance_m / 1000:.2f} 公里，待同步"
            if zh
            else f"Patrol track {row.id} recorded: {row.point_count} points "
            f"(of {len(result.fixes)} fixes), {row.distance_m / 1000:.2f} km, to be synced"
        )
    return EXIT_OK


def coverage_command(
    args: argparse.Namespace, data_dir: Path, language: str, first: date, last: date
) -> int:
    from app.domain.deadlines import WorkingCalendar
    from app.storage import LocalStore
    from app.storage.coverage import coverage

    if args.blind_days < 1:
        print("error: --blind-days must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    tz = WorkingCalendar().tz
    start = datetime.combine(first, time(), tz)
    end = datetime.combine(last + timedelta(days=1), time(), tz)
    with LocalStore(data_dir) as store:
        result = coverage(store, start, end, blind_days=args.blind_days)
    report = result.report
    rows = result.rows()
    if args.json:
        data = report.to_json()
        data["from"], data["to"] = first.isoformat(), last.isoformat()
        data["grid"] = result.has_grid
        by_id = {row["inspector_id"]: row for row in data["inspectors"]}
        data["inspectors"] = []
        for name, row, rounds in rows:
            entry = by_id.get(row.inspector_id) or {
                "inspector_id": row.inspector_id, "tracks": 0, "distance_m": 0.0,
                "patrol_s": 0, "cells_visited": [], "blind_spots": {},
            }  # fmt: skip
            entry["name"] = name
            entry["rounds"] = {"due": rounds.due, "done": rounds.done, "missed": rounds.missed}
            data["inspectors"].append(entry)
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return EXIT_OK
    zh = language.startswith("zh")
    print(
        "监督员\t巡查里程(km)\t在岗时长(h)\t轨迹\t到访网格\t盲区\t应检\t已检\t漏检"
        if zh
        else "inspector\tdistance (km)\ton patrol (h)\ttracks\tcells visited\tblind spots"
        "\trounds due\tdone\tmissed"
    )
    for name, row, rounds in rows:
        print(
            f"{name}\t{row.distance_m / 1000:.2f}\t{row.patrol_s / 3600:.2f}\t{row.tracks}\t"
            f"{len(row.cells_visited)}\t{len(row.blind_spots)}\t"
            f"{rounds.due}\t{rounds.done}\t{rounds.missed}"
        )
    if not result.has_grid:
        print(
            "（尚无单元网格：不统计网格覆盖）"
            if zh
            else "(no grid cells yet: cells are not counted)"
        )
    else:
        print(
            f"网格覆盖率 {report.covered_share:.1%}，未到访网格 {len(report.unvisited)} 个"
            if zh
            else f"Cells covered {report.covered_share:.1%}, unvisited {len(report.unvisited)}"
        )
    return EXIT_OK
