"""Issue 11, item 2: an update that fails anywhere inside the bot is logged with its id and
its sender is answered, in their language, even before we know who they are: Redis down
(the failure is in aiogram's isolation lock, outside our own middlewares) or the database
pool exhausted (before the sender's stored language is read)."""

from __future__ import annotations

import logging
import re
import socket

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.app import build_dispatcher, make_bot, make_storage
from bot.emulator import BotAPIEmulator
from bot.i18n import translator
from core.config import load_settings
from tests.bot.conftest import seed

SORRY_RU = translator("ru")("internal-error")


def _closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused at once, as with Redis down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _logged_failure(caplog: pytest.LogCaptureFixture, update_id: int) -> bool:
    pattern = re.compile(rf"\bupdate {update_id} failed")
    return any(pattern.search(r.getMessage()) and r.exc_info for r in caplog.records)


async def test_redis_down_the_user_is_answered_in_their_language(database_url, session_factory, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.ERROR)
    await seed(session_factory)
    async with BotAPIEmulator() as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token=emulator.token,
            database_url=database_url,
            telegram_api_url=emulator.base_url,
            redis_url=f"redis://127.0.0.1:{_closed_port()}/0",
        )
        bot = make_bot(settings)
        dp = build_dispatcher(settings, session_factory, storage=make_storage(settings))
        try:
            async with emulator.polling(dp, bot):
                olga = emulator.user(id=4711, first_name="Olga", language_code="ru")
                sent = await olga.send("/start")
                update_id = emulator.updates.pending[-1]["update_id"]
                reply = await olga.expect(SORRY_RU, timeout=30)
        finally:
            await bot.session.close()
            await dp.storage.close()
        assert sent.message_id < reply.message_id
        assert _logged_failure(caplog, update_id), [r.getMessage() for r in caplog.records]
        emulator.assert_no_violations()


async def test_database_pool_exhausted_the_user_is_answered(database_url, session_factory, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.ERROR)
    await seed(session_factory)

    exhausted = False

    def factory() -> object:
        if exhausted:
            raise PoolTimeout("QueuePool limit of size 10 overflow 10 reached, connection timed out, timeout 30.00")
        return session_factory()

    async with BotAPIEmulator() as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token=emulator.token,
            database_url=database_url,
            telegram_api_url=emulator.base_url,
            redis_url=None,
        )
        bot = make_bot(settings)
        dp = build_dispatcher(settings, factory)  # type: ignore[arg-type]
        try:
            async with emulator.polling(dp, bot):
                exhausted = True
                olga = emulator.user(id=4712, first_name="Olga", language_code="ru-RU")
                await olga.send("/start")
                update_id = emulator.updates.pending[-1]["update_id"]
                await olga.expect(SORRY_RU, timeout=30)
        finally:
            await bot.session.close()
        assert _logged_failure(caplog, update_id), [r.getMessage() for r in caplog.records]
        emulator.assert_no_violations()
