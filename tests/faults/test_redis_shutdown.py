"""Issue 11, item 2: stopping the bot does not cut the updates it already took.

aiogram stops polling without waiting for the update tasks it started and then closes the
FSM storage (Redis) under them; in the 500-update fault test an already acknowledged update
failed now and then in the isolation lock's release ("Connection closed by server"). The
dispatcher now finishes its updates before it shuts down. Here an update is held in its
handler while polling stops: it must finish (and answer) before the storage is closed."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiogram import F
from aiogram.types import Message

from bot.app import build_dispatcher, make_bot, make_storage
from bot.emulator import BotAPIEmulator
from core.config import load_settings
from tests.bot.test_redis_state import REDIS_URL, _redis_available
from tests.faults.redis_util import fresh_token


class Events(logging.Handler):
    def __init__(self, needle: str, event: asyncio.Event) -> None:
        super().__init__(logging.INFO)
        self.needle, self.event = needle, event

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.event.set()


async def test_stopping_finishes_the_updates_in_flight_before_closing_redis(database_url, session_factory) -> None:  # type: ignore[no-untyped-def]
    if not await _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    order: list[str] = []
    entered, release, draining, closed = asyncio.Event(), asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow(message: Message) -> None:
        entered.set()
        await release.wait()
        await message.answer("done at last")
        order.append("handled")

    logger = logging.getLogger("confdesk.bot")
    watcher = Events("shutting down: finishing", draining)
    logger.addHandler(watcher)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        async with BotAPIEmulator(token=fresh_token()) as emulator:
            settings = load_settings(
                _env_file=None,
                bot_token=emulator.token,
                database_url=database_url,
                telegram_api_url=emulator.base_url,
                redis_url=REDIS_URL,
            )
            bot = make_bot(settings)
            storage = make_storage(settings)
            close = storage.close

            async def recorded_close() -> None:
                order.append("storage closed")
                closed.set()
                await close()

            storage.close = recorded_close  # type: ignore[method-assign]
            dp = build_dispatcher(settings, session_factory, storage=storage)
            dp.message.register(slow, F.text == "slow")  # the root router's handlers come first
            anna = emulator.user(id=4242, first_name="Anna")
            try:
                async with emulator.polling(dp, bot):
                    await anna.send("slow")
                    await asyncio.wait_for(entered.wait(), 30)
                    stopping = asyncio.create_task(dp.stop_polling())
                    # Either shutdown waits for the update (fixed) or closes the storage under it.
                    waits = [asyncio.create_task(e.wait()) for e in (draining, closed)]
                    _, pending = await asyncio.wait(waits, timeout=30, return_when=asyncio.FIRST_COMPLETED)
                    for task in pending:
                        task.cancel()
                    assert draining.is_set() or closed.is_set(), "shutdown neither waited nor closed within 30 s"
                    release.set()
                    await stopping
                # Polling has stopped and shut down: the update was finished first.
                assert order == ["handled", "storage closed"]
                await anna.expect("done at last")
            finally:
                release.set()
                await bot.session.close()
            emulator.assert_no_violations()
    finally:
        logger.removeHandler(watcher)
        logger.setLevel(level)
