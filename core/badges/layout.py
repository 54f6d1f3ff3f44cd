"""Where everything goes on a badge, in points (1/72 in, origin bottom-left), independent of
the output: the PDF writer draws these elements, and the chat image is that PDF rasterised.

Text is measured by the shaper that draws it (core/badges/text_shaping.py: per-character
font fallback over DejaVu Sans and the Noto faces, HarfBuzz shaping, bidi order), so a name
in any script that is too wide for its box shrinks to fit, down to a floor below which it
is cut with an ellipsis. The category band and the dates are in the conference's languages
(core/badges/labels.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.units import mm

from core.badges import labels
from core.badges.printing import BadgeInfo, ConferenceInfo
from core.badges.text_shaping import shape
from core.models import Category, pick

RGB = tuple[float, float, float]

CATEGORY_COLOURS: dict[Category, RGB] = {
    Category.HEAD: (0.72, 0.11, 0.11),
    Category.DELEGATE: (0.08, 0.40, 0.75),
    Category.SPEAKER: (0.42, 0.11, 0.60),
    Category.EXPERT: (0.0, 0.47, 0.42),
    Category.PRESS: (0.90, 0.40, 0.0),
    Category.OBSERVER: (0.33, 0.43, 0.48),
    Category.STAFF: (0.18, 0.49, 0.20),
}
BLACK: RGB = (0.0, 0.0, 0.0)
DARK: RGB = (0.13, 0.13, 0.13)
GREY: RGB = (0.45, 0.45, 0.45)
WHITE: RGB = (1.0, 1.0, 1.0)


def text_width(text: str, style: str, size: float) -> float:
    return shape(text, style).width * size


def _words(badge: BadgeInfo, conf: ConferenceInfo) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The category band's labels and the dates, one per language of the conference."""
    langs = labels.badge_languages(conf.name)
    return labels.category_labels(badge.category, langs), labels.dates(conf.first_day, conf.last_day, langs)


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    colour: RGB


@dataclass(frozen=True, slots=True)
class Text:
    x: float  # anchor: left, centre or right edge per `align`
    y: float  # baseline
    text: str
    style: str  # regular | bold
    size: float
    colour: RGB
    align: str = "left"
    max_width: float = 0.0

    @property
    def width(self) -> float:
        return text_width(self.text, self.style, self.size)

    @property
    def left(self) -> float:
        if self.align == "center":
            return self.x - self.width / 2
        if self.align == "right":
            return self.x - self.width
        return self.x


@dataclass(frozen=True, slots=True)
class QR:
    x: float  # bottom-left of the symbol, quiet zone outside
    y: float
    size: float


@dataclass(frozen=True, slots=True)
class Badge:
    boxes: list[Box]
    texts: list[Text]
    qr: QR


def fit(
    text: str,
    style: str,
    size: float,
    width: float,
    *,
    floor: float = 6.0,
) -> tuple[str, float]:
    """(text, size) that fits `width`: shrink from `size`, then cut with an ellipsis."""
    w = text_width(text, style, size)
    if w <= width:
        return text, size
    size = max(floor, size * width / w * 0.999)
    while text and text_width(text, style, size) > width:
        text = text[:-2].rstrip() + "…" if len(text) > 2 else ""
    return text, size


def _line(
    out: list[Text],
    text: str | None,
    style: str,
    size: float,
    x: float,
    y: float,
    width: float,
    colour: RGB = DARK,
    align: str = "center",
    floor: float = 6.0,
) -> float:
    """Add one fitted line with its baseline at y; return the size used (0 if no text)."""
    if not text:
        return 0.0
    text, size = fit(text.strip(), style, size, width, floor=floor)
    out.append(Text(x, y, text, style, size, colour, align, width))
    return size


def marks(badge: BadgeInfo) -> str:
    parts = []
    if badge.badge_version > 1:
        parts.append(f"v{badge.badge_version}")
    if badge.print_count >= 1:  # this print is number print_count + 1
        parts.append(f"reprint {badge.print_count + 1}")
    return " · ".join(parts)


def portrait(
    badge: BadgeInfo,
    conf: ConferenceInfo,
    x0: float,
    y0: float,
    w: float,
    h: float,
    *,
    reprint: bool = True,
) -> Badge:
    """An A6-like badge in the box (x0, y0, w, h)."""
    m = 6 * mm
    inner = w - 2 * m
    cx = x0 + w / 2
    colour = CATEGORY_COLOURS[badge.category]
    boxes: list[Box] = []
    texts: list[Text] = []
    band = 16 * mm
    boxes.append(Box(x0 + m, y0 + m, inner, band, colour))
    cats, dates = _words(badge, conf)
    if len(cats) == 1:
        label, lsize = fit(cats[0], "bold", 15, inner - 4 * mm)
        texts.append(Text(cx, y0 + m + band / 2 - lsize * 0.36, label, "bold", lsize, WHITE, "center"))
    else:
        _line(texts, cats[0], "bold", 12.5, cx, y0 + m + band * 0.55, inner - 4 * mm, WHITE)
        _line(texts, cats[1], "bold", 10, cx, y0 + m + band * 0.17, inner - 4 * mm, WHITE)
    boxes.append(Box(x0 + m, y0 + h - m - 1.2 * mm, inner, 1.2 * mm, colour))
    top = y0 + h - m - 1.2 * mm
    y = top - 5 * mm
    _line(texts, pick(conf.name, "en"), "bold", 10, cx, y, inner)
    y -= 4.2 * mm
    _line(texts, "  ·  ".join(dates), "regular", 8, cx, y, inner, GREY, floor=5)
    y -= 11 * mm
    s = _line(texts, badge.full_name, "bold", 22, cx, y, inner, BLACK)
    native = badge.native_name if badge.native_name and badge.native_name != badge.full_name else None
    if native:
        y -= max(s, 10) * 0.35 + 5.5 * mm
        s = _line(texts, native, "regular", 15, cx, y, inner, DARK)
    y -= max(s, 10) * 0.3 + 5.5 * mm
    delegation = pick(badge.delegation_name, "en") or badge.organisation
    _line(texts, delegation, "bold", 12, cx, y, inner, colour)
    y -= 4.8 * mm
    _line(texts, badge.position, "regular", 9, cx, y, inner, GREY)
    qr_top = y - 4 * mm
    qr_bottom = y0 + m + band + 5 * mm
    size = min(50 * mm, qr_top - qr_bottom)
    qr = QR(cx - size / 2, qr_bottom + (qr_top - qr_bottom - size) / 2, size)
    small_y = y0 + m + band + 1.5 * mm
    texts.append(Text(x0 + m, small_y, f"#{badge.registration_id}", "regular", 6, GREY))
    mark = marks(badge) if reprint else ""
    if mark:
        texts.append(Text(x0 + w - m, small_y, mark, "bold", 6.5, GREY, "right"))
    return Badge(boxes, texts, qr)


def card(
    badge: BadgeInfo,
    conf: ConferenceInfo,
    x0: float,
    y0: float,
    w: float,
    h: float,
    *,
    reprint: bool = True,
) -> Badge:
    """A CR80 (85.6 x 54 mm) landscape card: band on top, text left, QR right."""
    m = 3 * mm
    colour = CATEGORY_COLOURS[badge.category]
    boxes: list[Box] = []
    texts: list[Text] = []
    band = 8 * mm
    boxes.append(Box(x0, y0 + h - band, w, band, colour))
    cats, dates = _words(badge, conf)
    if len(cats) == 1:
        label, lsize = fit(cats[0], "bold", 9, w * 0.55)
        texts.append(Text(x0 + m, y0 + h - band / 2 - lsize * 0.36, label, "bold", lsize, WHITE))
    else:
        _line(texts, cats[0], "bold", 7.5, x0 + m, y0 + h - band / 2 + 0.6, w * 0.55, WHITE, "left", 4)
        _line(texts, cats[1], "bold", 6, x0 + m, y0 + h - band / 2 - 6.4, w * 0.55, WHITE, "left", 4)
    dy = 2.6 if len(dates) > 1 else 0.0
    for i, line in enumerate(dates[:2]):
        y_date = y0 + h - band / 2 - 2.2 + dy - 2 * dy * i
        _line(texts, line, "regular", 6 if not dy else 5, x0 + w - m, y_date, w * 0.4, WHITE, "right", 4)
    qsize = min(30 * mm, h - band - 2 * m - 1 * mm)
    qm = 3.5 * mm  # at least 4 modules of quiet zone
    qr = QR(x0 + w - qm - qsize, y0 + qm, qsize)
    left = x0 + m
    col = w - 3 * m - qsize
    y = y0 + h - band - 6.5 * mm
    s = _line(texts, badge.full_name, "bold", 12, left, y, col, BLACK, "left", 5)
    native = badge.native_name if badge.native_name and badge.native_name != badge.full_name else None
    if native:
        y -= max(s, 6) * 0.3 + 3.6 * mm
        s = _line(texts, native, "regular", 9, left, y, col, DARK, "left", 5)
    y -= max(s, 6) * 0.3 + 3.6 * mm
    delegation = pick(badge.delegation_name, "en") or badge.organisation
    _line(texts, delegation, "bold", 7.5, left, y, col, colour, "left", 4.5)
    y -= 3.4 * mm
    _line(texts, badge.position, "regular", 6, left, y, col, GREY, "left", 4.5)
    _line(texts, pick(conf.name, "en"), "regular", 5, left, y0 + m + 2.2 * mm, col, GREY, "left", 3.5)
    mark = marks(badge) if reprint else ""
    tail = f"#{badge.registration_id}" + (f"  {mark}" if mark else "")
    texts.append(Text(left, y0 + m - 0.5 * mm, tail, "regular", 4.5, GREY))
    return Badge(boxes, texts, qr)
