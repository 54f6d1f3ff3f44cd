"""An item's card tells the truth and offers only what will be accepted: places on the
waiting list counted now (card, pop-up, .ics), the card shown again after any refusal, an
overlap asked about before booking, no sign-up button where core would refuse it (and the
reason in words), and kind labels never stacked on titles that carry their own."""

from __future__ import annotations

import re
from pathlib import Path

import icalendar
from sqlalchemy import func, select

from core.models import AgendaSignup, Category, RegistrationStatus, SignupStatus
from core.programme.file import parse_programme
from core.programme.load import load_programme
from core.programme.signups import cancel, sign_up
from core.uow import unit_of_work
from tests.bot.conftest import Harness
from tests.bot.test_agenda_flow import open_item, person, seed_programme

MINSK_2024 = Path(__file__).resolve().parents[2] / "examples" / "minsk-2024.yaml"


async def signups(h: Harness, registration_id: int) -> list[tuple[int, SignupStatus]]:
    async with h.session_factory() as s:
        rows = await s.execute(
            select(AgendaSignup.agenda_item_id, AgendaSignup.status).where(
                AgendaSignup.registration_id == registration_id, AgendaSignup.status != SignupStatus.CANCELLED
            )
        )
        return sorted((int(i), st) for i, st in rows.all())


async def test_places_on_the_waiting_list_move_up_everywhere(harness: Harness) -> None:
    """Five people ahead leave the line (promoted or gone): the card, the pop-up of the next
    to join and the calendar file all count the line as it is now."""
    h = harness
    ids = await seed_programme(h)  # "migration": one seat
    anna, carl, dana, erik, fay, boris = [await person(h, 2001 + i) for i in range(6)]
    async with unit_of_work(h.session_factory) as s:
        for reg in (anna, carl, dana, erik, fay, boris):
            await sign_up(s, reg, ids["migration"])  # Boris is No. 5 in line
        await cancel(s, anna, ids["migration"])  # Carl promoted
        await cancel(s, carl, ids["migration"])  # Dana promoted
        await cancel(s, erik, ids["migration"])  # left the line
        await cancel(s, dana, ids["migration"])  # Fay promoted
    user = h.user(2006, "Boris")
    card = await open_item(user, "14:30 Migration")
    assert "You are No. 1 on the waiting list." in card.text, card.text

    await user.send("/my")
    await user.expect("My programme")
    doc = await user.reply()
    assert doc.document is not None
    [event] = icalendar.Calendar.from_ical(doc.document).walk("VEVENT")
    assert "No. 1 on the waiting list" in str(event["DESCRIPTION"])

    await person(h, 2007)
    gus = h.user(2007, "Gus")
    await open_item(gus, "14:30 Migration")
    await gus.press("Join the waiting list")
    assert "you are No. 2 on the waiting list" in ((await gus.answered()).text or "")
    assert "You are No. 2 on the waiting list." in (await gus.edited()).text


async def test_a_refused_press_shows_the_card_as_it_is_now(harness: Harness) -> None:
    """The item filled up while the card was open: the refusal pops up and the card, shown
    again, says it is full and offers the waiting list; the same for a second card."""
    h = harness
    ids = await seed_programme(h)
    await person(h, 2001)
    boris = await person(h, 2002)
    anna = h.user(2001, "Anna")
    card = await open_item(anna, "14:30 Migration")
    assert "Seats left: 1 of 1" in card.text and "Sign up" in card.buttons
    async with unit_of_work(h.session_factory) as s:
        await sign_up(s, boris, ids["migration"])  # the last seat goes meanwhile

    await anna.press("Sign up", message=card)
    refused = await anna.answered()
    assert refused.show_alert and "no seats are left" in (refused.text or "")
    fresh = await anna.edited(message=card)
    assert "No seats left. On the waiting list: 0." in fresh.text and "Seats left" not in fresh.text
    assert fresh.buttons == ["Join the waiting list", "◀ Back to the day"]
    await anna.press("Join the waiting list", message=fresh)
    assert "No. 1 on the waiting list" in ((await anna.answered()).text or "")
    assert "You are No. 1 on the waiting list." in (await anna.edited(message=card)).text

    # a card opened before, pressed after: "already" and the card now offers leaving
    stale = await open_item(anna, "14:30 Sanctions")
    await open_item(anna, "14:30 Sanctions")
    await anna.press("Sign up")
    await anna.answered()
    await anna.edited()  # an overlap with the waiting list: asked first
    await anna.press("Sign up anyway")
    await anna.edited()
    await anna.press("Sign up", message=stale)
    assert "already signed up" in ((await anna.answered()).text or "")
    assert (await anna.edited(message=stale)).buttons == ["Cancel my sign-up", "◀ Back to the day"]


async def test_an_overlap_is_asked_about_before_anything_is_booked(harness: Harness) -> None:
    h = harness
    ids = await seed_programme(h)
    reg = await person(h, 2001)
    anna = h.user(2001, "Anna")
    await open_item(anna, "14:30 Migration")
    await anna.press("Sign up")
    assert (await anna.answered()).text == "You are signed up."  # nothing chosen yet: no question
    await anna.edited()

    card = await open_item(anna, "14:30 Sanctions")
    await anna.press("Sign up", message=card)
    asked = await anna.edited(message=card)
    assert "⚠️ This overlaps with what you already chose:" in asked.text
    assert "14:30–16:30 Migration in Eurasia" in asked.text and "Sign up anyway?" in asked.text
    assert "Sanctions and security" in asked.text  # still the card of what is being chosen
    assert asked.buttons == ["Sign up anyway", "Cancel"]
    assert await signups(h, reg) == [(ids["migration"], SignupStatus.CONFIRMED)]  # not booked yet
    assert not [e for e in anna.pending if e.kind == "message"]  # no message after the fact

    await anna.press("Cancel", message=asked)
    back = await anna.edited(message=card)
    assert "Seats left: 50 of 50" in back.text and back.buttons == ["Sign up", "◀ Back to the day"]
    assert await signups(h, reg) == [(ids["migration"], SignupStatus.CONFIRMED)]

    await anna.press("Sign up", message=back)
    await anna.edited(message=card)
    await anna.press("Sign up anyway", message=card)
    assert (await anna.answered()).text == "You are signed up."
    done = await anna.edited(message=card)
    assert "✅ You are signed up." in done.text and done.buttons == ["Cancel my sign-up", "◀ Back to the day"]
    assert await signups(h, reg) == sorted(
        [(ids["migration"], SignupStatus.CONFIRMED), (ids["sanctions"], SignupStatus.CONFIRMED)]
    )


async def test_nothing_is_offered_that_would_be_refused(harness: Harness) -> None:
    """The high-level session admits heads and speakers: press sees no "Sign up" and the
    reason, in their language; so do a pending registration and a stranger elsewhere.
    A card opened before is still refused by core."""
    h = harness
    await seed_programme(h)
    await person(h, 2002, category=Category.PRESS)
    await person(h, 2003, category=Category.PRESS, language="ru")
    await person(h, 2004, status=RegistrationStatus.PENDING)
    await person(h, 2005, category=Category.HEAD)
    press, pressa, pending, stranger, head = (
        h.user(2002, "Pavel"),
        h.user(2003, "Пётр", "ru"),
        h.user(2004, "Petra"),
        h.user(2006, "Sam"),
        h.user(2005, "Hana"),
    )

    await press.send("/agenda")
    day = await press.expect("Programme for")
    assert re.search(r"Eurasian security\n📍 Palace of Independence · 🔒 not open to your category", day.text)
    await press.press("10:00 High-level")
    card = await press.edited()
    assert "🔒 Not open to your category (Press)." in card.text
    assert card.buttons == ["◀ Back to the day"]

    await pressa.send("/agenda")
    await pressa.expect("Программа на")
    await pressa.press("10:00 Сессия")
    assert "🔒 Не для вашей категории (Пресса)." in (await pressa.edited()).text

    card = await open_item(pending, "14:30 Sanctions")
    assert "🔒 Sign-up opens once your registration is approved." in card.text
    assert card.buttons == ["◀ Back to the day"]
    card = await open_item(stranger, "14:30 Sanctions")
    assert "🔒 To sign up, register for the conference first: /start" in card.text
    assert card.buttons == ["◀ Back to the day"]

    card = await open_item(head, "10:00 High-level")
    assert "🔒" not in card.text and card.buttons == ["Sign up", "◀ Back to the day"]
    async with h.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(AgendaSignup))).scalar_one() == 0


async def test_kind_labels_never_stack_on_titles_of_the_example_programme(harness: Harness) -> None:
    """The example's titles carry their own labels ("Thematic discussion: …", "Plenary: …",
    "Closing session"): the list and the card show them once; a plain title gets the label."""
    h = harness
    async with unit_of_work(h.session_factory) as s:
        await load_programme(s, parse_programme(MINSK_2024.read_text(encoding="utf-8"), "minsk-2024.yaml"))
    labels = {
        "en": ["Opening", "High-level session", "Plenary session", "Thematic discussion", "Side event", "Break"],
        "ru": ["Открытие", "Сессия высокого уровня", "Пленарное заседание", "Тематическая дискуссия"],
    }
    labels["ru"] += ["Сопутствующее мероприятие", "Перерыв", "Закрытие"]
    stacked = re.compile(r"^\d\d:\d\d–\d\d:\d\d ([^\n:]{1,40}): ([^\n:]{1,40}): ", re.MULTILINE)
    for language, user in (("en", h.user(2001, "Anna")), ("ru", h.user(2002, "Борис", "ru"))):
        await user.send("/agenda")
        pages = [await user.expect("Programme for" if language == "en" else "Программа на")]
        await user.press("Later »" if language == "en" else "Позже »")
        pages.append(await user.edited())
        await user.press("Fri 1 Nov ▶" if language == "en" else "пт 1 нояб ▶")
        pages.append(await user.edited())
        text = "\n".join(p.text or "" for p in pages)
        assert not stacked.search(text), stacked.search(text)
        for label in labels[language]:
            assert f"{label}: {label}" not in text, label
        if language == "en":
            assert "10:00–13:00 High-level session: Eurasian security — reality and prospects" in text
            assert "14:30–16:30 Thematic discussion: migration in Eurasia" in text
            assert "17:00–19:00 Brainstorming: the Eurasian Charter" in text
            assert "10:00–12:00 Plenary: reports of the thematic discussions" in text
            assert "12:30–13:30 Closing session" in text
            assert "13:00–14:30 Break: Lunch" in text  # a plain title gets its label
        else:
            assert "10:00–13:00 Сессия высокого уровня: евразийская безопасность" in text
            assert "12:30–13:30 Закрытие: Заключительное заседание" in text
        await user.press("◀ ")
        await user.edited()
        await user.press("10:00 ")
        card = await user.edited()
        heading = "High-level session: Eurasian security" if language == "en" else "Сессия высокого уровня: евразийская"
        assert (card.text or "").startswith(heading), card.text  # no kind line above a labelled title


async def test_no_seat_count_for_items_without_sign_up(harness: Harness) -> None:
    """The example's high-level session and plenary have a hall capacity but no sign-up:
    nothing counts their seats, so "600 of 600 seats left" would never change. Not shown."""
    h = harness
    async with unit_of_work(h.session_factory) as s:
        await load_programme(s, parse_programme(MINSK_2024.read_text(encoding="utf-8"), "minsk-2024.yaml"))
    await person(h, 2001)
    anna = h.user(2001, "Anna")
    await anna.send("/agenda")
    day = await anna.expect("Programme for")
    assert "Eurasian security — reality and prospects\n📍 Palace of Independence\n" in (day.text or "")
    assert "120 of 120 seats left" in (day.text or "")  # the discussions people sign up for
    await anna.press("10:00 ")
    card = await anna.edited()
    assert "No sign-up needed." in (card.text or "") and "Seats left" not in (card.text or "")
    assert card.buttons == ["◀ Back to the day"]
