"""Every kind of message the bot sends, with a conference, delegation, people, titles, halls
and reasons that contain ``& < > "``: each is valid HTML for Telegram (the emulator answers
400 "can't parse entities" otherwise), and each shows those characters as typed, neither
dropped nor escaped twice. Buttons, answers to button presses and inline result titles are
not parsed by Telegram, so they carry the text as it is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import select, update

import bot.broadcast_progress as broadcast_progress
from bot.app import make_bot
from bot.sender import RateLimiter, Sender
from core import badges, reporting
from core.models import (
    AgendaItem,
    AgendaSignup,
    AgendaSpeaker,
    Category,
    Conference,
    Delegation,
    Presence,
    RegistrationStatus,
    Scan,
    ScanDirection,
    ScanResult,
    SignupStatus,
    SpeakerRole,
    StaffRoleName,
)
from core.programme import reminders
from core.programme.file import parse_programme
from core.programme.load import load_programme
from core.uow import unit_of_work
from tests.bot.conftest import ADMIN, OFFICER, Harness, add_staff, running_today
from tests.bot.html_util import (
    CITY,
    CONFERENCE,
    CONFERENCE_RU,
    DELEGATION,
    DELEGATION_RU,
    DESCRIPTION,
    GATE,
    HALL,
    NATIVE,
    ORGANISATION,
    OTHER_HALL,
    OTHER_TITLE,
    PERSON,
    POSITION,
    REASON,
    TITLE,
    assert_clean,
)
from tests.bot.test_broadcast import drain
from tests.factories import make_delegation, make_item, make_participant, make_registration

DOOR = 9002
ZORAN, TOM, HEAD, BORIS = 4001, 4002, 4003, 4004
SECRET = b"s" * 40  # the harness's BADGE_SECRET


async def nasty_conference(h: Harness) -> Delegation:
    """The conference renamed, and a delegation, before the bot first reads them."""
    async with h.session_factory() as s:
        await s.execute(
            update(Conference)
            .where(Conference.id == h.conference.id)  # type: ignore[arg-type]
            .values(name={"en": CONFERENCE, "ru": CONFERENCE_RU}, city={"en": CITY, "ru": CITY})
        )
        scg = await make_delegation(s, h.conference, "SCG", name={"en": DELEGATION, "ru": DELEGATION_RU}, quota=10)
        await s.commit()
        return scg


async def person(
    h: Harness,
    telegram_id: int | None,
    delegation: Delegation | None,
    *,
    name: str = PERSON,
    status: RegistrationStatus = RegistrationStatus.APPROVED,
    category: Category = Category.DELEGATE,
) -> int:
    async with h.session_factory() as s:
        p = await make_participant(
            s, telegram_id=telegram_id, full_name=name, native_name=NATIVE, position=POSITION, language="en"
        )
        r = await make_registration(s, h.conference, p, delegation=delegation, category=category, status=status)
        await s.commit()
        return r.id  # type: ignore[return-value]


@asynccontextmanager
async def sender(h: Harness, clock: Callable[[], datetime]) -> AsyncIterator[Sender]:
    bot = make_bot(h.settings)
    try:
        yield Sender(
            bot,
            h.session_factory,
            h.settings,
            worker="html",
            clock=clock,
            limiter=RateLimiter(per_second=1000, per_chat_interval=0),
        )
    finally:
        await bot.session.close()


async def test_sign_up_accreditation_and_delegation_messages(harness: Harness) -> None:
    h = harness
    scg = await nasty_conference(h)
    tom_reg = await person(h, TOM, scg, status=RegistrationStatus.PENDING)
    ana_reg = await person(h, None, scg, name="Ana Markovic", status=RegistrationStatus.PENDING)
    await person(h, HEAD, scg, name="Head Of Scg", category=Category.HEAD)
    await add_staff(h, OFFICER, StaffRoleName.ACCREDITATION)
    officer = h.user(OFFICER, "O'Brien & <Sons>")
    zoran, tom, head = h.user(ZORAN, "Zoran"), h.user(TOM, "Tom"), h.user(HEAD, "Head")
    h.user(ADMIN, "Admin")  # admins hear of new registrations too

    await zoran.start()
    assert CONFERENCE in (await zoran.expect("Welcome to")).text
    await zoran.expect("full name in Latin script")
    await zoran.send("Zoran Petrovic")
    await zoran.expect("own script")
    await zoran.press("Skip")
    await zoran.expect("Which delegation")
    await zoran.send("<none> & nothing")
    assert "No delegation matches “<none> & nothing”" in (await zoran.expect("No delegation matches")).text
    await zoran.send("montenegro <scg>")
    found = await zoran.expect("Delegations matching")
    assert "“montenegro <scg>”" in found.text and found.buttons[0] == DELEGATION
    await zoran.press(DELEGATION)
    await zoran.expect("Your category")
    await zoran.press("Delegate")
    await zoran.expect("position or title")
    await zoran.send(POSITION)
    await zoran.expect("organisation (ministry")
    await zoran.send(ORGANISATION)
    await zoran.expect("Personal data")
    await zoran.press("I agree")
    summary = await zoran.expect("Please check your data")
    for part in (f"Delegation: {DELEGATION}", f"Position: {POSITION}", f"Organisation: {ORGANISATION}"):
        assert part in summary.text, part
    await zoran.press("Confirm")
    await zoran.expect("waits for approval")

    card = await officer.expect("New registration")
    assert DELEGATION in card.text and POSITION in card.text and ORGANISATION in card.text
    await officer.press("Approve", card)
    marked = await officer.edited()
    assert "Approved by O'Brien & <Sons>." in marked.text and DELEGATION in marked.text
    assert CONFERENCE in (await zoran.expect("is approved")).text

    await officer.send("/pending")
    listing = await officer.expect("Waiting for approval")
    assert f"{PERSON} · {DELEGATION}" in listing.text
    assert any(PERSON in label for label in listing.buttons)
    await officer.press(f"✅ #{ana_reg}")  # approved from the list: told in the answer to the press
    assert (await officer.answered()).text == f"#{ana_reg}: ✅ Approved by O'Brien & <Sons>."
    await officer.press(f"❌ #{tom_reg}")
    assert f"({PERSON})" in (await officer.expect("Why is registration")).text
    await officer.send(REASON)
    assert f"Rejected by O'Brien & <Sons>: {REASON}" in (await officer.expect("Rejected by")).text
    told = await tom.expect("was not approved")
    assert CONFERENCE in told.text and f"Reason: {REASON}" in told.text
    await tom.send("/me")
    mine = await tom.expect("Reason:")
    assert f"Name: {PERSON}" in mine.text and f"Name in native script: {NATIVE}" in mine.text
    assert REASON in mine.text

    await zoran.send("/me")
    assert f"Delegation: {DELEGATION}" in (await zoran.expect(CONFERENCE)).text
    await zoran.start()  # registered: /start shows the same
    assert f"Organisation: {ORGANISATION}" in (await zoran.expect(CONFERENCE)).text
    await zoran.send("/badge")
    badge = await zoran.expect("Your badge for", timeout=30)
    assert badge.photo is not None and CONFERENCE in (badge.caption or "")

    await head.send("/delegation")
    members = await head.expect("Seats:")
    assert members.text.splitlines()[0] == DELEGATION
    assert f"{PERSON} · Delegate · ❌ rejected" in members.text
    await head.send("/invite")
    invited = await head.expect("Invitation to")
    assert f"Invitation to {DELEGATION}" in invited.text
    token = invited.text.split("start=inv_")[1].split()[0]
    guest = h.user(4005, "Guest")
    await guest.start(f"inv_{token}")
    assert f"You are invited to join {DELEGATION}." in (await guest.expect("You are invited")).text
    await head.send("/register_member")
    assert f"a member of {DELEGATION}." in (await head.expect("You are registering")).text
    await head.send("/cancel")
    await head.expect("Stopped")
    await h.emulator.wait_idle()
    assert_clean(h.emulator)


def programme(*, clash_start: str = "15:00", clash_hall: str = OTHER_HALL) -> str:
    def q(text: str) -> str:  # a YAML single-quoted scalar
        return "'" + text.replace("'", "''") + "'"

    return f"""\
conference:
  slug: minsk-2024
  edition: 2
  name: {{en: {q(CONFERENCE)}, ru: {q(CONFERENCE_RU)}}}
  city: {{en: {q(CITY)}}}
  timezone: Europe/Minsk
  first_day: 2024-10-31
  last_day: 2024-11-01
delegations:
  - {{code: SCG, country: RS, name: {{en: {q(DELEGATION)}, ru: {q(DELEGATION_RU)}}}}}
agenda:
  - {{code: qa, kind: thematic, day: 2024-10-31, start: "14:30", end: "16:30", title: {q(TITLE)},
     hall: {q(HALL)}, description: {q(DESCRIPTION)}, capacity: 1, signup_open: true}}
  - {{code: tj, kind: side_event, day: 2024-10-31, start: "{clash_start}", end: "16:00", title: {q(OTHER_TITLE)},
     hall: {q(clash_hall)}, capacity: 10, signup_open: true}}
"""


def minsk(hh: int, mm: int = 0) -> datetime:
    return datetime(2024, 10, 31, hh, mm, tzinfo=UTC) - timedelta(hours=3)


async def test_programme_messages(harness: Harness) -> None:
    h = harness
    async with unit_of_work(h.session_factory) as s:
        await load_programme(s, parse_programme(programme(), "nasty.yaml"))
        items = {i.code: i for i in (await s.execute(select(AgendaItem))).scalars()}
        scg = (await s.execute(select(Delegation).where(Delegation.code == "SCG"))).scalar_one()
    async with h.session_factory() as s:
        for role in (SpeakerRole.SPEAKER, SpeakerRole.MODERATOR):
            speaker = await make_participant(s, telegram_id=None, full_name=PERSON)
            s.add(AgendaSpeaker(agenda_item_id=items["qa"].id, participant_id=speaker.id, role=role))
        await s.commit()
    await person(h, ZORAN, scg, name="Zoran Petrovic")
    await person(h, BORIS, scg, name="Boris Ivanov")
    zoran, boris = h.user(ZORAN, "Zoran"), h.user(BORIS, "Boris")

    await zoran.send("/agenda")
    day = await zoran.expect("Programme for")
    for part in (CONFERENCE, CITY, TITLE, HALL, OTHER_TITLE, OTHER_HALL):
        assert part in day.text, part
    assert f"14:30 {TITLE}" in day.buttons
    await zoran.press(f"14:30 {TITLE}")
    card = await zoran.edited()
    for part in (TITLE, HALL, DESCRIPTION, CITY, f"Speakers: {PERSON}", f"Moderator: {PERSON}"):
        assert part in card.text, part
    await zoran.press("Sign up")
    await zoran.answered()
    await zoran.edited()
    await zoran.press("Back to the day")
    await zoran.edited()
    await zoran.press(f"15:00 {OTHER_TITLE}")
    await zoran.edited()
    await zoran.press("Sign up")
    clash = await zoran.expect("overlaps")  # asked before booking, on the card itself
    assert f"14:30–16:30 {TITLE}" in clash.text and OTHER_TITLE in clash.text
    await zoran.press("Sign up anyway", message=clash)
    await zoran.answered()
    await zoran.edited()

    await zoran.send("/my")
    mine = await zoran.expect("My programme")
    assert CONFERENCE in mine.text and f"{TITLE}, {HALL}" in mine.text and f"{OTHER_TITLE}, {OTHER_HALL}" in mine.text
    ics = await zoran.reply()
    assert ics.document is not None and ics.caption
    events = {str(e["SUMMARY"]): e for e in icalendar.Calendar.from_ical(ics.document).walk("VEVENT")}
    assert set(events) == {TITLE, OTHER_TITLE}
    assert f"Speakers: {PERSON}" in str(events[TITLE]["DESCRIPTION"])  # a file, not HTML: unescaped

    # the waiting list: Boris waits for the one seat, Zoran gives it up, Boris is told
    await boris.send("/agenda")
    await boris.expect("Programme for")
    await boris.press(f"14:30 {TITLE}")
    await boris.edited()
    await boris.press("Join the waiting list")
    await boris.answered()
    await boris.edited()
    await zoran.send("/agenda")
    await zoran.expect("Programme for")
    await zoran.press(f"14:30 {TITLE}")
    await zoran.edited()
    await zoran.press("Cancel my sign-up")
    await zoran.edited()
    async with sender(h, lambda: datetime.now(UTC)) as s1:
        assert await s1.run_once() == 1
    promoted = await boris.expect("A seat freed up")
    assert TITLE in promoted.text and HALL in promoted.text
    await boris.press("Give the seat back")
    assert f"You gave your seat at “{TITLE}” back" in (await boris.edited()).text

    # a reminder, then a change notice after the file moves the side event
    async with unit_of_work(h.session_factory) as s:
        assert await reminders.schedule_reminders(s, now=minsk(14), minutes=h.settings.reminder_minutes) == 1
    async with sender(h, lambda: minsk(14, 50)) as s2:
        assert await s2.run_once() == 1
    reminder = await zoran.expect("Reminder")
    assert OTHER_TITLE in reminder.text and OTHER_HALL in reminder.text
    async with unit_of_work(h.session_factory) as s:
        await load_programme(s, parse_programme(programme(clash_start="15:30", clash_hall=HALL), "nasty.yaml"))
    async with sender(h, lambda: datetime.now(UTC)) as s3:
        assert await s3.run_once() == 1
    notice = await zoran.expect("A change in your programme")
    assert OTHER_TITLE in notice.text and f"New hall: {HALL} (was {OTHER_HALL})" in notice.text
    await h.emulator.wait_idle()
    assert_clean(h.emulator)


async def test_organiser_reports_search_and_broadcast(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broadcast_progress, "PROGRESS_EVERY", 0.2)
    h = harness
    scg = await nasty_conference(h)
    await running_today(h)
    now = datetime.now(UTC)
    today_start, _ = reporting.day_bounds(h.conference, reporting.local_today(h.conference))
    now = max(now, today_start + timedelta(hours=1))
    tom = await person(h, TOM, scg)
    inside = await person(h, 4010, scg, name="Ivan Inside")
    async with h.session_factory() as s:
        item = await make_item(s, h.conference, "qa", start=now - timedelta(minutes=30))
        item.title, item.hall = {"en": TITLE}, {"en": HALL}
        s.add(AgendaSignup(registration_id=tom, agenda_item_id=item.id, status=SignupStatus.CONFIRMED))
        s.add(AgendaSignup(registration_id=inside, agenda_item_id=item.id, status=SignupStatus.CONFIRMED))
        for reg, place, minutes in ((tom, None, 40), (inside, None, 20), (inside, item.id, 10)):
            s.add(
                Scan(
                    conference_id=h.conference.id,
                    registration_id=reg,
                    agenda_item_id=place,
                    direction=ScanDirection.IN,
                    result=ScanResult.OK,
                    scanned_at=now - timedelta(minutes=minutes),
                    gate=GATE,
                )
            )
        s.add(Presence(registration_id=inside, inside=True, since=now - timedelta(minutes=10), agenda_item_id=item.id))
        await s.commit()
    await add_staff(h, OFFICER, StaffRoleName.ACCREDITATION)
    officer, admin = h.user(OFFICER, "Olga"), h.user(ADMIN, "Admin")
    recipients = [h.user(TOM, "Tom"), h.user(4010, "Ivan")]

    await officer.send("/stats")
    assert CONFERENCE in (await officer.expect("Registered")).text
    await officer.press("Presence by delegation")
    await officer.expect("Presence by delegation", timeout=30)
    await officer.send("/attendance")
    await officer.expect("Attendance")
    await officer.press("By delegation")
    assert f"{DELEGATION}: 2 · 2 · 0" in (await officer.edited()).text
    await officer.press(DELEGATION)
    assert f"{DELEGATION}: 2 accredited" in (await officer.edited()).text
    await officer.press("Back")
    await officer.edited()
    await officer.press("Back")
    await officer.edited()
    await officer.press("By session")
    assert f"{TITLE}: 2 · 1 · 1" in (await officer.edited()).text
    await officer.press(TITLE)
    noshows = await officer.edited()
    assert f"{TITLE}, " in noshows.text and f"• {PERSON} ({DELEGATION})" in noshows.text
    await officer.press("Back")
    await officer.edited()
    await officer.press("Back")
    await officer.edited()
    await officer.press("By day")
    await officer.edited()

    await officer.send("/find jones")
    card = await officer.expect("Badge:")
    for part in (PERSON, NATIVE, DELEGATION, f"Position: {POSITION}", f"({GATE})"):
        assert part in card.text, part
    await officer.send("/find ivan inside")
    assert f"Now: in “{TITLE}”" in (await officer.expect("Badge:")).text
    await officer.send("/find <i> & co")
    listing = await officer.expect("Found 2")
    assert "for “<i> & co”" in listing.text and f"{PERSON} · {DELEGATION}" in listing.buttons
    await officer.press(f"{PERSON} · {DELEGATION}")
    await officer.expect("Badge:")
    await officer.send("/find <nobody> & none")
    assert "Nobody matches “<nobody> & none”" in (await officer.expect("Nobody matches")).text
    await officer.inline_query("jones")
    results = (await officer.inline_results()).results or []
    assert results[0]["title"] == PERSON and DELEGATION in results[0]["description"]

    await admin.send("/broadcast")
    await admin.expect("Send the message")
    await admin.send("Dinner at <Hall B> & bar")
    await admin.expect("Who should get it?")
    await admin.press("Signed up for a session")
    await admin.expect("Choose the session")
    await admin.press(TITLE)
    preview = await admin.expect("Preview")
    assert f"to signed up for “{TITLE}”" in preview.text and "Dinner at <Hall B> & bar" in preview.text
    await admin.press("Cancel")
    await admin.expect("cancelled")
    await admin.send("/broadcast")
    await admin.expect("Send the message")
    await admin.send("Dinner at <Hall B> & bar")
    await admin.expect("Who should get it?")
    await admin.press("A delegation")
    await admin.expect("Choose the delegation")
    await admin.press(DELEGATION)
    preview = await admin.expect("Preview")
    assert f"to delegation {DELEGATION}, 2 recipient(s)" in preview.text
    await admin.press("Send to 2")
    await admin.expect("Queued for 2")
    await admin.expect("Broadcast #")  # the watcher's first edit: the messages are queued
    async with sender(h, lambda: datetime.now(UTC)) as s1:
        assert await s1.run_once() == 2
        await admin.expect("finished")  # shown first; the report is queued right after it
        await drain(s1, h.session_factory)
    await admin.expect("Delivery report")
    for recipient in recipients:
        assert (await recipient.expect("Dinner")).text == "Dinner at <Hall B> & bar"
    await h.emulator.wait_idle()
    assert_clean(h.emulator)


async def test_door_gate_and_verdicts(harness: Harness) -> None:
    h = harness
    scg = await nasty_conference(h)
    reg = await person(h, TOM, scg)
    async with h.session_factory() as s:
        item = await make_item(s, h.conference, "qa")
        item.title, item.hall = {"en": TITLE}, {"en": HALL}
        s.add(AgendaSignup(registration_id=reg, agenda_item_id=item.id, status=SignupStatus.CONFIRMED))
        await s.commit()
    await add_staff(h, DOOR, StaffRoleName.DOOR)
    door = h.user(DOOR, "Door")
    await door.send("/gate")
    menu = await door.expect("Scanning at")
    assert any(label.endswith(TITLE) for label in menu.buttons)
    await door.press(TITLE)
    assert (await door.answered()).text == f"Now scanning at: {HALL}, entry"
    token = badges.make_token(SECRET, reg, 1)
    await door.start(f"b_{token}")
    ok = await door.expect("Welcome")
    assert PERSON in ok.text and NATIVE in ok.text and DELEGATION in ok.text and f"{HALL} · entry" in ok.text
    await door.start(f"b_{token}")
    assert f"({HALL})" in (await door.expect("Already inside")).text
    await door.wait_idle()
    assert_clean(h.emulator)
