"""The streaming PDF writer under `confdesk badges print` (core/badges/pdf.py): each page is
written to the file as soon as it is drawn; only object offsets and the glyphs used stay in
memory, and each face is embedded once at the end as a subset of the glyphs used by every
page (core/badges/embed.py), with /W widths and a /ToUnicode map.

Font resource names are fixed per face (`F` + its place among all faces), so a page drawn
in another process (core/badges/parallel.py) names its fonts as the parent does; the
parent merges each page's glyphs (`FontSet.merge`) before the fonts are embedded.
"""

from __future__ import annotations

import zlib
from functools import cache
from typing import BinaryIO

from core.badges import embed
from core.badges.fonts import STYLES, Face, chain


def _n(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


@cache
def faces() -> dict[str, Face]:
    """Every face a badge can use, by key, in a fixed order."""
    return {f.key: f for style in STYLES for f in chain(style).faces}


class _FontUse:
    """The glyphs of one face drawn so far, and the text each stands for (/ToUnicode)."""

    def __init__(self, face: Face, index: int) -> None:
        self.face = face
        self.resource = f"F{index}"
        self.glyphs: dict[int, str] = {}


class FontSet:
    """The faces drawn with so far and their glyphs: a whole PDF's, or one worker's pages'."""

    def __init__(self) -> None:
        self.fonts: dict[str, _FontUse] = {}

    def font(self, face: Face) -> _FontUse:
        use = self.fonts.get(face.key)
        if use is None:
            order = list(faces())
            index = order.index(face.key) if face.key in order else len(order) + len(self.fonts)
            use = self.fonts[face.key] = _FontUse(face, index)
        return use

    def glyphs(self) -> dict[str, dict[int, str]]:
        return {key: use.glyphs for key, use in self.fonts.items() if use.glyphs}

    def merge(self, glyphs: dict[str, dict[int, str]]) -> None:
        """Glyphs drawn elsewhere (a worker's pages), by face key."""
        for key, used in glyphs.items():
            mine = self.font(faces()[key]).glyphs
            for gid, text in used.items():
                mine.setdefault(gid, text)


class StreamingPdf(FontSet):
    """Pages are written out as they come; only offsets and the glyphs used stay in memory."""

    CATALOG, PAGES, FONTS = 1, 2, 3

    def __init__(self, out: BinaryIO, *, compress: bool = True) -> None:
        super().__init__()
        self.out = out
        self.compress = compress
        self.offsets: dict[int, int] = {}
        self.page_ids: list[int] = []
        self.next_id = 4
        self.pos = 0
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.pos += len(data)

    def _obj(self, body: bytes, num: int | None = None) -> int:
        if num is None:
            num, self.next_id = self.next_id, self.next_id + 1
        self.offsets[num] = self.pos
        self._write(b"%d 0 obj\n" % num + body + b"\nendobj\n")
        return num

    def _stream(self, data: bytes, extra: str = "", *, compress: bool | None = None) -> int:
        if self.compress if compress is None else compress:
            data = compress_page(data)
            extra += " /Filter /FlateDecode"
        head = f"<< /Length {len(data)}{extra} >>\nstream\n".encode()
        return self._obj(head + data + b"\nendstream")

    def add_page(self, width: float, height: float, content: str | bytes) -> None:
        """`content`: the operators, or (bytes) already compressed the way `compress_page`
        does (by a worker)."""
        if isinstance(content, bytes):
            stream = self._stream(content, " /Filter /FlateDecode", compress=False)
        else:
            stream = self._stream(content.encode("latin-1"))
        page = (
            f"<< /Type /Page /Parent {self.PAGES} 0 R /MediaBox [0 0 {_n(width)} {_n(height)}]"
            f" /Resources << /Font {self.FONTS} 0 R /ProcSet [/PDF /Text] >>"
            f" /Contents {stream} 0 R >>"
        )
        self.page_ids.append(self._obj(page.encode()))

    def _embed(self, use: _FontUse) -> int:
        emb = embed.subset(use.face, sorted(use.glyphs))
        tag = "".join(chr(65 + (v // 26**k) % 26) for k, v in enumerate([int(use.resource[1:]) * 7919 + 17] * 6))
        base = f"{tag}+{emb.name}"
        ff = self._stream(emb.data, f" /Length1 {len(emb.data)}")
        desc = self._obj(
            (
                f"<< /Type /FontDescriptor /FontName /{base} /Flags 4 /FontBBox [{emb.bbox}]"
                f" /ItalicAngle 0 /Ascent {emb.ascent} /Descent {emb.descent}"
                f" /CapHeight {emb.cap_height} /StemV 80 /FontFile2 {ff} 0 R >>"
            ).encode()
        )
        cid = self._obj(
            (
                f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base}"
                " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
                f" /FontDescriptor {desc} 0 R /DW 1000 /W [{emb.widths}] /CIDToGIDMap /Identity >>"
            ).encode()
        )
        cmap = self._stream(embed.to_unicode_cmap(use.glyphs).encode("ascii"))
        return self._obj(
            (
                f"<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H"
                f" /DescendantFonts [{cid} 0 R] /ToUnicode {cmap} 0 R >>"
            ).encode()
        )

    def close(self) -> None:
        resources = [f"/{use.resource} {self._embed(use)} 0 R" for use in self.fonts.values() if use.glyphs]
        self._obj(f"<< {' '.join(resources)} >>".encode(), self.FONTS)
        kids = " ".join(f"{p} 0 R" for p in self.page_ids)
        self._obj(f"<< /Type /Pages /Kids [{kids}] /Count {len(self.page_ids)} >>".encode(), self.PAGES)
        self._obj(f"<< /Type /Catalog /Pages {self.PAGES} 0 R >>".encode(), self.CATALOG)
        xref = self.pos
        size = self.next_id
        lines = [f"xref\n0 {size}\n", "0000000000 65535 f \n"]
        lines += [f"{self.offsets[i]:010d} 00000 n \n" for i in range(1, size)]
        self._write("".join(lines).encode())
        self._write(f"trailer\n<< /Size {size} /Root {self.CATALOG} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())


def compress_page(data: bytes) -> bytes:
    return zlib.compress(data, 6)
