"""``citypatrol-server``: run the server, and manage its accounts and reference data."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import shutil
import sys
import tarfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.domain.errors import CityPatrolError
from app.domain.lifecycle import Role
from app.domain.releases import ReleasePlatform
from app.domain.validation import Urgency
from server import serving
from server.accounts import users
from server.db import create_db_engine, migrate, session_factory
from server.grids import cli as grids_cli
from server.models import Department, TimeLimitUnit, User
from server.observability import MULTIPROC_ENV, RequestIdFilter
from server.reference import calendar
from server.reference.departments import add_department
from server.reference.taxonomy import load_taxonomy
from server.settings import WORKER_SETTINGS_ENV, Settings, load_settings, to_json


class JsonFormatter(logging.Formatter):
    """One JSON object per log line: easy to ship to a log store and to grep."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:  # the request this line belongs to (server.observability)
            entry["request_id"] = rid
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citypatrol-server", description="CityPatrol central server"
    )
    parser.add_argument("--data-dir", type=Path, help="data folder (default: per-user data folder)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: SQLite in the data folder)"
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8765)")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (use PostgreSQL for more than 1)"
    )
    parser.add_argument(
        "--demo", action="store_true", default=None, help="create the demo accounts if missing"
    )
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain) file")
    parser.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="CIDR",
        help="a reverse proxy whose X-Forwarded-For gives the client's address (repeatable)",
    )
    parser.add_argument(
        "--photo-store",
        metavar="LOCATION",
        help="where photos live: s3://BUCKET[/PREFIX] (S3-compatible object storage; endpoint, "
        "region and credentials from the standard AWS settings) or a folder (default: photos/ "
        "in the data folder)",
    )
    sub = parser.add_subparsers(dest="command")

    sub.add_parser(
        "backup",
        help="write the database and the photos to one file, consistently, while the server runs",
    ).add_argument("out", type=Path)
    sub.add_parser(
        "restore",
        help="restore a backup into this data folder (and --database-url), which must be empty",
    ).add_argument("archive", type=Path)

    user = sub.add_parser("user", help="manage accounts").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser("add", help="add an account; the password is read from standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--display-name", default="")
    add.add_argument(
        "--department", metavar="CODE", help="a handler's department (required for handlers)"
    )
    add.add_argument(
        "--inspection-team",
        action="store_true",
        help="an inspector of the inspection team (督导检查组): may record scored inspections",
    )
    team = user.add_parser(
        "team", help="put an inspector in the inspection team (督导检查组) or take them out"
    )
    team.add_argument("name")
    team.add_argument("membership", choices=["on", "off"])
    user.add_parser("list", help="list accounts")
    for name, text in (
        ("disable", "disable an account and end its sessions"),
        ("enable", "enable an account"),
    ):
        user.add_parser(name, help=text).add_argument("name")
    reset = user.add_parser(
        "reset", help="set a new password (from standard input) and end the account's sessions"
    )
    reset.add_argument("name")

    department = sub.add_parser("department", help="departments").add_subparsers(
        dest="department_command", required=True
    )
    dep_add = department.add_parser("add", help="add a department")
    dep_add.add_argument("code")
    dep_add.add_argument("name")
    dep_add.add_argument("--name-en", default="")
    dep_load = department.add_parser(
        "load", help="add departments from a CSV file with columns code,name[,name_en]"
    )
    dep_load.add_argument("file", type=Path)

    taxonomy = sub.add_parser("taxonomy", help="the category table").add_subparsers(
        dest="taxonomy_command", required=True
    )
    tax_load = taxonomy.add_parser(
        "load", help="replace the category table with a CSV file (see resources/taxonomy)"
    )
    tax_load.add_argument("file", type=Path)

    checklist = sub.add_parser(
        "checklist", help="checklist templates for scored inspections (see the README)"
    ).add_subparsers(dest="checklist_command", required=True)
    checklist.add_parser(
        "load",
        help="load a template (JSON, or YAML for .yaml/.yml); a changed template needs a higher version",
    ).add_argument("file", type=Path)
    checklist.add_parser("list", help="list the templates and their versions")

    objects = sub.add_parser(
        "inspection-object", help="objects scored inspections look at (see the README)"
    ).add_subparsers(dest="object_command", required=True)
    objects.add_parser(
        "load", help="load kind,id,name,department_code rows (CSV with that header line)"
    ).add_argument("file", type=Path)

    assessment = sub.add_parser(
        "assessment", help="the year-end assessment's settings (see the README)"
    ).add_subparsers(dest="assessment_command", required=True)
    weights = assessment.add_parser(
        "weights", help="set one year's weights (whole %, adding up to 100) and thresholds"
    )
    weights.add_argument("--year", type=int, required=True)
    for name in ("on-time", "closure", "rework", "sign-for", "inspection"):
        weights.add_argument(f"--{name}", type=int, required=True, metavar="PERCENT")
    weights.add_argument("--criticise-below", default="60", help="score below which: 通报批评")
    weights.add_argument("--criticise-last", type=int, default=1, help="the last N ranked too")
    weights.add_argument("--payment-full-at", default="90")
    weights.add_argument("--payment-per-point", default="1")
    weights.add_argument("--payment-most", default="30")
    weights.add_argument(
        "--sign-for-hours", type=int, default=2, help="the sign-for limit of 签收及时率 (1–72 h)"
    )
    assessment.add_parser("show", help="the settings of every year").add_argument(
        "--year", type=int
    )

    time_limit = sub.add_parser("time-limit", help="time-limit rules").add_subparsers(
        dest="time_limit_command", required=True
    )
    tl_add = time_limit.add_parser(
        "add", help="add a rule: AMOUNT UNIT for a category and/or urgency (default: any)"
    )
    tl_add.add_argument("amount", type=int)
    tl_add.add_argument("unit", choices=[u.value for u in TimeLimitUnit])
    tl_add.add_argument("--category", help="a 管理事项 (matter) code")
    tl_add.add_argument("--urgency", choices=[u.value for u in Urgency])
    time_limit.add_parser("list", help="list rules")
    time_limit.add_parser("remove", help="remove a rule").add_argument("id")

    calendar = sub.add_parser(
        "calendar", help="the working calendar: holidays and weekend days worked (调休)"
    ).add_subparsers(dest="calendar_command", required=True)
    cal_set = calendar.add_parser("set", help="mark a day as a holiday or as a working day")
    cal_set.add_argument("day", help="YYYY-MM-DD")
    kind = cal_set.add_mutually_exclusive_group(required=True)
    kind.add_argument("--holiday", action="store_true", help="no work that day")
    kind.add_argument("--workday", action="store_true", help="a weekend day worked in lieu")
    cal_set.add_argument("--name", default="", help="e.g. 国庆节")
    calendar.add_parser("remove", help="remove a day's exception").add_argument("day")
    calendar.add_parser("list", help="list the exceptions")
    calendar.add_parser(
        "load", help="add exceptions from a CSV file with columns day,working,name"
    ).add_argument("file", type=Path)

    basemap = sub.add_parser(
        "basemap", help="raster MBTiles basemaps distributed to every laptop"
    ).add_subparsers(dest="basemap_command", required=True)
    bm_add = basemap.add_parser(
        "add", help="distribute an MBTiles file (replaces one of that name)"
    )
    bm_add.add_argument("file", type=Path)
    bm_add.add_argument("--name", required=True)
    bm_add.add_argument(
        "--datum", choices=["wgs84", "gcj02"], help="default: the file's, else wgs84 (天地图)"
    )
    basemap.add_parser("list", help="list the distributed basemaps")
    basemap.add_parser("remove", help="stop distributing a basemap").add_argument("name")
    grids_cli.add_parsers(sub)
    _add_site_parser(sub)

    release = sub.add_parser(
        "release", help="installers of the desktop client offered to the laptops as an update"
    ).add_subparsers(dest="release_command", required=True)
    rel_add = release.add_parser(
        "add", help="offer an installer as a platform's new version (must be newer)"
    )
    rel_add.add_argument("version", help="PEP 440 version, e.g. 1.2.0")
    rel_add.add_argument("--platform", required=True, choices=[p.value for p in ReleasePlatform])
    rel_add.add_argument("file", type=Path)
    release.add_parser("list", help="list the offered installers, newest first")
    return parser


def _add_site_parser(sub: Any) -> None:
    site = sub.add_parser("site", help="key sites (重点部位) and their rounds").add_subparsers(
        dest="site_command", required=True
    )
    site.add_parser(
        "load",
        help="replace the key sites by a GeoJSON file (Point with radius_m, or Polygon; name, "
        "kind, frequency daily|weekly, due HH:MM, weekday 1-7 for weekly, inspector user name)",
    ).add_argument("file", type=Path)
    site.add_parser("list", help="list the key sites")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(
            args.data_dir,
            args.database_url,
            args.host,
            args.port,
            args.demo,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            trusted_proxies=args.trusted_proxy,
            photo_store=args.photo_store,
        )
        if settings.photo_store.startswith("s3:"):
            from server.photos.s3 import parse_location

            parse_location(settings.photo_store)
    except ValueError as exc:  # a --trusted-proxy that is no network, a malformed s3:// location
        build_parser().error(str(exc))
    if bool(settings.tls_cert) != bool(settings.tls_key):
        print("error: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    if args.command is None:
        if settings.demo and not serving.is_loopback(settings.host):
            # admin/admin on a city's network: the demo accounts are for a try-out on this machine.
            build_parser().error(
                f"--demo is only allowed when listening on loopback (127.0.0.1, ::1, localhost), "
                f"not {settings.host}"
            )
        return _serve(settings, args.workers)
    logging.getLogger().setLevel(logging.WARNING)  # administration commands print their own results
    if args.command in ("backup", "restore"):
        return _backup_command(args, settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url, busy_timeout_s=settings.busy_timeout_s)
    try:
        migrate(engine)
        sessions = session_factory(engine)
        return _admin(args, sessions)
    except (ValueError, CityPatrolError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _serve(settings: Settings, workers: int) -> int:
    import uvicorn

    # uvicorn terminates TLS itself (every worker loads the same files); without them the
    # server speaks plain HTTP and belongs on 127.0.0.1 behind a TLS proxy (deploy/nginx).
    tls: dict[str, str] = (
        {"ssl_certfile": settings.tls_cert, "ssl_keyfile": settings.tls_key}
        if settings.tls_cert and settings.tls_key
        else {}
    )

    if workers > 1:
        # Each worker process builds its own app from these very settings (server.asgi): all
        # of them, in one variable, so none is lost on the way.
        os.environ[WORKER_SETTINGS_ENV] = to_json(settings)
        # Several processes, one /metrics: each writes its figures to files in one folder, any
        # of them reads them all (prometheus-client's multiprocess mode). Emptied at each start:
        # figures of a previous run would be counted again.
        metrics_dir = settings.data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ[MULTIPROC_ENV] = str(metrics_dir)
        uvicorn.run(
            "server.asgi:create",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            log_config=None,
            **tls,  # type: ignore[arg-type]
            **serving.uvicorn_options(settings),
        )
        return 0
    from server.api import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        **tls,  # type: ignore[arg-type]
        **serving.uvicorn_options(settings),
    )
    return 0


def _backup_command(args: argparse.Namespace, settings: Settings) -> int:
    # Neither touches the database schema first: a restore goes into an empty one.
    from server.backup import BackupError, backup, restore

    try:
        if args.command == "backup":
            summary = backup(settings, args.out)
            print(
                f"backup written to {args.out}: {summary.database} database, "
                f"{summary.photos} photos ({summary.bytes} bytes)"
            )
        else:
            summary = restore(settings, args.archive)
            print(
                f"restored {args.archive} into {settings.data_dir}: {summary.database} "
                f"database, {summary.photos} photo files; start the server to use it"
            )
    except (BackupError, OSError, tarfile.TarError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _admin(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    if args.command == "user":
        command = args.user_command
        with sessions.begin() as session:
            if command == "add":
                password = sys.stdin.readline().rstrip("\n")
                users.add_user(
                    session,
                    args.name,
                    password,
                    Role(args.role),
                    args.display_name,
                    department=args.department,
                    inspection_team=args.inspection_team,
                )
                print(f"user {args.name} ({args.role}) added")
            elif command == "team":
                user = users.find_user(session, args.name)
                users.check_team(Role(user.role), args.membership == "on")
                user.inspection_team = args.membership == "on"
                joined = "in" if user.inspection_team else "out of"
                print(f"user {args.name} is {joined} the inspection team (from the next sign-in)")
            elif command == "list":
                codes = {d.id: d.code for d in session.scalars(select(Department))}
                for user in session.scalars(select(User).order_by(User.username)):
                    state = "disabled" if user.disabled else "active"
                    shown = f"{user.username}\t{user.role}\t{state}\t{user.display_name}"
                    if user.department_id:
                        shown += f"\t{codes.get(user.department_id, '')}"
                    if user.inspection_team:
                        shown += "\tinspection team"
                    print(shown)
            elif command in ("disable", "enable"):
                user = users.find_user(session, args.name)
                user.disabled = command == "disable"
                if user.disabled:
                    users.end_sessions(session, user)
                users.announce_user(session, user)
                print(f"user {args.name} {command}d")
            elif command == "reset":
                user = users.find_user(session, args.name)
                password = sys.stdin.readline().rstrip("\n")
                users.set_password(user, password)
                users.end_sessions(session, user)
                print(f"password of {args.name} reset; its sessions ended")
        return 0
    if args.command == "department":
        with sessions.begin() as session:
            if args.department_command == "add":
                add_department(session, args.code, args.name, args.name_en)
                print(f"department {args.code} added")
            else:
                with args.file.open(encoding="utf-8-sig", newline="") as handle:
                    rows = list(csv.DictReader(handle))
                for line, row in enumerate(rows, start=2):
                    if not row.get("code") or not row.get("name"):
                        raise ValueError(f"{args.file}:{line}: code and name are required")
                    add_department(
                        session,
                        row["code"].strip(),
                        row["name"].strip(),
                        (row.get("name_en") or "").strip(),
                    )
                print(f"{len(rows)} departments added")
        return 0
    if args.command == "time-limit":
        return _time_limit(args, sessions)
    if args.command == "calendar":
        return _calendar(args, sessions)
    if args.command == "basemap":
        return _basemap(args, sessions)
    if args.command in grids_cli.COMMANDS:
        return grids_cli.run(args, sessions)
    if args.command == "site":
        return _site(args, sessions)
    if args.command == "release":
        return _release(args, sessions)
    if args.command == "checklist":
        return _checklist(args, sessions)
    if args.command == "assessment":
        from server.inspections import assessment

        with sessions.begin() as session:
            if args.assessment_command == "weights":
                settings = assessment.set_weights(session, args)
                print(f"assessment settings of {args.year} set: {json.dumps(settings)}")
            else:
                for year, document in assessment.all_settings(session, args.year):
                    print(f"{year}\t{json.dumps(document, ensure_ascii=False)}")
        return 0
    if args.command == "inspection-object":
        from server.inspections.objects import load_objects

        with sessions.begin() as session:
            count = load_objects(session, args.file)
        print(f"inspection objects loaded: {count} new or changed")
        return 0
    with sessions.begin() as session:
        count = load_taxonomy(session, args.file)
    print(f"category table loaded: {count} categories")
    return 0


def _time_limit(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    from server.reference import timelimits

    with sessions.begin() as session:
        if args.time_limit_command == "add":
            rule = timelimits.add_rule(session, args.category, args.urgency, args.amount, args.unit)
            print(f"time limit {rule.id} added")
        elif args.time_limit_command == "list":
            for rule in timelimits.list_rules(session):
                category, urgency = rule.category_code or "*", rule.urgency or "*"
                print(f"{rule.id}\t{category}\t{urgency}\t{rule.amount}\t{rule.unit}")
        else:
            timelimits.remove_rule(session, args.id)
            print(f"time limit {args.id} removed")
    return 0


def _calendar(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    command = args.calendar_command
    with sessions.begin() as session:
        if command == "set":
            day = calendar.set_day(session, args.day, working=args.workday, name=args.name)
            print(f"{day.day} {'working day' if day.working else 'holiday'} {day.name}".rstrip())
        elif command == "remove":
            calendar.remove_day(session, args.day)
            print(f"{args.day} follows the week again")
        elif command == "list":
            for day in calendar.list_days(session):
                print(f"{day.day}\t{'working' if day.working else 'holiday'}\t{day.name}")
        else:
            print(f"{calendar.load_days(session, args.file)} calendar days loaded")
    return 0


def _basemap(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    from server.reference import basemaps

    data_dir: Path = load_settings(args.data_dir, args.database_url).data_dir
    with sessions.begin() as session:
        if args.basemap_command == "add":
            row = basemaps.add_basemap(session, data_dir, args.file, args.name, args.datum)
            print(f"basemap {row.name} added ({row.size} bytes, {row.datum}, sha256 {row.sha256})")
        elif args.basemap_command == "list":
            for row in basemaps.list_basemaps(session):
                print(f"{row.name}\t{row.size}\t{row.datum}\t{row.sha256}\t{row.attribution}")
        else:
            basemaps.remove_basemap(session, data_dir, args.name)
            print(f"basemap {args.name} removed")
    return 0


def _site(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    from app.domain.sites import SiteFileError
    from server.tracks import sites

    if args.site_command == "list":
        with sessions.begin() as session:
            for row in sites.list_sites(session):
                when = row.due if row.weekday is None else f"{row.weekday}/{row.due}"
                print(f"{row.id}\t{row.name}\t{row.kind}\t{row.frequency}\t{when}")
        return 0
    try:
        with sessions.begin() as session:
            changed, unchanged, removed = sites.load_sites(session, args.file)
    except SiteFileError as exc:
        for problem in exc.problems:
            print(f"error: {problem.en} ({problem.zh})", file=sys.stderr)
        print("nothing was loaded", file=sys.stderr)
        return 1
    print(f"key sites loaded: {changed} new or changed, {unchanged} unchanged, {removed} removed")
    return 0


def _release(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    from server.reference import releases

    data_dir: Path = load_settings(args.data_dir, args.database_url).data_dir
    with sessions.begin() as session:
        if args.release_command == "add":
            platform = ReleasePlatform(args.platform)
            row = releases.add_release(session, data_dir, args.file, args.version, platform)
            print(
                f"release {row.version} for {row.platform} added "
                f"({row.filename}, {row.size} bytes, sha256 {row.sha256})"
            )
        else:
            for row in releases.list_releases(session):
                print(
                    f"{row.platform}\t{row.version}\t{row.filename}\t{row.size}\t{row.sha256}\t"
                    f"{row.added_at:%Y-%m-%d %H:%M}"
                )
    return 0


def _checklist(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    from server.inspections import checklists

    with sessions.begin() as session:
        if args.checklist_command == "load":
            row, new = checklists.load_checklist(session, args.file)
            state = "loaded" if new else "unchanged (already loaded)"
            print(f"checklist {row.code} version {row.version} {state}: {row.name}")
        else:
            for row in checklists.list_checklists(session):
                print(f"{row.code}\t{row.version}\t{row.object_kind}\t{row.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
