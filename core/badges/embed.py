"""A face's glyphs, cut down for embedding in a PDF (fontTools), with what the PDF font
dictionaries need: /W widths, metrics, and the /ToUnicode CMap.

Glyph ids are kept (retain_gids): the content streams draw glyph ids with Identity-H and
/CIDToGIDMap /Identity, so the ids written while the pages streamed out stay valid.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont

from core.badges.fonts import Face


@dataclass(frozen=True, slots=True)
class Embedded:
    name: str  # PostScript name, without the subset tag
    data: bytes  # TrueType file (FontFile2)
    widths: str  # /W array body: "gid [w] ..." in 1/1000 em
    bbox: str
    ascent: int
    descent: int
    cap_height: int


def _options() -> ft_subset.Options:
    opts = ft_subset.Options()
    opts.retain_gids = True
    opts.notdef_outline = True
    opts.hinting = False
    opts.layout_features = []  # shaping is done: the PDF needs outlines and metrics only
    opts.name_IDs = [1, 2, 4, 6]
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "DSIG", "kern", "vhea", "vmtx", "FFTM"]
    opts.glyph_names = False
    return opts


def subset(face: Face, gids: list[int]) -> Embedded:
    font = TTFont(io.BytesIO(face.data), lazy=True)
    name = (font["name"].getDebugName(6) or face.key).replace(" ", "")
    upem = font["head"].unitsPerEm
    k = 1000 / upem
    hmtx = font["hmtx"]
    order = font.getGlyphOrder()
    widths = " ".join(f"{g} [{round(hmtx[order[g]][0] * k)}]" for g in gids if g < len(order))
    head, hhea = font["head"], font["hhea"]
    bbox = " ".join(str(round(v * k)) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
    os2 = font["OS/2"] if "OS/2" in font else None
    cap = getattr(os2, "sCapHeight", 0) or hhea.ascent
    meta = (name, widths, bbox, round(hhea.ascent * k), round(hhea.descent * k), round(cap * k))
    sub = ft_subset.Subsetter(_options())
    sub.populate(gids=sorted(set(gids) | {0}))
    sub.subset(font)
    out = io.BytesIO()
    font.save(out)
    return Embedded(meta[0], out.getvalue(), *meta[1:])


def _utf16(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def to_unicode_cmap(glyphs: dict[int, str]) -> str:
    """bfchar entries glyph id -> text, for text extraction by glyph (a viewer that honours
    /ActualText uses that instead). Glyphs that stand for nothing on their own are left out."""
    pairs = [(g, t) for g, t in sorted(glyphs.items()) if t]
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for i in range(0, len(pairs), 100):
        chunk = pairs[i : i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{g:04X}> <{_utf16(t)}>" for g, t in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)
