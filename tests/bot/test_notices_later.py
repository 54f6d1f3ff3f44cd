"""Officers' cards and participants' decision notices are never lost to a flood limit or a
network failure: what the bot could not send at once goes through the outbox, and arrives
later as the registration is then (or not at all once it no longer makes sense).

The real bot and the real sender against the emulator; every wait is for an event."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy import select, update

from bot.app import make_bot
from bot.emulator.users import FakeUser
from bot.sender import RateLimiter, Sender
from core.clock import utc_now
from core.models import OutboxMessage, OutboxStatus, Participant, RegistrationStatus
from core.uow import unit_of_work
from tests.bot.conftest import ADMIN, OFFICER, Harness, add_staff, fill_wizard, registration_row, sign_up

WAIT = 60.0  # an upper bound for each expected event, never a pause
CARD, DECISION = "registration_card", "registration_decision"  # the outbox kinds (core.accreditation.notices)
NEW = re.compile(r"New registration #(\d+)")


def card_ids(officer: FakeUser) -> list[int]:
    """The registrations of the cards an officer received, in order of arrival."""
    return [int(m.group(1)) for msg in officer.messages if (m := NEW.search(msg.text or ""))]


def to_chat(chat_id: int) -> object:
    return lambda params: params.get("chat_id") == chat_id


async def outbox_rows(h: Harness, kind: str) -> list[OutboxMessage]:
    async with unit_of_work(h.session_factory) as s:
        return list((await s.execute(select(OutboxMessage).where(OutboxMessage.kind == kind))).scalars())


async def drain(sender: Sender) -> None:
    """Run the sender until nothing due is left (each run claims and finishes a batch)."""
    while await sender.run_once():
        pass


@contextlib.asynccontextmanager
async def sender_of(h: Harness, *, running: bool) -> AsyncIterator[Sender]:
    """The outbox sender of a second bot process: `running` in the background (stopped
    between batches, as a graceful shutdown does), or driven by the test (`drain`). Paced
    per chat like the emulator's limit below."""
    bot = make_bot(h.settings)
    sender = Sender(bot, h.session_factory, h.settings, worker="t", limiter=RateLimiter(50, per_chat_interval=0.5))
    stop = asyncio.Event()

    async def run() -> None:
        while not stop.is_set():
            if not await sender.run_once():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.05)  # idle: look again soon

    task = asyncio.create_task(run()) if running else None
    try:
        yield sender
    finally:
        stop.set()
        if task is not None:
            await task
        await bot.session.close()


async def known(*users: FakeUser) -> None:
    for u in users:
        await u.send("/help")
        await u.reply(WAIT)


async def test_a_rush_of_confirms_under_flood_limits_reaches_every_officer(harness: Harness) -> None:
    """20 people press Confirm at once; Telegram lets an officer's chat take 2 messages a
    second after a burst of 3. Each person's reply comes at once; the officers' cards that
    the flood limit refused beyond the request middleware's wait arrive later, each once."""
    h = harness
    await add_staff(h, OFFICER)
    admin, officer = h.user(ADMIN, "Alex"), h.user(OFFICER, "Boris")
    await known(admin, officer)
    people = [h.user(3000 + i, f"P{i}") for i in range(20)]

    async def to_summary(i: int, person: FakeUser) -> None:
        await person.start()
        await fill_wizard(person, f"Person {chr(65 + i)} Rush")

    await asyncio.gather(*(to_summary(i, p) for i, p in enumerate(people)))
    h.emulator.set_rate_limits(per_chat_burst=3, per_chat_rate=2, global_burst=1000, global_rate=1000)
    async with sender_of(h, running=True):
        await asyncio.gather(*(p.press("Confirm") for p in people))
        for p in people:
            await p.expect("Thank you!", WAIT)
        ids = {(await registration_row(h, p.id))[0].id for p in people}
        for o in (admin, officer):
            await h.emulator.wait_until(lambda o=o: set(card_ids(o)) == ids, f"all 20 cards for {o.id}", WAIT)

    for o in (admin, officer):
        assert sorted(card_ids(o)) == sorted(ids)  # each card once
    queued = await outbox_rows(h, CARD)
    assert queued, "the flood limit should have sent some cards through the outbox"
    assert {r.status for r in queued} == {OutboxStatus.SENT}


async def test_a_card_lost_to_the_network_arrives_later_and_works(harness: Harness) -> None:
    h = harness
    admin = h.user(ADMIN, "Alex", username="alex_admin")
    await known(admin)
    h.emulator.drop_next_calls("sendMessage", 1, where=to_chat(ADMIN))
    anna = h.user(1601, "Anna")
    async with sender_of(h, running=True):
        await sign_up(anna, "Anna Petrova")
        card = await admin.expect("Anna Petrova", WAIT)
    assert [c for c in h.emulator.calls if c.status == 0]  # the first try was lost on the way
    assert [r.status for r in await outbox_rows(h, CARD)] == [OutboxStatus.SENT]
    await admin.press("Approve", card)
    assert "Approved by @alex_admin" in (await admin.edited(WAIT)).text
    await anna.expect("is approved", WAIT)
    assert (await registration_row(h, anna.id))[0].status == RegistrationStatus.APPROVED


async def test_a_late_card_is_dropped_once_there_is_nothing_to_decide(harness: Harness) -> None:
    """B's cards failed; before the sender gets to them A decided one registration and
    another person erased theirs (/forget): B gets only the card still to decide."""
    h = harness
    await add_staff(h, OFFICER)
    a, b = h.user(ADMIN, "Alex", username="alex_admin"), h.user(OFFICER, "Boris")
    await known(a, b)
    h.emulator.drop_next_calls("sendMessage", 3, where=to_chat(OFFICER))
    anna, ivan, olga = h.user(1701, "Anna"), h.user(1702, "Ivan"), h.user(1703, "Olga")
    for person, name in ((anna, "Anna Petrova"), (ivan, "Ivan Sidorov"), (olga, "Olga Ivanova")):
        await sign_up(person, name)
        await a.expect(name, WAIT)
    await a.press("Approve", _card(a, "Anna Petrova"))
    await anna.expect("is approved", WAIT)
    await ivan.send("/forget")
    await ivan.expect("Delete all your personal data?", WAIT)
    await ivan.press("Yes, delete my data")
    await ivan.expect("personal data is deleted", WAIT)
    olga_id = (await registration_row(h, olga.id))[0].id

    async with sender_of(h, running=False) as sender:
        await drain(sender)
    assert card_ids(b) == [olga_id]  # no card for Anna (approved) nor Ivan (erased)
    rows = await outbox_rows(h, CARD)
    assert sorted(r.status for r in rows) == sorted([OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.FAILED])
    assert all(set(r.payload) == {"registration_id"} for r in rows)  # ids only: nothing personal kept


def _card(officer: FakeUser, name: str) -> object:
    return next(m for m in officer.messages if name in (m.text or "") and m.buttons)


async def test_a_decision_notice_lost_to_a_flood_limit_or_the_network_arrives_later(harness: Harness) -> None:
    """Anna's approval hit a flood limit longer than the request middleware waits, Ivan's
    rejection a network failure: both are told later, Ivan in his language. Olga's approval
    failed too, but she changed her name before the sender got to it (back to review): she
    is not told of an approval that no longer stands."""
    h = harness
    a = h.user(ADMIN, "Alex", username="alex_admin")
    await known(a)
    anna, ivan, olga = h.user(1801, "Anna"), h.user(1802, "Ivan"), h.user(1803, "Olga")
    for person, name in ((anna, "Anna Petrova"), (ivan, "Ivan Sidorov"), (olga, "Olga Ivanova")):
        await sign_up(person, name)
        await a.expect(name, WAIT)
    async with unit_of_work(h.session_factory) as s:
        await s.execute(update(Participant).where(Participant.telegram_id == ivan.id).values(language="ru"))

    h.emulator.fail_next_calls("sendMessage", 1, retry_after=30, where=to_chat(anna.id))  # > the middleware's 10 s
    await a.press("Approve", _card(a, "Anna Petrova"))
    await a.edited(WAIT)
    h.emulator.drop_next_calls("sendMessage", 1, where=to_chat(ivan.id))
    await a.press("Reject", _card(a, "Ivan Sidorov"))
    await a.expect("Why is registration", WAIT)
    await a.send("No invitation")
    await a.expect("Rejected by", WAIT)
    h.emulator.drop_next_calls("sendMessage", 1, where=to_chat(olga.id))
    await a.press("Approve", _card(a, "Olga Ivanova"))
    await a.edited(WAIT)
    await olga.send("/edit")
    await olga.expect("Please check your data", WAIT)
    await olga.press("Edit")
    await olga.expect("What would you like to change?", WAIT)
    await olga.press("Name")
    await olga.expect("full name in Latin script", WAIT)
    await olga.send("Olga Smirnova")
    await olga.expect("Please check your data", WAIT)
    await olga.press("Confirm")
    await olga.expect("goes back to the accreditation service", WAIT)
    assert not [m for p in (anna, ivan, olga) for m in p.messages if "Your accreditation" in (m.text or "")]

    later = Sender(
        make_bot(h.settings), h.session_factory, h.settings, worker="t", clock=lambda: utc_now() + timedelta(seconds=40)
    )  # 40 s on: Anna's flood limit is over
    try:
        await drain(later)
    finally:
        await later.bot.session.close()
    assert "is approved" in (await anna.expect("Your accreditation", WAIT)).text
    assert "не одобрена" in (await ivan.expect("Ваша аккредитация", WAIT)).text
    assert "Причина: No invitation" in ivan.messages[-1].text
    assert not [m for m in olga.messages if "Your accreditation" in (m.text or "")]
    rows = {r.chat_id: r.status for r in await outbox_rows(h, DECISION)}
    assert rows == {anna.id: OutboxStatus.SENT, ivan.id: OutboxStatus.SENT, olga.id: OutboxStatus.FAILED}


async def test_a_card_that_cannot_be_delivered_is_not_queued(harness: Harness) -> None:
    """An officer who blocked the bot: nothing to retry (logged, as before); the others get it."""
    h = harness
    await add_staff(h, OFFICER)
    a, b = h.user(ADMIN, "Alex"), h.user(OFFICER, "Boris")
    await known(a, b)
    b.block()
    anna = h.user(1901, "Anna")
    await sign_up(anna, "Anna Petrova")
    await a.expect("Anna Petrova", WAIT)
    await h.emulator.wait_until(
        lambda: any(c.chat_id == OFFICER and c.status == 403 for c in h.emulator.calls), "the send to B refused"
    )
    await h.emulator.wait_idle()
    assert await outbox_rows(h, CARD) == []
