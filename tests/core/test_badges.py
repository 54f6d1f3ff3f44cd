import io
import random
import string
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import select

from core.app_settings import ensure_badge_secret, remember_bot_username, resolve_bot_username
from core.badges import (
    BadgeInfo,
    ConferenceInfo,
    badge_link,
    make_token,
    parse_scanned,
    reissue_badge,
    verify_token,
)
from core.badges import layout as bl
from core.badges.pdf import BadgePdf
from core.badges.qr import dark_runs, qr_matrix, qr_modules, qr_plan, runs_of
from core.badges.tokens import TOKEN_LENGTH
from core.config import load_settings
from core.errors import DomainError
from core.models import AppSetting, AuditLog, Category, Registration
from tests.factories import make_conference, make_participant, make_registration

SECRET = b"s" * 48
ALPHABET = string.ascii_letters + string.digits + "-_"


def test_token_round_trip_and_length():
    token = make_token(SECRET, 123456, 7)
    assert len(token) == TOKEN_LENGTH == 32
    assert set(token) <= set(ALPHABET)
    assert verify_token(SECRET, token) == (123456, 7)
    assert verify_token(b"t" * 48, token) is None
    link = badge_link("@confdesk_bot", token)
    assert link == f"https://t.me/confdesk_bot?start=b_{token}"
    assert len(link.split("start=")[1]) <= 64


def test_parse_scanned_accepts_link_prefixed_bare_and_noise():
    token = make_token(SECRET, 5, 1)
    for text in (
        token,
        f"b_{token}",
        f"https://t.me/confdesk_bot?start=b_{token}",
        f"  t.me/confdesk_bot?start=b_{token}\r\n",
        f"\t{token}\r",
    ):
        assert parse_scanned(text) == token, text
    for text in (
        "",
        "hello",
        f"b_{token}x",
        token[:-1],
        f"https://evil.example/?start=b_{token}",
        f"https://t.me/confdesk_bot?start=inv_{token}",
        f"{token} {token}",
    ):
        assert parse_scanned(text) is None, text


def test_thousand_mutations_are_invalid():
    rnd = random.Random(20241031)
    for _ in range(1000):
        reg, ver = rnd.randint(1, 10**6), rnd.randint(1, 20)
        token = make_token(SECRET, reg, ver)
        chars = list(token)
        op = rnd.choice(["flip", "insert", "delete", "truncate", "swap"])
        if op == "flip":
            i = rnd.randrange(len(chars))
            chars[i] = rnd.choice([c for c in ALPHABET if c != chars[i]])
        elif op == "insert":
            chars.insert(rnd.randrange(len(chars) + 1), rnd.choice(ALPHABET))
        elif op == "delete":
            del chars[rnd.randrange(len(chars))]
        elif op == "truncate":
            chars = chars[: rnd.randrange(len(chars))]
        else:
            i = rnd.randrange(len(chars) - 1)
            if chars[i] == chars[i + 1]:
                chars[i] = "A" if chars[i] != "A" else "B"
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        mutated = "".join(chars)
        assert mutated != token
        assert verify_token(SECRET, mutated) is None, (op, token, mutated)
        parsed = parse_scanned(f"https://t.me/bot_name?start=b_{mutated}")
        assert parsed is None or verify_token(SECRET, parsed) is None


def test_token_cannot_be_made_from_public_facts():
    """Knowing the registration id, Telegram id, version and format gives no valid code."""
    real = make_token(SECRET, 42, 1)
    import base64
    import hashlib
    import struct

    head = struct.pack(">BIH", 1, 42, 1)
    for guess_key in (b"", b"42", b"10042", b"confdesk", SECRET[:8]):
        mac = hashlib.sha256(guess_key + head).digest()[:17]
        forged = base64.urlsafe_b64encode(head + mac).decode().rstrip("=")
        assert forged != real
        assert verify_token(SECRET, forged) is None
    zeros = base64.urlsafe_b64encode(head + bytes(17)).decode().rstrip("=")
    assert verify_token(SECRET, zeros) is None
    # the id is visible in the token, the rest is not: another id's MAC never fits
    other = make_token(SECRET, 43, 1)
    spliced = base64.urlsafe_b64encode(head + base64.urlsafe_b64decode(other + "==")[7:]).decode().rstrip("=")
    assert verify_token(SECRET, spliced) is None


async def test_secret_from_env_or_generated_once(session):
    env = load_settings(badge_secret="e" * 40, _env_file=None)
    secret, source = await ensure_badge_secret(session, env)
    assert secret == b"e" * 40 and "BADGE_SECRET" in source
    plain = load_settings(_env_file=None, badge_secret=None)
    first, where = await ensure_badge_secret(session, plain)
    assert len(first) >= 48 and "app_setting" in where
    again, _ = await ensure_badge_secret(session, plain)
    assert again == first
    stored = await session.get(AppSetting, "badge_secret")
    assert stored is not None and stored.value.encode() == first


async def test_bot_username_resolution(session):
    plain = load_settings(_env_file=None, bot_username=None)
    with pytest.raises(DomainError) as err:
        await resolve_bot_username(session, plain.bot_username)
    assert err.value.code == "bot_username_unknown"
    assert "BOT_USERNAME" in err.value.message
    await remember_bot_username(session, "@confdesk_minsk_bot")
    assert await resolve_bot_username(session, plain.bot_username) == "confdesk_minsk_bot"
    await remember_bot_username(session, "confdesk_other_bot")
    assert await resolve_bot_username(session, plain.bot_username) == "confdesk_other_bot"
    override = load_settings(_env_file=None, bot_username="@override_bot")
    assert await resolve_bot_username(session, override.bot_username) == "override_bot"


async def test_reissue_bumps_version_and_audits(session):
    conf = await make_conference(session)
    reg = await make_registration(session, conf)
    reg.badge_file_id = "AgAD"
    reg.badge_print_count = 2
    await session.commit()
    again = await reissue_badge(session, reg.id, actor_telegram_id=777)
    assert again.badge_version == 2 and again.badge_file_id is None
    assert again.badge_print_count == 0
    session.expunge_all()
    fresh = await session.get(Registration, reg.id)
    assert fresh is not None and fresh.badge_version == 2
    log = (await session.execute(select(AuditLog))).scalars().one()
    assert log.action == "badge.reissue" and log.actor_telegram_id == 777
    assert log.details["old_version"] == 1


def test_qr_fixed_version_and_mask_decodes():
    link = badge_link("confdesk_minsk_bot", make_token(SECRET, 99, 3))
    version, mask = qr_plan(link)
    assert version in (4, 5)
    matrix = qr_matrix(link, version=version, mask=mask)
    assert len(matrix) == 17 + 4 * version
    runs = dark_runs(matrix)
    assert sum(k for _, _, k in runs) == sum(map(sum, matrix))
    from PIL import Image

    n, scale, quiet = len(matrix), 8, 4
    img = Image.new("L", ((n + 2 * quiet) * scale,) * 2, 255)
    for r, c, k in runs:
        img.paste(0, ((c + quiet) * scale, (r + quiet) * scale, (c + k + quiet) * scale, (r + 1 + quiet) * scale))
    assert [b.text for b in zxingcpp.read_barcodes(img)] == [link]


def test_qr_matrix_is_qrcodes_own_matrix():
    """The template + own Reed-Solomon path gives exactly qrcode's modules, for the job's
    fixed version/mask and for other lengths, versions and masks."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    links = [badge_link("confdesk_minsk_bot", make_token(SECRET, i, v)) for i, v in ((1, 1), (42, 2), (10**6, 7))]
    links += ["https://t.me/x?start=" + "a" * k for k in (1, 17, 60, 130)]
    for link in links:
        plans = {qr_plan(link)}
        plans |= {(max(qr_plan(link)[0], 7), m) for m in (0, 3, 6)}  # version information too
        for version, mask in plans:
            qr = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M, mask_pattern=mask, border=0)
            qr.add_data(link, optimize=0)
            qr.make(fit=False)
            want = [[bool(m) for m in row] for row in qr.modules]
            assert qr_matrix(link, version=version, mask=mask) == want
            assert runs_of(*qr_modules(link, version=version, mask=mask)) == dark_runs(want)


CONF = ConferenceInfo(
    1,
    "minsk",
    {"en": "Minsk Conference on Eurasian Security"},
    date(2024, 10, 31),
    date(2024, 11, 1),
)


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


@pytest.mark.parametrize("fn", [bl.portrait, bl.card])
def test_long_names_shrink_to_fit(fn):
    long = "Maria Dolores de Cospedal García Hernández Montenegro y Szijjártó-Лавров " * 2
    badge = (
        fn(_badge(long, "Лавров " * 12), CONF, 0, 0, 300, 420)
        if fn is bl.portrait
        else fn(_badge(long, "Лавров " * 12), CONF, 0, 0, 242.6, 153.1)
    )
    names = [t for t in badge.texts if t.text.startswith(("Maria", "Лавров"))]
    assert len(names) == 2
    for t in names:
        assert t.max_width and t.width <= t.max_width + 0.01
        assert t.size < 22
    short = fn(_badge("Péter Szijjártó"), CONF, 0, 0, 300, 420)
    assert any(t.text == "Péter Szijjártó" for t in short.texts)


def test_reprint_mark():
    assert bl.marks(_badge("A", print_count=0)) == ""
    assert bl.marks(_badge("A", print_count=1)) == "reprint 2"
    assert bl.marks(_badge("A", print_count=1, badge_version=3)) == "v3 · reprint 2"


@pytest.mark.parametrize("layout", ["a6", "a4x4", "cr80"])
def test_pdf_layouts_decode_at_300_dpi(layout):
    buf = io.BytesIO()
    job = BadgePdf(buf, CONF, secret=SECRET, bot_username="confdesk_minsk_bot", layout=layout)
    names = [
        ("Péter Szijjártó", "Сийярто Петер"),
        ("Sergey Lavrov", "Сергей Лавров"),
        ("Ursula Gertrud von der Leyen", None),
        ("Zoë Ångström-Øster", "Зоя"),
    ]
    links = []
    for i, (name, native) in enumerate(names, start=1):
        job.add(_badge(name, native, registration_id=i, category=list(Category)[i]))
        links.append(badge_link("confdesk_minsk_bot", make_token(SECRET, i, 1)))
    job.close()
    doc = pdfium.PdfDocument(buf.getvalue())
    try:
        found, text = [], ""
        for page in doc:
            found += [b.text for b in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())]
            text += page.get_textpage().get_text_range()
    finally:
        doc.close()
    assert sorted(found) == sorted(links)
    assert "Szijjártó" in text and "Сергей Лавров" in text


async def test_chat_png(session):
    from PIL import Image

    from core.badges.image import render_png

    data = render_png(
        _badge("Péter Szijjártó", "Сийярто Петер"),
        CONF,
        link=badge_link("confdesk_minsk_bot", make_token(SECRET, 1, 1)),
    )
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG" and img.width >= 600
    assert [b.text for b in zxingcpp.read_barcodes(img)] == [badge_link("confdesk_minsk_bot", make_token(SECRET, 1, 1))]


async def test_only_approved_and_filters(session):
    from core.badges import count_badges, iter_badges
    from core.models import RegistrationStatus

    conf = await make_conference(session)
    await make_registration(session, conf)
    await make_registration(session, conf, status=RegistrationStatus.PENDING)
    await make_registration(session, conf, category=Category.PRESS)
    p = await make_participant(session)
    r = await make_registration(session, conf, p)
    r.badge_print_count = 1
    await session.commit()
    assert await count_badges(session, conf.id) == 3
    assert await count_badges(session, conf.id, only_new=True) == 2
    assert await count_badges(session, conf.id, category=Category.PRESS) == 1
    got = [b async for batch in iter_badges(session, conf.id, batch=1) for b in batch]
    assert [b.registration_id for b in got] == sorted(b.registration_id for b in got)
    assert len(got) == 3
