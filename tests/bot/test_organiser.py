"""/stats, /attendance, /find, inline search and charts through the emulator, for each role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

from PIL import Image

from core import reporting
from core.models import (
    AgendaKind,
    AgendaSignup,
    Category,
    Presence,
    RegistrationStatus,
    Scan,
    ScanDirection,
    ScanResult,
    SignupStatus,
    StaffRoleName,
)
from core.reporting.charts import PNG_SIGNATURE
from tests.bot.conftest import ADMIN, OFFICER, Harness, add_staff, running_today
from tests.factories import make_item, make_participant, make_registration

DOOR = 9002
PARTICIPANT = 1001


async def seed(h: Harness) -> dict[str, int]:
    """Five approved (two Belarus, two Hungary, one without delegation), one pending; scans
    made just now so that they count for today whatever day the tests run: the conference is
    moved to today (reports show today only while a conference runs)."""
    now = datetime.now(UTC)
    today = reporting.local_today(h.conference)
    today_start, _ = reporting.day_bounds(h.conference, today)
    now = max(now, today_start + timedelta(hours=1))  # just after midnight: keep every scan "today"
    await running_today(h)
    async with h.session_factory() as s:
        conf = h.conference
        ids: dict[str, int] = {}
        for key, name, native, code, cat, tg in [
            ("peter", "Péter Szijjártó", "Сийярто Петер", "HU", Category.HEAD, 2001),
            ("anna", "Anna Kovacs", None, "HU", Category.DELEGATE, 2002),
            ("sergey", "Sergey Lavrov", "Сергей Лавров", "BY", Category.HEAD, 2003),
            ("olga", "Olga Ivanova", "Ольга Иванова", "BY", Category.DELEGATE, 2004),
            ("press", "Ivan Pressman", None, None, Category.PRESS, PARTICIPANT),
        ]:
            p = await make_participant(s, full_name=name, native_name=native, telegram_id=tg)
            r = await make_registration(s, conf, p, delegation=h.delegations[code] if code else None, category=cat)
            ids[key] = r.id
        p = await make_participant(s, full_name="Pending Person", telegram_id=2009)
        await make_registration(s, conf, p, status=RegistrationStatus.PENDING)
        hl = await make_item(
            s, conf, "hl", kind=AgendaKind.HIGH_LEVEL, start=now - timedelta(hours=1), signup_open=False
        )
        th = await make_item(s, conf, "th", start=now - timedelta(minutes=30))
        ids["hl"], ids["th"] = hl.id, th.id
        for key in ("anna", "olga"):
            s.add(AgendaSignup(registration_id=ids[key], agenda_item_id=th.id, status=SignupStatus.CONFIRMED))
        for key, item, minutes in [
            ("peter", None, 50),
            ("sergey", None, 40),
            ("peter", hl.id, 30),
            ("anna", th.id, 10),
        ]:
            s.add(
                Scan(
                    conference_id=conf.id,
                    registration_id=ids[key],
                    agenda_item_id=item,
                    direction=ScanDirection.IN,
                    result=ScanResult.OK,
                    scanned_at=now - timedelta(minutes=minutes),
                    gate="North",
                )
            )
        s.add(
            Presence(registration_id=ids["peter"], inside=True, since=now - timedelta(minutes=30), agenda_item_id=hl.id)
        )
        s.add(Presence(registration_id=ids["sergey"], inside=True, since=now - timedelta(minutes=40)))
        await s.commit()
    await add_staff(h, OFFICER, StaffRoleName.ACCREDITATION)
    await add_staff(h, DOOR, StaffRoleName.DOOR)
    return ids


async def test_stats_for_each_role(harness: Harness) -> None:
    h = harness
    await seed(h)
    for who in (ADMIN, OFFICER, DOOR):
        user = h.user(who, "Staff")
        await user.send("/stats")
        reply = await user.expect("Registered")
        assert "Registered: 6" in reply.text and "Pending: 1" in reply.text and "approved: 5" in reply.text
        assert "Checked in today: 3" in reply.text and "Inside now: 2" in reply.text
        assert "Head of delegation: 2 · 2 · 2" in reply.text
        assert "📈 Check-ins per hour" in reply.buttons
        assert ("By delegation" in reply.buttons) == (who != DOOR)  # door staff: numbers and charts only
    participant = h.user(PARTICIPANT, "Ivan")
    await participant.send("/stats")
    await participant.expect("for the organisers only")
    ru = h.user(9005, "Ольга", "ru")
    await add_staff(h, 9005, StaffRoleName.DOOR)
    await ru.send("/stats")
    assert "Прошли сегодня: 3" in (await ru.expect("Зарегистрировано")).text
    await ru.send("/stats 31-10-2024")
    await ru.expect("ГГГГ-ММ-ДД")


async def test_attendance_drill_down(harness: Harness) -> None:
    h = harness
    ids = await seed(h)
    officer = h.user(OFFICER, "Olga")
    await officer.send("/attendance")
    menu = await officer.expect("Attendance")
    assert "3 checked in, 2 inside now" in menu.text
    await officer.press("By delegation")
    page = await officer.edited()
    assert "Delegations present at the high-level session: 1 of 2" in page.text
    assert "Delegations present today: 2 of 2" in page.text
    assert "Belarus: 2 · 1 · 0" in page.text and "Hungary: 2 · 2 · 1" in page.text
    assert "no delegation: 1 · 0 · 0" in page.text
    await officer.press("Hungary")
    detail = await officer.edited()
    assert (
        "2 accredited" in detail.text and "1 at the high-level session" in detail.text and "1 inside now" in detail.text
    )
    await officer.press("Back")
    await officer.edited()
    await officer.press("Back")
    await officer.edited()
    await officer.press("By session")
    items = await officer.edited()
    assert "Item th: 2 · 1 · 1" in items.text and "Item hl: 0 · 1 · 0" in items.text
    await officer.press("Item th")
    item = await officer.edited()
    assert "No-shows: 1" in item.text and "Olga Ivanova (Belarus)" in item.text and "Anna" not in item.text
    await officer.press("Back")
    await officer.edited()
    await officer.press("Back")
    await officer.edited()
    await officer.press("By day")
    days = await officer.edited()
    assert "By day" in days.text
    assert ids
    for refused in (DOOR, PARTICIPANT):
        user = h.user(refused, "No")
        await user.send("/attendance")
        await user.expect("for the organisers only")
    admin = h.user(ADMIN, "Admin")
    await admin.send("/attendance")
    await admin.expect("Attendance")


async def test_find_card_and_inline_search(harness: Harness) -> None:
    h = harness
    ids = await seed(h)
    officer = h.user(OFFICER, "Olga")
    await officer.send("/find SZIJJARTO")
    card = await officer.expect("Péter Szijjártó")
    assert "Сийярто Петер" in card.text and f"#{ids['peter']}" in card.text and "Hungary" in card.text
    assert "Badge: version 1, printed 0 time(s)" in card.text
    assert "Now: in “Item hl”" in card.text and "Last scans:" in card.text and "Welcome (North)" in card.text
    await officer.send("/find сергей")
    assert "Sergey Lavrov" in (await officer.expect("Badge:")).text
    await officer.send("/find an")  # Anna, Ivan, Sergey..: a list to choose from
    listing = await officer.expect("Found")
    assert "Anna Kovacs · Hungary" in listing.buttons
    await officer.press("Anna Kovacs · Hungary")
    assert "Item th" in (await officer.expect("Anna Kovacs")).text
    await officer.send("/find zzzz")
    await officer.expect("Nobody matches")
    await officer.send("/find")
    await officer.expect("/find Lavrov")
    await officer.inline_query("lavrov")
    answer = await officer.inline_results()
    assert [r["title"] for r in answer.results or []] == ["Sergey Lavrov"]
    assert "Badge: version 1" in answer.results[0]["input_message_content"]["message_text"]
    admin = h.user(ADMIN, "Admin")
    await admin.send("/find peter")
    await admin.expect("Péter Szijjártó")
    for refused in (DOOR, PARTICIPANT):
        user = h.user(refused, "No")
        await user.send("/find lavrov")
        await user.expect("for the organisers only")
        await user.inline_query("lavrov")
        denied = await user.inline_results()
        assert [r["id"] for r in denied.results or []] == ["denied"]


async def test_charts_arrive_as_png(harness: Harness) -> None:
    h = harness
    await seed(h)
    for who in (ADMIN, DOOR):
        user = h.user(who, "Staff")
        await user.send("/stats")
        await user.expect("Registered")
        for button, caption in (
            ("Check-ins per hour", "2 entries"),
            ("Presence by delegation", "Presence by delegation"),
        ):
            await user.press(button)
            photo = await user.expect(caption)
            data = photo.photo
            assert data is not None and data.startswith(PNG_SIGNATURE)
            image = Image.open(BytesIO(data))
            image.verify()
            assert image.format == "PNG" and image.size[0] >= 600
