"""Door staff in Telegram: badge links, photos, gates and halls; participants' /badge."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import func, select

from core import badges
from core.checkin.qr_decode import decode_codes
from core.models import AgendaKind, Category, RegistrationStatus, Scan, StaffRole, StaffRoleName
from core.uow import unit_of_work
from tests.bot.conftest import Harness
from tests.factories import make_item, make_participant, make_registration

DOOR = 7700
SECRET = b"s" * 40  # the harness's BADGE_SECRET


async def setup(
    h: Harness,
    *,
    status=RegistrationStatus.APPROVED,
    category=Category.DELEGATE,
    telegram_id=None,
    name="Peter Szijjarto",
):  # type: ignore[no-untyped-def]
    async with h.session_factory() as s:
        if not (await s.execute(select(StaffRole).where(StaffRole.telegram_id == DOOR))).first():
            s.add(StaffRole(conference_id=h.conference.id, telegram_id=DOOR, role=StaffRoleName.DOOR))
        p = await make_participant(s, full_name=name, native_name="Szijjártó Péter", telegram_id=telegram_id)
        r = await make_registration(
            s, h.conference, p, delegation=h.delegations["HU"], category=category, status=status
        )
        await s.commit()
        return r.id, badges.make_token(SECRET, r.id, r.badge_version)


async def scans(h: Harness) -> list[Scan]:
    async with h.session_factory() as s:
        return list((await s.execute(select(Scan).order_by(Scan.id))).scalars())


async def test_every_verdict_through_the_badge_link(harness: Harness) -> None:
    h = harness
    reg_id, token = await setup(h)
    _, pending_token = await setup(h, status=RegistrationStatus.PENDING, name="Waiting Person")
    door = h.user(DOOR, "Door", "en")
    await door.start(f"b_{token}")
    ok = await door.expect("Welcome")
    assert (
        "Peter Szijjarto" in ok.text and "Szijjártó Péter" in ok.text and "Hungary" in ok.text and "Delegate" in ok.text
    )
    assert "Venue entrance · entry" in ok.text
    await door.start(f"b_{token}")
    dup = await door.expect("Already inside")
    assert f"let in by {DOOR}" in dup.text
    await door.start(f"b_{token[:-1]}A" if token[-1] != "A" else f"b_{token[:-1]}B")
    await door.expect("Invalid code")
    await door.start(f"b_{pending_token}")
    await door.expect("Not accredited")
    async with unit_of_work(h.session_factory) as s:
        await badges.reissue_badge(s, reg_id, actor="test")
    await door.start(f"b_{token}")
    await door.expect("Revoked badge")
    results = [s.result.value for s in await scans(h)]
    assert results == ["ok", "duplicate", "invalid", "not_approved", "revoked"]


async def test_gate_exit_and_a_hall_that_admits_only_some(harness: Harness) -> None:
    h = harness
    async with h.session_factory() as s:
        await make_item(
            s,
            h.conference,
            "hls",
            kind=AgendaKind.HIGH_LEVEL,
            allowed=["head_of_delegation", "delegate"],
            start=datetime(2024, 10, 31, 7, 0, tzinfo=UTC),
            signup_open=False,
        )
        await s.commit()
    _, delegate = await setup(h)
    _, press = await setup(h, category=Category.PRESS, name="Press Person")
    door = h.user(DOOR, "Door", "en")
    await door.send("/gate")
    menu = await door.expect("Scanning at")
    assert menu.buttons[0] == "Venue entrance" and "31 Oct, 10:00 Item hls" in menu.buttons  # Minsk local time
    await door.press("Item hls")
    assert "Hall A" in (await door.answered()).text
    await door.start(f"b_{press}")
    await door.expect("Not admitted to this session")
    await door.start(f"b_{delegate}")
    inside = await door.expect("Welcome")
    assert "Hall A · entry" in inside.text
    await door.press("Exit", message=menu)
    await door.answered()
    await door.start(f"b_{delegate}")
    await door.expect("Checked out")


async def test_a_participant_learns_nothing_from_a_badge(harness: Harness) -> None:
    h = harness
    _, token = await setup(h)
    nosy = h.user(3131, "Nosy", "en")
    await nosy.start(f"b_{token}")
    reply = await nosy.expect("not valid here")
    assert "Peter" not in reply.text
    await nosy.send("/gate")
    await nosy.expect("organisers only")
    await nosy.send_photo(_png(Image.new("RGB", (50, 50), "white")))
    await nosy.expect("only read text")
    assert await scans(h) == []


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def photo_of(badge_png: bytes) -> bytes:
    """The badge as a phone would see it: smaller, turned, on a cluttered desk, blurred."""
    rnd = random.Random(7)
    badge = Image.open(io.BytesIO(badge_png)).convert("RGB")
    badge = badge.resize((badge.width * 6 // 10, badge.height * 6 // 10)).rotate(
        17, expand=True, fillcolor=(120, 90, 60)
    )
    desk = Image.new("RGB", (badge.width + 400, badge.height + 300), (120, 90, 60))
    draw = ImageDraw.Draw(desk)
    for _ in range(80):
        x, y = rnd.randrange(desk.width), rnd.randrange(desk.height)
        draw.rectangle(
            [x, y, x + rnd.randrange(5, 60), y + rnd.randrange(5, 60)], fill=tuple(rnd.randrange(256) for _ in range(3))
        )
    desk.paste(badge, (180, 130))
    out = io.BytesIO()
    desk.filter(ImageFilter.GaussianBlur(0.8)).save(out, "JPEG", quality=85)
    return out.getvalue()


async def test_badge_in_the_chat_then_a_photo_of_it_at_the_door(harness: Harness) -> None:
    h = harness
    await setup(h, telegram_id=2424)
    guest = h.user(2424, "Peter", "en")
    await guest.send("/badge")
    sent = await guest.expect("Your badge for")
    png = sent.photo
    assert png is not None and png.startswith(b"\x89PNG")
    (link,) = decode_codes(png)
    assert link.startswith(f"https://t.me/{h.emulator.bot_username}?start=b_")
    await guest.send("/badge")
    await guest.expect("Your badge for")
    photos = [c for c in h.emulator.calls if c.method == "sendPhoto"]
    assert isinstance(photos[-1].params["photo"], str)  # re-sent by Telegram file id, not uploaded
    door = h.user(DOOR, "Door", "ru")
    await door.send_photo(photo_of(png))
    ok = await door.expect("Добро пожаловать")
    assert "Peter Szijjarto" in ok.text
    await door.send_photo(_png(Image.new("RGB", (400, 300), "gray")))
    await door.expect("Не удалось найти")
    async with h.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(Scan))).scalar_one() == 1


async def test_no_badge_before_approval(harness: Harness) -> None:
    h = harness
    await setup(h, status=RegistrationStatus.PENDING, telegram_id=2525)
    waiting = h.user(2525, "W", "en")
    await waiting.send("/badge")
    await waiting.expect("once your accreditation is approved")
    stranger = h.user(2626, "S", "ru")
    await stranger.send("/badge")
    await stranger.expect("зарегистрируйтесь")


async def test_a_scan_outside_the_conference_days_is_flagged(harness: Harness) -> None:
    """A scan on a day that is not the conference's still works, but tells the door to check
    the conference and the clock."""
    _, token = await setup(harness)
    door = harness.user(DOOR, "Door", "en")
    await door.start(f"b_{token}")  # the tests run in 2026: the 2024 conference is long over
    late = await door.expect("Welcome")
    assert "not a day of this conference (31 Oct 2024 – 1 Nov 2024)" in late.text


async def test_the_bot_judges_on_the_dispatchers_clock(database_url, session_factory) -> None:  # type: ignore[no-untyped-def]
    """The demo runs the bot on the conference's own days: check-in takes the dispatcher's
    clock, so the scan is stored at that moment and is not flagged."""
    from bot.app import build_dispatcher, make_bot
    from bot.emulator import BotAPIEmulator
    from core.config import load_settings
    from tests.bot.conftest import seed

    conference, delegations = await seed(session_factory)
    on_the_day = datetime(2024, 11, 1, 6, 30, tzinfo=UTC)  # 09:30 in Minsk, day 2
    async with BotAPIEmulator() as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token="123456:TEST",
            database_url=database_url,
            telegram_api_url=emulator.base_url,
            badge_secret=SECRET.decode(),
            redis_url=None,
            conference=None,
        )
        h = Harness(emulator, settings, session_factory, conference, delegations)
        _, token = await setup(h)
        bot, dp = make_bot(settings), build_dispatcher(settings, session_factory, clock=lambda: on_the_day)
        try:
            async with emulator.polling(dp, bot):
                door = emulator.user(DOOR, "Door", "en")
                await door.start(f"b_{token}")
                ok = await door.expect("Welcome")
                assert "not a day of this conference" not in ok.text
        finally:
            await bot.session.close()
    assert [s.scanned_at for s in await scans(h)] == [on_the_day]
