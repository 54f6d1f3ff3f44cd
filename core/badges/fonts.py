"""The faces badges are drawn with, and which one draws each character.

Vendored in core/fonts (see core/fonts/build.py for where they come from): DejaVu Sans for
Latin, Cyrillic and Greek (as before), Noto Sans for Arabic (Persian, Urdu), Hebrew,
Devanagari, Bengali, Thai, Georgian and Armenian, and a subset of Noto Sans CJK SC for
Chinese, Japanese and Korean (one weight: its bold is drawn with a stroke).

A character takes the face of its script when it has one (Arabic letters are drawn by
Noto Sans Arabic even though DejaVu has some of them), else the first face of the chain
that has a glyph for it. Spaces, punctuation, digits and combining marks stay in the face
of the letters around them, so a run is shaped in one piece.
"""

from __future__ import annotations

import mmap
import unicodedata
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import uharfbuzz as hb

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
STYLES = ("regular", "bold")
_SCRIPTS = ("Arabic", "Hebrew", "Devanagari", "Bengali", "Thai", "Georgian", "Armenian")
_CJK_FILE = "NotoSansCJKsc-Regular-subset.ttf"

# the blocks a script face is preferred for (first match wins)
_BLOCKS: dict[str, tuple[tuple[int, int], ...]] = {
    "Arabic": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "Hebrew": ((0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
    "Devanagari": ((0x0900, 0x097F), (0xA8E0, 0xA8FF)),
    "Bengali": ((0x0980, 0x09FF),),
    "Thai": ((0x0E00, 0x0E7F),),
    "Georgian": ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F)),
    "Armenian": ((0x0530, 0x058F), (0xFB13, 0xFB17)),
}


@dataclass(eq=False)
class Face:
    key: str  # unique: the PDF resource and subset tag are made from it
    path: Path
    fake_bold: bool = False  # draw with a stroke: the face has no bold weight
    _glyphs: dict[int, int | None] = field(default_factory=dict, repr=False)

    @cached_property
    def data(self) -> memoryview:
        """The font file, memory-mapped: pages are read when touched, shared between
        processes and outside Python's heap (the CJK face is 9.7 MB)."""
        with self.path.open("rb") as fh:
            return memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))

    @cached_property
    def hb_face(self) -> hb.Face:
        return hb.Face(hb.Blob.from_file_path(str(self.path)))

    @cached_property
    def font(self) -> hb.Font:
        return hb.Font(self.hb_face)  # scale = units per em: positions in font units

    @cached_property
    def upem(self) -> int:
        return int(self.hb_face.upem)

    def glyph(self, cp: int) -> int | None:
        """The glyph id for a code point, None if the face has none."""
        try:
            return self._glyphs[cp]
        except KeyError:
            gid = self.font.get_nominal_glyph(cp)
            self._glyphs[cp] = gid = gid if gid else None
            return gid

    def has(self, ch: str) -> bool:
        return self.glyph(ord(ch)) is not None

    def advance(self, gid: int) -> int:
        return int(self.font.get_glyph_h_advance(gid))


@dataclass(frozen=True)
class Chain:
    """The faces of one style: the base face first, then the fallbacks."""

    style: str
    faces: tuple[Face, ...]
    by_script: dict[str, Face]
    _known: dict[str, Face | None] = field(default_factory=dict, repr=False)

    def strong_face(self, ch: str) -> Face | None:
        try:
            return self._known[ch]
        except KeyError:
            face = self._known[ch] = self._lookup(ch)
            return face

    def _lookup(self, ch: str) -> Face | None:
        cp = ord(ch)
        for script, blocks in _BLOCKS.items():
            if any(a <= cp <= b for a, b in blocks):
                face = self.by_script[script]
                if face.has(ch):
                    return face
                break
        return next((f for f in self.faces if f.has(ch)), None)


@cache
def chain(style: str) -> Chain:
    if style not in STYLES:
        raise ValueError(f"unknown text style {style!r}")
    weight = "Bold" if style == "bold" else "Regular"
    base = Face(f"dejavu-{style}", FONT_DIR / ("DejaVuSans-Bold.ttf" if style == "bold" else "DejaVuSans.ttf"))
    scripts = {s: Face(f"noto-{s.lower()}-{style}", FONT_DIR / f"NotoSans{s}-{weight}.ttf") for s in _SCRIPTS}
    cjk = Face(f"noto-cjk-{style}", FONT_DIR / _CJK_FILE, fake_bold=style == "bold")
    return Chain(style, (base, *scripts.values(), cjk), scripts)


def follows(ch: str) -> bool:
    """True for characters that take the face of their neighbours: marks, joiners,
    spaces, punctuation, digits and symbols."""
    cat = unicodedata.category(ch)
    return cat[0] in "MZPNSC"


def is_ignorable(ch: str) -> bool:
    """Format and control characters (ZWJ, ZWNJ, bidi marks) draw nothing when missing."""
    return unicodedata.category(ch) in ("Cf", "Cc")
