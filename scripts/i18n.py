"""Refresh the translation sources and compile them.

    .venv/bin/python scripts/i18n.py          # lupdate (.ts from the code), then lrelease (.qm)

Chinese (zh_CN) translates every string; English is the source language, so its file holds
only the plural forms ("%n case(s)"). Translate new strings in Qt Linguist
(``pyside6-linguist resources/i18n/citypatrol_zh_CN.ts``) or by editing the XML; the test
suite fails on any string left unfinished.
"""

from __future__ import annotations

import subprocess
import sys
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


def main() -> None:
    lupdate(I18N / "citypatrol_zh_CN.ts")
    lupdate(I18N / "citypatrol_en.ts", "-pluralonly")
    for ts in sorted(I18N.glob("*.ts")):
        lrelease(ts, ts.with_suffix(".qm"))


if __name__ == "__main__":
    main()
