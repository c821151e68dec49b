"""Benchmark of the local case store (``app.storage.store.LocalStore``) at city scale.

Run from the project root::

    .venv/bin/python bench/store.py [--cases N] [--data-dir DIR] [--repeat R] [--json]

``--cases`` (default 100,000) realistic cases are generated with a fixed random seed: Chinese
descriptions from per-category templates (暴露垃圾, 路灯, 井盖, 占道经营, 机动车乱停放, 私搭乱建 …),
Chinese addresses built from district, road, compound and landmark names, categories drawn
from the real taxonomy's matters (the common ones weighted heavily, every other matter now and
then), statuses across the whole lifecycle (older cases mostly closed), ``created_at`` spread
over the last 365 days, positions near a city centre. The figures printed are:

1. **Store API insert rate** — ``LocalStore.create_case`` for ``--api-cases`` cases (default
   500) into a fresh store of its own: what an inspector sees (one durable transaction per
   case, ``synchronous=FULL``).
2. **Bulk load rate** — the N cases loaded, for the benchmark's setup, through a batched path:
   SQLAlchemy ``session.execute(insert(Case), rows)`` in batches of 10,000 inside one
   transaction, into a store opened with ``LocalStore`` (so migrations have run), filling the
   FTS table ``case_search`` (``rowid = cases.pk``, ``grams = index_tokens(description,
   address)``) and one ``outbox`` entry per case (``case_snapshot`` payload), as ``create_case``
   does. Rows/s counts database work plus tokenising; generating the text is timed apart.
3. **First page after open** — with the store closed, the time from ``LocalStore(data_dir)``
   to the return of ``list_cases(limit=50)`` (page plus total count), in a fresh instance in
   this process: the median of ``--repeat`` runs. Python imports are not counted, the bundled
   taxonomy is already cached in the process (its cold load time is printed apart), and the
   operating system's file cache is warm.
4. **Search** — the median latency of ``list_cases(CaseQuery(text=q), limit=50)`` (the real
   API, with its total count) for several two-character Chinese substrings, common ones and a
   rare one, beside a naive baseline measured in the same run on the same file through raw
   ``sqlite3``: ``SELECT * FROM cases WHERE description LIKE '%q%' OR address LIKE '%q%' ORDER
   BY created_at DESC, pk DESC LIMIT 50`` plus ``SELECT COUNT(*)`` with the same ``WHERE``.
5. **Category + status filter** — ``CaseQuery(categories={code}, statuses={status})`` through
   ``list_cases``, beside ``... FROM cases NOT INDEXED WHERE category_code=? AND status=?`` with
   the same ``ORDER BY``/``LIMIT`` and ``COUNT``.

Each timed query is run once untimed first (both sides), then ``--repeat`` times alternating
store and baseline. Targets at 100,000 cases: first page ≤ 100 ms; search median ≤ 50 ms and
≥ 10x faster than its baseline. A missed target is reported (MISS), never an error.

Correctness is checked on the way: the total of every search and filter must equal the
baseline's and the count known from the generated data, and the store's first page must hold
the same cases as the baseline's. Any mismatch prints a ``WARNING`` line and makes the exit
status 1 (2: bad arguments).

``--data-dir`` keeps the loaded store in DIR (which must be empty or absent); by default a
temporary directory is used and removed at the end. ``--json`` prints one JSON object instead
of the table; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from app.domain.lifecycle import STATUS_NAMES, CaseStatus
from app.domain.taxonomy import DEFAULT_TAXONOMY_FILE, Taxonomy, load_default_taxonomy
from app.domain.validation import CaseFields, Urgency, require_valid
from app.paths import resources_dir
from app.storage.changelog import case_snapshot
from app.storage.db import DATABASE_FILE
from app.storage.models import Case, OutboxEntry, SyncState
from app.storage.search import index_tokens
from app.storage.store import CaseQuery, LocalStore, Page

SEED = 20261127
BATCH = 10_000
PAGE = 50
CITY_CENTRE = (30.5928, 114.3055)

TARGET_FIRST_PAGE_MS = 100.0
TARGET_SEARCH_MS = 50.0
TARGET_SPEEDUP = 10.0

#: Two-character substrings searched: common ones, one from addresses, one rare.
SEARCH_TERMS = ("垃圾", "路灯", "井盖", "违章", "停放", "解放", "尸体")
#: (matter code, status) pairs filtered: a large, a medium and a small result.
FILTERS = (
    ("06010", CaseStatus.CLOSED),
    ("09009", CaseStatus.DISPATCHED),
    ("01037", CaseStatus.REINSPECTING),
)

# -- realistic text ------------------------------------------------------------------------

DISTRICTS = (
    "东城区", "西城区", "南湖区", "北塘区", "鼓楼区", "秦淮区", "玄武区", "滨江区", "高新区",
    "经开区", "城关区", "新华区", "青山区", "江北区", "临港新区", "龙湖区", "桥西区", "雨花区",
)  # fmt: skip
ROAD_STEMS = (
    "人民", "解放", "中山", "建设", "和平", "胜利", "新华", "文化", "长江", "黄河", "延安",
    "北京", "上海", "南京", "青年", "友谊", "光明", "幸福", "迎宾", "朝阳", "东风", "红旗",
    "工农", "团结", "花园", "学府", "金桥", "银河", "滨河", "环城", "府前", "体育", "健康",
    "民主", "复兴", "振兴", "长安", "太平", "永安", "兴业", "纺织", "机场", "车站", "沿江",
    "科技", "创业", "丰收", "育才", "五一", "八一", "天山", "昆仑", "珠江", "湘江", "汉江",
    "凤凰", "梧桐", "翠柳", "松林", "丁香", "海棠", "玉兰", "桂花", "石榴", "桃源", "金沙",
)  # fmt: skip
ROAD_KINDS = ("路", "路", "路", "大道", "街", "东路", "西路", "南路", "北路", "中路", "巷", "大街")
STREETS = ("城东", "城西", "花山", "湖滨", "大桥", "新村", "南站", "北湖", "东湖", "龙泉", "白沙", "万松")  # fmt: skip
COMPOUNDS = (
    "阳光花园", "金色家园", "幸福里", "锦绣华庭", "翠苑", "绿景苑", "东方名城", "香樟苑",
    "梧桐雅居", "和平新村", "工人新村", "丽水湾", "滨江花园", "书香门第", "紫荆苑", "怡景湾",
    "枫林小区", "春江花月", "御景园", "桂园新村", "南苑小区", "铁路新村", "电力小区", "教师公寓",
)  # fmt: skip
LANDMARKS = (
    "第一中学", "人民医院", "实验小学", "农贸市场", "地铁站", "公交站台", "体育馆", "图书馆",
    "人民公园", "汽车站", "购物中心", "工商银行", "加油站", "派出所", "社区服务中心", "幼儿园",
)  # fmt: skip
SHOPS = (
    "水果店", "便利店", "餐馆", "五金店", "理发店", "烧烤店", "早餐店", "药店", "汽修店",
    "快递点", "小吃店", "服装店", "烟酒店", "奶茶店", "面馆", "建材店",
)  # fmt: skip
CORNERS = ("东南角", "西南角", "东北角", "西北角", "东侧", "西侧", "南侧", "北侧")
GATES = ("北门", "南门", "东门", "西门", "正门", "后门")
SIDES = ("旁", "对面", "门口", "东侧", "西侧", "附近")
COLOURS = ("白色", "黑色", "银色", "红色", "蓝色")
TAILS = (
    "",
    "",
    "。",
    "，请尽快处理。",
    "，已拍照取证。",
    "，群众反映强烈。",
    "，影响市容环境。",
    "，需协调相关部门处置。",
    "，现场已告知当事人整改。",
)

#: Matter code → (weight, description templates). Every other matter of the taxonomy gets
#: GENERIC_WEIGHT and the GENERIC templates with its own name.
COMMON: dict[str, tuple[float, tuple[str, ...]]] = {
    "06010": (12, (
        "{loc}有暴露垃圾堆积约{m}立方米，影响市容",
        "{loc}绿化带内有生活垃圾散落，无人清理",
        "{loc}路边堆放装修垃圾和生活垃圾，气味难闻",
        "{loc}空地上有暴露垃圾，面积约{n}平方米",
    )),
    "09006": (10, (
        "{loc}有{m}个流动摊贩占道经营，售卖水果蔬菜",
        "{loc}早餐摊点占用人行道经营",
        "{loc}夜市摊位占道经营，影响车辆通行",
        "{loc}商贩摆摊售卖小商品，占用盲道",
    )),
    "09009": (9, (
        "{loc}有{m}辆机动车乱停放，占用人行道",
        "{loc}一辆{colour}轿车停放在盲道上",
        "{loc}货车违规停放，堵塞小区出入口",
        "{loc}机动车长期停放在非机动车道上",
    )),
    "07001": (8, (
        "{loc}墙面、电线杆上张贴非法小广告",
        "{loc}地面喷涂办证小广告约{m}处",
        "{loc}公交站牌上粘贴牛皮癣小广告",
        "{loc}配电箱表面张贴小广告",
    )),
    "06012": (6, (
        "{loc}路面有油污和泥浆，道路不洁",
        "{loc}人行道上落叶、烟头较多，未及时清扫",
        "{loc}路面有渣土遗留，车辆经过扬尘",
    )),
    "06036": (6, (
        "{loc}人行道上乱堆杂物，影响行人通行",
        "{loc}楼道口堆放废旧家具和纸箱",
        "{loc}{shop}门前乱堆杂物",
    )),
    "09005": (6, (
        "{loc}{shop}超出门窗外摆放商品经营",
        "{loc}{shop}在店外摆放桌椅经营",
        "{loc}{shop}占用人行道摆放货架",
    )),
    "06042": (5, (
        "{loc}垃圾桶满溢，垃圾散落地面",
        "{loc}垃圾收集站满溢，周边有异味",
        "{loc}分类垃圾箱已满未及时清运",
    )),
    "01037": (5, (
        "{loc}{n}号路灯不亮",
        "{loc}路灯灯杆倾斜，灯罩破损",
        "{loc}路灯白天常亮",
        "{loc}连续{m}盏路灯不亮，夜间行人通行不便",
    )),
    "01002": (4, (
        "{loc}污水井盖破损缺失存在安全隐患",
        "{loc}污水井盖下沉，车辆经过有异响",
        "{loc}污水井冒溢，井盖移位",
    )),
    "01003": (3, ("{loc}雨水井盖缺失，已临时放置警示锥", "{loc}雨水井盖破损，存在安全隐患")),
    "01001": (2, ("{loc}供水井盖松动，车辆碾压有响声", "{loc}供水井盖与路面不平")),
    "06001": (4, (
        "{loc}有违章搭建的彩钢板房约{n}平方米",
        "{loc}一楼住户违章搭建阳光房",
        "{loc}楼顶违章搭建简易房",
        "{loc}私自围墙扩建，疑似违章建筑",
    )),
    "09010": (4, ("{loc}电动自行车乱停放，堵塞通道", "{loc}非机动车停放无序，占用盲道")),
    "09011": (3, ("{loc}共享单车大量堆积，约{n}辆，阻碍通行", "{loc}共享单车倒伏，停放杂乱")),
    "06013": (3, ("{loc}路面出现坑洼，面积约{m}平方米", "{loc}人行道地砖松动破损{n}块")),
    "04002": (2, ("{loc}行道树枯死，有倒伏风险", "{loc}行道树枝条过低，遮挡交通标志")),
    "06007": (2, ("{loc}临街住户在行道树上拉绳晾晒衣物", "{loc}沿街阳台外晾挂被褥")),
    "06017": (2, ("{loc}绿地内有白色垃圾和杂物", "{loc}绿化带被踩踏，脏乱")),
    "08005": (2, ("{loc}施工废弃料未及时清运，堆放在路边",)),
    "08004": (2, ("{loc}建筑工地未覆盖防尘网，扬尘严重",)),
    "07003": (2, ("{loc}楼顶户外广告牌未经审批设置，存在安全隐患", "{loc}户外广告牌破损，有坠落风险")),
    "06011": (2, ("{loc}积存建筑渣土约{m}立方米，长期未清运",)),
    "09001": (2, ("{loc}有流动商贩推三轮车叫卖",)),
    "06029": (1.5, ("{loc}夜间有露天烧烤摊，油烟扰民",)),
    "06027": (1, ("{loc}{shop}油烟直排，周边居民反映强烈",)),
    "06028": (1, ("{loc}{shop}使用高音喇叭招揽顾客，噪声扰民",)),
    "06040": (1, ("{loc}私设地锁{m}个，占用公共停车位",)),
    "06034": (1, ("{loc}有一辆废弃机动车长期停放，车身积满灰尘",)),
    "09012": (1, ("{loc}消防通道被车辆占用",)),
    "02017": (1, ("{loc}交通护栏被撞倒约{n}米",)),
    "09003": (0.05, ("{loc}有流浪乞讨人员",)),
    "06037": (0.05, ("{loc}路面有动物尸体，需清理",)),
}  # fmt: skip
GENERIC_WEIGHT = 0.1
GENERIC = (
    "{loc}发现{name}，请相关部门核实处理",
    "{loc}{name}，需尽快处置",
    "巡查发现{loc}存在{name}问题",
)

_S = CaseStatus
#: Status weights by the case's age: recent cases are early in the lifecycle, old ones closed.
STATUS_WEIGHTS: tuple[tuple[int, dict[CaseStatus, float]], ...] = (
    (3, {_S.DRAFT: 8, _S.SUBMITTED: 14, _S.ACCEPTED: 10, _S.REJECTED: 3, _S.RETURNED: 4,
         _S.REGISTERED: 10, _S.VOID: 1, _S.DISPATCHED: 22, _S.SUSPENDED: 1, _S.HANDLED: 12,
         _S.REINSPECTING: 8, _S.REINSPECTION_PASSED: 4, _S.REINSPECTION_FAILED: 2, _S.CLOSED: 1,
         _S.EVALUATED: 0}),
    (30, {_S.DRAFT: 2, _S.SUBMITTED: 2, _S.ACCEPTED: 2, _S.REJECTED: 4, _S.RETURNED: 2,
          _S.REGISTERED: 3, _S.VOID: 2, _S.DISPATCHED: 12, _S.SUSPENDED: 4, _S.HANDLED: 8,
          _S.REINSPECTING: 6, _S.REINSPECTION_PASSED: 4, _S.REINSPECTION_FAILED: 2,
          _S.CLOSED: 35, _S.EVALUATED: 12}),
    (10_000, {_S.DRAFT: 0.5, _S.SUBMITTED: 0.2, _S.ACCEPTED: 0.2, _S.REJECTED: 5,
              _S.RETURNED: 0.3, _S.REGISTERED: 0.3, _S.VOID: 3, _S.DISPATCHED: 1,
              _S.SUSPENDED: 4, _S.HANDLED: 0.5, _S.REINSPECTING: 0.3,
              _S.REINSPECTION_PASSED: 0.2, _S.REINSPECTION_FAILED: 0.2, _S.CLOSED: 40,
              _S.EVALUATED: 45}),
)  # fmt: skip
URGENCIES = ((Urgency.NORMAL, Urgency.URGENT, Urgency.EMERGENCY), (90, 8, 2))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class GeneratedCase:
    id: str
    fields: CaseFields
    status: CaseStatus
    created_at: datetime


class CaseGenerator:
    """Deterministic realistic cases (given the seed and the reference time ``now``)."""

    def __init__(self, taxonomy: Taxonomy, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.start = now - timedelta(days=365)
        self.roads = [stem + kind for stem in ROAD_STEMS for kind in ROAD_KINDS]
        codes: list[str] = []
        weights: list[float] = []
        self.templates: dict[str, tuple[str, ...]] = {}
        for code in COMMON:
            if taxonomy.matter(code) is None:
                raise SystemExit(f"bench: matter {code} is not in the taxonomy")
        for matter in taxonomy.matters:
            weight, templates = COMMON.get(matter.code, (GENERIC_WEIGHT, ()))
            codes.append(matter.code)
            weights.append(weight)
            self.templates[matter.code] = templates or tuple(
                t.replace("{name}", matter.name) for t in GENERIC
            )
        self.codes = codes
        self.cum_weights = _cumulative(weights)
        self.status_tables = [
            (days, list(table), _cumulative(list(table.values()))) for days, table in STATUS_WEIGHTS
        ]

    def road(self) -> str:
        return self.rng.choice(self.roads)

    def address(self) -> str:
        r = self.rng
        district = r.choice(DISTRICTS)
        kind = r.random()
        if kind < 0.5:
            return f"{district}{self.road()}{r.randint(1, 999)}号"
        if kind < 0.7:
            return f"{district}{self.road()}与{self.road()}交叉口"
        if kind < 0.85:
            compound = r.choice(COMPOUNDS)
            return f"{district}{r.choice(STREETS)}街道{compound}{r.randint(1, 40)}栋"
        return f"{district}{self.road()}{r.choice(LANDMARKS)}{r.choice(SIDES)}"

    def location(self) -> str:
        r = self.rng
        kind = r.random()
        if kind < 0.3:
            return f"{self.road()}与{self.road()}交叉口{r.choice(CORNERS)}"
        if kind < 0.5:
            return f"{r.choice(COMPOUNDS)}{r.choice(GATES)}外"
        if kind < 0.7:
            return f"{self.road()}{r.randint(1, 999)}号门前"
        if kind < 0.85:
            return f"{r.choice(LANDMARKS)}{r.choice(SIDES)}"
        return r.choice(("该处", "此路段", "现场", "巡查路段"))

    def description(self, code: str) -> str:
        r = self.rng
        template = r.choice(self.templates[code])
        body = template.format(
            loc=self.location(),
            n=r.randint(1, 120),
            m=r.randint(2, 9),
            shop=r.choice(SHOPS),
            colour=r.choice(COLOURS),
        )
        return body + r.choice(TAILS)

    def status(self, created_at: datetime) -> CaseStatus:
        age = (self.now - created_at).days
        for days, statuses, cum in self.status_tables:
            if age < days:
                return self.rng.choices(statuses, cum_weights=cum)[0]
        raise AssertionError("unreachable")

    def case(self, created_at: datetime | None = None) -> GeneratedCase:
        r = self.rng
        if created_at is None:
            created_at = self.start + timedelta(seconds=r.uniform(0, 365 * 86400))
        status = self.status(created_at)
        draft = status is CaseStatus.DRAFT
        code: str | None = r.choices(self.codes, cum_weights=self.cum_weights)[0]
        description = self.description(code)
        if draft and r.random() < 0.05:
            code = None  # a draft saved before its category was chosen
        lat = lon = accuracy = None
        if not (draft and r.random() < 0.2):
            lat = round(CITY_CENTRE[0] + r.gauss(0, 0.04), 6)
            lon = round(CITY_CENTRE[1] + r.gauss(0, 0.05), 6)
            accuracy = round(r.uniform(3, 30), 1)
        fields = CaseFields(
            category_code=code,
            description=description,
            address=self.address(),
            urgency=r.choices(*URGENCIES)[0],
            lat=lat,
            lon=lon,
            accuracy_m=accuracy,
            observed_at=created_at - timedelta(seconds=r.uniform(30, 3600)),
        )
        return GeneratedCase(uuid7_at(created_at, r), fields, status, created_at)

    def stream(self, count: int) -> Iterator[GeneratedCase]:
        """``count`` cases in the order they were created, evenly over the last 365 days."""
        span = (self.now - self.start).total_seconds()
        for i in range(count):
            at = self.start + timedelta(seconds=(i + self.rng.random()) * span / count)
            yield self.case(at)


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out: list[float] = []
    for w in weights:
        total += w
        out.append(total)
    return out


def uuid7_at(at: datetime, rng: random.Random) -> str:
    """A UUIDv7 whose timestamp is ``at`` (deterministic given the generator)."""
    ms = int(at.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62)
    return str(uuid.UUID(int=value | rng.getrandbits(62)))


# -- bulk loading --------------------------------------------------------------------------


@dataclass
class GroundTruth:
    """What the generated data says every measured query must return."""

    total: int = 0
    text_counts: Counter[str] | None = None
    pair_counts: Counter[tuple[str | None, str]] | None = None
    newest: list[int] | None = None  # pks of the newest cases, newest first


def case_row(
    pk: int, g: GeneratedCase, author_id: str, now: datetime, rng: random.Random
) -> dict[str, Any]:
    """The ``cases`` row of a generated case, as the store's own writes would have left it."""
    f = g.fields
    draft = g.status is CaseStatus.DRAFT
    submitted = None
    if not draft:
        submitted = min(g.created_at + timedelta(seconds=rng.uniform(60, 1800)), now)
    updated = min(g.created_at + timedelta(seconds=rng.uniform(10, 600)), now)
    if submitted is not None:
        updated = min(submitted + timedelta(hours=rng.uniform(0.5, 240)), now)
    revision = 1 if draft else rng.randint(2, 6)
    return {
        "pk": pk,
        "id": g.id,
        "category_code": f.category_code,
        "description": f.description,
        "address": f.address,
        "urgency": Urgency(f.urgency).value,
        "status": g.status.value,
        "lat": f.lat,
        "lon": f.lon,
        "accuracy_m": f.accuracy_m,
        "position_source": "gps" if f.lat is not None else None,
        "grid_code": None,
        "observed_at": f.observed_at,
        "created_at": g.created_at,
        "updated_at": updated,
        "submitted_at": submitted,
        "author_id": author_id,
        "department_id": None,
        "deadline": None,
        "revision": revision,
        "server_revision": None if draft else revision,
        "delivery": "pending" if draft else "confirmed",
        "delivery_error": None,
        "confirmed_at": None if draft else updated,
    }


def outbox_row(row: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The outbox entry ``create_case`` enqueues (sent already for a confirmed case)."""
    sent = row["delivery"] == "confirmed"
    created = row["created_at"]
    return {
        "change_id": uuid7_at(created, rng),
        "entity": "case",
        "entity_id": row["id"],
        "op": "create",
        # The store's own payload builder, fed the row's attributes (not an ORM object: that
        # would make the loader several times slower).
        "payload": case_snapshot(SimpleNamespace(**row)),  # type: ignore[arg-type]
        "base_revision": None,
        "created_at": created,
        "state": "sent" if sent else "pending",
        "attempts": 1 if sent else 0,
        "last_error": None,
        "sent_at": row["submitted_at"] if sent else None,
    }


@dataclass
class LoadResult:
    rows: int
    generate_s: float
    load_s: float
    commit_s: float


def bulk_load(
    store: LocalStore, generator: CaseGenerator, count: int, truth: GroundTruth
) -> LoadResult:
    """Load ``count`` generated cases through batched Core inserts in one transaction."""
    rng = random.Random(SEED + 2)
    text_counts: Counter[str] = Counter()
    pair_counts: Counter[tuple[str | None, str]] = Counter()
    newest: list[int] = []
    generate_s = load_s = 0.0
    insert_search = text("INSERT INTO case_search(rowid, grams) VALUES (:pk, :grams)")
    cases = generator.stream(count)
    with Session(store.engine) as session, session.begin():
        first_pk = (session.scalar(select(sqlalchemy.func.max(Case.pk))) or 0) + 1
        local = session.get(SyncState, "local_user_id")
        if local is None:
            raise SystemExit("bench: the store has no local user")
        author_id = local.value
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            t0 = time.perf_counter()
            batch = [next(cases) for _ in range(size)]
            for g in batch:
                require_valid(g.fields, store.taxonomy, for_submission=False, now=generator.now)
                d, a = g.fields.description, g.fields.address
                for q in SEARCH_TERMS:
                    if q in d or q in a:
                        text_counts[q] += 1
                pair_counts[(g.fields.category_code, g.status.value)] += 1
            t1 = time.perf_counter()
            rows = [
                case_row(first_pk + done + i, g, author_id, generator.now, rng)
                for i, g in enumerate(batch)
            ]
            session.execute(insert(Case), rows)
            session.execute(
                insert_search,
                [
                    {"pk": r["pk"], "grams": index_tokens(r["description"], r["address"])}
                    for r in rows
                ],
            )
            session.execute(insert(OutboxEntry), [outbox_row(r, rng) for r in rows])
            t2 = time.perf_counter()
            newest = ([r["pk"] for r in reversed(rows)] + newest)[:PAGE]
            generate_s += t1 - t0
            load_s += t2 - t1
            done += size
            log(f"  loaded {done:,} / {count:,} cases")
        t3 = time.perf_counter()
        session.commit()
        commit_s = time.perf_counter() - t3
    truth.total = count
    truth.text_counts = text_counts
    truth.pair_counts = pair_counts
    truth.newest = newest
    return LoadResult(count, generate_s, load_s + commit_s, commit_s)


# -- measuring -----------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return seconds * 1000.0


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure_api_insert(
    scratch: Path, taxonomy: Taxonomy, count: int, now: datetime
) -> dict[str, Any]:
    """``count`` cases through ``LocalStore.create_case`` into a fresh store of their own."""
    generator = CaseGenerator(taxonomy, SEED + 1, now)
    samples = [generator.case() for _ in range(count)]
    latencies: list[float] = []
    with LocalStore(scratch, taxonomy=taxonomy) as store:
        t0 = time.perf_counter()
        for g in samples:
            t = time.perf_counter()
            store.create_case(g.fields)
            latencies.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - t0
        total = store.list_cases(limit=1).total
    shutil.rmtree(scratch, ignore_errors=True)
    return {
        "cases": count,
        "seconds": elapsed,
        "cases_per_s": count / elapsed if elapsed else float("nan"),
        "median_ms": ms(median(latencies)),
        "stored": total,
    }


def measure_first_page(data_dir: Path, repeat: int) -> dict[str, Any]:
    totals: list[float] = []
    opens: list[float] = []
    pages: list[Page] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        store = LocalStore(data_dir)
        t1 = time.perf_counter()
        page = store.list_cases(limit=PAGE)
        t2 = time.perf_counter()
        store.close()
        totals.append(t2 - t0)
        opens.append(t1 - t0)
        pages.append(page)
    return {
        "median_ms": ms(median(totals)),
        "open_median_ms": ms(median(opens)),
        "list_median_ms": ms(median([t - o for t, o in zip(totals, opens, strict=True)])),
        "runs_ms": [ms(t) for t in totals],
        "page": pages[-1],
    }


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


TEXT_WHERE = "description LIKE ? ESCAPE '\\' OR address LIKE ? ESCAPE '\\'"
TEXT_PAGE_SQL = (
    f"SELECT * FROM cases WHERE {TEXT_WHERE} ORDER BY created_at DESC, pk DESC LIMIT {PAGE}"
)
TEXT_COUNT_SQL = f"SELECT COUNT(*) FROM cases WHERE {TEXT_WHERE}"
FILTER_WHERE = "category_code = ? AND status = ?"
FILTER_PAGE_SQL = (
    f"SELECT * FROM cases NOT INDEXED WHERE {FILTER_WHERE} "
    f"ORDER BY created_at DESC, pk DESC LIMIT {PAGE}"
)
FILTER_COUNT_SQL = f"SELECT COUNT(*) FROM cases NOT INDEXED WHERE {FILTER_WHERE}"


def baseline(
    conn: sqlite3.Connection, page_sql: str, count_sql: str, params: tuple[Any, ...]
) -> tuple[list[int], int]:
    rows = conn.execute(page_sql, params).fetchall()
    total = conn.execute(count_sql, params).fetchone()[0]
    return [r[0] for r in rows], total  # column 0 of cases is pk


def compare(
    store: LocalStore,
    conn: sqlite3.Connection,
    query: CaseQuery,
    sql: tuple[str, str, tuple[Any, ...]],
    repeat: int,
) -> dict[str, Any]:
    """Median latency of the store's query and of the baseline, and both results."""

    def run_store() -> Page:
        return store.list_cases(query, limit=PAGE)

    def run_base() -> tuple[list[int], int]:
        return baseline(conn, *sql)

    page = run_store()  # untimed warm-up of both sides
    base_pks, base_total = run_base()
    store_times: list[float] = []
    base_times: list[float] = []
    for _ in range(repeat):
        store_times.append(_timed(run_store))
        base_times.append(_timed(run_base))
    store_ms, base_ms = ms(median(store_times)), ms(median(base_times))
    return {
        "store_ms": store_ms,
        "baseline_ms": base_ms,
        "speedup": base_ms / store_ms if store_ms else float("inf"),
        "store_runs_ms": [ms(t) for t in store_times],
        "baseline_runs_ms": [ms(t) for t in base_times],
        "total": page.total,
        "baseline_total": base_total,
        "page_pks": [r.pk for r in page.rows],
        "baseline_page_pks": base_pks,
    }


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# -- the run -------------------------------------------------------------------------------


@dataclass
class Report:
    figures: dict[str, Any]
    errors: list[str]


def run(cases: int, api_cases: int, repeat: int, store_dir: Path, scratch: Path) -> Report:
    errors: list[str] = []
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    Taxonomy.from_csv(resources_dir() / DEFAULT_TAXONOMY_FILE)
    taxonomy_ms = ms(time.perf_counter() - t0)
    taxonomy = load_default_taxonomy()
    figures: dict[str, Any] = {
        "environment": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "sqlalchemy": sqlalchemy.__version__,
            "platform": platform.platform(),
            "data_dir": str(store_dir),
        },
        "cases": cases,
        "repeat": repeat,
        "seed": SEED,
        "taxonomy_load_ms": taxonomy_ms,
    }

    log(f"store API: {api_cases} cases through LocalStore.create_case …")
    api = measure_api_insert(scratch, taxonomy, api_cases, now) if api_cases else None
    if api is not None and api["stored"] != api_cases:
        errors.append(f"store API: created {api_cases} cases, the store lists {api['stored']}")
    figures["api_insert"] = api

    log(f"bulk load: {cases:,} cases in batches of {BATCH:,} …")
    truth = GroundTruth()
    with LocalStore(store_dir, taxonomy=taxonomy) as store:
        load = bulk_load(store, CaseGenerator(taxonomy, SEED, now), cases, truth)
    figures["bulk_load"] = {
        "rows": load.rows,
        "rows_per_s": load.rows / load.load_s if load.load_s else float("nan"),
        "load_s": load.load_s,
        "commit_s": load.commit_s,
        "generate_s": load.generate_s,
    }
    figures["db_mb_after_close"] = (store_dir / DATABASE_FILE).stat().st_size / 1e6

    log(f"first page after open: {repeat} runs …")
    first = measure_first_page(store_dir, repeat)
    page: Page = first.pop("page")
    first["total"] = page.total
    figures["first_page"] = first
    if page.total != truth.total:
        errors.append(f"first page: total {page.total}, {truth.total} cases were loaded")
    if [r.pk for r in page.rows] != truth.newest:
        errors.append("first page: not the newest cases, newest first")

    searches: list[dict[str, Any]] = []
    filters: list[dict[str, Any]] = []
    with LocalStore(store_dir) as store, _connect(store_dir / DATABASE_FILE) as conn:
        for term in SEARCH_TERMS:
            log(f"search {term} …")
            pattern = _like(term)
            result = compare(
                store,
                conn,
                CaseQuery(text=term),
                (TEXT_PAGE_SQL, TEXT_COUNT_SQL, (pattern, pattern)),
                repeat,
            )
            expected = truth.text_counts[term] if truth.text_counts is not None else None
            result |= {"query": term, "expected_total": expected}
            errors += _check(f"search {term!r}", result)
            searches.append(result)
        for code, status in FILTERS:
            log(f"filter {code} + {status.value} …")
            result = compare(
                store,
                conn,
                CaseQuery(categories=frozenset({code}), statuses=frozenset({status})),
                (FILTER_PAGE_SQL, FILTER_COUNT_SQL, (code, status.value)),
                repeat,
            )
            matter = taxonomy.matter(code)
            expected = truth.pair_counts[(code, status.value)] if truth.pair_counts else None
            result |= {
                "category": code,
                "category_name": matter.name if matter else code,
                "status": status.value,
                "status_name": STATUS_NAMES[status].zh,
                "expected_total": expected,
            }
            errors += _check(f"filter {code}+{status.value}", result)
            filters.append(result)
    figures["searches"] = searches
    figures["filters"] = filters
    return Report(figures, errors)


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


def _check(name: str, r: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if r["total"] != r["baseline_total"]:
        out.append(f"{name}: store total {r['total']} ≠ baseline total {r['baseline_total']}")
    if r["expected_total"] is not None and r["baseline_total"] != r["expected_total"]:
        out.append(
            f"{name}: baseline total {r['baseline_total']} ≠ {r['expected_total']} "
            "in the generated data"
        )
    if r["expected_total"] is not None and r["total"] != r["expected_total"]:
        out.append(
            f"{name}: store total {r['total']} ≠ {r['expected_total']} in the generated data"
        )
    if r["page_pks"] != r["baseline_page_pks"]:
        out.append(f"{name}: the store's first page differs from the baseline's")
    return out


# -- output --------------------------------------------------------------------------------


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - _width(s))
    return fill + s if right else s + fill


def _verdict(latency: float, speedup: float | None = None) -> str:
    misses = []
    if not latency <= TARGET_SEARCH_MS:
        misses.append(f"{latency:.1f} ms > {TARGET_SEARCH_MS:.0f} ms")
    if speedup is not None and not speedup >= TARGET_SPEEDUP:
        misses.append(f"{speedup:.1f}x < {TARGET_SPEEDUP:.0f}x")
    return "PASS" if not misses else "MISS (" + "; ".join(misses) + ")"


def targets(figures: dict[str, Any]) -> list[tuple[str, bool]]:
    out = [("first_page", figures["first_page"]["median_ms"] <= TARGET_FIRST_PAGE_MS)]
    for r in figures["searches"]:
        ok = r["store_ms"] <= TARGET_SEARCH_MS and r["speedup"] >= TARGET_SPEEDUP
        out.append((f"search {r['query']}", ok))
    for r in figures["filters"]:
        ok = r["store_ms"] <= TARGET_SEARCH_MS and r["speedup"] >= TARGET_SPEEDUP
        out.append((f"filter {r['category']}+{r['status']}", ok))
    return out


def render(report: Report) -> str:
    f = report.figures
    env = f["environment"]
    lines = [
        f"CityPatrol store benchmark — {f['cases']:,} cases, median of {f['repeat']} runs "
        f"(seed {f['seed']})",
        f"Python {env['python']}, SQLite {env['sqlite']}, SQLAlchemy {env['sqlalchemy']}, "
        f"{env['platform']}",
        f"data dir {env['data_dir']}, database {f['db_mb_after_close']:.1f} MB",
        "",
    ]
    api, bulk = f["api_insert"], f["bulk_load"]
    lines.append("Inserts")
    if api is not None:
        lines.append(
            f"  store API create_case ({api['cases']:,} cases, 1 transaction each): "
            f"{api['cases_per_s']:,.0f} cases/s (median {api['median_ms']:.2f} ms per case)"
        )
    lines.append(
        f"  bulk load, batched Core inserts + FTS + outbox ({bulk['rows']:,} rows): "
        f"{bulk['rows_per_s']:,.0f} rows/s ({bulk['load_s']:.1f} s incl. commit "
        f"{bulk['commit_s']:.2f} s; generating the data took {bulk['generate_s']:.1f} s more)"
    )
    lines.append("")

    head = ("Figure", "Total", "Store", "Baseline", "Speed-up", "Target", "Result")
    widths = (40, 8, 10, 11, 9, 17, 0)
    rows: list[tuple[str, ...]] = []
    fp = f["first_page"]
    rows.append(
        (
            "First page after open",
            f"{fp['total']:,}",
            f"{fp['median_ms']:.1f} ms",
            "",
            "",
            f"≤ {TARGET_FIRST_PAGE_MS:.0f} ms",
            "PASS" if fp["median_ms"] <= TARGET_FIRST_PAGE_MS else "MISS",
        )
    )
    rows.append((
        f"  open {fp['open_median_ms']:.1f} + list {fp['list_median_ms']:.1f} ms",
        "", "", "", "", "", "",
    ))  # fmt: skip
    target = f"≤ {TARGET_SEARCH_MS:.0f} ms, ≥ {TARGET_SPEEDUP:.0f}x"
    for r in f["searches"]:
        rows.append(
            (
                f'Search "{r["query"]}"',
                f"{r['total']:,}",
                f"{r['store_ms']:.1f} ms",
                f"{r['baseline_ms']:.1f} ms",
                f"{r['speedup']:.1f}x",
                target,
                _verdict(r["store_ms"], r["speedup"]),
            )
        )
    for r in f["filters"]:
        rows.append(
            (
                f"Filter {r['category']} {r['category_name']} + {r['status_name']}",
                f"{r['total']:,}",
                f"{r['store_ms']:.1f} ms",
                f"{r['baseline_ms']:.1f} ms",
                f"{r['speedup']:.1f}x",
                target,
                _verdict(r["store_ms"], r["speedup"]),
            )
        )
    for row in (head, *rows):
        cells = [
            _pad(cell, w, right=0 < i < 5) if w else cell
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append(
        f"Cold start also loads the taxonomy table once per process: "
        f"{f['taxonomy_load_ms']:.1f} ms (not in the first-page figure)."
    )
    met = targets(f)
    lines.append(f"Targets met: {sum(ok for _, ok in met)} of {len(met)}.")
    if report.errors:
        lines += [f"WARNING: correctness: {e}" for e in report.errors]
    else:
        lines.append("Correctness: every total and first page matches the baseline and the data.")
    return "\n".join(lines)


def to_json(report: Report) -> str:
    figures = dict(report.figures)
    figures["targets"] = {
        "first_page_ms": TARGET_FIRST_PAGE_MS,
        "search_ms": TARGET_SEARCH_MS,
        "speedup": TARGET_SPEEDUP,
        "met": {name: ok for name, ok in targets(figures)},
    }
    figures["baseline_sql"] = {
        "search": [TEXT_PAGE_SQL, TEXT_COUNT_SQL],
        "filter": [FILTER_PAGE_SQL, FILTER_COUNT_SQL],
    }
    figures["errors"] = report.errors
    figures["ok"] = not report.errors
    return json.dumps(figures, ensure_ascii=False, indent=2)


@contextmanager
def data_dirs(requested: Path | None) -> Iterator[tuple[Path, Path]]:
    """(the store's data dir, a scratch dir for the store-API sample)."""
    if requested is None:
        with tempfile.TemporaryDirectory(prefix="citypatrol-bench-") as tmp:
            yield Path(tmp) / "store", Path(tmp) / "api-sample"
        return
    scratch = requested / "bench-api-sample"
    try:
        yield requested, scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=100_000, help="cases to generate")
    parser.add_argument("--data-dir", type=Path, help="keep the store here (empty or absent)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure")
    parser.add_argument("--api-cases", type=int, default=500, help="cases through create_case")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1 or args.api_cases < 0:
        parser.error("--cases and --repeat must be at least 1, --api-cases at least 0")
    if args.data_dir is not None:
        d = args.data_dir
        if d.exists() and (not d.is_dir() or any(d.iterdir())):
            parser.error(f"--data-dir {d} must be an empty or absent directory")
    with data_dirs(args.data_dir) as (store_dir, scratch):
        report = run(args.cases, args.api_cases, args.repeat, store_dir, scratch)
    print(to_json(report) if args.json else render(report))
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
