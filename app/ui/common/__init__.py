"""UI pieces shared by every screen: words, colours, small widgets, photo thumbnails.

- :mod:`app.ui.common.text` — how values read (actions, statuses, roles, errors, refusal
  reasons, times, categories, percentages);
- :mod:`app.ui.common.style` — the colours (errors, warnings, the traffic light, decision
  states) and the coloured dots drawn from them;
- :mod:`app.ui.common.widgets` — error labels, bold and selectable labels, the traffic light
  label, thumbnail icons;
- :mod:`app.ui.common.thumbnails` — a case's photos as a strip of thumbnails.

Screens import these modules directly; this package imports none of them, so a module of
:mod:`app.ui` that the pieces themselves use (the photo viewer) can still use the pieces.
"""
