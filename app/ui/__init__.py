"""The PySide6 desktop client: windows, dialogs, models/views. The only package that imports Qt's
widgets (app.documents draws PDFs with QtGui alone); it never touches SQL."""
