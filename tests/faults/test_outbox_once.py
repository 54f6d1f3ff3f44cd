"""Issue 11, item 3: each outbox message is sent once, whatever the number of senders and
the 429s. Telegram answers every 2nd sendMessage with 429; every recipient must get
exactly one copy.

What broke: a sender claimed 25 rows under a 60 s lease and slept out one 429 after the
other while holding them; the lease ran out, the other instance claimed the same rows, and
both sent them. Waiting out `retry_after` 30 for real would take minutes, so the first test
runs two senders (own engine, own bot each) on a clock ten times as fast: a 30 s
`retry_after` lasts 3 s, a 20 s lease 2 s, and their order is the one that broke. The second
runs two real bot processes (`confdesk run --webhook`, as two instances behind a balancer)
with short real `retry_after`s, watchers and delivery report included."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import make_bot
from bot.emulator import BotAPIEmulator
from bot.sender import RateLimiter, Sender
from core.clock import utc_now
from core.config import load_settings
from core.db import make_engine, make_session_factory
from core.messaging import broadcasts, outbox
from core.uow import unit_of_work
from tests.faults.outbox_util import (
    ADMIN,
    WAIT,
    BotProcess,
    bot_env,
    copies,
    queue_broadcast,
    reports,
    until,
)

SPEED = 10.0  # seconds of the senders' clock per real second
RETRY_AFTER = 30  # Telegram's retry_after, in clock seconds (3 real)
LEASE = 20.0  # clock seconds (2 real): shorter than one 429 wait, as 60 s was shorter than seven


class FastClock:
    """A wall clock running `speed` times as fast as real time, from now on."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.start = utc_now()
        self.mono = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.mono) * self.speed)


async def _pending(factory: async_sessionmaker[AsyncSession], broadcast_id: int) -> int:
    async with unit_of_work(factory) as s:  # ends its read (and SQLite's lock) before the next await
        return (await outbox.counts(s, dedup_prefix=broadcasts.dedup_prefix(broadcast_id))).get("pending", 0)


@contextlib.asynccontextmanager
async def _senders(emulator: BotAPIEmulator, database_url: str, n: int) -> AsyncIterator[list[Sender]]:
    """`n` senders as `n` processes would have them: own engine, own bot."""
    settings = load_settings(
        _env_file=None, bot_token=emulator.token, database_url=database_url, telegram_api_url=emulator.base_url
    )
    clock = FastClock(SPEED)
    engines = [make_engine(database_url) for _ in range(n)]
    bots = [make_bot(settings) for _ in range(n)]  # as production's, with its request middlewares
    try:
        yield [
            Sender(
                bot,
                make_session_factory(engine),
                settings,
                worker=f"instance-{i}",
                clock=clock,
                speed=SPEED,
                lease=LEASE,
                limiter=RateLimiter(per_second=100, per_chat_interval=0),
                kinds=(broadcasts.KIND,),
            )
            for i, (bot, engine) in enumerate(zip(bots, engines, strict=True))
        ]
    finally:
        for bot in bots:
            await bot.session.close()
        for engine in engines:
            await engine.dispose()


async def test_two_senders_with_429_retry_after_30_on_every_2nd_send_send_each_once(
    database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    recipients = 10
    async with BotAPIEmulator() as emulator:
        broadcast_id = await queue_broadcast(session_factory, emulator, recipients)
        emulator.fail_every_nth_send(2, retry_after=RETRY_AFTER)
        async with _senders(emulator, database_url, 2) as senders:
            began = time.monotonic()

            async def work(sender: Sender) -> None:
                # Batch after batch until nothing is pending; each batch ends before the
                # next check, so when both return no sender still holds anything.
                loop = asyncio.get_running_loop()
                deadline = loop.time() + WAIT
                while await _pending(sender.session_factory, broadcast_id):
                    assert loop.time() < deadline, f"still pending after {WAIT}s"
                    if not await sender.run_once():
                        await asyncio.sleep(0.05)  # idle poll, as run_forever does

            await asyncio.gather(*(work(s) for s in senders))
            took = time.monotonic() - began
        got = copies(emulator, recipients)
        refused = sum(1 for c in emulator.calls if c.method == "sendMessage" and c.status == 429)
        print(
            f"\n[outbox 429 x{SPEED:g} clock] {recipients} recipients, copies per recipient {dict(got)}, "
            f"{refused} x 429 retry_after {RETRY_AFTER}, lost claims skipped {[s.lost for s in senders]}, "
            f"sent {[s.sent for s in senders]}, {took:.1f}s real ({took * SPEED:.0f}s of clock)"
        )
        assert got == {1: recipients}, f"copies per recipient: {dict(got)}"
        assert refused >= recipients - 1  # every 2nd send was refused: the 429 path was taken
        assert all(s.sent for s in senders)  # both instances sent
        emulator.assert_no_violations()


async def test_two_bot_processes_with_429_on_every_2nd_send_send_each_once(
    database_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    recipients = 12
    async with BotAPIEmulator() as emulator:
        await queue_broadcast(session_factory, emulator, recipients)
        emulator.fail_every_nth_send(2, retry_after=1)
        env = bot_env(emulator, database_url)
        bots = [BotProcess(f"instance-{i}", env, tmp_path) for i in range(2)]
        began = time.monotonic()
        try:
            for bot in bots:
                bot.start()
            try:
                await until(emulator, lambda: bool(reports(emulator)), "the delivery report")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n" + "\n".join(f"--- {b.name}:\n{b.tail()}" for b in bots)) from None
            took = time.monotonic() - began
            assert all(b.alive() for b in bots)

        finally:
            for bot in bots:
                bot.stop()
        got = copies(emulator, recipients)
        refused = sum(1 for c in emulator.calls if c.method == "sendMessage" and c.status == 429)
        senders = {c.chat_id for c in emulator.calls if c.method == "sendMessage" and c.ok}
        print(
            f"\n[outbox 429, 2 processes] {recipients} recipients, copies per recipient {dict(got)}, "
            f"{refused} x 429 retry_after 1, {took:.1f}s from start to the report"
        )
        assert got == {1: recipients}, f"copies per recipient: {dict(got)}"
        assert refused >= recipients - 1 and len(senders) == recipients + 1
        # The organiser: "finished" shown before the one report; no edit refused as not modified.
        events = [(e.kind, e.message.text or "") for e in emulator.chats[ADMIN].events]
        finished = [i for i, (kind, text) in enumerate(events) if kind == "edit" and "finished" in text]
        report = [i for i, (kind, text) in enumerate(events) if kind == "message" and "Delivery report" in text]
        assert len(finished) == 1 and len(report) == 1 and finished[0] < report[0], events
        assert f"{recipients} of {recipients} delivered" in events[report[0]][1]
        edits = [c for c in emulator.calls if c.method == "editMessageText"]
        assert [c.description for c in edits if not c.ok] == []
        emulator.assert_no_violations()
