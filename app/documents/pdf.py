"""The bulletin (定期通报) and the case report as PDF files.

The data comes ready from :mod:`app.storage.bulletin`; this module only lays it out. A document
is HTML in a :class:`QTextDocument` laid out at the size of a page's body on a 300 dpi A4
:class:`QPdfWriter`; each page is then painted with a :class:`QPainter` — the body clipped to
that page, a header (the title and the period or the case) and a footer ("第 n 页 / 共 m 页")
drawn around it. Photos are decoded downscaled (a 12-megapixel photo never reaches the PDF at
full size) and given to the document as image resources.

Wording: a document is written in the language asked for (Chinese by default), whatever the
language of the UI, so its fixed wording is the bilingual table :data:`app.documents.wording.TEXT` (the
``Message(zh, en)`` pairs of :mod:`app.domain.errors`) rather than Qt's translation files.

Only QtGui is used (no widgets): a :class:`QGuiApplication` is enough, offscreen too. A Chinese
document needs a CJK font; the bundled one (:mod:`app.documents.fonts`) is used first, so
it does not depend on the fonts installed.
"""

from __future__ import annotations

import html
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QPointF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QImageReader,
    QPageLayout,
    QPageSize,
    QPainter,
    QPalette,
    QPdfWriter,
    QPen,
    QTextDocument,
)

from app.documents.fonts import document_families
from app.documents.maps import MapSource, cases_map, location_map
from app.documents.wording import say
from app.domain.deadlines import WorkingCalendar
from app.domain.errors import CityPatrolError, Message
from app.domain.indicators import Counts, Period
from app.domain.inspections import MODE_NAMES
from app.storage.bulletin import (
    BulletinData,
    CaseReportData,
    PhotoRef,
    RankedDepartment,
    TimelineEntry,
    case_report_data,
)
from app.storage.store import LocalStore

RESOLUTION = 300
#: Page margins in millimetres (left, top, right, bottom); the header and footer sit inside.
MARGINS_MM = (18.0, 12.0, 18.0, 12.0)
HEADER_MM = 11.0
FOOTER_MM = 9.0
#: Photos are decoded to at most this many pixels on their long edge (≈ 240 dpi as printed).
PHOTO_MAX_EDGE = 800
#: The box a photo is fitted into on the page, in CSS pixels (1/96 inch).
PHOTO_BOX = (300, 260)
#: A map's width in the PDF, in the document's CSS pixels (1/96 inch, as PHOTO_BOX): 15 cm of
#: the 17.4 cm body. A wider one is capped at the page width with its height kept (distorted).
MAP_WIDTH = 567
BODY_POINTS = 10.0
NO_VALUE = "—"


class DocumentError(CityPatrolError):
    """A document could not be produced (no GUI application, or the file cannot be written)."""


# -- formatting --------------------------------------------------------------------------------


def format_rate(rate: float | None) -> str:
    """A rate as a percentage with one decimal ("66.7%"), or "—" when it has no denominator."""
    return NO_VALUE if rate is None else f"{rate * 100:.1f}%"


def format_hours(hours: float | None) -> str:
    return NO_VALUE if hours is None else f"{hours:.1f}"


#: Documents speak the city's time (the working calendar's zone), whatever the computer's zone.
CITY_TZ = WorkingCalendar().tz


def format_datetime(moment: datetime | None) -> str:
    """The city's local time, to the minute."""
    return "" if moment is None else moment.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M")


def format_period(period: Period, language: str) -> str:
    """``[start, end)`` as people say it: whole days as dates ("2026-11-01 至 2026-11-30", the
    end day included), otherwise times to the minute."""
    start, end = period.start.astimezone(CITY_TZ), period.end.astimezone(CITY_TZ)
    if start.time() == time(0) and end.time() == time(0):
        first = start.strftime("%Y-%m-%d")
        last = (end - timedelta(days=1)).strftime("%Y-%m-%d")
        if first == last:
            return first
    else:
        first, last = format_datetime(start), format_datetime(end)
    return say("period_range", language, start=first, end=last)


def _e(text: str) -> str:
    """Escaped for HTML, line breaks kept."""
    return html.escape(text).replace("\n", "<br>")


def _join(names: Iterable[str], language: str) -> str:
    return ("、" if language.lower().startswith("zh") else ", ").join(names)


# -- HTML --------------------------------------------------------------------------------------

_STYLE = """
<style>
h1 { font-size: 17pt; font-weight: bold; text-align: center; margin-bottom: 4px; }
h2 { font-size: 13pt; font-weight: bold; margin-top: 14px; margin-bottom: 6px; }
h3 { font-size: 11pt; font-weight: bold; margin-top: 10px; margin-bottom: 4px; }
p { margin-top: 2px; margin-bottom: 4px; }
p.sub { text-align: center; color: #444444; font-size: 9pt; }
p.note { color: #444444; font-size: 8.5pt; }
table.grid { border-collapse: collapse; border-color: #888888; }
table.grid td, table.grid th { border: 1px solid #888888; padding: 3px; font-size: 8.5pt; }
table.grid th { background-color: #e8edf3; font-weight: bold; }
td.num { text-align: right; }
tr.top td { background-color: #e6f4ea; }
tr.bottom td { background-color: #fbe9e7; }
td.photo { vertical-align: top; text-align: center; font-size: 8.5pt; }
</style>
"""


@dataclass
class _Images:
    """Photos decoded for one document, handed to the QTextDocument as resources (a photo shown
    twice is decoded and embedded once)."""

    images: dict[str, QImage] = field(default_factory=dict)
    _urls: dict[Path, str | None] = field(default_factory=dict)

    def img(self, ref: PhotoRef, language: str) -> str:
        """An ``<img>`` for the photo (downscaled), or a note when it cannot be read."""
        if ref.path not in self._urls:
            image = _load_photo(ref)
            name = None if image is None else f"photo-{len(self.images)}.png"
            if image is not None and name is not None:
                self.images[name] = image
            self._urls[ref.path] = name
        url = self._urls[ref.path]
        if url is None:
            name = ref.original_name or ref.path.name
            return _e(say("missing_photo", language, name=name))
        image = self.images[url]
        box_w, box_h = PHOTO_BOX
        scale = min(box_w / image.width(), box_h / image.height())
        width, height = round(image.width() * scale), round(image.height() * scale)
        return f'<img src="{url}" width="{width}" height="{height}">'


def _map_img(images: _Images, name: str, image: QImage | None) -> str:
    """An ``<img>`` of a rendered map, :data:`MAP_WIDTH` wide."""
    if image is None:
        return ""
    images.images[name] = image
    width = MAP_WIDTH
    height = round(image.height() * width / image.width())
    return f'<p><img src="{name}" width="{width}" height="{height}"></p>'


def _map_source(basemap: tuple[str, str] | None) -> MapSource:
    return MapSource(Path(basemap[0]), basemap[1]) if basemap else MapSource()


def _load_photo(ref: PhotoRef) -> QImage | None:
    """The photo decoded at most :data:`PHOTO_MAX_EDGE` pixels wide and high, turned upright
    (EXIF orientation); the cached thumbnail when Qt cannot read the original (HEIC)."""
    for path in (ref.path, ref.thumbnail):
        reader = QImageReader(str(path))
        reader.setAutoTransform(True)
        size = reader.size()
        if size.isValid() and max(size.width(), size.height()) > PHOTO_MAX_EDGE:
            scale = PHOTO_MAX_EDGE / max(size.width(), size.height())
            reader.setScaledSize(size * scale)
        image = reader.read()
        if not image.isNull():
            if max(image.width(), image.height()) > PHOTO_MAX_EDGE:  # no scaled decoding
                image = image.scaled(
                    PHOTO_MAX_EDGE,
                    PHOTO_MAX_EDGE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            return image.convertToFormat(QImage.Format.Format_RGB32)
    return None


def _tr(cells: Iterable[str], cls: str = "") -> str:
    """A table row of ``<td>`` cells (HTML already)."""
    start = f'<tr class="{cls}">' if cls else "<tr>"
    return start + "".join(cells) + "</tr>"


def _table(
    headers: Sequence[str], rows: Iterable[str], widths: dict[int, int] | None = None
) -> str:
    """A bordered table of ``rows`` (see :func:`_tr`); the header row (text, escaped here)
    repeats on every page the table runs over. ``widths``: column index → percent."""
    widths = widths or {}
    head = "".join(
        f'<th width="{widths[i]}%">{_e(h)}</th>' if i in widths else f"<th>{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    return (
        '<table class="grid" width="100%" cellspacing="0" cellpadding="3">'
        f"<thead><tr>{head}</tr></thead>{''.join(rows)}</table>"
    )


def _td(text: str, cls: str = "") -> str:
    return f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>"


def _photo_table(
    before: Sequence[PhotoRef], after: Sequence[PhotoRef], images: _Images, language: str
) -> str:
    """Before photos on the left, after photos on the right, one pair per row."""
    rows = []
    for i in range(max(len(before), len(after), 1)):
        cells = []
        for refs in (before, after):
            content = images.img(refs[i], language) if i < len(refs) else ""
            if i == 0 and not refs:
                content = _e(say("no_photo", language))
            cells.append(_td(content, "photo"))
        rows.append(_tr(cells))
    return _table([say("before", language), say("after", language)], rows)


def _figures(counts: Counts, language: str) -> str:
    """The city's figures, two to a row."""
    pairs = [
        ("reports", str(counts.reports)),
        ("accepted", str(counts.accepted)),
        ("rejected", str(counts.rejected)),
        ("valid_report_rate", format_rate(counts.valid_report_rate)),
        ("registered", str(counts.registered)),
        ("voided", str(counts.voided)),
        ("dispatched", str(counts.dispatched)),
        ("closed", str(counts.closed)),
        ("due_to_close", str(counts.due_to_close)),
        ("closed_of_due", str(counts.closed_of_due)),
        ("closure_rate", format_rate(counts.closure_rate)),
        ("due_to_handle", str(counts.due_to_handle)),
        ("handled_on_time", str(counts.handled_on_time)),
        ("on_time_rate", format_rate(counts.on_time_rate)),
        ("handled", str(counts.handled)),
        ("handled_late", str(counts.handled_late)),
        ("reworked", str(counts.reworked)),
        ("rework_rate", format_rate(counts.rework_rate)),
        ("overdue", str(counts.overdue)),
        ("mean_hours", format_hours(counts.mean_handling_hours)),
    ]
    rows = []
    for i in range(0, len(pairs), 2):
        cells = []
        for key, value in pairs[i : i + 2]:
            cells += [f'<th width="28%">{_e(say(key, language))}</th>', _td(_e(value), "num")]
        rows.append(_tr(cells))
    return (
        f'<table class="grid" width="100%" cellspacing="0" cellpadding="3">{"".join(rows)}</table>'
    )


_RANKING_COLUMNS = (
    "rank",
    "department",
    "due_to_handle",
    "handled_on_time",
    "on_time_rate",
    "due_to_close",
    "closed_of_due",
    "closure_rate",
    "handled",
    "reworked",
    "rework_rate",
    "overdue",
)


#: Percent widths of the ranking's columns (the rank, the department, then ten figures).
_RANKING_WIDTHS = {0: 5, 1: 14, 2: 8, 3: 8, 4: 8, 5: 8, 6: 8, 7: 8, 8: 8, 9: 9, 10: 8, 11: 8}


def _ranking(data: BulletinData, language: str) -> str:
    if not data.ranking:
        return f"<p>{_e(say('none', language))}</p>"
    top = {r.department_id for r in data.top}
    bottom = {r.department_id for r in data.bottom}
    rows = []
    for r in data.ranking:
        c = r.counts
        values = [
            str(r.rank) if r.rank is not None else NO_VALUE,
            _e(r.name),
            str(c.due_to_handle),
            str(c.handled_on_time),
            format_rate(c.on_time_rate),
            str(c.due_to_close),
            str(c.closed_of_due),
            format_rate(c.closure_rate),
            str(c.handled),
            str(c.reworked),
            format_rate(c.rework_rate),
            str(c.overdue),
        ]
        cls = "top" if r.department_id in top else "bottom" if r.department_id in bottom else ""
        rows.append(_tr((_td(v, "" if i == 1 else "num") for i, v in enumerate(values)), cls))
    parts = [
        f'<p class="note">{_e(say("ranking_rule", language))}</p>',
        _table([say(k, language) for k in _RANKING_COLUMNS], rows, _RANKING_WIDTHS),
    ]
    if data.top or data.bottom:
        parts.append(f"<p>{_e(say('top', language, names=_names(data.top, language)))}</p>")
        if data.bottom:
            parts.append(
                f"<p>{_e(say('bottom', language, names=_names(data.bottom, language)))}</p>"
            )
    else:
        parts.append(f"<p>{_e(say('no_ranking', language))}</p>")
    return "".join(parts)


def _names(ranked: Sequence[RankedDepartment], language: str) -> str:
    return _join((r.name for r in ranked), language) or NO_VALUE


def _sign_for(data: BulletinData, language: str) -> str:
    """The departments in the loop (issue 15): sign-for timeliness, and who signed late."""
    if data.sign_for is None:
        return ""
    c = data.sign_for
    hours = f"{data.sign_for_limit.total_seconds() / 3600:g}"
    line = say(
        "sign_for",
        language,
        rate=format_rate(c.sign_for_rate),
        on_time=c.signed_on_time,
        due=c.due_to_sign,
        hours=hours,
    )
    parts = [f"<p>{_e(line)}</p>"]
    if data.late_sign_for:
        sep = "、" if language.startswith("zh") else ", "
        names = sep.join(
            say("late_sign_for_item", language, name=name, n=n) for name, n in data.late_sign_for
        )
        parts.append(f"<p>{_e(say('late_sign_for', language, names=names))}</p>")
    return "".join(parts)


def _overdue(data: BulletinData, language: str) -> str:
    if not data.overdue:
        return f"<p>{_e(say('none', language))}</p>"
    keys = ["no", "case_id", "category", "address", "responsible", "deadline", "days_overdue"]
    rows = [
        _tr(
            [
                _td(str(i), "num"),
                _td(_e(o.short_id)),
                _td(_e(o.category)),
                _td(_e(o.address)),
                _td(_e(o.department)),
                _td(_e(format_datetime(o.deadline))),
                _td(str(o.days_overdue), "num"),
            ]
        )
        for i, o in enumerate(data.overdue, start=1)
    ]
    count = f"<p>{_e(say('overdue_count', language, n=len(data.overdue)))}</p>"
    widths = {0: 6, 1: 10, 2: 20, 3: 24, 4: 14, 5: 16}
    return count + _table([say(k, language) for k in keys], rows, widths)


def _coverage(data: BulletinData, language: str) -> str:
    if not data.coverage:
        return f"<p>{_e(say('none', language))}</p>"
    keys = [
        "no",
        "inspector",
        "distance_km",
        "patrol_h",
        "tracks",
        "cells_visited",
        "blind_spots",
        "rounds_due",
        "rounds_missed",
    ]
    rows = [
        _tr(
            [
                _td(str(i), "num"),
                _td(_e(c.name)),
                _td(f"{c.distance_km:.1f}", "num"),
                _td(f"{c.patrol_h:.1f}", "num"),
                _td(str(c.tracks), "num"),
                _td(str(c.cells_visited), "num"),
                _td(str(c.blind_spots), "num"),
                _td(str(c.rounds_due), "num"),
                _td(str(c.rounds_missed), "num"),
            ]
        )
        for i, c in enumerate(data.coverage, start=1)
    ]
    share = (
        f"<p>{_e(say('coverage_share', language, share=format_rate(data.covered_share), n=data.unvisited_cells))}</p>"
        if data.covered_share is not None
        else ""
    )
    return share + _table([say(k, language) for k in keys], rows, {0: 5, 1: 16})


def _timeline_table(timeline: Sequence[TimelineEntry], language: str, *, full: bool) -> str:
    keys = ["no", "when", "action", "actor", "department", "deadline", "opinion"]
    if not full:
        keys = ["when", "action", "actor", "department", "opinion"]
    rows = []
    for i, step in enumerate(timeline, start=1):
        cells = {
            "no": _td(str(i), "num"),
            "when": _td(_e(format_datetime(step.at))),
            "action": _td(_e(step.action_name)),
            "actor": _td(_e(step.actor)),
            "department": _td(_e(step.department)),
            "deadline": _td(_e(format_datetime(step.deadline))),
            "opinion": _td(_e(step.opinion)),
        }
        rows.append(_tr(cells[k] for k in keys))
    percent = {"no": 5, "when": 15, "action": 11, "actor": 10, "department": 13, "deadline": 15}
    widths = {i: percent[k] for i, k in enumerate(keys) if k in percent}
    return _table([say(k, language) for k in keys], rows, widths)


_NEW_PAGE = ' style="page-break-before: always"'


def bulletin_html(data: BulletinData, images: _Images, language: str) -> str:
    period = format_period(data.period, language)
    t = data.totals
    summary = say(
        "summary",
        language,
        reports=t.reports,
        registered=t.registered,
        due_to_close=t.due_to_close,
        closed_of_due=t.closed_of_due,
        closure_rate=format_rate(t.closure_rate),
        due_to_handle=t.due_to_handle,
        handled_on_time=t.handled_on_time,
        on_time_rate=format_rate(t.on_time_rate),
        rework_rate=format_rate(t.rework_rate),
        overdue=t.overdue,
    )
    parts = [
        _STYLE,
        f"<h1>{_e(say('bulletin', language))}</h1>",
        f'<p class="sub">{_e(say("period", language, period=period))}</p>',
        '<p class="sub">'
        + _e(
            say(
                "as_of",
                language,
                cutoff=format_datetime(data.cutoff),
                generated=format_datetime(data.generated_at),
            )
        )
        + "</p>",
        f"<h2>{_e(say('overview', language))}</h2>",
        f"<p>{_e(summary)}</p>",
        _figures(t, language),
        f"<h2>{_e(say('ranking', language))}</h2>",
        _ranking(data, language),
        _sign_for(data, language),
        f"<h2>{_e(say('overdue_title', language))}</h2>",
        _overdue(data, language),
        _map_img(images, "cases-map.png", cases_map(_map_source(data.basemap), data.map_points)),
        f'<p class="sub">{_e(say("map_legend", language))}</p>' if data.map_points else "",
        _units(data, language),
        f"<h2>{_e(say('coverage_title', language))}</h2>",
        _coverage(data, language),
        f"<h2{_NEW_PAGE if data.typical else ''}>{_e(say('typical_title', language))}</h2>",
    ]
    if not data.typical:
        parts.append(f"<p>{_e(say('none', language))}</p>")
    for n, case in enumerate(data.typical, start=1):
        parts += [
            f"<h3{_NEW_PAGE if n > 1 else ''}>"
            f"{_e(say('typical_case', language, n=n, category=case.category))}</h3>",
            _fields(
                [
                    ("case_id", case.short_id),
                    ("address", case.address),
                    ("description", case.description),
                    ("responsible", case.department),
                    ("closed_at", format_datetime(case.closed_at)),
                ],
                language,
            ),
            f"<p><b>{_e(say('timeline', language))}</b></p>",
            _timeline_table(case.timeline, language, full=False),
            f"<p><b>{_e(say('photos', language))}</b></p>",
            _photo_table(case.before, case.after, images, language),
        ]
    parts.append(_inspections(data, images, language))
    return "".join(parts)


def _inspections(data: BulletinData, images: _Images, language: str) -> str:
    """The section of published inspections: their scores with the arithmetic, the objects
    ranked (best and worst named), typical problems with their photos (曝光典型)."""
    section = data.inspections
    if section is None or not section.inspections:
        title = _e(say("inspections_title", language))
        return f"<h2>{title}</h2><p>{_e(say('none', language))}</p>"
    parts = [f"<h2{_NEW_PAGE}>{_e(say('inspections_title', language))}</h2>"]
    mean = sum(v.percent for v in section.inspections) / len(section.inspections)
    parts.append(
        f"<p>{_e(say('inspections_summary', language, n=len(section.inspections), mean=f'{mean:.2f}'))}</p>"
    )
    rows = [
        _tr(
            [
                _td(_e(format_datetime(v.finished_at))),
                _td(_e(v.object_name)),
                _td(_e(MODE_NAMES[v.mode].text(language))),
                _td(_e(f"{v.sheet.score}/{v.sheet.total}")),
                _td(_e(f"{v.sheet.percent}%")),
                _td(_e(v.sheet.explain().text(language))),
            ]
        )
        for v in section.inspections
    ]
    parts.append(
        _table(
            [say(k, language) for k in ("when", "object", "mode", "score", "percent", "how")],
            rows,
            {5: 40},
        )
    )
    parts.append(f"<p><b>{_e(say('object_ranking', language))}</b></p>")
    ranked = [
        _tr(
            [
                _td(str(o.rank)),
                _td(_e(o.name)),
                _td(str(o.inspections)),
                _td(f"{o.mean}%"),
                _td(f"{o.lowest}%"),
            ]
        )
        for o in section.ranking
    ]
    parts.append(
        _table([say(k, language) for k in ("rank", "object", "count", "mean", "lowest")], ranked)
    )
    for key, group in (("best", section.best), ("worst", section.worst)):
        if group:
            names = _join((f"{o.name}（{o.mean}%）" for o in group), language)
            parts.append(f"<p>{_e(say(key, language, names=names))}</p>")
    if section.typical:
        parts.append(f"<p><b>{_e(say('exposed', language))}</b></p>")
    for n, problem in enumerate(section.typical, start=1):
        item = problem.item.text(language)
        parts.append(
            f"<p>{_e(say('problem', language, n=n, object=problem.object_name, item=item))}"
            + (f"：{_e(problem.note)}" if problem.note else "")
            + "</p>"
        )
        if problem.photo is not None:
            ref = PhotoRef(
                problem.photo, problem.thumbnail or problem.photo, "before", problem.at, ""
            )
            parts.append(f"<p>{images.img(ref, language)}</p>")
    return "".join(parts)


def _units(data: BulletinData, language: str) -> str:
    """Cases per 门前三包 unit ("none" when no case of the period lies in a frontage: the
    section stays, so the bulletin's numbering does not move from one period to the next)."""
    if not data.units:
        title = f"<h2>{_e(say('units_title', language))}</h2>"
        return title + f"<p>{_e(say('none', language))}</p>"
    rows = [
        _tr([_td(_e(u.name)), _td(_e(u.letter_no or NO_VALUE)), *(_td(str(n), "num") for n in
             (u.reported, u.closed, u.open))])
        for u in data.units
    ]  # fmt: skip
    keys = ("unit", "letter_no", "unit_reported", "unit_closed", "unit_open")
    head = [say(k, language) for k in keys]
    return f"<h2>{_e(say('units_title', language))}</h2>" + _table(head, rows)


def _fields(pairs: Sequence[tuple[str, str]], language: str) -> str:
    rows = "".join(
        f'<tr><th width="22%">{_e(say(key, language))}</th><td>{_e(value)}</td></tr>'
        for key, value in pairs
    )
    return f'<table class="grid" width="100%" cellspacing="0" cellpadding="3">{rows}</table>'


def case_html(data: CaseReportData, images: _Images, language: str) -> str:
    position = ""
    if data.lat is not None and data.lon is not None:
        position = f"{data.lat:.6f}, {data.lon:.6f}"
        if data.accuracy_m is not None:
            position += f" ({say('accuracy', language, m=f'{data.accuracy_m:.0f}')})"
    parts = [
        _STYLE,
        f"<h1>{_e(say('case_report', language))}</h1>",
        f'<p class="sub">{_e(data.case_id)}</p>',
        f'<p class="sub">{_e(say("generated", language, generated=format_datetime(data.generated_at)))}</p>',
        f"<h2>{_e(say('details', language))}</h2>",
        _fields(
            [
                ("case_id", data.case_id),
                ("status", data.status),
                ("category", data.category),
                ("urgency", data.urgency),
                ("description", data.description),
                ("address", data.address),
                ("position", position),
                ("grid", f"{data.grid_code or ''}  {data.place}".strip()),
                *([("unit", data.unit)] if data.unit else []),
                ("observed_at", format_datetime(data.observed_at)),
                ("submitted_at", format_datetime(data.submitted_at)),
                ("author", data.author),
                ("responsible", data.department),
                ("deadline", format_datetime(data.deadline)),
            ],
            language,
        ),
        _map_img(
            images,
            "location-map.png",
            location_map(_map_source(data.basemap), data.lat, data.lon)
            if data.lat is not None and data.lon is not None
            else None,
        ),
        f"<h2>{_e(say('timeline', language))}</h2>",
        _timeline_table(data.timeline, language, full=True)
        if data.timeline
        else f"<p>{_e(say('none', language))}</p>",
        f"<h2>{_e(say('comments', language))}</h2>",
    ]
    if data.comments:
        parts.append(
            _table(
                [say(k, language) for k in ("when", "commenter", "comment")],
                [
                    _tr([_td(_e(format_datetime(c.at))), _td(_e(c.author)), _td(_e(c.text))])
                    for c in data.comments
                ],
                {0: 15, 1: 15},
            )
        )
    else:
        parts.append(f"<p>{_e(say('none', language))}</p>")
    parts += [
        f"<h2>{_e(say('photos', language))}</h2>",
        _photo_table(data.before, data.after, images, language),
    ]
    return "".join(parts)


# -- PDF ---------------------------------------------------------------------------------------


def write_bulletin_pdf(data: BulletinData, out: Path, language: str = "zh_CN") -> Path:
    """Write the bulletin to ``out`` (replaced atomically); returns ``out``."""
    _require_gui()
    images = _Images()
    body = bulletin_html(data, images, language)
    title = say("bulletin", language)
    period = format_period(data.period, language)
    return _write_pdf(body, images, Path(out), title=title, subtitle=period, language=language)


def write_case_pdf(data: CaseReportData, out: Path, language: str = "zh_CN") -> Path:
    """Write the report of one case to ``out`` (replaced atomically); returns ``out``."""
    _require_gui()
    images = _Images()
    body = case_html(data, images, language)
    title = say("case_report", language)
    return _write_pdf(
        body, images, Path(out), title=title, subtitle=data.short_id, language=language
    )


def write_case_report(store: LocalStore, case_id: str, out: Path, language: str) -> Path:
    """Read one case (fields, timeline, photos) from ``store`` and write its PDF report to
    ``out``; returns ``out``. Slow (photos are decoded): the GUI runs it in the documents lane."""
    return write_case_pdf(case_report_data(store, case_id, language), out, language)


def gui_application() -> QGuiApplication:
    """The running QGuiApplication (the GUI's QApplication is one), else a new one, for a caller
    with no window (the CLI, the benchmark); keep a reference while documents are written."""
    existing = QCoreApplication.instance()
    if isinstance(existing, QGuiApplication):
        return existing
    return QGuiApplication([sys.argv[0] if sys.argv else "citypatrol"])


def _require_gui() -> None:
    """Fonts and images need a QGuiApplication (offscreen will do)."""
    if not isinstance(QCoreApplication.instance(), QGuiApplication):
        raise DocumentError(
            "no_gui_application",
            Message(
                "生成 PDF 需要先创建 QGuiApplication", "Writing a PDF needs a QGuiApplication first"
            ),
        )


def _font(points: float, *, bold: bool = False) -> QFont:
    font = QFont()
    font.setFamilies(document_families())  # the bundled CJK font first (app.documents.fonts)
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def _not_written(out: Path, reason: str) -> DocumentError:
    return DocumentError(
        "pdf_not_written",
        Message(
            f"无法写入 PDF 文件 {out}：{reason}", f"Could not write the PDF file {out}: {reason}"
        ),
    )


def _write_pdf(
    body_html: str, images: _Images, out: Path, *, title: str, subtitle: str, language: str
) -> Path:
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}-", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise _not_written(out, exc.strerror or str(exc)) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        pages = _paint(body_html, images, tmp, title=title, subtitle=subtitle, language=language)
        if pages < 1 or tmp.stat().st_size == 0:
            raise _not_written(out, "empty document")
        with tmp.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        raise _not_written(out, exc.strerror or str(exc)) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _paint(
    body_html: str, images: _Images, path: Path, *, title: str, subtitle: str, language: str
) -> int:
    """Lay out and paint the document into ``path``; the number of pages."""
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setTitle(f"{title} {subtitle}".strip())
    writer.setCreator("CityPatrol")
    left, top, right, bottom = MARGINS_MM
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(left, top, right, bottom),
            QPageLayout.Unit.Millimeter,
        )
    )
    dots_per_mm = RESOLUTION / 25.4
    width = float(writer.width())
    header = HEADER_MM * dots_per_mm
    footer = FOOTER_MM * dots_per_mm
    body_height = writer.height() - header - footer

    document = QTextDocument()
    document.documentLayout().setPaintDevice(writer)
    document.setDefaultFont(_font(BODY_POINTS))
    document.setDocumentMargin(0)
    document.setPageSize(QSizeF(width, body_height))
    for url, image in images.images.items():
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)
    document.setHtml(body_html)
    pages = document.pageCount()

    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot open {path} for writing")
    try:
        context = QAbstractTextDocumentLayout.PaintContext()
        palette = QPalette()
        palette.setColor(QPalette.ColorRole.Text, QColor(Qt.GlobalColor.black))
        context.palette = palette
        rule = QPen(QColor("#888888"))
        rule.setWidthF(0.25 * dots_per_mm)
        for page in range(pages):
            if page and not writer.newPage():
                raise OSError("cannot start a new page")
            # header: the title on the left, the period (or the case) on the right
            painter.setPen(QColor("#333333"))
            painter.setFont(_font(9))
            band = QRectF(0, 0, width, header - 2 * dots_per_mm)
            painter.drawText(
                band, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title
            )
            painter.drawText(
                band, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, subtitle
            )
            painter.setPen(rule)
            painter.drawLine(QPointF(0, band.bottom()), QPointF(width, band.bottom()))
            # body: this page's slice of the laid-out document
            painter.save()
            painter.translate(0, header - page * body_height)
            clip = QRectF(0, page * body_height, width, body_height)
            painter.setClipRect(clip)
            context.clip = clip
            document.documentLayout().draw(painter, context)
            painter.restore()
            # footer
            painter.setPen(QColor("#333333"))
            painter.setFont(_font(8.5))
            foot = QRectF(0, header + body_height, width, footer)
            painter.drawText(
                foot,
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                say("page", language, n=page + 1, m=pages),
            )
    finally:
        ended = painter.end()
    if not ended:
        raise OSError(f"the PDF engine could not finish {path}")
    return pages
