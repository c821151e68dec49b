"""Make the CJK font the client carries: Noto Sans CJK SC cut down to the characters it needs.

    python3 -m uv run --no-project --with 'fonttools==4.*' python scripts/subset_font.py

(fontTools is needed only here, not by the app, so it stays out of the locked environment; the
source font too: `apt-get install fonts-noto-cjk`, 90 MB, and remove it after — with it installed
system-wide, text Qt draws with it in a PDF loses its Latin runs to pdftotext, see the
layout_features note below, which is why it is not in scripts/setup.sh.)
Reads Debian's fonts-noto-cjk (NotoSansCJK-{Regular,Bold}.ttc, face 2 = SC, SIL OFL 1.1) and
writes resources/fonts/CityPatrolSansSC-{Regular,Bold}.ttf (TrueType outlines) with every character of GB 2312
(the 6,763 common hanzi and its symbols), Latin-1, general and CJK punctuation, full-width forms,
and every character of the app's Chinese translations and category table — about 2 MB a face
instead of 19 MB for the whole collection. A rarer character (a name, an old street) falls back to
the system's fonts.

The subset is renamed "CityPatrol Sans SC": the OFL lets a modified font ship under another
name (the upstream Reserved Font Name is "Source"; "Noto" is not reserved, but a subset under the
full font's name would shadow the full font where it is installed).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto")
OUT = ROOT / "resources" / "fonts"
FACE_SC = 2
FAMILY = "CityPatrol Sans SC"


def gb2312() -> set[int]:
    chars: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def wanted() -> set[int]:
    chars = gb2312()
    chars |= set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    chars |= set(range(0x2000, 0x2070)) | set(range(0x2100, 0x2200))  # punctuation, letterlike
    chars |= set(range(0x2460, 0x2500)) | set(range(0x25A0, 0x2700))  # ①, shapes (▲ ●)
    chars |= set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))  # CJK punctuation, full width
    for path in [
        *(ROOT / "resources" / "i18n").glob("*.ts"),
        *(ROOT / "resources" / "taxonomy").glob("*"),
    ]:
        if path.is_file():
            chars |= {ord(c) for c in path.read_text(encoding="utf-8", errors="ignore")}
    return chars


def rename(font: subset.ttLib.TTFont, style: str) -> None:
    names = font["name"]
    full = f"{FAMILY} {style}" if style != "Regular" else FAMILY
    postscript = f"CityPatrolSansSC-{style}"
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (2, 17):
            names.setName(style, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 4:
            names.setName(full, 4, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 6):
            names.setName(
                postscript, record.nameID, record.platformID, record.platEncID, record.langID
            )


def to_truetype(font: TTFont) -> None:
    """CFF outlines → TrueType (quadratic) outlines, in place.

    Qt's PDF writer embeds fonts as CIDFontType2 (TrueType) subsets, its well-trodden path (the
    one WenQuanYi took before); a CFF font goes through a conversion Qt does itself. Converting
    here keeps that out of every PDF written. (fontTools' otf2ttf recipe.)
    """
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    font["loca"] = newTable("loca")
    del font["CFF "]
    for table in ("VORG",):
        if table in font:
            del font[table]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        width, _ = hmtx[name]
        hmtx[name] = (width, getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxZones",):
        setattr(maxp, field, 1)
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):  # fmt: skip
        setattr(maxp, field, 0)
    maxp.compile(font)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: 8,000 CID names would only add size
    font.sfntVersion = "\x00\x01\x00\x00"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    unicodes = wanted()
    options = subset.Options()
    # Kerning only, no glyph substitutions: Qt's PDF writer maps each drawn glyph back to its
    # character through the cmap, so a glyph a GSUB feature put in (Noto CJK's Latin alternates)
    # has no character and its text is lost to pdftotext, search and copy. Horizontal Chinese
    # needs no substitution.
    options.layout_features = ["kern"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False  # CFF hints are small; dropping them changes nothing on screen
    for style in ("Regular", "Bold"):
        collection = TTCollection(str(SOURCE / f"NotoSansCJK-{style}.ttc"))
        font = collection.fonts[FACE_SC]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        rename(font, style)
        to_truetype(font)
        out = OUT / f"CityPatrolSansSC-{style}.ttf"
        font.save(str(out))
        print(
            f"{out.name}: {len(font.getBestCmap())} characters, {out.stat().st_size / 2**20:.2f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
