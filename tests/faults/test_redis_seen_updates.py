"""Issue 11, item 4: seen updates are keyed by bot and update id.

Update ids are each bot's own sequence. Two bots on one database (and one Redis), with
overlapping ids: every update of each is handled. One bot moving to a fresh Bot API server:
Telegram's server starts a bot's ids at a random number (the emulator does the same), so
nothing is skipped either; and an update Telegram delivers again is still handled once.
(Before, seen ids were keyed by update id alone on the database path: a second bot or
server restarting ids had its updates silently skipped as repeats.)

Both the database path (no Redis: bot.update_intake records ids in processed_update) and the
Redis path (SET NX on confdesk:upd:<bot id>:<update id>) are checked."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from bot.app import build_dispatcher, make_bot, make_storage
from bot.emulator import BotAPIEmulator
from bot.emulator.users import FakeUser
from core.config import load_settings
from tests.bot.test_redis_state import REDIS_URL, _redis_available
from tests.faults.redis_util import fresh_token, until

UPDATES = 33  # as in the issue: 24 of 33 were skipped
HELP = "/withdraw"  # in every /help answer


class Skips(logging.Handler):
    """Counts the updates the bot dropped as already handled."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "already handled" in record.getMessage()


@pytest.fixture
def skips() -> AsyncIterator[Skips]:
    handler = Skips()
    logger = logging.getLogger("confdesk.updates")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler  # type: ignore[misc]
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture(params=["database", "redis"])
async def redis_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "database":
        return None
    if not await _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    return REDIS_URL


@asynccontextmanager
async def server(token: str, first_update_id: int | None = None) -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator(token=token, first_update_id=first_update_id) as emulator:
        yield emulator
        emulator.assert_no_violations()


@asynccontextmanager
async def running_bot(emulator: BotAPIEmulator, database_url: str, session_factory, redis_url: str | None):  # type: ignore[no-untyped-def]
    """The real bot, polling `emulator`, on the test database (and Redis, if given)."""
    settings = load_settings(
        _env_file=None,
        bot_token=emulator.token,
        database_url=database_url,
        telegram_api_url=emulator.base_url,
        redis_url=redis_url,
    )
    bot = make_bot(settings)
    dp = build_dispatcher(settings, session_factory, storage=make_storage(settings))
    try:
        async with emulator.polling(dp, bot):
            yield
    finally:
        await bot.session.close()
        await dp.storage.close()


def _helped(users: list[FakeUser]) -> Callable[[], int]:
    return lambda: sum(sum(m.matches(HELP) for m in u.messages) for u in users)


async def ask_help(emulator: BotAPIEmulator, skips: Skips, *, expect: int) -> list[dict]:  # type: ignore[type-arg]
    """UPDATES users (the same people on every server) send /help; wait until `expect` of
    them are answered, failing as soon as the rest were dropped as repeats. Returns the updates."""
    users = [emulator.user(id=3000 + i, first_name="U", language_code="en") for i in range(UPDATES)]
    answered = _helped(users)
    before, skipped = answered(), skips.count
    first = len(emulator.updates.pending)
    for user in users:
        await user.send("/help")
    updates = emulator.updates.pending[first:]
    await until(
        emulator,
        lambda: answered() - before >= expect,
        lambda: f"{answered() - before} of {UPDATES} answered, {skips.count - skipped} skipped as already handled",
        hopeless=lambda: answered() - before + skips.count - skipped >= UPDATES and answered() - before < expect,
        timeout=30,
    )
    return updates


async def test_two_bots_with_overlapping_update_ids_skip_nothing(
    database_url, session_factory, redis_url, skips
) -> None:  # type: ignore[no-untyped-def]
    for token in (fresh_token(), fresh_token()):  # two bots, one database, ids 1..33 each
        async with server(token, first_update_id=1) as emulator:
            async with running_bot(emulator, database_url, session_factory, redis_url):
                await ask_help(emulator, skips, expect=UPDATES)
    assert skips.count == 0


async def test_a_fresh_server_for_the_same_bot_skips_nothing_and_a_redelivery_is_still_once(  # type: ignore[no-untyped-def]
    database_url, session_factory, redis_url, skips
) -> None:
    token = fresh_token()
    async with server(token) as first:
        async with running_bot(first, database_url, session_factory, redis_url):
            updates = await ask_help(first, skips, expect=UPDATES)
        # The bot stopped before confirming the last five (say): Telegram delivers them again.
        first.updates.pending[:0] = updates[-5:]
        async with running_bot(first, database_url, session_factory, redis_url):
            # Each is either skipped or answered: five skips mean none was answered twice.
            await until(first, lambda: skips.count == 5, lambda: f"{skips.count} of 5 redeliveries skipped")
    async with server(token) as fresh:  # a new Bot API server: ids start elsewhere, as Telegram's do
        async with running_bot(fresh, database_url, session_factory, redis_url):
            await ask_help(fresh, skips, expect=UPDATES)
    assert skips.count == 5
