"""Drawing the map with QtGui only (QImage/QPainter): no widgets, so it works headless.

One drawing code for the map widget (:mod:`app.ui.map_view`), ``citypatrol map render`` and,
later, the maps in the PDFs (:mod:`app.documents`). :mod:`app.maprender.render` draws a
:class:`~app.geo.tiles.Viewport` of a basemap with its layers; :mod:`app.maprender.tiles`
decodes tiles (synchronously for the CLI; the widget decodes them in the background).
"""
