"""A department's workspace (issue 15: 签收、处置、申请): one module per screen.

- :mod:`.workspace` — :class:`HandlerPanel`, the department's task list (open assignments with
  their traffic lights, the most urgent first) and the steps on the selected task: sign for it,
  report it handled, ask for an extension, a return or a suspension;
- :mod:`.handled` — :class:`HandledDialog`, the report of handling with its opinion and the
  "after" photos it needs.

The requests themselves are asked in :class:`app.ui.supervisor.DecisionDialog` (the fields each
needs are the shared rules' data); the answers arrive through the feed. Every read and write
runs in the database lane, like the supervisor's screens.
"""

from __future__ import annotations

from app.ui.handler.handled import HandledDialog
from app.ui.handler.workspace import HandlerPanel

__all__ = ["HandledDialog", "HandlerPanel"]
