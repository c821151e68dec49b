"""Checklist templates edited in the app (issue 18), through the widgets against a real server:
an admin's laptop edits the loaded template (an item added, a cap changed) and publishes
version 2; an inspector's laptop syncing receives it and scores an inspection with it. An
invalid edit shows every problem and publishes nothing; a publish offline, or of a version
taken meanwhile, says so and keeps the edit in the dialog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ApiClient, ServerProcess, run_server_cli
from inspection_http import TEMPLATE
from laptops import inspections_page, laptop, sync, with_street
from pytestqt.qtbot import QtBot

from app.domain.checklists import load_template_file
from app.storage import LocalStore
from app.storage.checklists import latest_version, store_template_version
from app.ui.inspections.checklists_tab import ChecklistsPanel
from app.ui.inspections.template_editor import (
    CAP,
    CODE,
    DEDUCTION,
    POINTS,
    TEXT_EN,
    TEXT_ZH,
    TemplateEditor,
)
from app.ui.main_window import MainWindow
from app.ui.tasks import TaskRunner


@pytest.fixture
def server(server: ServerProcess) -> ServerProcess:
    """The demo server with the checklist and the street to inspect."""
    return with_street(server)


def checklists_tab(qtbot: QtBot, window: MainWindow) -> ChecklistsPanel:
    qtbot.waitUntil(lambda: window.checklists is not None, timeout=10_000)
    panel = window.checklists
    assert panel is not None
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.list.topLevelItemCount() == 1, timeout=10_000)
    return panel


def edit_first(panel: ChecklistsPanel) -> TemplateEditor:
    panel.list.setCurrentItem(panel.list.topLevelItem(0))
    assert panel.edit_button.isEnabled()
    panel.edit_button.click()
    editor = panel.editor
    assert editor is not None and editor.isVisible()
    return editor


def server_versions(server: ServerProcess) -> list[int]:
    with ApiClient(server, "admin").http as http:
        rows = http.get("/api/v1/checklists", params={"all_versions": "true"}).json()
    return [r["version"] for r in rows if r["code"] == "street-sanitation"]


def test_admin_edits_and_publishes_and_an_inspector_scores_with_it(
    qtbot: QtBot, tasks: TaskRunner, server: ServerProcess, tmp_path: Path
) -> None:
    admin = laptop(qtbot, tasks, server, tmp_path / "admin", "admin")
    sync(qtbot, admin)
    panel = checklists_tab(qtbot, admin)
    row = panel.list.topLevelItem(0)
    assert [row.text(c) for c in range(6)] == [
        "Street sanitation (contracted cleaning)", "street-sanitation", "Street section",
        "1", "7", "100",
    ]  # fmt: skip
    editor = edit_first(panel)
    assert editor.version_spin.value() == 2  # the next version
    assert editor.problems == [] and editor.publish_button.isEnabled()

    # A1's cap 10 → 8; a new item A4 (10 points, 2 each) after A3.
    road = editor.tree.topLevelItem(0)
    road.child(0).setText(CAP, "8")
    editor.tree.setCurrentItem(road.child(2))
    editor.add_item_button.click()
    added = road.child(3)
    assert added.text(CODE) == "A4"
    added.setText(TEXT_ZH, "人行道有积雪未清")
    added.setText(TEXT_EN, "Snow left on the pavement")
    added.setText(DEDUCTION, "2")
    assert added.text(POINTS) == "10"
    # The declared total no longer adds up: said, with its path, and nothing can be published.
    assert [p.path for p in editor.problems] == ["$.total"]
    assert not editor.publish_button.isEnabled()
    assert "$.total" in editor.problem_list.item(0).text()
    editor.total_edit.setText("110")
    assert editor.problems == [] and editor.publish_button.isEnabled()
    assert "A Road surface: at most 33 of its 50 points" in editor.preview_label.text()
    assert "C1 makes the score 0" in editor.preview_label.text()

    with qtbot.waitSignal(editor.published, timeout=30_000) as published:
        editor.publish_button.click()
    assert published.args[0].version == 2
    assert "Published" in editor.status_label.text() and "version 2" in editor.status_label.text()
    # On this laptop at once: the list shows version 2 before any sync.
    qtbot.waitUntil(lambda: panel.list.topLevelItem(0).text(3) == "2", timeout=10_000)
    assert panel.list.topLevelItem(0).text(4) == "8"
    assert server_versions(server) == [1, 2]
    # Publishing the same again is a no-op on the server, said so.
    with qtbot.waitSignal(editor.published, timeout=30_000):
        editor.publish_button.click()
    assert "nothing changed" in editor.status_label.text()
    editor.close()

    # An inspector's laptop receives version 2 with its sync and scores with it.
    inspector = laptop(qtbot, tasks, server, tmp_path / "inspector", "demo")
    inspections = inspections_page(qtbot, inspector)
    inspections.object_combo.setCurrentIndex(
        inspections.object_combo.findData("street_section:S-001")
    )
    with qtbot.waitSignal(inspections.shown, timeout=10_000):
        inspections.begin_button.click()
    assert inspections.current is not None and inspections.current.template.version == 2
    assert "Score 110 / 110" in inspections.score_label.text()
    for count, code in enumerate(["A1"] * 5 + ["A4"], start=1):
        inspections.item_combo.setCurrentIndex(inspections.item_combo.findData(code))
        inspections.add_button.click()
        qtbot.waitUntil(
            lambda n=count: inspections.deductions.topLevelItemCount() == n, timeout=10_000
        )
    # A1: 5 × 2 = 10, capped at the new 8; A4: 2: 110 − 10 = 100.
    assert "Score 100 / 110" in inspections.score_label.text()
    assert "capped at 8" in inspections.how_label.text() and "A4: 1 × 2 = 2" in (
        inspections.how_label.text()
    )


def test_an_invalid_edit_shows_every_problem_and_publishes_nothing(
    qtbot: QtBot, tasks: TaskRunner, server: ServerProcess, tmp_path: Path
) -> None:
    admin = laptop(qtbot, tasks, server, tmp_path / "admin", "admin")
    sync(qtbot, admin)
    editor = edit_first(checklists_tab(qtbot, admin))
    road = editor.tree.topLevelItem(0)
    road.child(0).setText(CAP, "30")  # above its 20 points
    road.child(1).setText(POINTS, "ten")
    editor.name_zh.setText("")
    paths = [p.path for p in editor.problems]
    assert paths == [
        "$.name",
        "$.sections[0].items[0].cap",
        "$.sections[0].items[1].points",
        "$.sections[0].items[1].deduction",
    ]
    shown = [editor.problem_list.item(i).text() for i in range(editor.problem_list.count())]
    assert shown[1] == "$.sections[0].items[0].cap: the cap 30 exceeds the item's points 20"
    assert "4 problems" in editor.check_label.text()
    assert not editor.publish_button.isEnabled()
    # A click on a problem selects its entry in the tree.
    editor.problem_list.itemClicked.emit(editor.problem_list.item(1))
    assert editor.tree.currentItem() is road.child(0)
    editor.publish()  # even called directly: refused here, nothing sent
    assert editor.error_label.isVisible() and "nothing was published" in editor.error_label.text()
    qtbot.wait(200)
    assert server_versions(server) == [1]
    assert latest_version(admin._store, "street-sanitation") == 1


def test_publishing_offline_or_a_version_taken_keeps_the_edit(
    qtbot: QtBot, tasks: TaskRunner, server: ServerProcess, tmp_path: Path
) -> None:
    admin = laptop(qtbot, tasks, server, tmp_path / "admin", "admin")
    sync(qtbot, admin)
    editor = edit_first(checklists_tab(qtbot, admin))
    editor.tree.topLevelItem(0).child(0).setText(CAP, "6")
    edited = editor.document()

    # Someone loads version 2 on the server first: the publish is refused, saying which version.
    taken = json.loads(TEMPLATE.read_text(encoding="utf-8")) | {"version": 2, "total": 100}
    other = tmp_path / "v2.json"
    taken["sections"][1]["items"][0]["cap"] = 10
    other.write_text(json.dumps(taken, ensure_ascii=False), encoding="utf-8")
    assert run_server_cli(server, "checklist", "load", str(other)).returncode == 0
    editor.publish_button.click()
    qtbot.waitUntil(editor.error_label.isVisible, timeout=30_000)
    assert "Set the version to 3" in editor.error_label.text()
    assert editor.status_label.text() == "Not published: your edit is still here."
    assert editor.document() == edited and editor.isVisible()

    # Offline: said so; the edit stays, and nothing is stored on this laptop.
    server.stop()
    editor.version_spin.setValue(3)
    editor.error_label.hide()
    editor.publish_button.click()
    qtbot.waitUntil(editor.error_label.isVisible, timeout=60_000)
    assert "No connection to the server" in editor.error_label.text()
    assert editor.document() == {**edited, "version": 3}
    assert editor.tree.topLevelItem(0).child(0).text(CAP) == "6"
    assert latest_version(admin._store, "street-sanitation") == 1
    assert editor.publish_button.isEnabled()  # ready to try again


def test_import_a_yaml_file_fix_it_and_save_it(
    qtbot: QtBot, tasks: TaskRunner, tmp_path: Path
) -> None:
    """Import file… opens even a broken template, with its problems; Save to file… writes
    JSON or YAML by the name, read back by the same parser (no server needed)."""
    store = LocalStore(tmp_path / "laptop")
    sample = load_template_file(TEMPLATE.name, TEMPLATE.read_bytes())
    store_template_version(store, sample)
    panel = ChecklistsPanel(store, tasks, "en")
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.list.topLevelItemCount() == 1, timeout=10_000)

    broken = tmp_path / "market.yaml"
    broken.write_text(
        "code: market\nversion: 1\nobject_kind: market\nname: 农贸市场检查\n"
        "sections:\n  - code: A\n    name: 地面\n    items:\n"
        "      - {code: A1, text: 地面有积水, points: 5, cap: 8}\n",
        encoding="utf-8",
    )
    panel.import_file(broken)
    qtbot.waitUntil(lambda: panel.editor is not None, timeout=10_000)
    editor = panel.editor
    assert editor is not None
    assert [p.path for p in editor.problems] == ["$.sections[0].items[0].cap"]
    assert editor.kind_combo.currentData() == "market" and editor.name_en.text() == "农贸市场检查"
    editor.tree.topLevelItem(0).child(0).setText(CAP, "4")
    assert editor.problems == []
    # Sections and items are added, moved and removed; the document follows the tree.
    added = editor.add_section()
    assert added.text(CODE) == "B" and added.child(0).text(CODE) == "B1"
    assert [p.path for p in editor.problems] == [
        "$.sections[1].name",
        "$.sections[1].items[0].text",
    ]
    editor.move_selected(-1)
    assert [s["code"] for s in editor.document()["sections"]] == ["B", "A"]
    editor.tree.setCurrentItem(added.child(0))
    second = editor.add_item()
    assert second is not None and second.text(CODE) == "B2"
    editor.move_selected(-1)
    assert [i["code"] for i in editor.document()["sections"][0]["items"]] == ["B2", "B1"]
    editor.tree.setCurrentItem(added)
    editor.remove_selected()
    assert [s["code"] for s in editor.document()["sections"]] == ["A"] and editor.problems == []
    saved = tmp_path / "market-fixed.yml"
    editor.save_to_file(saved)
    qtbot.waitUntil(lambda: "Saved to" in editor.status_label.text(), timeout=10_000)
    fixed = load_template_file(saved.name, saved.read_bytes())
    assert fixed.items()[0].cap == 4 and fixed.name.zh == "农贸市场检查"

    panel.list.setCurrentItem(panel.list.topLevelItem(0))
    out = tmp_path / "sample.json"
    panel.save_selected(out)
    qtbot.waitUntil(out.exists, timeout=10_000)
    assert load_template_file(out.name, out.read_bytes()) == sample

    not_a_checklist = tmp_path / "list.json"
    not_a_checklist.write_text("[1, 2]", encoding="utf-8")
    editor.close()
    panel.editor = None
    panel.import_file(not_a_checklist)
    qtbot.waitUntil(panel.error_label.isVisible, timeout=10_000)
    assert "does not hold a checklist" in panel.error_label.text() and panel.editor is None
