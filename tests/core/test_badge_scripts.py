"""Names in every script a delegation brings, on every layout and on the chat image: shaped,
in bidi order, with font fallback; the PDF's text layer gives them back as typed; long names
shrink; a character no font has is reported by name; labels and dates in the conference's
languages (issue 13)."""

import io
import logging
import re
import unicodedata
from datetime import date

import pypdfium2 as pdfium
import pytest
import uharfbuzz as hb
import zxingcpp

from core.badges import BadgeInfo, ConferenceInfo, badge_link, labels, make_token
from core.badges import layout as bl
from core.badges.fonts import chain
from core.badges.pdf import BadgePdf, PageBuilder, StreamingPdf
from core.badges.text_shaping import levels, shape
from core.models import Category

SECRET = b"s" * 48
BOT = "confdesk_minsk_bot"
CONF = ConferenceInfo(
    1, "minsk", {"en": "Minsk Conference on Eurasian Security"}, date(2024, 10, 31), date(2024, 11, 1)
)
CONF_RU = ConferenceInfo(
    1,
    "minsk",
    {"en": "Minsk Conference on Eurasian Security", "ru": "Минская конференция по евразийской безопасности"},
    date(2024, 10, 31),
    date(2024, 11, 1),
)

# (script, transliterated name, native name, face the native name is drawn with)
NAMES = [
    ("Chinese simplified", "Liu Wenjun", "刘文军", "noto-cjk"),
    ("Chinese simplified", "Wang Yi", "王毅", "noto-cjk"),
    ("Chinese traditional", "Ma Ying-jeou", "馬英九", "noto-cjk"),
    ("Japanese", "Yoko Kamikawa", "上川 陽子", "noto-cjk"),
    ("Japanese kana", "Kishida", "きしだ ふみお", "noto-cjk"),
    ("Korean", "Kim Min-jun", "김민준", "noto-cjk"),
    ("Arabic", "Bassam al-Sabbagh", "بسام الصباغ", "noto-arabic"),
    ("Arabic", "Abdullah bin Zayed", "عبدالله بن زايد آل نهيان", "noto-arabic"),
    ("Persian", "Abbas Araghchi", "سید عباس عراقچی", "noto-arabic"),
    ("Urdu", "Ishaq Dar", "محمد اسحاق ڈار", "noto-arabic"),
    ("Hebrew", "Gideon Saar", "גדעון סער", "noto-hebrew"),
    ("Hindi", "Narendra Modi", "नरेन्द्र मोदी", "noto-devanagari"),
    ("Bengali", "Sheikh Hasina", "শেখ হাসিনা", "noto-bengali"),
    ("Thai", "Somchai", "สมชาย ใจดี", "noto-thai"),
    ("Georgian", "Ilia Darchiashvili", "ილია დარჩიაშვილი", "noto-georgian"),
    ("Armenian", "Ararat Mirzoyan", "Արարատ Միրզոյան", "noto-armenian"),
    ("Greek", "Giorgos Gerapetritis", "Γιώργος Γεραπετρίτης", "dejavu"),
    ("Cyrillic", "Sergey Lavrov", "Сергей Лавров", "dejavu"),
    ("Serbian", "Ivica Dačić", "Ивица Дачић Ћ", "dejavu"),
    ("Vietnamese", "Bui Thanh Son", "Bùi Thanh Sơn Nguyễn", "dejavu"),
]


def _badge(name: str, native: str | None = None, **kw: object) -> BadgeInfo:
    base: dict = dict(
        registration_id=1,
        badge_version=1,
        print_count=0,
        full_name=name,
        native_name=native,
        position="Minister of Foreign Affairs",
        organisation=None,
        delegation_code="HU",
        delegation_name={"en": "Hungary"},
        category=Category.HEAD,
    )
    base.update(kw)
    return BadgeInfo(**base)


def _print(layout: str, badges: list[BadgeInfo], conf: ConferenceInfo = CONF) -> tuple[bytes, BadgePdf]:
    buf = io.BytesIO()
    job = BadgePdf(buf, conf, secret=SECRET, bot_username=BOT, layout=layout)
    for b in badges:
        job.add(b)
    job.close()
    return buf.getvalue(), job


def _plain(text: str) -> str:
    """Extracted text without line breaks and the bidi embedding marks some extractors add."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf").replace("\r", "")


@pytest.mark.parametrize("layout", ["a6", "a4x4", "cr80"])
def test_text_layer_gives_every_name_back_as_typed(layout):
    badges = [_badge(t, n, registration_id=i) for i, (_, t, n, _) in enumerate(NAMES, start=1)]
    data, job = _print(layout, badges)
    assert job.missing == []
    doc = pdfium.PdfDocument(data)
    try:
        text = _plain("\n".join(page.get_textpage().get_text_range() for page in doc))
    finally:
        doc.close()
    lines = set(text.split("\n"))
    for script, _, native, _ in NAMES:
        assert native in lines, (script, native)


def test_every_page_decodes_at_300_dpi_with_names_in_all_scripts():
    badges = [_badge(t, n, registration_id=i) for i, (_, t, n, _) in enumerate(NAMES, start=1)]
    data, _ = _print("a4x4", badges)
    doc = pdfium.PdfDocument(data)
    try:
        found = [b.text for page in doc for b in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())]
    finally:
        doc.close()
    assert sorted(found) == sorted(badge_link(BOT, make_token(SECRET, b.registration_id, 1)) for b in badges)


@pytest.mark.parametrize(("script", "native", "face"), [(s, n, f) for s, _, n, f in NAMES])
def test_each_script_has_its_face_and_no_missing_glyph(script, native, face):
    for style in ("regular", "bold"):
        shaped = shape(native, style)
        assert shaped.missing == "", script
        letters = [r for r in shaped.runs if any(unicodedata.category(t[:1]).startswith("L") for t in r.texts if t)]
        assert {r.face.key.rsplit("-", 1)[0] for r in letters} == {face}, script
        assert all(gid != 0 for r in shaped.runs for gid, *_ in r.glyphs), script  # no .notdef box


def _reference_glyphs(text: str, face_key: str) -> list[int]:
    """An independent shaping of the whole text with the face (HarfBuzz, direction guessed):
    glyphs in visual order, left to right."""
    face = next(f for f in chain("regular").faces if f.key == face_key)
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(face.font, buf, {})
    return [i.codepoint for i in buf.glyph_infos]


@pytest.mark.parametrize(
    ("text", "face_key", "rtl", "substituted"),
    [
        ("بسام الصباغ", "noto-arabic-regular", True, True),
        ("سید عباس عراقچی", "noto-arabic-regular", True, True),
        ("גדעון סער", "noto-hebrew-regular", True, False),
        ("नरेन्द्र मोदी", "noto-devanagari-regular", False, True),
        ("শেখ হাসিনা", "noto-bengali-regular", False, True),
        ("สมชาย ใจดี", "noto-thai-regular", False, False),
    ],
)
def test_drawn_glyphs_are_the_shaped_ones(text, face_key, rtl, substituted):
    """What the page draws is HarfBuzz's shaping: Arabic letters in their joined forms,
    right to left; Indic conjuncts and vowel signs; not one glyph per character."""
    shaped = shape(text, "regular")
    (run,) = shaped.runs
    assert run.rtl is rtl
    drawn = [g[0] for g in run.glyphs]
    visual = _reference_glyphs(text, face_key)
    assert drawn == visual
    face = run.face
    nominal = [face.glyph(ord(c)) for c in text]
    if substituted:  # joined forms, conjuncts: not one nominal glyph per character
        assert sorted(drawn) != sorted(nominal)
    if rtl:  # the leftmost glyph is the last letter typed
        assert run.texts[0] == text[-1]
    # and the PDF content stream draws exactly these glyph ids
    pdf = StreamingPdf(io.BytesIO(), compress=False)
    page = PageBuilder(pdf)
    page.text(bl.Text(10, 10, text, "regular", 12, bl.BLACK))
    drawn_ops = re.sub(r"/ActualText <[0-9A-F]+>", "", page.content())
    hexes = "".join(re.findall(r"<([0-9A-F]+)>", drawn_ops))
    ids = [int(hexes[i : i + 4], 16) for i in range(0, len(hexes), 4)]
    assert ids == drawn


def test_arabic_is_joined_and_right_to_left():
    shaped = shape("بسام", "regular")
    (run,) = shaped.runs
    assert run.rtl
    assert run.texts[0] == "م" and run.texts[-1] == "ب"  # leftmost glyph is the last letter
    isolated = [run.face.glyph(ord(c)) for c in reversed("بسام")]
    drawn = [g[0] for g in run.glyphs]
    assert len(drawn) == 4 and drawn != isolated and drawn[-1] != isolated[-1]  # initial beh, not isolated


def test_mixed_direction_follows_uax9():
    assert levels("abc אבג 123 def") == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 0, 0, 0]
    runs = shape("Урду: اردو 12", "regular").runs
    assert [r.texts[0] for r in runs if r.texts] == ["У", "1", " "]  # "Урду: 12 ودرا" on the page
    assert shape("王毅 (Wang Yi)", "bold").runs[0].face.key == "noto-cjk-bold"


@pytest.mark.parametrize("fn", [bl.portrait, bl.card])
@pytest.mark.parametrize(
    "native", ["عبدالله بن زايد بن سلطان آل نهيان " * 3, "刘文军赵美琳王毅" * 6, "नरेन्द्र दामोदरदास मोदी " * 4]
)
def test_long_names_in_any_script_shrink_to_fit(fn, native):
    size = (300, 420) if fn is bl.portrait else (242.6, 153.1)
    badge = fn(_badge("A", native), CONF, 0, 0, *size)
    (line,) = [t for t in badge.texts if t.text[:1] == native[:1]]
    assert line.max_width and line.width <= line.max_width + 0.01
    assert line.size < (15 if fn is bl.portrait else 9)


def test_missing_glyph_is_reported_naming_the_participant(caplog):
    _, job = _print("a6", [_badge("Edappadi Palaniswami", "எடப்பாடி பழனிசாமி", registration_id=7)])
    (lost,) = job.missing
    assert lost.registration_id == 7 and lost.full_name == "Edappadi Palaniswami"
    assert "ப" in lost.characters
    assert "Edappadi Palaniswami" in lost.describe() and "U+0BAA" in lost.describe()

    from core.badges.image import render_png

    with caplog.at_level(logging.WARNING, logger="core.badges.image"):
        render_png(_badge("Edappadi Palaniswami", "எடப்பாடி"), CONF, link=badge_link(BOT, make_token(SECRET, 7, 1)))
    assert "Edappadi Palaniswami" in caplog.text


def test_labels_and_dates_in_the_conference_languages():
    assert labels.badge_languages(CONF_RU.name) == ("en", "ru")
    assert labels.badge_languages(CONF.name) == ("en",)
    bi = [t.text for t in bl.portrait(_badge("A"), CONF_RU, 0, 0, 300, 420).texts]
    assert "HEAD OF DELEGATION" in bi and "ГЛАВА ДЕЛЕГАЦИИ" in bi
    assert any("October" in t or "Oct" in t for t in bi) and any("нояб" in t for t in bi)
    card = [t.text for t in bl.card(_badge("A", category=Category.PRESS), CONF_RU, 0, 0, 242.6, 153.1).texts]
    assert "PRESS" in card and "ПРЕССА" in card and any("окт" in t for t in card)
    en = [t.text for t in bl.portrait(_badge("A"), CONF, 0, 0, 300, 420).texts]
    assert "HEAD OF DELEGATION" in en and not any(re.search("[а-я]", t) for t in en)


@pytest.mark.parametrize("native", ["بسام الصباغ", "刘文军", "नरेन्द्र मोदी", "김민준"])
def test_chat_image_draws_the_name_and_its_code_decodes(native):
    from PIL import Image, ImageChops

    from core.badges.image import render_png

    link = badge_link(BOT, make_token(SECRET, 1, 1))
    with_name = Image.open(io.BytesIO(render_png(_badge("A", native), CONF, link=link))).convert("L")
    without = Image.open(io.BytesIO(render_png(_badge("A", None), CONF, link=link))).convert("L")
    assert [b.text for b in zxingcpp.read_barcodes(with_name)] == [link]
    diff = ImageChops.difference(with_name, without).getbbox()
    assert diff is not None  # the native line is drawn


def test_embedded_fonts_are_subsets():
    badges = [_badge(t, n, registration_id=i) for i, (_, t, n, _) in enumerate(NAMES, start=1)]
    data, _ = _print("a6", badges)
    assert len(data) < 400_000  # the 9.7 MB CJK face is cut to the glyphs used
    faces = set(re.findall(rb"/BaseFont /([A-Z]{6}\+[^\s/]+)", data))
    assert data.count(b"/FontFile2") == len(faces) >= 9  # each face embedded once
