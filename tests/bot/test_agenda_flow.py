"""The programme in the bot, end to end through the emulator: /agenda by day, item cards,
sign-up rules from core, the waiting list and its promotion message, /my with its .ics file,
reminders sent once with a fake clock, and change notices after a programme reload."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import func, select, update

from bot.app import make_bot
from bot.emulator.records import BotMessage
from bot.emulator.users import FakeUser
from bot.sender import RateLimiter, Sender
from core.models import (
    AgendaItem,
    AgendaKind,
    AgendaSignup,
    AgendaSpeaker,
    Category,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    SignupStatus,
    SpeakerRole,
)
from core.programme import messages, reminders, signups
from core.programme.file import parse_programme
from core.programme.load import load_programme
from core.uow import unit_of_work
from tests.bot.conftest import Harness
from tests.factories import make_item, make_participant, make_registration

UTC_OFFSET = timedelta(hours=3)  # Minsk


def minsk(day: int, hh: int, mm: int = 0) -> datetime:
    """A wall-clock time in Minsk on 31 Oct (day 1) or 1 Nov (day 2), as aware UTC."""
    base = datetime(2024, 10, 31, tzinfo=UTC) if day == 1 else datetime(2024, 11, 1, tzinfo=UTC)
    return base + timedelta(hours=hh, minutes=mm) - UTC_OFFSET


async def seed_programme(h: Harness, *, fillers: int = 0) -> dict[str, int]:
    """The high-level session (heads and speakers only), two clashing discussions (one with
    a single seat), `fillers` more items on day 1, and the closing on day 2."""
    async with h.session_factory() as s:
        conf = h.conference
        hl = await make_item(
            s,
            conf,
            "hl",
            kind=AgendaKind.HIGH_LEVEL,
            start=minsk(1, 10),
            minutes=180,
            capacity=600,
            allowed=["head_of_delegation", "speaker"],
        )
        hl.title = {"en": "High-level session: Eurasian security", "ru": "Сессия высокого уровня"}
        hl.hall = {"en": "Palace of Independence", "ru": "Дворец Независимости"}
        lavrov = await make_participant(s, full_name="Sergey Lavrov", telegram_id=None)
        host = await make_participant(s, full_name="Maxim Ryzhenkov", telegram_id=None)
        s.add(AgendaSpeaker(agenda_item_id=hl.id, participant_id=lavrov.id, role=SpeakerRole.SPEAKER))
        s.add(AgendaSpeaker(agenda_item_id=hl.id, participant_id=host.id, role=SpeakerRole.MODERATOR))
        migration = await make_item(s, conf, "migration", start=minsk(1, 14, 30), minutes=120, capacity=1)
        migration.title = {"en": "Migration in Eurasia", "ru": "Миграция в Евразии"}
        sanctions = await make_item(s, conf, "sanctions", start=minsk(1, 14, 30), minutes=120, capacity=50)
        sanctions.title = {"en": "Sanctions and security", "ru": "Санкции и безопасность"}
        for i in range(fillers):
            await make_item(
                s, conf, f"f{i}", kind=AgendaKind.BREAK, start=minsk(1, 17, i), minutes=30, signup_open=False
            )
        closing = await make_item(
            s, conf, "closing", kind=AgendaKind.CLOSING, start=minsk(2, 12, 30), minutes=60, signup_open=False
        )
        await s.commit()
        return {"hl": hl.id, "migration": migration.id, "sanctions": sanctions.id, "closing": closing.id}  # type: ignore[dict-item]


async def person(
    h: Harness,
    telegram_id: int,
    *,
    category: Category = Category.DELEGATE,
    status: RegistrationStatus = RegistrationStatus.APPROVED,
    language: str = "en",
) -> int:
    async with h.session_factory() as s:
        p = await make_participant(s, telegram_id=telegram_id, full_name=f"Person {telegram_id}", language=language)
        reg = await make_registration(s, h.conference, p, category=category, status=status)
        await s.commit()
        return reg.id  # type: ignore[return-value]


async def open_item(user: FakeUser, label: str) -> BotMessage:
    """/agenda, then the item's button; returns the card as first shown."""
    await user.send("/agenda")
    await user.expect("Programme for")
    await user.press(label)
    return await user.edited()


@asynccontextmanager
async def senders(h: Harness, clock: Callable[[], datetime], n: int = 1) -> AsyncIterator[list[Sender]]:
    bots = [make_bot(h.settings) for _ in range(n)]
    try:
        yield [
            Sender(
                b,
                h.session_factory,
                h.settings,
                worker=f"w{i}",
                clock=clock,
                limiter=RateLimiter(per_second=1000, per_chat_interval=0),
            )
            for i, b in enumerate(bots)
        ]
    finally:
        for b in bots:
            await b.session.close()


async def outbox_rows(h: Harness, kind: str) -> list[OutboxMessage]:
    async with h.session_factory() as s:
        return list(
            (
                await s.execute(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
            ).scalars()
        )


async def test_browse_days_pages_and_an_item_card(harness: Harness) -> None:
    h = harness
    await seed_programme(h, fillers=8)
    await person(h, 2001, category=Category.HEAD)
    anna = h.user(2001, "Anna")
    await anna.send("/agenda")
    day1 = await anna.expect("Programme for")
    assert "Thursday 31 October" in day1.text and "day 1 of 2" in day1.text and "Page 1 of 2" in day1.text
    assert "10:00–13:00 High-level session: Eurasian security" in day1.text  # the title's own label, once
    assert "600 of 600 seats left" in day1.text
    assert len(day1.inline_buttons) <= 100
    assert all(len(b["callback_data"].encode()) <= 64 for b in day1.inline_buttons)
    assert "Fri 1 Nov ▶" in day1.buttons and "Later »" in day1.buttons
    await anna.press("Later »")
    page2 = await anna.edited()
    assert "Page 2 of 2" in page2.text and "« Earlier" in page2.buttons
    await anna.press("Fri 1 Nov ▶")
    day2 = await anna.edited()
    assert "Friday 1 November" in day2.text and "12:30–13:30 Closing" in day2.text
    assert "◀ Thu 31 Oct" in day2.buttons and not any("▶" in b for b in day2.buttons)
    await anna.press("◀ Thu 31 Oct")
    assert "Thursday 31 October" in (await anna.edited()).text
    await anna.press("10:00 High-level")
    card = await anna.edited()
    for part in (
        "High-level session",
        "Eurasian security",
        "Thursday 31 October, 10:00–13:00",
        "Palace of Independence",
        "Speakers: Sergey Lavrov",
        "Moderator: Maxim Ryzhenkov",
        "Seats left: 600 of 600",
        "Open to: Head of delegation, Speaker",
    ):
        assert part in card.text, part
    assert card.buttons == ["Sign up", "◀ Back to the day"]
    await anna.press("◀ Back to the day")
    assert "Thursday 31 October" in (await anna.edited()).text


async def test_sign_up_clash_refusals_and_no_duplicates(harness: Harness) -> None:
    h = harness
    ids = await seed_programme(h)
    anna_reg = await person(h, 2001)
    press_reg = await person(h, 2002, category=Category.PRESS)
    await person(h, 2003, status=RegistrationStatus.PENDING)
    anna, press, pending = h.user(2001, "Anna"), h.user(2002, "Pavel"), h.user(2003, "Petra")

    stale = await open_item(anna, "14:30 Migration")  # two cards of one item open at once
    card = await open_item(anna, "14:30 Migration")
    assert "Seats left: 1 of 1" in card.text
    await anna.press("Sign up", message=card)
    assert (await anna.answered()).text == "You are signed up."
    signed = await anna.edited()
    assert "You are signed up." in signed.text and "No seats left" in signed.text
    assert signed.buttons == ["Cancel my sign-up", "◀ Back to the day"]

    # the clash with what is already chosen is a question before booking, not a refusal
    await open_item(anna, "14:30 Sanctions")
    await anna.press("Sign up")
    warning = await anna.expect("overlaps with what you already chose")
    assert "14:30–16:30 Migration in Eurasia" in warning.text
    await anna.press("Sign up anyway")
    assert (await anna.answered()).text == "You are signed up."
    await anna.edited()

    # cancelling and signing up again, and a second press on an old card, never duplicate
    await open_item(anna, "14:30 Migration")
    await anna.press("Cancel my sign-up")
    assert (await anna.answered()).text == "Your sign-up is cancelled."
    assert "Seats left: 1 of 1" in (await anna.edited()).text
    await anna.press("Sign up")
    await anna.expect("overlaps with what you already chose")  # Sanctions is chosen now
    await anna.press("Sign up anyway")
    await anna.edited()
    await anna.press("Sign up", message=stale)  # the card opened first still offers it
    refused = await anna.answered()
    assert refused.show_alert and "already signed up" in (refused.text or "")
    async with h.session_factory() as s:
        rows = (
            await s.execute(
                select(AgendaSignup.agenda_item_id, AgendaSignup.status).where(AgendaSignup.registration_id == anna_reg)
            )
        ).all()
    assert sorted(rows) == sorted(
        [(ids["migration"], SignupStatus.CONFIRMED), (ids["sanctions"], SignupStatus.CONFIRMED)]
    )

    # who may attend is core's rule, checked when pressed: a card opened while Pavel was a
    # head of delegation, pressed after he became press, is refused and shown again
    async with h.session_factory() as s:
        await s.execute(update(Registration).where(Registration.id == press_reg).values(category=Category.HEAD))
        await s.commit()
    head_card = await open_item(press, "10:00 High-level")
    assert "Sign up" in head_card.buttons
    async with h.session_factory() as s:
        await s.execute(update(Registration).where(Registration.id == press_reg).values(category=Category.PRESS))
        await s.commit()
    await press.press("Sign up", message=head_card)
    answer = await press.answered()
    assert answer.show_alert and "not open to participants of your category" in (answer.text or "")
    closed = await press.edited(message=head_card)
    assert "Not open to your category (Press)" in closed.text and "Sign up" not in closed.buttons
    # and a card never offers it where it would be refused
    assert "Sign up" not in (await open_item(pending, "14:30 Sanctions")).buttons
    stranger = h.user(2004, "Sam")
    assert "Sign up" not in (await open_item(stranger, "14:30 Sanctions")).buttons
    async with h.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(AgendaSignup))).scalar_one() == 2


async def test_waiting_list_promotion_and_giving_the_seat_back(harness: Harness) -> None:
    h = harness
    ids = await seed_programme(h)
    await person(h, 2001)
    boris_reg = await person(h, 2002, language="ru")
    anna, boris = h.user(2001, "Anna"), h.user(2002, "Борис", "ru")
    await open_item(anna, "14:30 Migration")
    await anna.press("Sign up")
    await anna.edited()

    await boris.send("/agenda")
    await boris.expect("Программа на")
    await boris.press("14:30 Миграция")
    full = await boris.edited()
    assert "Свободных мест нет" in full.text and "Встать в лист ожидания" in full.buttons
    await boris.press("Встать в лист ожидания")
    assert "№ 1 в листе ожидания" in ((await boris.answered()).text or "")
    assert "Вы № 1 в листе ожидания" in (await boris.edited()).text

    await anna.press("Cancel my sign-up")
    await anna.edited()
    [promo] = await outbox_rows(h, messages.PROMOTED)
    assert promo.chat_id == 2002 and promo.status == OutboxStatus.PENDING
    async with senders(h, lambda: datetime.now(UTC)) as [sender]:
        assert await sender.run_once() == 1
    told = await boris.expect("Освободилось место")
    assert "Миграция в Евразии" in told.text and "14:30" in told.text and told.buttons == ["Отдать место"]
    await boris.press("Отдать место")
    gave = await boris.edited()
    assert "Вы отдали место" in gave.text and not gave.buttons
    async with h.session_factory() as s:
        status = (
            await s.execute(
                select(AgendaSignup.status).where(
                    AgendaSignup.registration_id == boris_reg, AgendaSignup.agenda_item_id == ids["migration"]
                )
            )
        ).scalar_one()
    assert status == SignupStatus.CANCELLED


async def test_my_programme_and_its_calendar_file(harness: Harness) -> None:
    h = harness
    ids = await seed_programme(h)
    other = await person(h, 2009)
    reg = await person(h, 2001)
    anna = h.user(2001, "Anna")
    await anna.send("/my")
    await anna.expect("not signed up for anything yet")
    async with unit_of_work(h.session_factory) as s:
        await signups.sign_up(s, other, ids["migration"])
        for key in ("sanctions", "migration"):
            await signups.sign_up(s, reg, ids[key])
    await anna.send("/my")
    text = (await anna.expect("My programme")).text
    assert "Thursday 31 October" in text and "14:30–16:30 Migration in Eurasia, Hall A · ⏳" in text
    assert text.index("Migration") < text.index("Sanctions")  # same time: by code
    doc = await anna.reply()
    assert doc.document_name == "minsk-2024-my-programme.ics" and doc.caption and "calendar file" in doc.caption
    assert doc.document is not None
    cal = icalendar.Calendar.from_ical(doc.document)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Minsk"]
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Migration in Eurasia", "Sanctions and security"}
    start = events["Sanctions and security"].decoded("DTSTART")
    assert start.tzinfo == ZoneInfo("Europe/Minsk") or str(start.tzinfo) == "Europe/Minsk"
    assert (start.hour, start.minute) == (14, 30) and start.astimezone(UTC) == minsk(1, 14, 30)
    assert str(events["Migration in Eurasia"]["STATUS"]) == "TENTATIVE"
    assert "Thematic discussion" in str(events["Sanctions and security"]["DESCRIPTION"])


async def test_reminder_goes_out_once_at_the_right_time(harness: Harness) -> None:
    h = harness
    ids = await seed_programme(h)
    anna_reg, boris_reg, carl_reg = await person(h, 2001), await person(h, 2002, language="ru"), await person(h, 2003)
    await person(h, 2004, category=Category.HEAD)
    anna, boris = h.user(2001, "Anna"), h.user(2002, "Борис", "ru")
    carl, dana = h.user(2003, "Carl"), h.user(2004, "Dana")
    async with unit_of_work(h.session_factory) as s:
        await signups.sign_up(s, anna_reg, ids["sanctions"])
        await signups.sign_up(s, boris_reg, ids["sanctions"])
        await signups.sign_up(s, carl_reg, ids["sanctions"])
        await signups.sign_up(s, carl_reg, ids["migration"])
    now = minsk(1, 13, 45)  # 45 minutes before the discussions; the high-level session is over
    clock = lambda: now  # noqa: E731
    async with unit_of_work(h.session_factory) as s:
        assert await reminders.schedule_reminders(s, now=now, minutes=h.settings.reminder_minutes) == 4
        await signups.cancel(s, carl_reg, ids["sanctions"])  # left: its reminder is cancelled
        # the migration discussion is cancelled behind the scheduler's back: dropped when rendered
        await s.execute(update(AgendaItem).where(AgendaItem.id == ids["migration"]).values(cancelled_at=now))
        await s.commit()
    async with senders(h, clock, n=2) as two:
        now = minsk(1, 14, 10)
        assert [await x.run_once() for x in two] == [0, 0]  # not due yet
        now = minsk(1, 14, 15)
        await asyncio.gather(*(x.run_once() for x in two), *(x.run_once() for x in two))
        assert sum(x.sent for x in two) == 2
    told = await anna.expect("Reminder")
    assert "Sanctions and security" in told.text and "starts at 14:30" in told.text and "Hall A" in told.text
    assert "начинается в 14:30" in (await boris.expect("Напоминание")).text
    await h.emulator.wait_idle()
    for user in (anna, boris, carl, dana):
        assert [e for e in user.pending if e.kind == "message"] == [], user
    statuses = sorted(
        (r.payload["registration_id"], r.payload["item_id"], r.status) for r in await outbox_rows(h, messages.REMINDER)
    )
    assert statuses == sorted(
        [
            (anna_reg, ids["sanctions"], OutboxStatus.SENT),
            (boris_reg, ids["sanctions"], OutboxStatus.SENT),
            (carl_reg, ids["sanctions"], OutboxStatus.CANCELLED),
            (carl_reg, ids["migration"], OutboxStatus.FAILED),
        ]
    )
    # the high-level session: everyone approved who may attend, without signing up
    async with unit_of_work(h.session_factory) as s:
        assert await reminders.schedule_reminders(s, now=minsk(1, 9, 30), minutes=15) == 1
    now = minsk(1, 9, 45)
    async with senders(h, clock) as [sender]:
        assert await sender.run_once() == 1
    assert "High-level session" in (await dana.expect("Reminder")).text


PROGRAMME = """\
conference:
  slug: minsk-2024
  edition: 2
  name: {en: Minsk Conference on Eurasian Security, ru: Минская конференция по евразийской безопасности}
  city: {en: Minsk, ru: Минск}
  timezone: Europe/Minsk
  first_day: 2024-10-31
  last_day: 2024-11-01
agenda:
  - {code: migration, kind: thematic, day: 2024-10-31, start: "14:30", end: "16:30", title: Migration,
     hall: {en: Conference hall 1, ru: Конференц-зал 1}, capacity: 100, signup_open: true}
  - {code: charter, kind: thematic, day: 2024-10-31, start: "17:00", end: "19:00", title: Charter,
     hall: {en: Conference hall 2, ru: Конференц-зал 2}, capacity: 100, signup_open: true}
"""


async def test_change_notice_reaches_only_the_people_signed_up(harness: Harness) -> None:
    h = harness
    async with unit_of_work(h.session_factory) as s:
        await load_programme(s, parse_programme(PROGRAMME, "p.yaml"))
        items = {i.code: i.id for i in (await s.execute(select(AgendaItem))).scalars()}
    anna_reg, boris_reg, carl_reg = await person(h, 2001), await person(h, 2002, language="ru"), await person(h, 2003)
    await person(h, 2004)
    anna, boris = h.user(2001, "Anna"), h.user(2002, "Борис", "ru")
    carl, dana = h.user(2003, "Carl"), h.user(2004, "Dana")
    async with unit_of_work(h.session_factory) as s:
        await signups.sign_up(s, anna_reg, items["migration"])
        await signups.sign_up(s, boris_reg, items["migration"])
        await signups.sign_up(s, carl_reg, items["charter"])
    moved = PROGRAMME.replace('start: "14:30", end: "16:30"', 'start: "15:00", end: "17:00"').replace(
        "{en: Conference hall 1, ru: Конференц-зал 1}", "{en: Conference hall 3, ru: Конференц-зал 3}"
    )
    async with unit_of_work(h.session_factory) as s:
        await load_programme(s, parse_programme(moved, "p.yaml"))
    async with senders(h, lambda: datetime.now(UTC)) as [sender]:
        assert await sender.run_once() == 2
    en = await anna.expect("A change in your programme")
    assert "Migration" in en.text and "New time: Thursday 31 October, 15:00–17:00" in en.text
    assert "was Thursday 31 October, 14:30–16:30" in en.text
    assert "New hall: Conference hall 3 (was Conference hall 1)" in en.text
    ru = await boris.expect("Изменение в вашей программе")
    assert "Новое время: четверг 31 октября, 15:00–17:00" in ru.text and "Конференц-зал 3" in ru.text
    await h.emulator.wait_idle()
    assert not carl.pending and not dana.pending
