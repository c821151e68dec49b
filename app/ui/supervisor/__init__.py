"""The supervisor's workspace (受理、立案、派遣、结案): one module per screen.

- :mod:`.review` — :class:`ReviewPanel`, the review queue (accept, reject, return, in bulk);
- :mod:`.decision` — :class:`DecisionDialog`, one decision with only the fields its action
  needs (:data:`app.domain.lifecycle.NEEDS`);
- :mod:`.case_detail` — :class:`CaseDetailDialog`, a case's whole history, deadline, photos,
  PDF report and the actions now;
- :mod:`.deadlines` — :class:`AssignmentsPanel`, the dispatched cases overdue or due soon;
- :mod:`.map` — :class:`SupervisorMapPanel`, the cases on the map by traffic light, filtered,
  with a density view;
- :mod:`.requests` — :class:`RequestsPanel`, the departments' requests to approve or refuse;
- :mod:`.base` — what the screens share beyond :mod:`app.ui.common` (the clock, the item role).

Adding a screen (a map, a requests queue, inspections …): a module of its own here that builds
on :mod:`app.ui.common` (words, colours, error labels, thumbnails) and reads through the Qt-free
store functions (:mod:`app.storage.supervision`, :mod:`app.storage.deadlines` …) in the database
lane; export its class below; the main window adds it as a tab. Screens do not import each other
except to open one another (the case history opens the decision dialog).

Every read and write runs in the database lane; a decision goes to the server with the next
sync. Errors are shown inline, never in a modal message box.
"""

from __future__ import annotations

from app.storage.deadlines import DeadlineRow, DeadlineState, deadline_rows, deadline_state
from app.ui.common.style import LIGHT_COLOURS
from app.ui.common.widgets import TrafficLightLabel
from app.ui.supervisor.base import ITEM_ROLE, Clock, utc_now
from app.ui.supervisor.case_detail import CaseDetailDialog
from app.ui.supervisor.deadlines import AssignmentsPanel
from app.ui.supervisor.decision import DecisionDialog
from app.ui.supervisor.map import SupervisorMapPanel
from app.ui.supervisor.requests import RequestsPanel
from app.ui.supervisor.review import ReviewPanel

__all__ = [
    "ITEM_ROLE",
    "LIGHT_COLOURS",
    "AssignmentsPanel",
    "CaseDetailDialog",
    "Clock",
    "DeadlineRow",
    "DeadlineState",
    "DecisionDialog",
    "RequestsPanel",
    "ReviewPanel",
    "SupervisorMapPanel",
    "TrafficLightLabel",
    "deadline_rows",
    "deadline_state",
    "utc_now",
]
