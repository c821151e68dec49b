"""``citypatrol report inspections|contractors|assessment``: scores of inspections on this
laptop, contractors' monthly scores (CSV) and the year-end assessment, with how each figure
was made. Every figure is an exact decimal (app.domain.scoring)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from app.domain.deadlines import WorkingCalendar
from app.domain.indicators import Period
from app.domain.scoring import COMPONENT_NAMES

EXIT_OK = 0
EXIT_USAGE = 2


def add_parsers(report: Any, day: Any) -> None:
    inspections = report.add_parser(
        "inspections", help="scores of the period's inspections and of each object, ranked"
    )
    inspections.add_argument("--from", dest="first", required=True, type=day)
    inspections.add_argument("--to", dest="last", required=True, type=day)
    inspections.add_argument("--json", action="store_true")
    contractors = report.add_parser(
        "contractors", help="contractors' monthly scores and payment deductions as CSV"
    )
    contractors.add_argument("--month", required=True, type=_month, metavar="YYYY-MM")
    contractors.add_argument("out", type=Path, metavar="OUT.csv")
    assessment = report.add_parser(
        "assessment", help="the year-end assessment: departments ranked, 通报批评, how"
    )
    assessment.add_argument("--year", required=True, type=int)
    assessment.add_argument("--json", action="store_true")


def _month(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text!r}")
    return int(match.group(1)), int(match.group(2))


def run(args: argparse.Namespace, data_dir: Path, language: str) -> int:
    from app.storage import LocalStore
    from app.storage import inspection_scores as scores

    zh = language.startswith("zh")
    with LocalStore(data_dir) as store:
        if args.report_command == "inspections":
            if args.last < args.first:
                print("error: --to is before --from", file=sys.stderr)
                return EXIT_USAGE
            period = _days(args.first, args.last)
            views = scores.scored(store, period)
            ranking = scores.object_ranking(store, period, views=views)
            if args.json:
                print(
                    json.dumps(
                        {
                            "from": args.first.isoformat(),
                            "to": args.last.isoformat(),
                            "inspections": [scores.inspection_json(v) for v in views],
                            "objects": [scores.object_json(o) for o in ranking],
                        },
                        ensure_ascii=False,
                        indent=2,
                    )
                )
                return EXIT_OK
            for v in views:
                how = v.sheet.explain().text(language)
                print(
                    f"{v.object_name}\t{v.sheet.score}/{v.sheet.total}\t{v.sheet.percent}%\t{how}"
                )
            for o in ranking:
                print(
                    f"{o.rank or '—'}\t{o.name}\t{o.inspections}\t"
                    f"{o.mean if o.mean is not None else '—'}\t"
                    f"{o.lowest if o.lowest is not None else '—'}\t"
                    f"{o.trend if o.trend is not None else '—'}"
                )
            return EXIT_OK
        if args.report_command == "contractors":
            year, month = args.month
            rows = scores.contractor_month(store, year, month)
            path = scores.write_contractor_csv(rows, args.out)
            print(
                f"已导出 {len(rows)} 个保洁责任区的月度得分：{path}"
                if zh
                else f"Monthly scores of {len(rows)} contractors' areas written to {path}"
            )
            return EXIT_OK
        data = scores.year_assessment(store, args.year)
    if args.json:
        print(json.dumps(scores.assessment_json(data), ensure_ascii=False, indent=2))
        return EXIT_OK
    weights = "，".join(
        f"{COMPONENT_NAMES[c].text(language)} {w}%" for c, w in data.settings.weights.values.items()
    )
    print(f"{args.year} {'年终考核' if zh else 'year-end assessment'} — {weights}")
    for line in data.units:
        unit = line.unit
        flag = (" 通报批评" if zh else " CRITICISED") if unit.criticised else ""
        print(
            f"{unit.rank or '—'}\t{unit.name}\t{unit.score if unit.score is not None else '—'}{flag}"
        )
        print(f"\t{unit.explain().text(language)}")
    return EXIT_OK


def _days(first: date, last: date) -> Period:
    tz = WorkingCalendar().tz
    return Period(
        datetime.combine(first, time(), tz), datetime.combine(last + timedelta(days=1), time(), tz)
    )
