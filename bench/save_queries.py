"""How many SQL statements one case save costs in the main window.

Run from the project root (no display needed: Qt's offscreen platform is used)::

    .venv/bin/python bench/save_queries.py [--cases 200] [--json]

A store with ``--cases`` draft cases is opened in the real :class:`MainWindow` (no automatic
sync). The newest case is opened in the editor, its description is edited and the editor saves
it (``save_now()``, what the autosave timer calls). Every statement the store's engine executes
from that moment until the window has settled (every lane idle and no statement for a while) is
counted with a SQLAlchemy ``before_cursor_execute`` listener, and the figure printed — once for
an inspector's window, once with the supervisor's workspace (review, deadlines, dashboard) in
it as well, since a supervisor's window has more panels that could reload.

Figures only; nothing is asserted. For reference (200 cases): before the store events of
issue 11 an inspector's save cost 22 statements and a supervisor's window 27 (the whole list
re-queried, the inbox, review and deadlines, the delivery figures); after, 18 and 16 — the save
itself (10), the saved row re-read where it is shown (2) and the delivery figures (6).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app.domain import CaseFields, load_default_taxonomy  # noqa: E402
from app.storage import LocalStore  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
from app.ui.tasks import TaskRunner  # noqa: E402

QUIET_S = 0.5  # no statement for this long (and every lane idle): the window has settled


def settle(
    app: QApplication, tasks: TaskRunner, statements: list[str], timeout: float = 20
) -> None:
    """Process events until every lane is idle and no statement ran for QUIET_S seconds."""
    deadline = time.monotonic() + timeout
    seen, quiet_since = len(statements), time.monotonic()
    while time.monotonic() < deadline:
        app.processEvents()
        tasks.wait(10)
        app.processEvents()
        if len(statements) != seen or tasks.busy():
            seen, quiet_since = len(statements), time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_S:
            return
        time.sleep(0.005)
    raise TimeoutError("the window did not settle")


def measure(cases: int, supervisor: bool) -> dict[str, Any]:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory() as folder, LocalStore(Path(folder)) as store:
        created = [
            store.create_case(CaseFields(category_code="06010", description=f"暴露垃圾 {index}"))
            for index in range(cases)
        ]
        case_id = created[-1].id
        statements: list[str] = []
        counting = False

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if counting:
                statements.append(statement)

        event.listen(store.engine, "before_cursor_execute", count)
        tasks = TaskRunner()
        window = MainWindow(store, tasks, load_default_taxonomy(), "en", autosync=False)
        if supervisor:
            window._enable_supervisor()  # what signing in as a supervisor adds
        window.show()
        settle(app, tasks, statements)
        assert window.model.rowCount() == cases, "the list did not load"
        # A supervisor opens an existing case in its history, not the editor; the editor is
        # what saves a case, so it is opened as for an inspector (the panels stay in place).
        review, window.review = window.review, None
        window.open_case(case_id)
        window.review = review
        editor = window._editors[-1]
        settle(app, tasks, statements)

        editor.description.setPlainText("暴露垃圾 — edited")  # type: ignore[attr-defined]
        counting = True
        editor.save_now()  # type: ignore[attr-defined]
        settle(app, tasks, statements)
        counting = False
        kinds = Counter(s.split(None, 1)[0].upper() for s in statements)

        window.close()
        tasks.wait()
        event.remove(store.engine, "before_cursor_execute", count)
        window.deleteLater()
        app.processEvents()
        return {
            "statements": len(statements),
            "by_kind": dict(kinds),
            "sql": [" ".join(s.split())[:160] for s in statements],
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show", action="store_true", help="print each statement too")
    args = parser.parse_args()
    results = {
        "inspector": measure(args.cases, supervisor=False),
        "supervisor": measure(args.cases, supervisor=True),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for who, result in results.items():
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(result["by_kind"].items()))
        print(f"{who:>10}: {result['statements']} SQL statements per case save ({kinds})")
        if args.show:
            for statement in result["sql"]:
                print(f"            {statement}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
