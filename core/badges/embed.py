"""A face cut down to the glyphs a PDF draws, with what the PDF font dictionaries need:
/W widths, metrics, and the /ToUnicode CMap.

The subset is made here, by copying the outlines of the glyphs used (and the components of
composite glyphs) into a new glyf/loca and leaving every other glyph empty: glyph ids stay
what they were (the content streams draw glyph ids with Identity-H and /CIDToGIDMap
/Identity, written while the pages streamed out). Only the tables a PDF TrueType font
program needs are kept (head, hhea, maxp, hmtx, loca, glyf, cvt, fpgm, prep; PDF 32000
9.9). It reads the font's bytes and nothing else: a 9.7 MB CJK face is cut to a few glyphs
in milliseconds, without parsing its 20,000 glyphs (fontTools' subsetter took seconds and
tens of MB).
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass

from core.badges.fonts import Face

_KEEP = (b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"prep")
_ARGS_ARE_WORDS, _HAVE_SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x0001, 0x0008, 0x0020, 0x0040, 0x0080


@dataclass(frozen=True, slots=True)
class Embedded:
    name: str  # PostScript-ish name, without the subset tag
    data: bytes  # TrueType file (FontFile2)
    widths: str  # /W array body: "gid [w] ..." in 1/1000 em
    bbox: str
    ascent: int
    descent: int
    cap_height: int


def _tables(data: memoryview) -> dict[bytes, memoryview]:
    (count,) = struct.unpack_from(">H", data, 4)
    out = {}
    for i in range(count):
        tag, _sum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        out[tag] = data[offset : offset + length]
    return out


def _glyph_ranges(tables: dict[bytes, memoryview]) -> list[tuple[int, int]]:
    long = struct.unpack_from(">h", tables[b"head"], 50)[0] == 1
    loca = tables[b"loca"]
    if long:
        offs = struct.unpack(f">{len(loca) // 4}I", loca)
    else:
        offs = tuple(2 * v for v in struct.unpack(f">{len(loca) // 2}H", loca))
    return list(itertools.pairwise(offs))


def _components(glyph: memoryview) -> list[int]:
    """The glyph ids a composite glyph is made of (none for a simple glyph)."""
    if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
        return []
    out, pos = [], 10
    while True:
        flags, gid = struct.unpack_from(">HH", glyph, pos)
        out.append(gid)
        pos += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
        pos += 2 if flags & _HAVE_SCALE else 4 if flags & _XY_SCALE else 8 if flags & _TWO_BY_TWO else 0
        if not flags & _MORE:
            return out


def _closure(gids: set[int], glyf: memoryview, ranges: list[tuple[int, int]]) -> set[int]:
    todo, done = list(gids), set()
    while todo:
        gid = todo.pop()
        if gid in done or gid >= len(ranges):
            continue
        done.add(gid)
        a, b = ranges[gid]
        todo += _components(glyf[a:b])
    return done


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def _sfnt(tables: dict[bytes, bytes]) -> bytes:
    tags = sorted(tables)
    n = len(tags)
    entry = 1 << (n.bit_length() - 1)
    head = struct.pack(">IHHHH", 0x00010000, n, entry * 16, entry.bit_length() - 1, n * 16 - entry * 16)
    offset = 12 + 16 * n
    records, body = [], []
    for tag in tags:
        data = tables[tag]
        records.append(struct.pack(">4sIII", tag, _checksum(data), offset, len(data)))
        data += b"\0" * (-len(data) % 4)
        body.append(data)
        offset += len(data)
    return head + b"".join(records) + b"".join(body)


def _font_program(tables: dict[bytes, memoryview], gids: set[int]) -> bytes:
    ranges = _glyph_ranges(tables)
    glyf = tables[b"glyf"]
    keep = _closure(gids | {0}, glyf, ranges)
    count = max(keep) + 1
    new_glyf, loca = bytearray(), [0]
    for gid in range(count):
        if gid in keep:
            a, b = ranges[gid]
            new_glyf += glyf[a:b]
            new_glyf += b"\0" * (-(b - a) % 4)
        loca.append(len(new_glyf))
    hhea, hmtx = tables[b"hhea"], tables[b"hmtx"]
    (metrics,) = struct.unpack_from(">H", hhea, 34)
    new_hmtx = bytearray()
    for gid in range(count):
        if gid < metrics:
            new_hmtx += hmtx[4 * gid : 4 * gid + 4]
        else:
            lsb = hmtx[4 * metrics + 2 * (gid - metrics) : 4 * metrics + 2 * (gid - metrics) + 2]
            new_hmtx += hmtx[4 * metrics - 4 : 4 * metrics - 2]
            new_hmtx += lsb
    out = {tag: bytes(tables[tag]) for tag in _KEEP if tag in tables and tag != b"glyf"}
    head = bytearray(tables[b"head"])
    struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment: not needed in a PDF
    struct.pack_into(">h", head, 50, 1)  # long loca
    out[b"head"] = bytes(head)
    out[b"hhea"] = bytes(hhea[:34]) + struct.pack(">H", count) + bytes(hhea[36:])
    out[b"maxp"] = bytes(tables[b"maxp"][:4]) + struct.pack(">H", count) + bytes(tables[b"maxp"][6:])
    out[b"hmtx"] = bytes(new_hmtx)
    out[b"loca"] = struct.pack(f">{len(loca)}I", *loca)
    out[b"glyf"] = bytes(new_glyf)
    return _sfnt(out)


def subset(face: Face, gids: list[int]) -> Embedded:
    tables = _tables(face.data)
    upem = face.upem
    k = 1000 / upem
    widths = " ".join(f"{g} [{round(face.advance(g) * k)}]" for g in gids)
    x_min, y_min, x_max, y_max = struct.unpack_from(">hhhh", tables[b"head"], 36)
    ascent, descent = struct.unpack_from(">hh", tables[b"hhea"], 4)
    os2 = tables.get(b"OS/2", memoryview(b""))
    cap = struct.unpack_from(">h", os2, 88)[0] if len(os2) >= 90 else ascent
    return Embedded(
        face.path.stem.replace("-subset", ""),
        _font_program(tables, set(gids)),
        widths,
        " ".join(str(round(v * k)) for v in (x_min, y_min, x_max, y_max)),
        round(ascent * k),
        round(descent * k),
        round((cap or ascent) * k),
    )


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
