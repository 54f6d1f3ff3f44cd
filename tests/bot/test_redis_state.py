"""With REDIS_URL the wizard's state lives in Redis and survives a bot restart."""

from __future__ import annotations

import os
import uuid

import pytest

from bot.app import build_dispatcher, make_bot, make_storage
from bot.emulator import BotAPIEmulator
from core.config import load_settings
from tests.bot.conftest import seed

REDIS_URL = os.environ.get("CONFDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _redis_available() -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except OSError:
        return False
    except Exception:  # redis.exceptions.ConnectionError is not an OSError
        return False
    finally:
        await client.aclose()


async def test_wizard_survives_a_restart(database_url, session_factory) -> None:
    if not await _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL}")
    await seed(session_factory)
    token = f"{uuid.uuid4().int % 10**9}:TEST"  # a fresh bot id: no state left from other runs
    async with BotAPIEmulator(token=token) as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token=token,
            database_url=database_url,
            telegram_api_url=emulator.base_url,
            redis_url=REDIS_URL,
        )
        anna = emulator.user(id=777, first_name="Anna", language_code="en")
        for step in ("before", "after"):
            bot = make_bot(settings)
            dp = build_dispatcher(settings, session_factory, storage=make_storage(settings))
            try:
                async with emulator.polling(dp, bot):
                    if step == "before":
                        await anna.start()
                        await anna.expect("full name in Latin")
                        await anna.send("Anna Petrova")
                        await anna.expect("own script")
                    else:  # a new process would see the same: the draft comes from Redis
                        await anna.send("Анна Петрова")
                        await anna.expect("Which delegation")
                        await anna.send("/cancel")
                        await anna.expect("Stopped")
            finally:
                await bot.session.close()
                await dp.storage.close()
        emulator.assert_no_violations()
