"""The badge as a PNG for the chat: the A6 badge drawn by the PDF writer (same shaping, same
fonts, same layout as the print), rasterised with pdfium; the QR code is then drawn on it
in whole pixels per module, so its edges stay crisp."""

from __future__ import annotations

import io
import logging

import pypdfium2 as pdfium
from PIL import ImageDraw
from reportlab.lib.pagesizes import A6

from core.badges import layout as bl
from core.badges.pdf import PageBuilder, StreamingPdf, missing_glyphs
from core.badges.printing import BadgeInfo, ConferenceInfo
from core.badges.qr import dark_runs, qr_matrix

log = logging.getLogger(__name__)


def _page_pdf(layout: bl.Badge, size: tuple[float, float]) -> bytes:
    buf = io.BytesIO()
    pdf = StreamingPdf(buf, compress=False)
    page = PageBuilder(pdf)
    page.badge(layout, None)
    pdf.add_page(*size, page.content())
    pdf.close()
    return buf.getvalue()


def render_png(badge: BadgeInfo, conf: ConferenceInfo, *, link: str, dpi: int = 200, reprint: bool = False) -> bytes:
    """An A6 portrait badge at `dpi` (200 -> 827 x 1169 px), as PNG bytes. A character no
    font has is logged as a warning naming the participant."""
    w, h = A6
    k = dpi / 72
    layout = bl.portrait(badge, conf, 0, 0, w, h, reprint=reprint)
    missing = missing_glyphs(layout)
    if missing:
        log.warning("badge of %s (#%s): no glyph for %s", badge.full_name, badge.registration_id, missing)
    doc = pdfium.PdfDocument(_page_pdf(layout, (w, h)))
    try:
        img = doc[0].render(scale=k).to_pil().convert("RGB")
    finally:
        doc.close()
    draw = ImageDraw.Draw(img)
    matrix = qr_matrix(link)
    n = len(matrix)
    module = max(1, int(layout.qr.size * k / n))  # whole pixels per module: crisp edges
    side = module * n
    qx = round(layout.qr.x * k + (layout.qr.size * k - side) / 2)
    qy = round((h - layout.qr.y - layout.qr.size) * k + (layout.qr.size * k - side) / 2)
    for r, c, run in dark_runs(matrix):
        x0, y0 = qx + c * module, qy + r * module
        draw.rectangle((x0, y0, x0 + run * module - 1, y0 + module - 1), fill=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
