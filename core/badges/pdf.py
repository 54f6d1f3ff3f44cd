"""Print-ready badge PDFs, streamed: `confdesk badges print OUT.pdf`.

Layouts: `a6` (one A6 badge per page), `a4x4` (four A6 per A4, crop marks on the cut
lines), `cr80` (85.6 x 54 mm card per page).

reportlab's Canvas keeps every page in memory until `save()`, and then builds the whole
file in memory: 10,000 badges would cost hundreds of MB. So pages go through a small PDF
writer here that writes each page to the file as soon as it is drawn and keeps only the
object offsets and the set of glyphs used. Text is shaped (core/badges/text_shaping.py) and
drawn as glyph ids (Type0 fonts, Identity-H), each face embedded once at the end as a
subset of the glyphs used (core/badges/embed.py), with /W widths and a /ToUnicode map; each
line sits in a marked-content span whose /ActualText is the text in logical order, so
copy-paste and search give back the name as typed, right-to-left scripts included.

From 100 badges on, pages are drawn by worker processes (core/badges/parallel.py) and
written here in order; the writer itself is core/badges/pdfwriter.py.

A QR code is an inline 1-bit image mask, one sample per module, painted black and scaled
into place by one `cm` (viewers and printers draw image masks without smoothing: every code
decodes at 300 dpi, tested with pdfium and checked with poppler); drawing its ~360 dark runs
as rectangles cost ~40 % of a print.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from sqlalchemy.ext.asyncio import AsyncSession

from core.badges import layout as bl
from core.badges.pdfwriter import FontSet, StreamingPdf, _FontUse, _n
from core.badges.printing import BadgeInfo, ConferenceInfo, iter_badges, mark_printed
from core.badges.qr import Matrix, dark_runs, qr_modules, qr_plan, row_width
from core.badges.text_shaping import Run, shape
from core.badges.tokens import badge_link, make_token
from core.errors import NotFound
from core.models import Category

LAYOUTS = ("a6", "a4x4", "cr80")
CR80 = (85.6 * mm, 54 * mm)


def _n4(v: float) -> str:
    s = f"{v:.4f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def _rgb(c: bl.RGB) -> str:
    return f"{_n(c[0])} {_n(c[1])} {_n(c[2])}"


@lru_cache(maxsize=512)
def _actual_text(text: str) -> str:
    return f"/Span << /ActualText <FEFF{text.encode('utf-16-be').hex().upper()}> >> BDC "


class PageBuilder:
    """Content-stream operators for one page."""

    def __init__(self, pdf: FontSet) -> None:
        self.pdf = pdf
        self.ops: list[str] = []

    def box(self, b: bl.Box) -> None:
        self.ops.append(f"{_rgb(b.colour)} rg {_n(b.x)} {_n(b.y)} {_n(b.w)} {_n(b.h)} re f")

    def text(self, t: bl.Text) -> None:
        """The shaped glyphs. A left-to-right line sits in a span whose /ActualText is the text
        as typed (Indic vowel signs drawn before their consonant read back in typed order).
        A line with right-to-left text has none: pdfium and poppler read /ActualText as if it
        were in visual order and reverse it; from the glyphs' /ToUnicode, in visual order,
        both give back the logical order (tested)."""
        shaped = shape(t.text, t.style)
        colour = _rgb(t.colour)
        actual = not any(r.rtl for r in shaped.runs)
        span = _actual_text(t.text) if actual else ""
        parts = [f"{span}BT {colour} rg"]
        x = t.left
        for run in shaped.runs:
            use = self.pdf.font(run.face)
            k = t.size / run.face.upem
            if run.face.fake_bold:
                parts.append(f"{colour} RG 2 Tr {_n(t.size * 0.035)} w")
            parts.append(f"/{use.resource} {_n(t.size)} Tf")
            parts.append(emit_run(run, use, x, t.y, k))
            if run.face.fake_bold:
                parts.append("0 Tr")
            x += run.width * t.size
        parts.append("ET EMC" if actual else "ET")
        self.ops.append(" ".join(parts))

    def qr(self, q: bl.QR, matrix: Matrix) -> None:
        self.qr_runs(q, len(matrix), dark_runs(matrix))

    def qr_runs(self, q: bl.QR, n: int, runs: list[tuple[int, int, int]]) -> None:
        """In module units (one `cm` scales and places the code), so each run is four small
        integers: no number formatting per module."""
        s = q.size / n
        last = n - 1
        rects = [f"{c} {last - r} {k} 1 re" for r, c, k in runs]
        self.ops.append(f"q 0 0 0 rg {_n4(s)} 0 0 {_n4(s)} {_n(q.x)} {_n(q.y)} cm\n" + "\n".join(rects) + "\nf Q")

    def qr_mask(self, q: bl.QR, n: int, flat: str) -> None:
        """The modules as an inline 1-bit image mask, one sample per module, painted black
        where dark, scaled by one `cm` (rows padded to whole bytes with light samples, as
        qr_modules gives them): no work per module at all."""
        data = int(flat, 2).to_bytes(len(flat) // 8, "big").hex()
        w = row_width(n)
        self.ops.append(
            f"q 0 0 0 rg {_n4(q.size * w / n)} 0 0 {_n4(q.size)} {_n(q.x)} {_n(q.y)} cm"
            f" BI /IM true /W {w} /H {n} /BPC 1 /D [1 0] /F /AHx ID {data}> EI Q"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.5) -> None:
        self.ops.append(f"0 0 0 RG {_n(width)} w {_n(x1)} {_n(y1)} m {_n(x2)} {_n(y2)} l S")

    def badge(self, b: bl.Badge, matrix: Matrix | tuple[int, str] | None, *, qr_only: bool = False) -> None:
        """`matrix`: a Matrix, or (side, modules) as core.badges.qr.qr_modules gives them."""
        if not qr_only:
            for box in b.boxes:
                self.box(box)
            for t in b.texts:
                self.text(t)
        if isinstance(matrix, tuple):
            self.qr_mask(b.qr, *matrix)
        elif matrix is not None:
            self.qr(b.qr, matrix)

    def content(self) -> str:
        return "\n".join(self.ops)


@dataclass(frozen=True, slots=True)
class _RunOps:
    """What drawing a run needs, whatever its size and place: the TJ array (advances as
    corrections against /W in thousandths of an em) when no glyph is moved off its pen
    position, and the glyphs' texts for /ToUnicode."""

    tj: str | None
    unicode: dict[int, str]


def _run_ops(run: Run) -> _RunOps:
    got = run.cache.get("pdf")
    if isinstance(got, _RunOps):
        return got
    unicode: dict[int, str] = {}
    for (gid, *_), text in zip(run.glyphs, run.texts, strict=True):
        if not unicode.get(gid):
            unicode[gid] = text
    tj: str | None = None
    if not any(dx or dy for _, _, dx, dy in run.glyphs):
        face, k = run.face, 1000 / run.face.upem
        parts = []
        for gid, adv, _, _ in run.glyphs:
            parts.append(f"<{gid:04X}>")
            diff = face.advance(gid) - adv
            if diff:
                parts.append(_n(diff * k))
        tj = "[" + "".join(parts).replace("><", "") + "]"
    ops = _RunOps(tj, unicode)
    run.cache["pdf"] = ops
    return ops


def emit_run(run: Run, use: _FontUse, x: float, y: float, k: float) -> str:
    """Operators that draw one run's glyphs at (x, y), `k` points per font unit: one TJ
    with the shaper's advances, and an explicit position for each glyph the shaper moved
    (marks, vowel signs)."""
    ops = _run_ops(run)
    if not ops.unicode.keys() <= use.glyphs.keys():
        for gid in ops.unicode.keys() - use.glyphs.keys():
            use.glyphs[gid] = ops.unicode[gid]
    if ops.tj is not None:
        return f"1 0 0 1 {_n(x)} {_n(y)} Tm {ops.tj} TJ"
    out = []
    pen = 0
    for gid, adv, dx, dy in run.glyphs:
        out.append(f"1 0 0 1 {_n(x + (pen + dx) * k)} {_n(y + dy * k)} Tm <{gid:04X}> Tj")
        pen += adv
    return " ".join(out)


# --- layouts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sheet:
    page: tuple[float, float]
    slots: list[tuple[float, float, float, float]]  # x, y, w, h of each badge
    portrait: bool
    crop_marks: bool


def sheet(layout: str) -> Sheet:
    if layout == "a6":
        return Sheet(A6, [(0, 0, A6[0], A6[1])], True, False)
    if layout == "a4x4":
        w, h = A4[0] / 2, A4[1] / 2
        slots = [(0, h, w, h), (w, h, w, h), (0, 0, w, h), (w, 0, w, h)]
        return Sheet(A4, slots, True, True)
    if layout == "cr80":
        return Sheet(CR80, [(0, 0, CR80[0], CR80[1])], False, False)
    raise ValueError(f"unknown layout {layout!r}: expected one of {', '.join(LAYOUTS)}")


def _crop_marks(page: PageBuilder, size: tuple[float, float]) -> None:
    """Ticks on the two cut lines at the page edges and a cross in the centre; badge content
    keeps 6 mm away from every cut line."""
    w, h = size
    cx, cy, k = w / 2, h / 2, 5 * mm
    page.line(cx, 0, cx, k, 0.4)
    page.line(cx, h - k, cx, h, 0.4)
    page.line(0, cy, k, cy, 0.4)
    page.line(w - k, cy, w, cy, 0.4)
    page.line(cx - k / 2, cy, cx + k / 2, cy, 0.4)
    page.line(cx, cy - k / 2, cx, cy + k / 2, 0.4)


def missing_glyphs(badge: bl.Badge) -> str:
    """Characters on the badge that no font has a glyph for (drawn as boxes), once each."""
    found = "".join(shape(t.text, t.style).missing for t in badge.texts)
    return "".join(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class MissingGlyphs:
    """A badge printed with characters no font has: say so, naming the participant."""

    registration_id: int
    full_name: str
    characters: str

    def describe(self) -> str:
        codes = ", ".join(f"U+{ord(c):04X} {c}" for c in self.characters)
        return f"#{self.registration_id} {self.full_name}: no glyph for {codes} (printed as boxes)"


def layout_badge(
    badge: BadgeInfo, conf: ConferenceInfo, slot: tuple[float, float, float, float], portrait: bool
) -> bl.Badge:
    fn = bl.portrait if portrait else bl.card
    return fn(badge, conf, *slot)


# --- the print job --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrintReport:
    path: Path
    badges: int
    pages: int
    layout: str
    qr_version: int
    qr_mask: int
    missing: tuple[MissingGlyphs, ...] = ()


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What drawing a page needs besides its badges (sent once to each worker process)."""

    conf: ConferenceInfo
    secret: bytes
    bot_username: str
    layout: str
    qr_only: bool
    qr_version: int
    qr_mask: int

    def link(self, registration_id: int, version: int) -> str:
        return badge_link(self.bot_username, make_token(self.secret, registration_id, version))


def render_page(spec: JobSpec, badges: Sequence[BadgeInfo], fonts: FontSet) -> tuple[str, list[MissingGlyphs]]:
    """One page's content stream (glyphs used recorded in `fonts`) and its badges' missing
    glyphs."""
    sh = sheet(spec.layout)
    page = PageBuilder(fonts)
    missing: list[MissingGlyphs] = []
    for badge, slot in zip(badges, sh.slots, strict=False):
        matrix = qr_modules(
            spec.link(badge.registration_id, badge.badge_version), version=spec.qr_version, mask=spec.qr_mask
        )
        drawn = layout_badge(badge, spec.conf, slot, sh.portrait)
        page.badge(drawn, matrix, qr_only=spec.qr_only)
        lost = "" if spec.qr_only else missing_glyphs(drawn)
        if lost:
            missing.append(MissingGlyphs(badge.registration_id, badge.full_name, lost))
    if sh.crop_marks and not spec.qr_only:
        _crop_marks(page, sh.page)
    return page.content(), missing


class BadgePdf:
    """Draw badges into a streaming PDF, page by page (or take pages drawn by workers,
    `add_rendered`, in order)."""

    def __init__(
        self,
        out: BinaryIO,
        conf: ConferenceInfo,
        *,
        secret: bytes,
        bot_username: str,
        layout: str = "a4x4",
        qr_only: bool = False,
    ) -> None:
        self.sheet = sheet(layout)
        self.pdf = StreamingPdf(out)
        self.pending: list[BadgeInfo] = []
        self.missing: list[MissingGlyphs] = []
        self.count = 0
        # all links have the same length: one QR version and mask for the whole job
        version, mask = qr_plan(badge_link(bot_username, make_token(secret, 1, 1)))
        self.spec = JobSpec(conf, secret, bot_username, layout, qr_only, version, mask)
        self.qr_version, self.qr_mask = version, mask

    def link(self, registration_id: int, version: int) -> str:
        return self.spec.link(registration_id, version)

    def add(self, badge: BadgeInfo) -> None:
        self.pending.append(badge)
        self.count += 1
        if len(self.pending) == len(self.sheet.slots):
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        content, missing = render_page(self.spec, self.pending, self.pdf)
        self.missing += missing
        self.pdf.add_page(*self.sheet.page, content)
        self.pending = []

    def add_rendered(
        self, pages: Sequence[bytes], glyphs: dict[str, dict[int, str]], missing: Sequence[MissingGlyphs]
    ) -> None:
        """Pages drawn and compressed elsewhere (core/badges/parallel.py), in order."""
        assert not self.pending, "pages drawn elsewhere come after whole pages only"
        for content in pages:
            self.pdf.add_page(*self.sheet.page, content)
        self.pdf.merge(glyphs)
        self.missing += missing

    def close(self) -> None:
        self.flush()
        self.pdf.close()


def _open_for(out: Path, tmp: Path) -> BinaryIO:
    if out.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(out))
    try:
        return tmp.open("wb")
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(out)) from None


async def print_badges(
    session: AsyncSession,
    out: Path,
    conf: ConferenceInfo,
    *,
    secret: bytes,
    bot_username: str,
    layout: str = "a4x4",
    delegation: str | None = None,
    category: Category | None = None,
    only_new: bool = False,
    only: Sequence[int] | None = None,
    progress: Callable[[int], None] | None = None,
    mark: bool = True,
    qr_only: bool = False,
    workers: int | None = None,
    parallel_from: int | None = None,
) -> PrintReport:
    """Write the PDF (to a temporary file renamed into place when complete), then count
    the print on every badge in it (badge_print_count + 1, badge_printed_at) and commit;
    `mark=False` for a preview that counts nothing. A file that cannot be written is an
    OSError naming `out` (never the temporary file). From `parallel_from` badges on
    (default core.badges.parallel.PARALLEL_FROM) pages are drawn by `workers` processes
    (default: one per core; 1 = none), see core/badges/parallel.py."""
    from core.badges.parallel import draw_all

    sheet(layout)  # validate before touching the file
    tmp = out.with_name(out.name + ".part")
    printed: list[int] = []
    try:
        fh = _open_for(out, tmp)
        with fh:
            job = BadgePdf(fh, conf, secret=secret, bot_username=bot_username, layout=layout, qr_only=qr_only)
            batches = iter_badges(
                session, conf.id, delegation=delegation, category=category, only_new=only_new, only=only
            )
            await draw_all(job, batches, printed, progress, workers, parallel_from)
            if not printed:
                raise NotFound("no approved badges match: nothing to print")
            job.close()
            pages = len(job.pdf.page_ids)
        try:
            tmp.replace(out)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(out)) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    if mark and printed:
        await mark_printed(session, printed)
    return PrintReport(out, len(printed), pages, layout, job.qr_version, job.qr_mask, tuple(job.missing))
