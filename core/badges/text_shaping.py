"""One line of badge text, shaped: which glyphs of which faces, where, in visual order.

`shape(text, style)` splits the text into runs of one face (core/badges/fonts.py) and one
bidi embedding level (UAX #9, python-bidi's reference implementation), shapes each run with
HarfBuzz (joined Arabic letters, Indic conjuncts and vowel signs, Thai marks, kerning) and
puts the runs in visual order (rule L2). Positions are in font units of each run's face;
`Shaped.width` is in em, i.e. points at a size of 1 pt. The PDF writer and the layout both
use it, so what is measured is what is drawn. Characters that no face has are listed in
`Shaped.missing` (drawn as the base face's .notdef box; the print job warns by name).
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import uharfbuzz as hb
from bidi import algorithm as uax9

from core.badges.fonts import Chain, Face, chain, follows, is_ignorable

_RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI"})
_X9 = frozenset(uax9.X9_REMOVED)


@dataclass(frozen=True)
class Run:
    face: Face
    glyphs: tuple[tuple[int, int, int, int], ...]  # glyph id, x advance, x offset, y offset
    texts: tuple[str, ...]  # per glyph: the characters it stands for ('' after a cluster's first)
    rtl: bool
    width: float  # em
    cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)  # the writer's, per run


@dataclass(frozen=True, slots=True)
class Shaped:
    text: str
    runs: tuple[Run, ...]  # left to right on the page
    width: float  # em
    missing: str  # characters no face has a glyph for, in text order, once each


def levels(text: str) -> list[int]:
    """The resolved embedding level of each character (0 throughout for LTR-only text)."""
    if not any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in text):
        return [0] * len(text)
    storage = uax9.get_empty_storage()
    base = uax9.get_base_level(text, False)
    storage["base_level"], storage["base_dir"] = base, ("L", "R")[base]
    uax9.get_embedding_levels(text, storage, False, False)
    uax9.explicit_embed_and_overrides(storage, False)
    uax9.resolve_weak_types(storage, False)
    uax9.resolve_neutral_types(storage, False)
    uax9.resolve_implicit_levels(storage, False)
    kept = iter(c["level"] for c in storage["chars"])
    out: list[int] = []
    for ch in text:  # X9: removed characters (ZWJ, ZWNJ, embeddings) take the level before them
        out.append((out[-1] if out else base) if unicodedata.bidirectional(ch) in _X9 else next(kept))
    return out


def assign_faces(text: str, faces: Chain) -> tuple[list[Face], str]:
    """The face of each character, and the characters no face has."""
    got: list[Face | None] = [None if follows(c) else faces.strong_face(c) for c in text]
    missing: list[str] = []
    for i, ch in enumerate(text):
        if got[i] is None and not follows(ch):
            missing.append(ch)
    for i, ch in enumerate(text):
        if got[i] is not None or not follows(ch):
            continue
        prev = got[i - 1] if i else None
        nxt = next((f for f in got[i + 1 :] if f is not None), None)
        for cand in (prev, nxt):
            if cand is not None and (cand.has(ch) or is_ignorable(ch)):
                got[i] = cand
                break
        else:
            got[i] = faces.strong_face(ch)
            if got[i] is None and not is_ignorable(ch):
                missing.append(ch)
    out: list[Face] = []
    for f in got:  # no face at all: the face before it (or the base face) draws its .notdef
        out.append(f if f is not None else (out[-1] if out else faces.faces[0]))
    return out, "".join(dict.fromkeys(missing))


def _shape_run(text: str, codepoints: list[int], start: int, end: int, face: Face, rtl: bool) -> Run:
    buf = hb.Buffer()
    buf.add_codepoints(codepoints, start, end - start)
    buf.direction = "rtl" if rtl else "ltr"
    buf.guess_segment_properties()
    hb.shape(face.font, buf, {})
    infos, positions = buf.glyph_infos, buf.glyph_positions
    starts = sorted({i.cluster for i in infos} | {end})
    ends = dict(itertools.pairwise(starts))
    seen: set[int] = set()
    glyphs, texts = [], []
    for info, pos in zip(infos, positions, strict=True):
        glyphs.append((info.codepoint, pos.x_advance, pos.x_offset, pos.y_offset))
        c = info.cluster
        texts.append("" if c in seen else text[c : ends[c]])
        seen.add(c)
    width = sum(g[1] for g in glyphs) / face.upem
    return Run(face, tuple(glyphs), tuple(texts), rtl, width)


def _visual(runs: list[tuple[int, Run]]) -> list[Run]:
    """Rule L2 on whole runs: from the highest level down to the lowest odd one, reverse
    every stretch of runs at that level or higher."""
    if not runs:
        return []
    top = max(lv for lv, _ in runs)
    low = min((lv for lv, _ in runs if lv % 2), default=top + 1)
    order = list(runs)
    for level in range(top, low - 1, -1):
        i = 0
        while i < len(order):
            if order[i][0] >= level:
                j = i
                while j < len(order) and order[j][0] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return [r for _, r in order]


@lru_cache(maxsize=1024)  # the repeated lines stay; names pass through: memory stays flat
def shape(text: str, style: str) -> Shaped:
    faces, missing = assign_faces(text, chain(style))
    lv = levels(text)
    codepoints = [ord(c) for c in text]
    runs: list[tuple[int, Run]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or faces[i] is not faces[start] or lv[i] != lv[start]:
            runs.append((lv[start], _shape_run(text, codepoints, start, i, faces[start], lv[start] % 2 == 1)))
            start = i
    ordered = tuple(_visual(runs))
    return Shaped(text, ordered, sum(r.width for r in ordered), missing)
