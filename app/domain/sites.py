"""Key sites and their rounds (重点部位常态化检查), shared by the client and the server.

A key site — a school gate, a hospital entrance, a market — is a point with a radius or a
polygon, checked by one inspector at a frequency: **daily** by a time of day, or **weekly** by
a weekday and a time. Each period (the local day, or the week from Monday) holds one round: it
is **done** when the inspector recorded a check at the site (a position inside it, with "no
problem found" or a case reported there) between the start of the period and the due time;
**missed** when the due time passed without one; **due** while it is still open. Missed rounds
count in the inspector's indicators.

Sites are loaded on the server from GeoJSON (:func:`parse_sites`, every refusal with its
reason) and reach the laptops through the change feed, so the rounds work offline.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from app.domain.errors import Message
from app.domain.geodesy import haversine_m

#: Ids of sites loaded without one: uuid5 of this namespace and the site's name.
_SITE_NAMESPACE = uuid.UUID("0b8f7a52-3a7e-4c44-9f0e-6c1b8f9d2e31")
MAX_RADIUS_M = 2000.0


class SiteFrequency(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class CheckOutcome(enum.StrEnum):
    """What the inspector found at the site."""

    NO_PROBLEM = "no_problem"  # 未发现问题
    PROBLEM = "problem"  # a case reported at the site (its photos are the evidence)


class RoundState(enum.StrEnum):
    DUE = "due"  # open: the due time has not passed
    DONE = "done"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class SiteArea:
    """A circle (``lat``, ``lon``, ``radius_m``) or a polygon (``ring`` of (lon, lat))."""

    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    ring: tuple[tuple[float, float], ...] = ()

    def contains(self, lat: float, lon: float) -> bool:
        if self.ring:
            inside = False
            ring = self.ring
            j = len(ring) - 1
            for i in range(len(ring)):
                xi, yi = ring[i]
                xj, yj = ring[j]
                if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
                    inside = not inside
                j = i
            return inside
        assert self.lat is not None and self.lon is not None and self.radius_m is not None
        return haversine_m(self.lat, self.lon, lat, lon) <= self.radius_m

    def centre(self) -> tuple[float, float]:
        """(lat, lon) of the point, or the mean of the polygon's corners."""
        if self.ring:
            return (
                sum(y for _, y in self.ring) / len(self.ring),
                sum(x for x, _ in self.ring) / len(self.ring),
            )
        assert self.lat is not None and self.lon is not None
        return self.lat, self.lon

    def to_json(self) -> dict[str, Any]:
        if self.ring:
            return {"type": "polygon", "ring": [list(p) for p in self.ring]}
        return {"type": "circle", "lat": self.lat, "lon": self.lon, "radius_m": self.radius_m}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteArea:
        if data.get("type") == "polygon":
            return cls(ring=tuple((float(x), float(y)) for x, y in data["ring"]))
        return cls(float(data["lat"]), float(data["lon"]), float(data["radius_m"]))


@dataclass(frozen=True, slots=True)
class KeySite:
    id: str
    name: str
    kind: str  # 学校, 医院, 农贸市场 … (free text from the file)
    frequency: SiteFrequency
    due: time  # the time of day the round must be done by
    weekday: int | None  # weekly: 1 = Monday … 7 = Sunday
    inspector_id: str
    area: SiteArea
    #: The local day the site was first loaded: no round is due before it.
    since: date | None = None


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """A site as the file gives it (the inspector by user name; "" for the responsible
    inspector of the site's grid cell)."""

    id: str
    name: str
    kind: str
    frequency: SiteFrequency
    due: time
    weekday: int | None
    inspector: str
    area: SiteArea


class SiteFileError(ValueError):
    """A site file refused as a whole; ``problems`` gives each reason (nothing was loaded)."""

    def __init__(self, problems: list[Message]) -> None:
        super().__init__("; ".join(p.en for p in problems[:10]))
        self.problems = problems


class _FeatureError(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.message = Message(zh, en)


def _ring(coords: Any) -> tuple[tuple[float, float], ...]:
    ring = [(float(p[0]), float(p[1])) for p in coords[0]]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) < 3:
        raise _FeatureError("多边形至少需要三个顶点", "a polygon needs at least three corners")
    return tuple(ring)


def _site(feature: Any) -> SiteSpec:
    props = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    name = str(props.get("name") or "").strip()
    if not name:
        raise _FeatureError("缺少名称（name）", "no name")
    try:
        frequency = SiteFrequency(str(props.get("frequency", "")).strip().lower())
    except ValueError:
        raise _FeatureError(
            "频率（frequency）须为 daily 或 weekly", "frequency must be daily or weekly"
        ) from None
    try:
        due = time.fromisoformat(str(props.get("due", "")).strip())
    except ValueError:
        raise _FeatureError(
            "时限（due）须为一天中的时间（HH:MM）", "due must be a time of day (HH:MM)"
        ) from None
    weekday: int | None = None
    if frequency is SiteFrequency.WEEKLY:
        weekday = props.get("weekday")
        if not isinstance(weekday, int) or not 1 <= weekday <= 7:
            raise _FeatureError(
                "每周检查须给出 weekday：1（周一）… 7（周日）",
                "a weekly site needs weekday 1 (Monday) … 7 (Sunday)",
            )
    # No inspector named: the round goes to the responsible inspector (定人定责) of the cell
    # holding the site's centre, found when the server loads the file.
    inspector = str(props.get("inspector") or "").strip()
    kind = geometry.get("type")
    if kind == "Point":
        lon, lat = (float(v) for v in geometry["coordinates"][:2])
        radius = props.get("radius_m")
        if not isinstance(radius, int | float) or not 0 < radius <= MAX_RADIUS_M:
            raise _FeatureError(
                f"点状部位须给出半径 radius_m（0 … {MAX_RADIUS_M:g} 米）",
                f"a point site needs radius_m, 0 … {MAX_RADIUS_M:g} m",
            )
        area = SiteArea(lat, lon, float(radius))
    elif kind == "Polygon":
        area = SiteArea(ring=_ring(geometry["coordinates"]))
    else:
        raise _FeatureError(
            "几何须为点（带 radius_m）或多边形",
            "the geometry must be a Point (with radius_m) or a Polygon",
        )
    lat, lon = area.centre()
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _FeatureError(
            "坐标不是以度为单位的经纬度（WGS84）",
            "coordinates are not longitude, latitude in degrees (WGS84)",
        )
    site_id = str(props.get("id") or uuid.uuid5(_SITE_NAMESPACE, name))
    return SiteSpec(
        site_id, name, str(props.get("kind") or ""), frequency, due, weekday, inspector, area
    )


def parse_sites(data: Any) -> list[SiteSpec]:
    """The sites of a GeoJSON FeatureCollection; :class:`SiteFileError` with every reason when
    any feature is wrong (or two share a name or id)."""
    sites, problems = read_sites(data)
    if problems:
        raise SiteFileError(problems)
    return sites


def read_sites(data: Any) -> tuple[list[SiteSpec], list[Message]]:
    """The sites a file holds and what is wrong with it (every feature's reason)."""
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        return [], [Message("不是 GeoJSON 要素集合", "not a GeoJSON FeatureCollection")]
    crs = str(((data.get("crs") or {}).get("properties") or {}).get("name", ""))
    if crs and not any(k in crs.upper() for k in ("CRS84", "4326", "4490")):
        return [], [
            Message(
                f"坐标系 {crs} 不受支持（需 WGS84 或 CGCS2000 经纬度）",
                f"unsupported CRS {crs} (WGS84 or CGCS2000 degrees needed)",
            )
        ]
    sites, problems = [], []
    seen: set[str] = set()
    for n, feature in enumerate(data["features"], start=1):
        try:
            site = _site(feature)
        except _FeatureError as exc:
            problems.append(
                Message(f"第 {n} 个要素：{exc.message.zh}", f"feature {n}: {exc.message.en}")
            )
            continue
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            problems.append(
                Message(f"第 {n} 个要素格式错误：{exc}", f"feature {n} is malformed: {exc}")
            )
            continue
        if site.id in seen or site.name in seen:
            problems.append(
                Message(f"第 {n} 个要素：名称或编号重复", f"feature {n}: duplicate name or id")
            )
        seen |= {site.id, site.name}
        sites.append(site)
    return sites, problems


# -- rounds -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Round:
    site_id: str
    #: The period the round belongs to (the day, or the Monday of the week), local.
    period: date
    opens: datetime
    due: datetime
    state: RoundState
    done_at: datetime | None = None


def _periods(site: KeySite, start: date, end: date) -> Iterable[tuple[date, date]]:
    """(period start, the day it is due) for every period overlapping ``[start, end]``."""
    if site.frequency is SiteFrequency.DAILY:
        day = start
        while day <= end:
            yield day, day
            day += timedelta(days=1)
        return
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        yield monday, monday + timedelta(days=(site.weekday or 1) - 1)
        monday += timedelta(days=7)


def rounds(
    site: KeySite,
    checks: Sequence[datetime],
    *,
    first: date,
    last: date,
    now: datetime,
    tz: tzinfo,
) -> list[Round]:
    """The site's rounds of the local days ``first`` … ``last`` (a weekly round belongs to the
    week holding its due day; rounds not opened yet at ``now`` are left out)."""
    out = []
    ordered = sorted(checks)
    for period, due_day in _periods(site, first, last):
        if not first <= due_day <= last or (site.since is not None and due_day < site.since):
            continue
        opens = datetime.combine(period, time(), tz)
        due = datetime.combine(due_day, site.due, tz)
        if opens > now:
            continue
        done = next((c for c in ordered if opens <= c <= due), None)
        if done is not None:
            state = RoundState.DONE
        elif now > due:
            state = RoundState.MISSED
        else:
            state = RoundState.DUE
        out.append(Round(site.id, period, opens, due, state, done))
    return out


@dataclass(frozen=True, slots=True)
class RoundCounts:
    due: int = 0  # rounds whose due time has passed
    done: int = 0
    missed: int = 0

    def __add__(self, other: RoundCounts) -> RoundCounts:
        return RoundCounts(self.due + other.due, self.done + other.done, self.missed + other.missed)


def count_rounds(items: Iterable[Round]) -> RoundCounts:
    """Rounds whose due time has passed, done and missed (open ones are not counted yet)."""
    done = missed = 0
    for r in items:
        if r.state is RoundState.DONE:
            done += 1
        elif r.state is RoundState.MISSED:
            missed += 1
    return RoundCounts(done + missed, done, missed)
