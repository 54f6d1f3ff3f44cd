"""The badge as a PNG for the chat (Pillow), drawn from the same layout as the PDF."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A6

from core.badges import layout as bl
from core.badges.printing import BadgeInfo, ConferenceInfo
from core.badges.qr import dark_runs, qr_matrix


@lru_cache(maxsize=64)
def _font(style: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(bl.FONT_FILES[style]), px)


def _rgb(c: bl.RGB) -> tuple[int, int, int]:
    return (round(c[0] * 255), round(c[1] * 255), round(c[2] * 255))


def render_png(badge: BadgeInfo, conf: ConferenceInfo, *, link: str, dpi: int = 200, reprint: bool = False) -> bytes:
    """An A6 portrait badge at `dpi` (200 -> 827 x 1169 px), as PNG bytes."""
    w, h = A6
    k = dpi / 72
    layout = bl.portrait(badge, conf, 0, 0, w, h, reprint=reprint)
    img = Image.new("RGB", (round(w * k), round(h * k)), "white")
    draw = ImageDraw.Draw(img)

    def px(x: float, y: float) -> tuple[float, float]:
        return x * k, (h - y) * k

    for b in layout.boxes:
        x1, y1 = px(b.x, b.y + b.h)
        x2, y2 = px(b.x + b.w, b.y)
        draw.rectangle((round(x1), round(y1), round(x2) - 1, round(y2) - 1), fill=_rgb(b.colour))
    for t in layout.texts:
        x, y = px(t.left, t.y)
        draw.text((x, y), t.text, font=_font(t.style, max(1, round(t.size * k))), fill=_rgb(t.colour), anchor="ls")
    matrix = qr_matrix(link)
    n = len(matrix)
    module = max(1, int(layout.qr.size * k / n))  # whole pixels per module: crisp edges
    side = module * n
    qx, qy = px(layout.qr.x, layout.qr.y + layout.qr.size)
    qx = round(qx + (layout.qr.size * k - side) / 2)
    qy = round(qy + (layout.qr.size * k - side) / 2)
    for r, c, run in dark_runs(matrix):
        x0, y0 = qx + c * module, qy + r * module
        draw.rectangle((x0, y0, x0 + run * module - 1, y0 + module - 1), fill=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
