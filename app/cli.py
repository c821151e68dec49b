"""``citypatrol``: the desktop app, and the headless subcommands of the public CLI contract.

Every subcommand runs without a display and without importing Qt widgets; only starting the GUI
or ``--self-test`` loads the ``app.ui`` package (``report bulletin`` renders its PDF with QtGui
alone, through :mod:`app.documents`).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from app.cli_patrol import add_coverage_arguments, add_patrol_parser
from app.config import default_data_dir, system_language
from app.domain.errors import CityPatrolError
from app.domain.lifecycle import STATUS_NAMES, CaseStatus
from app.domain.validation import CaseFields, Urgency, ValidationError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class _VersionAction(argparse.Action):
    """``--version``: the version is read (package metadata) only when asked for — reading it
    for every command cost the start-up of each (importlib.metadata and the email parser)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from app.version import app_version

        print(f"citypatrol {app_version()}")  # to standard output, as argparse's own does
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citypatrol", description="CityPatrol 城市巡查 — field inspection client"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="data folder (default: the per-user data folder)"
    )
    parser.add_argument(
        "--lang", choices=["zh_CN", "en"], help="language of messages (default: system locale)"
    )
    parser.add_argument("--self-test", action="store_true", help="headless smoke test; exit 0 = ok")
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    parser.add_argument(
        "--screenshot", type=Path, help="save a PNG of the main window once loaded, then quit"
    )
    sub = parser.add_subparsers(dest="command")

    login = sub.add_parser("login", help="sign in to a server (password from standard input)")
    login.add_argument("--server", required=True, help="server URL, e.g. http://127.0.0.1:8765")
    login.add_argument("--user", required=True)
    login.add_argument(
        "--ca-bundle",
        type=Path,
        help="PEM file of the certificate authorities to trust (a city's own CA); kept for syncs",
    )
    login.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow plain http:// to another machine (password and token travel unencrypted)",
    )
    sub.add_parser("logout", help="revoke the session on the server and forget it here")

    sync = sub.add_parser(
        "sync", help="one full sync cycle; non-zero exit if anything is left or failed"
    )
    sync.add_argument(
        "--no-photos", action="store_true", help="send records only (metered network)"
    )
    sync.add_argument(
        "--attempts", type=int, default=4, help="tries per step on network errors (default 4)"
    )
    sync.add_argument("--json", action="store_true", help="print the report as JSON")
    sync.add_argument("--chunk-size", type=int, default=None, help=argparse.SUPPRESS)

    case = sub.add_parser("case", help="create and list cases").add_subparsers(
        dest="case_command", required=True
    )
    new = case.add_parser("new", help="record a new case (saved as a draft unless --submit)")
    new.add_argument("--category", required=True, help="管理事项 matter code, e.g. 06010")
    new.add_argument("--description", required=True)
    new.add_argument(
        "--address",
        help="default: proposed from the road layer for --lat/--lon (建设路, 近贵溪大道), if any",
    )
    new.add_argument("--urgency", choices=[u.value for u in Urgency], default=Urgency.NORMAL.value)
    new.add_argument("--lat", type=float)
    new.add_argument("--lon", type=float)
    new.add_argument("--accuracy", type=float, help="position accuracy in metres")
    new.add_argument(
        "--grid-code",
        help="the 15-digit grid cell (default: looked up from --lat/--lon in the office's grid)",
    )
    new.add_argument(
        "--photo", type=Path, action="append", default=[], help="attach a photo (repeatable)"
    )
    new.add_argument(
        "--submit", action="store_true", help="submit at once instead of saving a draft"
    )
    new.add_argument("--json", action="store_true")

    lst = case.add_parser("list", help="list cases, newest first")
    lst.add_argument("--json", action="store_true")
    lst.add_argument("--search", default="", help="substring of description or address")
    lst.add_argument("--status", action="append", choices=[s.value for s in CaseStatus], default=[])
    lst.add_argument("--limit", type=int, default=1000)

    photo = sub.add_parser("photo", help="photos").add_subparsers(
        dest="photo_command", required=True
    )
    inspect = photo.add_parser(
        "inspect", help="what the app reads from a photo (GPS, time, size, sha256)"
    )
    inspect.add_argument("file", type=Path)
    inspect.add_argument("--json", action="store_true")

    gps = sub.add_parser("gps", help="GPS receivers").add_subparsers(
        dest="gps_command", required=True
    )
    replay = gps.add_parser("replay", help="positions decoded from an NMEA log")
    replay.add_argument("file", type=Path)
    replay.add_argument("--json", action="store_true")

    export = sub.add_parser(
        "export", help="export every case to a CSV, GeoJSON or GeoPackage file (for Excel or a GIS)"
    )
    export.add_argument("--format", required=True, choices=["csv", "geojson", "gpkg"])
    export.add_argument(
        "out", type=Path, metavar="OUT", help="the file to write (replaced if it exists)"
    )
    export.add_argument(
        "--language",
        choices=["zh_CN", "en"],
        help="language of status, category and department names (default: the message language)",
    )

    report = sub.add_parser(
        "report", help="indicators and the periodic bulletin of a period (supervisors)"
    ).add_subparsers(dest="report_command", required=True)
    for name, text in (
        ("indicators", "the indicators of a period: city totals and per department"),
        ("bulletin", "the periodic bulletin (定期通报) of a period as a PDF"),
        ("coverage", "patrol coverage: distance, time on patrol, cells visited, blind spots"),
    ):
        command = report.add_parser(name, help=text)
        command.add_argument(
            "--from", dest="first", required=True, type=_day, help="first day (YYYY-MM-DD)"
        )
        command.add_argument(
            "--to", dest="last", required=True, type=_day, help="last day, included (YYYY-MM-DD)"
        )
        command.add_argument(
            "--sign-for-hours",
            type=_hours,
            default=2.0,
            metavar="H",
            help="the departments' sign-for limit (签收时限), in hours (default: 2)",
        )
    report.choices["indicators"].add_argument("--json", action="store_true")
    add_coverage_arguments(report.choices["coverage"])
    add_patrol_parser(sub)
    bulletin = report.choices["bulletin"]
    bulletin.add_argument("out", type=Path, metavar="OUT", help="the PDF to write")
    bulletin.add_argument(
        "--language", choices=["zh_CN", "en"], help="the PDF's language (default: zh_CN)"
    )
    from app import inspection_cli

    inspection_cli.add_parsers(report, _day)
    _add_map_parser(sub)
    return parser


def _add_map_parser(sub: Any) -> None:
    maps = sub.add_parser("map", help="offline maps").add_subparsers(
        dest="map_command", required=True
    )
    render = maps.add_parser(
        "render", help="draw a view of a basemap (and markers, the store's cases) to a PNG"
    )
    render.add_argument("out", type=Path, metavar="OUT.png", help="the PNG to write")
    render.add_argument(
        "--basemap", required=True, help="an MBTiles file, or the name of a registered basemap"
    )
    render.add_argument(
        "--center", required=True, type=_lat_lon, metavar="LAT,LON", help="WGS84 centre"
    )
    render.add_argument("--zoom", required=True, type=int, choices=range(0, 23), metavar="Z")
    render.add_argument("--size", default=(800, 600), type=_size, metavar="WxH")
    render.add_argument(
        "--marker",
        type=_lat_lon,
        action="append",
        default=[],
        metavar="LAT,LON",
        help="draw a case-style marker anchored exactly at this WGS84 position (repeatable)",
    )
    render.add_argument("--cases", action="store_true", help="draw the store's cases")
    render.add_argument(
        "--datum", choices=["wgs84", "gcj02"], help="the basemap's datum (default: as registered)"
    )


def _lat_lon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.replace("，", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not LAT,LON: {text!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise argparse.ArgumentTypeError(f"out of range: {text!r}")
    return lat, lon


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not WxH: {text!r}") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"size out of range (16 … 8192): {text!r}")
    return width, height


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = 0.0
    if not 0 < hours <= 24 * 365:
        raise argparse.ArgumentTypeError(f"not a number of hours above 0: {text!r}")
    return hours


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(argv: Sequence[str] | None = None, *, clock: Callable[[], datetime] | None = None) -> int:
    """Run the command line ``argv``; ``clock`` stands in for the computer's clock (tests: the
    figures of the current period depend on the moment they are taken)."""
    args = build_parser().parse_args(argv)
    language = args.lang or system_language()
    data_dir: Path = args.data_dir or default_data_dir()
    try:
        if args.self_test:
            from app.selftest import run_self_test

            return run_self_test(data_dir if args.data_dir else None)
        if args.command == "case":
            return _case_command(args, data_dir, language)
        if args.command in ("login", "logout", "sync"):
            # What support needs after a failed sync: it talks to the server, so log it.
            from app.logs import setup_logging

            if not logging.getLogger().handlers:
                # Warnings still reach the terminal as before (logging's last resort stops
                # once any handler is installed).
                console = logging.StreamHandler()
                console.setLevel(logging.WARNING)
                logging.getLogger().addHandler(console)
            setup_logging(data_dir)
        if args.command == "login":
            return _login_command(args, data_dir, language)
        if args.command == "logout":
            return _logout_command(data_dir, language)
        if args.command == "sync":
            return _sync_command(args, data_dir, language)
        if args.command == "photo":
            return _photo_command(args, language)
        if args.command == "gps":
            return _gps_command(args, language)
        if args.command == "patrol":
            from app.cli_patrol import patrol_command

            return patrol_command(args, data_dir, language)
        if args.command == "export":
            return _export_command(args, data_dir, language)
        if args.command == "report":
            return _report_command(args, data_dir, language, clock)
        if args.command == "map":
            return _map_command(args, data_dir, language)
        # The store before Qt: once PySide6 is loaded, it reads the source of every Python
        # module imported after it (shiboken's __feature__ check), and the store brings
        # SQLAlchemy's few hundred (0.1 s of a source run's start-up; bench/ui.py).
        import app.storage  # noqa: F401
        from app.ui.application import run_gui

        return run_gui(
            data_dir,
            language,
            args.screenshot,
            language_given=args.lang is not None,
            data_dir_given=args.data_dir is not None or "CITYPATROL_DATA_DIR" in os.environ,
        )
    except ValidationError as exc:
        for error in exc.errors:
            print(f"error: {error.field}: {error.message.text(language)}", file=sys.stderr)
        return EXIT_ERROR
    except CityPatrolError as exc:
        print(f"error: {exc.text(language)}", file=sys.stderr)
        return EXIT_ERROR


def _photo_command(args: argparse.Namespace, language: str) -> int:
    from app.capture.photos import inspect_photo

    info = inspect_photo(args.file)
    data = info.to_json()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        width = max(len(k) for k in data)
        for key, value in data.items():
            print(f"{key:{width}}  {value}")
    return EXIT_OK


def _gps_command(args: argparse.Namespace, language: str) -> int:
    from app.capture.nmea import decode_file

    result = decode_file(args.file)
    if args.json:
        print(
            json.dumps(
                {
                    "fixes": [f.to_json() for f in result.fixes],
                    "sentences": result.sentences,
                    "bad_checksum": result.bad_checksum,
                    "malformed": result.malformed,
                    "unsupported": result.unsupported,
                    "message": result.message.text(language) if result.message else None,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for fix in result.fixes:
            when = fix.time.isoformat() if fix.time else "-"
            accuracy = f"±{fix.accuracy_m:.1f} m" if fix.accuracy_m is not None else "±? m"
            print(f"{when}  {fix.lat:.7f} {fix.lon:.7f}  {accuracy}  {fix.quality.value}")
        print(
            f"{len(result.fixes)} fixes from {result.sentences} sentences "
            f"({result.bad_checksum} bad checksums, {result.malformed} malformed, {result.unsupported} unsupported)",
            file=sys.stderr,
        )
    if result.message is not None:
        print(result.message.text(language), file=sys.stderr)
    return EXIT_OK


def _export_command(args: argparse.Namespace, data_dir: Path, language: str) -> int:
    from app.storage import LocalStore
    from app.storage.exports import export_cases

    show = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show:
            print(f"\r{done}/{total}", end="", file=sys.stderr, flush=True)

    with LocalStore(data_dir) as store:
        try:
            result = export_cases(
                store,
                args.format,
                args.out,
                language=args.language or language,
                progress=progress,
            )
        finally:
            if show:
                print(file=sys.stderr)
    zh = language.startswith("zh")
    print(
        f"已导出 {result.count} 个案件：{result.path}"
        if zh
        else f"Exported {result.count} cases to {result.path}"
    )
    return EXIT_OK


def _report_command(
    args: argparse.Namespace,
    data_dir: Path,
    language: str,
    clock: Callable[[], datetime] | None = None,
) -> int:
    """Indicators or the bulletin of ``--from`` … ``--to`` (whole days in the city's time zone)."""
    from app.domain.deadlines import WorkingCalendar
    from app.domain.indicators import Period
    from app.domain.sites import RoundCounts
    from app.storage import LocalStore
    from app.storage.handling import loop_indicators
    from app.storage.reports import department_names, indicators, round_figures, user_names

    if args.report_command in ("inspections", "contractors", "assessment"):
        from app import inspection_cli

        return inspection_cli.run(args, data_dir, language)
    if args.last < args.first:
        print("error: --to is before --from", file=sys.stderr)
        return EXIT_USAGE
    if args.report_command == "coverage":
        from app.cli_patrol import coverage_command

        return coverage_command(args, data_dir, language, args.first, args.last)
    tz = WorkingCalendar().tz
    period = Period(
        datetime.combine(args.first, time(), tz),
        datetime.combine(args.last + timedelta(days=1), time(), tz),
    )
    limit = timedelta(hours=args.sign_for_hours)
    opened = LocalStore(data_dir) if clock is None else LocalStore(data_dir, clock=clock)
    with opened as store:
        # One moment for every figure: the current period is reported "as of now" (its cutoff
        # is min(end, now)), as the dashboard and the bulletin report it — not as of its end.
        now = store.clock()
        if args.report_command == "bulletin":
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed
            from app.documents.pdf import gui_application, write_bulletin_pdf
            from app.storage.bulletin import bulletin_data

            _gui = gui_application()  # fonts and images need it (no widgets); held till written
            pdf_language = args.language or "zh_CN"
            data = bulletin_data(
                store, period, now=now, language=pdf_language, sign_for_limit=limit
            )
            path = write_bulletin_pdf(data, args.out, pdf_language)
            print(
                f"已生成通报：{path}" if language.startswith("zh") else f"Bulletin written: {path}"
            )
            return EXIT_OK
        figures = indicators(store, period, now=now)
        loop = loop_indicators(store, period, now=now, limit=limit)
        names = department_names(store, language)
        from app.storage.units import unit_counts

        units = unit_counts(store, period)
        people = user_names(store, language)
        rounds = sorted(
            ((people.get(i, i), c) for i, c in round_figures(store, period, now).items()),
            key=lambda row: row[0],
        )
    departments = sorted(
        ((names.get(d, d or "—"), c) for d, c in figures.by_department.items()),
        key=lambda row: row[0],
    )
    rows = [("", figures.total), *departments]
    if args.json:
        print(
            json.dumps(
                {
                    "from": args.first.isoformat(),
                    "to": args.last.isoformat(),
                    "city": _counts_json(figures.total),
                    "departments": {name: _counts_json(c) for name, c in rows[1:]},
                    "loop": _loop_json(loop, names),
                    "units": [
                        {
                            "name": u.name,
                            "letter_no": u.letter_no,
                            "reported": u.reported,
                            "closed": u.closed,
                            "open": u.open,
                        }
                        for u in units
                    ],
                    # Key-site rounds (重点部位): due as of now, done, missed; per inspector.
                    "rounds": {
                        "city": _rounds_json(sum((c for _, c in rounds), RoundCounts())),
                        "inspectors": {name: _rounds_json(c) for name, c in rounds},
                    },
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    header = (
        "",
        "reports",
        "accepted",
        "registered",
        "closed",
        "closure",
        "on time",
        "rework",
        "overdue",
    )
    print("\t".join(header))
    for name, c in rows:
        print(
            "\t".join(
                [
                    name or ("全市" if language.startswith("zh") else "City"),
                    *(str(v) for v in (c.reports, c.accepted, c.registered, c.closed)),
                    *(_percent(r) for r in (c.closure_rate, c.on_time_rate, c.rework_rate)),
                    str(c.overdue),
                ]
            )
        )
    _print_loop(loop, names, language)
    if units:  # 门前三包: the cases reported in each unit's frontage
        print("\n" + "\t".join(("门前三包", "letter", "reports", "closed", "open")))
        for u in units:
            print("\t".join((u.name, u.letter_no, str(u.reported), str(u.closed), str(u.open))))
    _print_rounds(rounds, language)
    return EXIT_OK


def _rounds_json(c: Any) -> dict[str, int]:
    return {"due": c.due, "done": c.done, "missed": c.missed}


def _print_rounds(rounds: list[tuple[str, Any]], language: str) -> None:
    """Key-site rounds (重点部位常态化检查) under the indicators: due, done, missed."""
    from app.domain.sites import RoundCounts

    zh = language.startswith("zh")
    print("\n" + "\t".join(("重点部位巡查" if zh else "key-site rounds", "due", "done", "missed")))
    total = sum((c for _, c in rounds), RoundCounts())
    for name, c in [("全市" if zh else "City", total), *rounds]:
        print("\t".join((name, str(c.due), str(c.done), str(c.missed))))


def _map_command(args: argparse.Namespace, data_dir: Path, language: str) -> int:
    """``map render``: the same drawing code as the map widget, offscreen."""
    from app.geo.basemaps import BasemapRegistry
    from app.geo.datum import Datum

    path, datum = BasemapRegistry(data_dir).resolve(args.basemap)
    if args.datum:
        datum = Datum(args.datum)
    points = None
    if args.cases:
        from app.storage import LocalStore
        from app.storage.map_points import case_points

        with LocalStore(data_dir) as store:
            points = case_points(store)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed
    from app.maprender.image import render_png

    width, height = args.size
    out = render_png(
        args.out,
        path,
        center=args.center,
        zoom=args.zoom,
        size=(width, height),
        markers=args.marker,
        cases=points,
        datum=datum,
    )
    zh = language.startswith("zh")
    print(f"已绘制地图：{out}" if zh else f"Map written: {out}")
    return EXIT_OK


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


def _loop_json(loop: Any, names: dict[str | None, str]) -> dict[str, Any]:
    """The departments' loop figures (issue 15) of ``report indicators --json``."""

    def one(c: Any) -> dict[str, Any]:
        return {
            "due_to_sign": c.due_to_sign,
            "signed_on_time": c.signed_on_time,
            "signed_late": c.signed_late,
            "sign_for_rate": c.sign_for_rate,
            "handled": c.handled,
            "handled_by_department": c.handled_by_department,
            "handled_by_department_rate": c.handled_by_department_rate,
            "requests": {k.value: n for k, n in sorted(c.requests.items())},
            "approved": {k.value: n for k, n in sorted(c.approved.items())},
            "refused": c.refused,
            "approval_rate": c.approval_rate,
        }

    return {
        "sign_for_limit_hours": loop.limit.total_seconds() / 3600,
        "city": one(loop.total),
        "departments": {names.get(d, d or "—"): one(c) for d, c in loop.by_department.items()},
    }


def _print_loop(loop: Any, names: dict[str | None, str], language: str) -> None:
    """The departments' loop figures (issue 15) under the indicators' table."""
    print()
    print(
        "\t".join(
            ("", "due to sign", "signed on time", "sign-for", "handled", "by department",
             "requests", "approved", "refused")
        )
    )  # fmt: skip
    named = sorted(
        ((names.get(d, d or "—"), c) for d, c in loop.by_department.items()),
        key=lambda row: row[0],
    )
    rows = [("", loop.total), *named]
    for name, c in rows:
        print(
            "\t".join(
                [
                    name or ("全市" if language.startswith("zh") else "City"),
                    str(c.due_to_sign),
                    str(c.signed_on_time),
                    _percent(c.sign_for_rate),
                    str(c.handled),
                    str(c.handled_by_department),
                    str(sum(c.requests.values())),
                    str(sum(c.approved.values())),
                    str(c.refused),
                ]
            )
        )


def _counts_json(counts: Any) -> dict[str, Any]:
    out = {f.name: getattr(counts, f.name) for f in dataclasses.fields(counts)}
    for name in (
        "valid_report_rate", "closure_rate", "on_time_rate", "rework_rate", "mean_handling_hours",
    ):  # fmt: skip
        out[name] = getattr(counts, name)
    return out


def _login_command(args: argparse.Namespace, data_dir: Path, language: str) -> int:
    from dataclasses import replace

    from app.storage import LocalStore
    from app.sync.connection import check_server_url, load_connection
    from app.sync.session import sign_in

    connection = load_connection(data_dir)
    if args.ca_bundle is not None:
        if not args.ca_bundle.is_file():
            print(f"error: no such CA bundle: {args.ca_bundle}", file=sys.stderr)
            return EXIT_ERROR
        connection = replace(connection, ca_bundle=str(args.ca_bundle.resolve()))
    if args.allow_insecure_http:
        connection = replace(connection, allow_insecure_http=True)
    check_server_url(args.server, connection)  # before asking for a password
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with LocalStore(data_dir) as store:
        account, where = sign_in(store, args.server, args.user, password, connection)
    zh = language.startswith("zh")
    name = f"{account.display_name} ({account.username}, {account.role.value})"
    print(
        f"已登录 {account.server_url}：{name}"
        if zh
        else f"Signed in to {account.server_url} as {name}"
    )
    if where.startswith("file:"):
        path = where.removeprefix("file:")
        print(
            f"本机没有系统密钥环，会话令牌保存在仅本人可读的文件 {path}"
            if zh
            else f"No system keyring here: the session token is kept in {path}, readable only by you",
            file=sys.stderr,
        )
    return EXIT_OK


def _logout_command(data_dir: Path, language: str) -> int:
    from app.storage import LocalStore
    from app.sync.session import sign_out

    zh = language.startswith("zh")
    with LocalStore(data_dir) as store:
        result = sign_out(store)
    if not result.was_signed_in:
        print("本机没有登录的账号" if zh else "Nobody is signed in here")
    elif result.server_told:
        print(
            "已退出登录：服务器已注销该会话，本机已删除令牌"
            if zh
            else "Signed out: the server revoked the session and the token is deleted here"
        )
    else:
        reason = result.reason.text(language) if result.reason is not None else ""
        print(
            f"已在本机退出登录并删除令牌，但未能通知服务器（{reason}）；该会话将在过期时失效"
            if zh
            else "Signed out here and the token is deleted, but the server was not told "
            f"({reason}); the session lapses on the server when it expires",
            file=sys.stderr,
        )
    return EXIT_OK


def _sync_command(args: argparse.Namespace, data_dir: Path, language: str) -> int:
    from app.storage import LocalStore
    from app.sync.engine import Progress, SyncEngine, SyncOptions

    show = sys.stderr.isatty() and not args.json

    def progress(p: Progress) -> None:
        if not show:
            return
        if p.phase in ("photos", "basemaps"):
            line = f"{p.phase} {p.items_done + 1}/{p.items_total}  {p.bytes_done / 1e6:.1f}/{p.bytes_total / 1e6:.1f} MB  {p.current or ''}"
        else:
            line = f"{p.phase} {p.items_done}/{p.items_total}"
        print(f"\r{line[:100]:<100}", end="", file=sys.stderr, flush=True)

    options = SyncOptions(photos=not args.no_photos, attempts=max(1, args.attempts))
    if args.chunk_size:
        options = dataclasses.replace(options, chunk_size=max(1024, args.chunk_size))
    with LocalStore(data_dir) as store:
        report = SyncEngine(store, options, progress=progress).run()
    if show:
        print(file=sys.stderr)
    if args.json:
        left = report.left
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "confirmed": report.confirmed,  # not-a-state: a count (public JSON field)
                    "conflicts": report.conflicts,
                    "rejected": report.rejected,
                    "photos_sent": report.photos_sent,
                    "photos_failed": report.photos_failed,
                    "photo_bytes_sent": report.photo_bytes_sent,
                    "pulled": report.pulled,
                    "timings": report.timings,
                    "error": None
                    if report.error is None
                    else {"kind": report.error.kind.value, "code": report.error.code},
                    "left": dataclasses.asdict(left) if left is not None else None,
                    # A newer client the server offers (never installed from here).
                    "update": dataclasses.asdict(report.update) if report.update else None,
                    "lines": report.lines(language),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for line in report.lines(language):
            print(line)
    return EXIT_OK if report.ok else EXIT_ERROR


def _case_command(args: argparse.Namespace, data_dir: Path, language: str) -> int:
    from app.capture.photo_errors import PhotoError
    from app.storage import CaseQuery, LocalStore
    from app.storage.store import expand_photo_paths

    photos = expand_photo_paths(args.photo) if args.case_command == "new" else []
    refused: list[PhotoError] = []
    if photos:
        from app.capture.photos import inspect_photo  # Pillow: only when there are photos
    for photo in photos:  # refuse bad photos before anything is written
        try:
            inspect_photo(photo)
        except PhotoError as exc:
            refused.append(exc)
    if refused:
        for exc in refused:
            print(f"error: {exc.text(language)}", file=sys.stderr)
        return EXIT_ERROR
    with LocalStore(data_dir) as store:
        if args.case_command == "new":
            address, proposed = args.address, False
            if address is None and args.lat is not None and args.lon is not None:
                from app.geo.roads import road_index

                roads = road_index(data_dir)
                address = roads.address(args.lon, args.lat) if roads else None
                proposed = bool(address)
            fields = CaseFields(
                category_code=args.category,
                description=args.description,
                address=address or "",
                urgency=Urgency(args.urgency),
                lat=args.lat,
                lon=args.lon,
                accuracy_m=args.accuracy,
                grid_code=args.grid_code,
            )
            created = store.create_case(fields)
            for photo in photos:
                store.attach_photo(created.id, photo)
            if args.submit:
                store.submit_case(created.id)
            row = store.get_case(created.id)
            print(json.dumps(row.to_json(), ensure_ascii=False) if args.json else row.id)
            if not args.json:
                print(_place_line(store, row, language), file=sys.stderr)
                if proposed:
                    zh = language.startswith("zh")
                    print(
                        f"地址（由道路图层建议）：{address}"
                        if zh
                        else f"address (from the road layer): {address}",
                        file=sys.stderr,
                    )
            return EXIT_OK
        query = CaseQuery(text=args.search, statuses=frozenset(CaseStatus(s) for s in args.status))
        page = store.list_cases(query, limit=args.limit)
        if args.json:
            print(json.dumps([r.to_json() for r in page.rows], ensure_ascii=False, indent=1))
        else:
            for r in page.rows:
                status = STATUS_NAMES[r.status].text(language)
                when = r.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
                print(f"{r.id}  {when}  {r.category_code or '-':5}  {status}  {r.description[:40]}")
            print(f"({len(page.rows)} / {page.total})", file=sys.stderr)
        return EXIT_OK


def _place_line(store: Any, row: Any, language: str) -> str:
    """Where the case's grid code came from, for the person at the terminal."""
    from app.domain.errors import Message
    from app.domain.grids import GridSource

    place = store.locate(row.lat, row.lon, row.grid_code)
    cell = place.cell if row.grid_source == GridSource.AUTO else place.typed
    names = " ".join(filter(None, (cell.street, cell.community))) if cell is not None else ""
    code = f"{row.grid_code} {names}".strip()
    if row.grid_source == GridSource.AUTO:
        message = Message(f"网格 {code}：由位置自动确定", f"grid cell {code}: from the position")
    elif row.grid_source == GridSource.TYPED:
        message = Message(f"网格 {code}：手工填写", f"grid cell {code}: typed in")
    elif row.grid_source == GridSource.OUTSIDE:
        message = Message("位置不在任何网格内", "the position is outside every grid cell")
    else:
        message = Message(
            "未确定网格（无位置或无网格数据）", "no grid cell (no position or no grid)"
        )
    unit = store.unit(row.unit_id)
    if unit is not None:
        message = Message(
            f"{message.zh}；门前三包责任单位 {unit.name}",
            f"{message.en}; 门前三包 unit {unit.name}",
        )
    return message.text(language)


if __name__ == "__main__":
    sys.exit(main())
