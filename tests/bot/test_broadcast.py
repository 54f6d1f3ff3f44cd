"""/broadcast end to end: compose, audience, preview, confirm; 200 recipients through an
emulator with Telegram's flood limits, injected 429s, a user who blocked the bot and a
restart of the bot and the sender half-way. Nobody is lost, nobody gets it twice; the
progress message is never edited to the text it has (also after the restart), and the
organiser sees "finished" before the delivery report arrives.

Waits are for events (a message, an edit, a queue drained), with generous upper bounds."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.broadcast_progress as broadcast_progress
from bot.app import build_dispatcher, make_bot
from bot.emulator import BotAPIEmulator
from bot.sender import RateLimiter, Sender
from core.clock import utc_now
from core.config import Settings, load_settings
from core.messaging import outbox
from core.models import AuditLog, Conference, OutboxMessage, Participant, Registration
from core.uow import unit_of_work
from tests.bot.conftest import ADMIN, OFFICER, add_staff, seed

WAIT = 60.0  # upper bound of any wait here: a busy 2-core machine, never a fixed window
FIRST = 5000
RECIPIENTS = 200  # approved with a Telegram account; one of them blocked the bot
BLOCKED = FIRST + 7


@dataclass
class World:
    emulator: BotAPIEmulator
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    conference: Conference


@pytest.fixture
async def world(
    database_url: str, session_factory: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    monkeypatch.setattr(broadcast_progress, "PROGRESS_EVERY", 0.2)
    conference, delegations = await seed(session_factory)
    now = utc_now()
    async with session_factory() as s:
        pids = (
            (
                await s.execute(
                    insert(Participant).returning(Participant.id),
                    [
                        {"full_name": f"Person {i}", "telegram_id": FIRST + i, "created_at": now, "updated_at": now}
                        for i in range(RECIPIENTS)
                    ],
                )
            )
            .scalars()
            .all()
        )
        await s.execute(
            insert(Registration),
            [
                {
                    "conference_id": conference.id,
                    "participant_id": pid,
                    "delegation_id": delegations["BY"].id if i % 2 else None,
                    "category": "delegate",
                    "status": "approved",
                    "source": "import",
                    "badge_version": 1,
                    "badge_print_count": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, pid in enumerate(pids)
            ],
        )
        await s.commit()
    async with BotAPIEmulator() as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token="123456:TEST",
            database_url=database_url,
            telegram_api_url=emulator.base_url,
            admin_ids=[ADMIN],
            badge_secret="s" * 40,
            redis_url=None,
            bot_username=None,
            conference=None,
        )
        for i in range(RECIPIENTS):
            emulator.user(FIRST + i, f"Person {i}")
        emulator.user(BLOCKED).block()
        yield World(emulator, settings, session_factory, conference)
        emulator.assert_no_violations()


async def drain(
    sender: Sender, factory: async_sessionmaker[AsyncSession], *, until_sent: int | None = None, seconds: float = 120
) -> None:
    """Run the sender batch by batch (a graceful stop is between batches) until `until_sent`
    messages went out, or until the delivery report is sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if until_sent is not None and sender.sent >= until_sent:
            return
        if until_sent is None:
            async with unit_of_work(factory) as s:
                if (await outbox.counts(s, dedup_prefix="broadcast_report:")).get("sent"):
                    return
        if not await sender.run_once(limit=10):
            await asyncio.sleep(0.1)
    raise AssertionError(f"sender did not finish in {seconds}s (sent {sender.sent})")


async def test_broadcast_to_200_survives_429s_and_a_restart(world: World) -> None:
    emu, factory = world.emulator, world.session_factory
    admin = emu.user(ADMIN, "Admin")
    bot1, dp1 = make_bot(world.settings), build_dispatcher(world.settings, factory)
    sender_bot1 = make_bot(world.settings)
    try:
        async with emu.polling(dp1, bot1):
            await admin.send("/broadcast")
            await admin.expect("Send the message", WAIT)
            await admin.send("Hall B opens at 14:00 <b>sharp</b>")
            await admin.expect("Who should get it?", WAIT)
            await admin.press("Everyone approved")
            preview = await admin.expect("Preview", WAIT)
            assert f"{RECIPIENTS} recipient(s)" in preview.text and "Hall B opens at 14:00 <b>sharp</b>" in preview.text
            # From here on Telegram's limits apply: ~1 message/s per chat, 60/s overall.
            emu.set_rate_limits(per_chat_burst=3, per_chat_rate=1, global_burst=60, global_rate=60)
            await admin.press(f"Send to {RECIPIENTS}")
            await admin.expect(f"Queued for {RECIPIENTS}", WAIT)
            sender1 = Sender(sender_bot1, factory, world.settings, worker="first", limiter=RateLimiter(per_second=50))
            emu.fail_next_sends(3, retry_after=1)
            await drain(sender1, factory, until_sent=90)
            async with unit_of_work(factory) as s:
                sent_so_far = (await outbox.counts(s, dedup_prefix="broadcast:")).get("sent", 0)
            # The watcher catches up with where the sender stopped (the restarted one must
            # not edit the message to this text again).
            progress = await admin.expect(re.compile(rf"Broadcast #\d+: {sent_so_far} of {RECIPIENTS} sent"), WAIT)
            assert "finished" not in progress.text
    finally:
        await bot1.session.close()
        await sender_bot1.session.close()
    async with unit_of_work(factory) as s:
        counts = await outbox.counts(s, dedup_prefix="broadcast:")
    assert 0 < counts.get("pending", 0) < RECIPIENTS  # stopped half-way

    bot2, dp2 = make_bot(world.settings), build_dispatcher(world.settings, factory)
    sender_bot2 = make_bot(world.settings)
    # The "finished" edit is refused once: the report must still come after it.
    emu.fail_next_calls("editMessageText", 1, retry_after=2, where=lambda p: "finished" in str(p.get("text")))
    try:
        async with emu.polling(dp2, bot2):  # the new bot resumes watching the broadcast
            sender2 = Sender(sender_bot2, factory, world.settings, worker="second", limiter=RateLimiter(per_second=50))
            emu.fail_next_sends(2, retry_after=1)
            await drain(sender2, factory)  # until the delivery report went out
            done = await admin.expect("finished", WAIT)
            assert f"{RECIPIENTS - 1} of {RECIPIENTS} delivered, 0 failed, 1 blocked the bot" in done.text
            # In the organiser's chat the finish comes first, then the report.
            events = [(e.kind, e.message.text or "") for e in admin.chat.events]
            finished_at = next(i for i, (kind, text) in enumerate(events) if kind == "edit" and "finished" in text)
            reports = [i for i, (kind, text) in enumerate(events) if kind == "message" and "Delivery report" in text]
            assert len(reports) == 1 and finished_at < reports[0], events[-4:]
            assert f"{RECIPIENTS - 1} of {RECIPIENTS} delivered" in events[reports[0]][1]
            admin.skip()

            # Who blocked the bot is skipped next time; cancelling sends nothing. (Flood limits off:
            # this quick conversation would exceed one message a second in the admin's chat.)
            emu.set_rate_limits(False)
            await admin.send("/broadcast")
            await admin.expect("Send the message", WAIT)
            await admin.send("Second message")
            await admin.expect("Who should get it?", WAIT)
            await admin.press("Everyone approved")
            assert f"{RECIPIENTS - 1} recipient(s)" in (await admin.expect("Preview", WAIT)).text
            await admin.press("Cancel")
            await admin.expect("Broadcast cancelled", WAIT)
            await admin.wait_idle(timeout=WAIT)
    finally:
        await bot2.session.close()
        await sender_bot2.session.close()

    # No edit was refused as "not modified": the restarted watcher knew what the message showed.
    edits = [c for c in emu.calls if c.method == "editMessageText"]
    assert [c.description for c in edits if c.status == 400] == []
    assert [c.status for c in edits if not c.ok] == [429]  # the one refused on purpose
    for i in range(RECIPIENTS):
        got = [m.text for m in emu.chats[FIRST + i].messages.values() if m.from_bot]
        assert got == (
            [] if FIRST + i == BLOCKED else ["Hall B opens at 14:00 <b>sharp</b>"]
        )  # typed, not formatting, f"recipient {i}: {got}"
    async with factory() as s:
        blocked = (
            await s.execute(select(Participant.blocked_bot_at).where(Participant.telegram_id == BLOCKED))
        ).scalar_one()
        actions = (await s.execute(select(AuditLog.action).order_by(AuditLog.id))).scalars().all()
        rows = (await s.execute(select(OutboxMessage.status).where(OutboxMessage.kind == "broadcast"))).scalars().all()
    assert blocked is not None
    assert actions == ["broadcast.send", "broadcast.done"]
    assert len(rows) == RECIPIENTS and sorted(str(r.value) for r in rows).count("sent") == RECIPIENTS - 1
    assert sum(1 for c in emu.calls if c.method == "sendMessage" and c.status == 429) == 5


async def test_broadcast_is_for_admins_and_audiences(world: World) -> None:
    emu, factory = world.emulator, world.session_factory
    await add_staff_world(world)
    bot, dp = make_bot(world.settings), build_dispatcher(world.settings, factory)
    try:
        async with emu.polling(dp, bot):
            for refused in (OFFICER, FIRST):
                user = emu.user(refused, "No")
                await user.send("/broadcast")
                await user.expect("for the organisers only", WAIT)
            admin = emu.user(ADMIN, "Admin")
            await admin.send("/broadcast")
            await admin.expect("Send the message", WAIT)
            await admin.send_sticker()
            await admin.expect("Please send text", WAIT)
            await admin.send("Delegation briefing")
            await admin.expect("Who should get it?", WAIT)
            await admin.press("A delegation")
            picker = await admin.expect("Choose the delegation", WAIT)
            assert picker.buttons[0] == f"Belarus ({RECIPIENTS // 2})"
            await admin.press("Belarus")
            assert f"delegation Belarus, {RECIPIENTS // 2} recipient(s)" in (await admin.expect("Preview", WAIT)).text
            await admin.press("Cancel")
            await admin.expect("cancelled", WAIT)
            await admin.send("/broadcast")
            await admin.send("Who is inside?")
            await admin.expect("Who should get it?", WAIT)
            await admin.press("Inside the venue now")
            await admin.expect("Nobody in inside the venue now can be reached", WAIT)
            await admin.press("A category")
            await admin.expect("Choose the category", WAIT)
            await admin.press("Delegate")
            assert f"category Delegate, {RECIPIENTS} recipient(s)" in (await admin.expect("Preview", WAIT)).text
            await admin.press("Cancel")
            await admin.wait_idle(timeout=WAIT)
    finally:
        await bot.session.close()
    async with factory() as s:
        assert (await s.execute(select(OutboxMessage))).first() is None


async def add_staff_world(world: World) -> None:
    from tests.bot.conftest import Harness

    h = Harness(world.emulator, world.settings, world.session_factory, world.conference, {})
    await add_staff(h, OFFICER)
