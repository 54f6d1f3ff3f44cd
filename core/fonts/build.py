"""How the vendored Noto fonts in this folder were made (run by hand, not at install time).

    apt-get download fonts-noto-core fonts-noto-cjk   # Debian bookworm: 20201225-1, 20220127
    for f in *.deb; do dpkg-deb -x "$f" x; done
    pip install fonttools && python core/fonts/build.py x/usr/share/fonts

The script-specific Noto Sans faces (Arabic, Hebrew, Devanagari, Bengali, Thai, Georgian,
Armenian; regular and bold) are copied as they are. Noto Sans CJK SC (one weight: bold is
drawn with a stroke) is cut down to the characters names are written with: the Hanzi of
GB 2312 and Big5 level 1, the kanji of JIS X 0208, every Hangul syllable, kana, bopomofo and
the CJK punctuation and full-width forms; and its CFF outlines are converted to TrueType
(quadratic) so that every face is embedded the same way (CIDFontType2) in the badge PDFs.
All are under the SIL Open Font License 1.1 (LICENSE-OFL.txt).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("Arabic", "Hebrew", "Devanagari", "Bengali", "Thai", "Georgian", "Armenian")


def _decode_all(codec: str, leads: range, trails: range) -> set[int]:
    out: set[int] = set()
    for a in leads:
        for b in trails:
            try:
                out.update(ord(c) for c in bytes([a, b]).decode(codec))
            except UnicodeDecodeError:
                pass
    return out


def cjk_characters() -> set[int]:
    chars = _decode_all("gb2312", range(0xA1, 0xFF), range(0xA1, 0xFF))
    chars |= _decode_all("big5", range(0xA4, 0xC7), range(0x40, 0xFF))  # level 1 + symbols
    chars |= _decode_all("euc_jp", range(0xA1, 0xFF), range(0xA1, 0xFF))  # JIS X 0208
    chars |= set(range(0xAC00, 0xD7A4))  # Hangul syllables
    chars |= set(range(0x1100, 0x1200)) | set(range(0x3130, 0x3190))  # jamo
    chars |= set(range(0x3000, 0x3100)) | set(range(0x3100, 0x3130))  # punctuation, kana, bopomofo
    chars |= set(range(0xFF00, 0xFFF0)) | set(range(0x31F0, 0x3200))  # full width, kana ext.
    chars |= set(range(0x2E80, 0x2FE0)) | {0x00B7, 0x2014, 0x2026, 0x2018, 0x2019, 0x201C, 0x201D}
    return {c for c in chars if c >= 0x80}


def otf_to_ttf(font) -> None:  # type: ignore[no-untyped-def]
    """Replace CFF outlines with quadratic TrueType ones (fontTools' otf2ttf recipe)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = {}
    gs = font.getGlyphSet()
    for name in order:
        pen = TTGlyphPen(gs)
        gs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"
    font.recalcBBoxes = True


def build_cjk(src: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    coll = TTCollection(str(src / "opentype/noto/NotoSansCJK-Regular.ttc"))
    font = next(f for f in coll.fonts if f["name"].getDebugName(4) == "Noto Sans CJK SC")
    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    opts.desubroutinize = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=cjk_characters())
    sub.subset(font)
    otf_to_ttf(font)
    font.save(str(HERE / "NotoSansCJKsc-Regular-subset.ttf"))


def main(src: Path) -> None:
    for script in SCRIPTS:
        for weight in ("Regular", "Bold"):
            shutil.copy(src / f"truetype/noto/NotoSans{script}-{weight}.ttf", HERE)
    build_cjk(src)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
