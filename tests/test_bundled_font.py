"""Documents carry their font: a bulletin written where fontconfig knows no font at all still
has its Chinese text (read back with pdftotext), drawn with the bundled CityPatrol Sans SC."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def no_font_environment(tmp_path: Path) -> dict[str, str]:
    """Fontconfig pointed at one empty folder: no system font, CJK or other, is visible."""
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{empty}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("FONTCONFIG_PATH", None)
    return env


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_bulletin_keeps_its_chinese_without_system_fonts(tmp_path: Path) -> None:
    env = no_font_environment(tmp_path)
    listed = subprocess.run(["fc-list"], env=env, capture_output=True, text=True, check=False)
    assert listed.stdout.strip() == "", "the test environment must see no system fonts"
    data = tmp_path / "data"
    out = tmp_path / "通报.pdf"
    run = [sys.executable, "-m", "app", "--data-dir", str(data)]
    created = subprocess.run(
        [*run, "case", "new", "--category", "06010", "--description", "暴露垃圾"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    written = subprocess.run(
        [*run, "report", "bulletin", "--from", "2026-01-01", "--to", "2026-12-31", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "通报" in text or "城市" in text, text[:500]
    # Its fixed wording is Chinese; some of it, whatever the layout, must read back.
    assert sum("\u4e00" <= c <= "\u9fff" for c in text) > 20, text[:500]
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True)
    assert "CityPatrolSansSC" in fonts.stdout, fonts.stdout


def test_bundled_font_registers_once(qapp: object) -> None:
    from app.documents.fonts import BUNDLED_FAMILY, document_families, register_bundled_fonts

    assert register_bundled_fonts() == [BUNDLED_FAMILY]
    assert document_families()[0] == BUNDLED_FAMILY
    assert register_bundled_fonts() == [BUNDLED_FAMILY]
