"""Issue 11, item 2: with REDIS_URL set, no update is lost under a burst.

The real bot runs as `confdesk run` (a subprocess, as in production) on the test database
(SQLite or PostgreSQL) and the test Redis, against the Bot API emulator in this process.
500 users each send /start at once: 500 updates queued before the bot polls, or POSTed to
the webhook server all together. Every user must get the wizard's first question, once.
(Before the Redis client had a blocking pool and the bot a bound on updates in flight,
exactly 100 were answered: the rest failed with "Too many connections" in the
event-isolation lock, already acknowledged.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from bot.emulator import BotAPIEmulator
from bot.webhook import SECRET_HEADER
from tests.bot.conftest import seed
from tests.bot.test_redis_state import REDIS_URL, _redis_available
from tests.faults.redis_util import WEBHOOK_PATH, WEBHOOK_SECRET, answered, bot_process, fresh_token, until

BURST = 500
ASKED = "full name in Latin"


@pytest.fixture
async def emulator(database_url, session_factory):  # type: ignore[no-untyped-def]
    if not await _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    await seed(session_factory)  # an open conference: /start opens the wizard (FSM state in Redis)
    async with BotAPIEmulator(token=fresh_token()) as emu:
        yield emu
        emu.assert_no_violations()


async def _all_answered(emulator: BotAPIEmulator, users: list, bot) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Every user got the question, waiting for answers; fails early once the answered and
    the logged-as-failed updates account for all of them."""

    def report() -> str:
        errors = bot.errors()
        return (
            f"{len(answered(users, ASKED))} of {len(users)} answered, {len(bot.failed_updates())} updates failed;"
            f" {len(errors)} error lines from the bot, e.g.:\n"
            + "\n".join(e[:400] for e in errors[:3])
            + f"\nlast lines:\n{bot.tail(5)}"
        )

    await until(
        emulator,
        lambda: len(answered(users, ASKED)) == len(users),
        report,
        hopeless=lambda: len(answered(users, ASKED)) + len(bot.failed_updates()) >= len(users),
        timeout=120,
    )


def _check_once_each(users: list) -> None:  # type: ignore[type-arg]
    doubled = [u.id for u in users if sum(m.matches(ASKED) for m in u.messages) != 1]
    assert not doubled, f"users asked more than once (or not at all): {doubled[:10]}"


async def test_500_updates_queued_for_polling_are_all_answered(emulator, database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    users = [emulator.user(id=700_000 + i, first_name="P", language_code="en") for i in range(BURST)]
    for user in users:
        await user.start()
    async with bot_process(emulator, database_url, tmp_path) as bot:
        await _all_answered(emulator, users, bot)
        assert await bot.stop() == 0, bot.tail()
    _check_once_each(users)
    assert not bot.errors(), "\n".join(bot.errors()[:3])


async def test_a_webhook_burst_of_500_is_all_answered(emulator, database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    users = [emulator.user(id=800_000 + i, first_name="W", language_code="en") for i in range(BURST)]
    for user in users:
        await user.start()
    updates, emulator.updates.pending = list(emulator.updates.pending), []
    # A Redis pool smaller than the updates in flight: commands wait for a free connection.
    async with bot_process(emulator, database_url, tmp_path, webhook=True, REDIS_MAX_CONNECTIONS="20") as bot:
        listening = await bot.wait_line("webhook listening")
        url = f"http://{listening['host']}:{listening['port']}{WEBHOOK_PATH}"
        headers = {SECRET_HEADER: WEBHOOK_SECRET}
        # Telegram opens at most 100 connections to a webhook (max_connections 1-100).
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:

            async def post(update: dict) -> int:  # type: ignore[type-arg]
                async with http.post(url, json=update, headers=headers) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(post(u) for u in updates))
        assert statuses == [200] * BURST  # every update acknowledged: from here on it is ours to answer
        await _all_answered(emulator, users, bot)
        assert await bot.stop() == 0, bot.tail()
    _check_once_each(users)
    assert not bot.errors(), "\n".join(bot.errors()[:3])
