"""The supervisor's Map tab: cases by traffic light, the filters, the density view."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.domain import CaseFields
from app.domain.lifecycle import Action, CaseStatus
from app.domain.validation import Urgency
from app.geo.basemaps import BasemapRegistry
from app.storage import LocalStore
from app.storage.map_points import SupervisorFilter, supervisor_points
from app.storage.models import Case, CaseStep, Department
from app.ui.supervisor import SupervisorMapPanel
from app.ui.tasks import TaskRunner

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
#: Around 贵溪's centre (the sample basemap's area).
CENTRE = (28.3005, 117.2150)


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.wait()


def dispatched(
    store: LocalStore, case_id: str, department: str, days_ago: float, limit: float
) -> None:
    """Make ``case_id`` dispatched ``days_ago`` with a limit of ``limit`` days (a local log)."""
    start = NOW - timedelta(days=days_ago)
    with store.write() as s:
        case = s.scalars(select(Case).where(Case.id == case_id)).one()
        case.status = CaseStatus.DISPATCHED.value
        case.department_id = department
        case.deadline = start + timedelta(days=limit)
        s.add(
            CaseStep(
                id=str(uuid.uuid4()),
                case_id=case_id,
                action=Action.DISPATCH.value,
                from_status=CaseStatus.REGISTERED.value,
                to_status=CaseStatus.DISPATCHED.value,
                role="supervisor",
                at=start,
                department_id=department,
                deadline=case.deadline,
                attachments=[],
            )
        )


@pytest.fixture
def office(data_dir: Path, samples: Path) -> LocalStore:
    store = LocalStore(data_dir)
    department = str(uuid.uuid4())
    with store.write() as s:
        s.add(Department(id=department, code="HW", name="环卫处", name_en="Sanitation"))
    ids = []
    # A cluster of twelve problems near the centre, and three spread out.
    spots = [(CENTRE[0] + 0.0004 * (i % 4), CENTRE[1] + 0.0004 * (i // 4)) for i in range(12)]
    spots += [(28.2900, 117.2000), (28.3100, 117.2400), (28.2950, 117.2450)]
    for lat, lon in spots:
        fields = CaseFields(
            category_code="06010",
            description="暴露垃圾",
            urgency=Urgency.NORMAL,
            lat=lat,
            lon=lon,
            accuracy_m=5.0,
        )
        ids.append(store.create_case(fields).id)
    dispatched(store, ids[0], department, days_ago=10, limit=3)  # overdue: red
    dispatched(store, ids[1], department, days_ago=1, limit=10)  # green
    BasemapRegistry(data_dir).add(samples / "map" / "town.mbtiles", name="town")
    return store


def test_points_carry_the_traffic_light_and_filters_narrow_them(office: LocalStore) -> None:
    every = supervisor_points(office, NOW, SupervisorFilter())
    assert len(every) == 15
    keys = dict(zip(every.ids, every.statuses, strict=True))
    assert sorted(k for k in keys.values() if k.startswith("light_")) == [
        "light_green",
        "light_red",
    ]
    overdue = supervisor_points(office, NOW, SupervisorFilter(overdue_only=True))
    assert overdue.statuses == ["light_red"]
    drafts = supervisor_points(
        office, NOW, SupervisorFilter(statuses=frozenset({CaseStatus.DRAFT}))
    )
    assert len(drafts) == 13


def test_the_tab_filters_and_shows_density(
    qtbot: QtBot, office: LocalStore, runner: TaskRunner
) -> None:
    panel = SupervisorMapPanel(office, runner, "en", clock=lambda: NOW)
    qtbot.addWidget(panel)
    panel.resize(900, 650)
    with qtbot.waitSignal(panel.map.cases_loaded, timeout=10_000):
        panel.show()
    qtbot.waitUntil(lambda: panel.map.basemap is not None, timeout=10_000)
    qtbot.waitUntil(lambda: panel.department_filter.count() == 2, timeout=10_000)
    assert panel.count_label.text().startswith("15 case")  # plural forms: tests/test_i18n.py

    with qtbot.waitSignal(panel.map.cases_loaded, timeout=10_000) as loaded:
        panel.overdue_check.setChecked(True)
    assert loaded.args == [1]
    with qtbot.waitSignal(panel.map.cases_loaded, timeout=10_000):
        panel.overdue_check.setChecked(False)

    panel.map.center_on(*CENTRE, 16)
    plain = panel.map.grab().toImage()
    panel.density_button.setChecked(True)
    assert panel.map.layers.density
    heat = panel.map.grab().toImage()
    # Over the cluster the heat map tints the basemap red-orange; far from any case it does not.
    x, y = (round(v) for v in panel.map.view.to_screen(CENTRE[0] + 0.0006, CENTRE[1] + 0.0006))
    before, after = QColor(plain.pixel(x + 14, y + 14)), QColor(heat.pixel(x + 14, y + 14))
    assert after.red() >= after.blue() + 60 and after != before
    corner_before, corner_after = QColor(plain.pixel(5, 60)), QColor(heat.pixel(5, 60))
    assert corner_before == corner_after


def test_the_status_bar_shows_a_basemap_download(qtbot: QtBot) -> None:
    from app.sync.engine import Progress
    from app.ui.sync_status import SyncStatusWidget

    status = SyncStatusWidget("en")
    qtbot.addWidget(status)
    status.on_progress(Progress("basemaps", 0, 1, 1_000_000, 2_000_000, "贵溪"))
    assert status.progress_bar.format() == "Basemap 贵溪 · 1.0/2.0 MB"
    assert status.progress_bar.value() == status.progress_bar.maximum() // 2


def test_clusters_count_their_overdue_cases_at_every_zoom() -> None:
    from app.maprender.render import CaseLayer

    lats = [CENTRE[0] + 0.0001 * i for i in range(30)]
    lons = [CENTRE[1] + 0.0001 * i for i in range(30)]
    keys = ["light_red" if i % 10 == 0 else "submitted" for i in range(30)]
    layer = CaseLayer([str(i) for i in range(30)], lats, lons, keys)
    for zoom in (10, 13, 15, 17):
        cells = layer.index.level(zoom).values()
        assert sum(c.flagged for c in cells) == 3
        assert sum(c.count for c in cells) == 30
