"""Translations: complete, compiled, and in step with the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
BIN = Path(sys.executable).parent


def messages(ts: Path) -> list[ET.Element]:
    return list(ET.parse(ts).getroot().iter("message"))


def test_chinese_translation_is_complete() -> None:
    ts = I18N / "citypatrol_zh_CN.ts"
    unfinished = []
    for message in messages(ts):
        translation = message.find("translation")
        assert translation is not None
        forms = [f.text for f in translation.findall("numerusform")] or [translation.text]
        if translation.get("type") in ("unfinished", "vanished", "obsolete") or not all(forms):
            unfinished.append(message.findtext("source"))
    assert not unfinished, f"untranslated in {ts.name}: {unfinished}"
    assert len(messages(ts)) >= 20


def test_english_plural_forms_are_complete() -> None:
    for message in messages(I18N / "citypatrol_en.ts"):
        translation = message.find("translation")
        assert translation is not None and translation.get("type") is None
        assert all(f.text for f in translation.findall("numerusform"))


def test_ts_files_list_every_string_in_the_code(tmp_path: Path) -> None:
    copy = tmp_path / "check.ts"
    shutil.copy(I18N / "citypatrol_zh_CN.ts", copy)
    sources = sorted(str(p) for p in (ROOT / "app" / "ui").rglob("*.py"))
    subprocess.run(
        [
            str(BIN / "pyside6-lupdate"),
            *sources,
            "-ts",
            str(copy),
            "-no-obsolete",
            "-locations",
            "none",
        ],
        check=True,
        capture_output=True,
    )
    before = {m.findtext("source") for m in messages(I18N / "citypatrol_zh_CN.ts")}
    after = {m.findtext("source") for m in messages(copy)}
    assert after == before, f"run scripts/i18n.py: new {after - before}, gone {before - after}"


def test_compiled_qm_files_match_their_sources(tmp_path: Path) -> None:
    for ts in sorted(I18N.glob("*.ts")):
        out = tmp_path / ts.with_suffix(".qm").name
        subprocess.run(
            [str(BIN / "pyside6-lrelease"), "-silent", str(ts), "-qm", str(out)], check=True
        )
        assert out.read_bytes() == ts.with_suffix(".qm").read_bytes(), (
            f"{ts.name}: run scripts/i18n.py"
        )
