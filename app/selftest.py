"""``citypatrol --self-test``: a headless smoke test of the installed (or frozen) app.

It exercises the parts a broken install or bundle most often lacks: the store with its
migrations and full-text search, the bundled taxonomy, photo decoding, PDF output with Chinese
text, and the main window built offscreen. Exit code 0 means every check passed.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from app.domain.taxonomy import load_default_taxonomy
from app.domain.validation import CaseFields


def run_self_test(data_dir: Path | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="citypatrol-selftest-") as tmp:
        work = Path(tmp)
        target = data_dir or work / "data"
        checks: list[tuple[str, Callable[[], str]]] = [
            ("taxonomy", _check_taxonomy),
            ("store", lambda: _check_store(target, work)),
            ("photo", lambda: _check_photo(work)),
            ("pdf", lambda: _check_pdf(work)),
            ("window", lambda: _check_window(target)),
            ("charts", _check_charts),
            ("map", lambda: _check_map(work)),
        ]
        failed = 0
        for name, check in checks:
            started = time.perf_counter()
            try:
                detail = check()
            except Exception:
                failed += 1
                print(f"FAIL {name}", file=sys.stderr)
                traceback.print_exc()
            else:
                print(f"ok   {name:9} {detail} ({(time.perf_counter() - started) * 1000:.0f} ms)")
    print("self-test passed" if not failed else f"self-test FAILED ({failed} checks)")
    return 0 if not failed else 1


def _check_taxonomy() -> str:
    taxonomy = load_default_taxonomy()
    matter = taxonomy.matter("06010")
    if matter is None or not matter.name_en:
        raise AssertionError("matter 06010 missing from the bundled taxonomy")
    return f"{len(taxonomy.components)} components, {len(taxonomy.matters)} matters"


def _check_store(data_dir: Path, work: Path) -> str:
    from PIL import Image

    from app.storage import CaseQuery, LocalStore

    photo = work / "selftest.png"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(photo)
    with LocalStore(data_dir) as store:
        created = store.create_case(
            CaseFields(
                category_code="06010",
                description="自检：人民路暴露垃圾",
                address="自检路1号",
                lat=31.23,
                lon=121.47,
            )
        )
        store.attach_photo(created.id, photo)
        row = store.get_case(created.id)
        if row.description != "自检：人民路暴露垃圾" or row.photo_count != 1:
            raise AssertionError(f"read back a different case: {row}")
        found = [r.id for r in store.list_cases(CaseQuery(text="垃圾")).rows]
        if created.id not in found:
            raise AssertionError("full-text search did not find the new case")
        integrity = store.integrity_check()
        if integrity != "ok":
            raise AssertionError(f"integrity_check: {integrity}")
    return f"case {created.id[:8]}… written, read, found"


def _check_photo(work: Path) -> str:
    """Photo metadata and thumbnails go through the decoder worker process: prove it starts."""
    from PIL import Image

    from app.capture.photos import inspect_photo, make_thumbnail

    path = work / "selftest-photo.jpg"
    image = Image.new("RGB", (640, 480), (30, 160, 90))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "CityPatrol"
    image.save(path, format="JPEG", exif=exif)
    info = inspect_photo(path)
    if (info.display_width, info.display_height, info.make) != (480, 640, "CityPatrol"):
        raise AssertionError(f"read back different metadata: {info}")
    thumbnail = make_thumbnail(path, 128)
    with Image.open(io.BytesIO(thumbnail)) as thumb:
        if thumb.size != (96, 128):
            raise AssertionError(f"thumbnail ignores the orientation: {thumb.size}")
    return f"orientation {info.orientation}, thumbnail 96x128"


def _check_pdf(work: Path) -> str:
    from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument

    from app.ui.application import create_application

    create_application("zh_CN")
    out = work / "selftest.pdf"
    writer = QPdfWriter(str(out))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    document = QTextDocument()
    document.setHtml("<h1>城市巡查 自检</h1><p>CityPatrol self-test 暴露垃圾</p>")
    document.print_(writer)
    del writer
    size = out.stat().st_size
    if size < 500:
        raise AssertionError(f"PDF too small: {size} bytes")
    return f"{size} bytes"


def _check_map(work: Path) -> str:
    """A basemap of a PNG and a JPEG tile is read and drawn (the image plugins are bundled)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    from app.geo.mbtiles import write_mbtiles
    from app.geo.tiles import Viewport
    from app.maprender.image import render_image
    from app.ui.application import create_application

    create_application("zh_CN")

    def encoded(colour: str, fmt: str) -> bytes:
        image = QImage(256, 256, QImage.Format.Format_RGB32)
        image.fill(QColor(colour))
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, fmt)
        return bytes(data.data())

    # Zoom 1: the western tiles red (PNG), the eastern ones blue (JPEG, a lossy near-blue).
    tiles = [(1, 0, y, encoded("#ff0000", "PNG")) for y in (0, 1)]
    tiles += [(1, 1, y, encoded("#0000ff", "JPG")) for y in (0, 1)]
    path = write_mbtiles(
        work / "selftest.mbtiles",
        {"name": "self-test", "format": "png", "minzoom": "1", "maxzoom": "1"},
        tiles,
    )
    image = render_image(path, center=(0.0, 0.0), zoom=2, size=(200, 100), markers=[(0.0, 0.0)])
    west = QColor(image.pixel(20, 20))
    east = QColor(image.pixel(180, 20))
    if west.red() < 200 or east.blue() < 200 or east.red() > 60:
        raise AssertionError(f"tiles not drawn: west {west.name()}, east {east.name()}")
    view = Viewport(0.0, 0.0, 2, 200, 100)
    x, y = view.to_screen(0.0, 0.0)
    if QColor(image.pixel(int(x), int(y))).name() != "#e4007f":
        raise AssertionError("the marker is not on its position")
    return "PNG and JPEG tiles, over-zoom, marker"


def _check_charts() -> str:
    """Qt Charts (the supervisor's dashboard) is in the bundle and draws."""
    from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView
    from PySide6.QtCore import QSize, Qt

    from app.ui.application import create_application

    create_application("zh_CN")
    chart = QChart()
    bars = QBarSet("按期处置率")
    bars.append([80.0, 65.5])
    series = QBarSeries()
    series.append(bars)
    chart.addSeries(series)
    axis = QBarCategoryAxis()
    axis.append(["环境卫生管理处", "市政设施管理处"])
    chart.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(axis)
    view = QChartView(chart)
    view.resize(QSize(320, 200))
    image = view.grab().toImage()
    if image.isNull() or image.width() != 320:
        raise AssertionError("the chart did not draw")
    return f"{image.width()}x{image.height()}"


def _check_window(data_dir: Path) -> str:
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    from app.storage import LocalStore
    from app.ui.application import create_application
    from app.ui.main_window import MainWindow
    from app.ui.tasks import TaskRunner

    app = create_application("zh_CN")
    with LocalStore(data_dir) as store:
        tasks = TaskRunner()
        window = MainWindow(store, tasks, load_default_taxonomy(), "zh_CN")
        window.show()
        deadline = QDeadlineTimer(10_000)
        while window.model.rowCount() == 0 and not deadline.hasExpired():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        rows = window.model.rowCount()
        image = window.grab()
        window.close()
        tasks.wait()
    if rows < 1:
        raise AssertionError("the main window listed no cases")
    if image.isNull():
        raise AssertionError("the main window could not be rendered")
    return f"{rows} row(s), {image.width()}x{image.height()} offscreen"
