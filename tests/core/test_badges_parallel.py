"""Pages drawn by worker processes (core/badges/parallel.py) give the same PDF as pages drawn
in the parent: the same text on each page in the same order, the same QR payloads on each
page, the missing glyphs reported naming the participant, each face embedded once."""

import re

import pypdfium2 as pdfium
import pytest
import zxingcpp

from core.badges import badge_link, conference_info, make_token
from core.badges import parallel as par
from core.badges.pdf import print_badges
from tests.factories import make_conference, make_participant, make_registration

SECRET = b"s" * 48
BOT = "confdesk_minsk_bot"
NATIVE = ["刘文军", "بسام الصباغ", "גדעון סער", "नरेन्द्र मोदी", "Сергей Лавров", None, "สมชาย ใจดี", "김민준"]


def _pages(data: bytes) -> tuple[list[str], list[list[str]]]:
    doc = pdfium.PdfDocument(data)
    try:
        texts = [page.get_textpage().get_text_range() for page in doc]
        codes = [sorted(b.text for b in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())) for page in doc]
    finally:
        doc.close()
    return texts, codes


@pytest.mark.parametrize("layout", ["a4x4", "a6"])
async def test_parallel_print_is_the_serial_print(session, tmp_path, monkeypatch, layout):
    conf = await make_conference(session)
    regs = []
    for i in range(11 if layout == "a6" else 17):
        p = await make_participant(session, full_name=f"Person {i}", native_name=NATIVE[i % len(NATIVE)])
        regs.append(await make_registration(session, conf, p))
    lost = await make_participant(session, full_name="Edappadi Palaniswami", native_name="எடப்பாடி பழனிசாமி")
    regs.append(await make_registration(session, conf, lost))  # ids in creation order: printed last
    await session.commit()
    info = await conference_info(session, conf.slug)
    monkeypatch.setattr(par, "CHUNK", 4)  # several chunks, handed out and written in order

    async def run(name: str, **kw: int):  # type: ignore[no-untyped-def]
        out = tmp_path / name
        report = await print_badges(
            session, out, info, secret=SECRET, bot_username=BOT, layout=layout, mark=False, **kw
        )
        return out.read_bytes(), report

    serial, serial_report = await run("serial.pdf", workers=1)
    parallel, report = await run("parallel.pdf", workers=2, parallel_from=1)

    s_texts, s_codes = _pages(serial)
    p_texts, p_codes = _pages(parallel)
    assert p_texts == s_texts and p_codes == s_codes
    per = 4 if layout == "a4x4" else 1
    links = [badge_link(BOT, make_token(SECRET, r.id, r.badge_version)) for r in regs]
    assert p_codes == [sorted(links[i : i + per]) for i in range(0, len(links), per)]
    assert "Person 0" in p_texts[0] and "Edappadi Palaniswami" in p_texts[-1]  # the last one registered
    assert report.pages == serial_report.pages == len(p_texts)
    (missing,) = report.missing
    assert missing == serial_report.missing[0]
    assert missing.full_name == "Edappadi Palaniswami" and "U+0BAA" in missing.describe()
    faces = set(re.findall(rb"/BaseFont /([A-Z]{6}\+[^\s/]+)", parallel))
    assert parallel.count(b"/FontFile2") == len(faces) >= 5  # each face once, the union of glyphs


async def test_below_the_threshold_no_worker_is_started(session, tmp_path, monkeypatch):
    conf = await make_conference(session)
    for i in range(3):
        await make_registration(session, conf, await make_participant(session, full_name=f"P {i}"))
    await session.commit()

    def no_pool(*a: object, **kw: object) -> None:
        raise AssertionError("a pool was started")

    monkeypatch.setattr(par, "PagePool", no_pool)
    info = await conference_info(session, conf.slug)
    report = await print_badges(
        session, tmp_path / "x.pdf", info, secret=SECRET, bot_username=BOT, layout="a6", workers=2, parallel_from=4
    )
    assert report.badges == report.pages == 3
