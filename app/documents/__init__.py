"""The documents a supervisor prints — the periodic bulletin (定期通报) and the case report — as
PDF files (:mod:`app.documents.pdf`).

Not part of :mod:`app.ui`: the CLI (``citypatrol report bulletin``) and the benchmark render
them without any window, so this package uses QtGui only — never QtWidgets nor ``app.ui``
(``tests/test_layering.py``) — and needs just a :class:`QGuiApplication`, offscreen will do.
The data comes ready from :mod:`app.storage.bulletin`.
"""
