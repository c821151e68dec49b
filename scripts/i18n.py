"""Refresh the translation sources and compile them.

    .venv/bin/python scripts/i18n.py          # lupdate (.ts from the code), then lrelease (.qm)
    .venv/bin/python scripts/i18n.py --fill new-strings.json   # also fill Chinese from a file

Chinese (zh_CN) translates every string; English is the source language, so its file holds
only the plural forms ("%n case(s)"). Translate new strings in Qt Linguist
(``pyside6-linguist resources/i18n/citypatrol_zh_CN.ts``) or by editing the XML; the test
suite fails on any string left unfinished.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
BIN = Path(sys.executable).parent


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app" / "ui").rglob("*.py"))


def lupdate(ts: Path, *extra: str) -> None:
    subprocess.run(
        [
            str(BIN / "pyside6-lupdate"),
            *sources(),
            "-ts",
            str(ts),
            "-no-obsolete",
            "-locations",
            "none",
            *extra,
        ],
        cwd=ROOT,
        check=True,
    )


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run(
        [str(BIN / "pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)], cwd=ROOT, check=True
    )


def english_plurals(source: str) -> tuple[str, str]:
    """``"%n photo(s)"`` → ``("%n photo", "%n photos")``; ``"%n case(s) waiting"`` likewise."""
    return source.replace("(s)", "").replace("(es)", ""), source.replace("(s)", "s").replace(
        "(es)", "es"
    )


def fill(ts: Path, translations: dict[str, dict[str, str]], *, english: bool) -> list[str]:
    """Fill unfinished messages of ``ts``; returns the sources still without a translation."""
    tree = ET.parse(ts)
    missing = []
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            translation = message.find("translation")
            if translation is None:
                continue
            forms = translation.findall("numerusform")
            done = translation.get("type") is None and (
                all(f.text for f in forms) if forms else bool(translation.text)
            )
            if done:
                continue
            if english:
                values = list(english_plurals(source))
            else:
                text = translations.get(name, {}).get(source)
                if text is None:
                    missing.append(f"{name}: {source}")
                    continue
                values = [text]
            if forms:
                for form, value in zip(forms, values * len(forms), strict=False):
                    form.text = value
            else:
                translation.text = values[0]
            translation.attrib.pop("type", None)
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    return missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--fill",
        type=Path,
        nargs="*",
        default=[],
        help='JSON files {"Context": {"English source": "中文"}} filling untranslated strings',
    )
    args = parser.parse_args()
    lupdate(I18N / "citypatrol_zh_CN.ts")
    lupdate(I18N / "citypatrol_en.ts", "-pluralonly")
    translations: dict[str, dict[str, str]] = {}
    for path in args.fill:
        for context, strings in json.loads(path.read_text(encoding="utf-8")).items():
            translations.setdefault(context, {}).update(strings)
    missing = fill(I18N / "citypatrol_zh_CN.ts", translations, english=False)
    fill(I18N / "citypatrol_en.ts", {}, english=True)
    for ts in sorted(I18N.glob("*.ts")):
        lrelease(ts, ts.with_suffix(".qm"))
    for line in missing:
        print(f"untranslated: {line}")


if __name__ == "__main__":
    main()
