"""`confdesk run`'s polling entry point against the emulator: it migrates, learns and keeps
the bot's username, registers the command menu in English and Russian, answers."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import select

from bot.emulator import BotAPIEmulator
from bot.runner import run_polling
from core.config import load_settings
from core.db import make_engine, make_session_factory
from core.models import AppSetting


async def test_run_polling_prepares_and_answers(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    async with BotAPIEmulator(bot_username="minsk_conf_bot") as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token=emulator.token,
            database_url=url,
            telegram_api_url=emulator.base_url,
            redis_url=None,
        )
        task = asyncio.create_task(run_polling(settings))
        try:
            user = emulator.user(id=501, first_name="Anna", language_code="en")
            await emulator.wait_until(lambda: emulator.updates.polls > 0, "the bot's first getUpdates")
            await user.send("/start")
            reply = await user.expect("not open for registration yet")
            assert reply.text
            menus = {lang: [c["command"] for c in cmds] for (_, lang), cmds in emulator.commands.items()}
            assert set(menus) == {"", "ru"}
            assert "start" in menus[""] and "pending" in menus["ru"]
            ru = next(cmds for (_, lang), cmds in emulator.commands.items() if lang == "ru")
            assert any(c["description"] == "Моя регистрация" for c in ru)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        emulator.assert_no_violations()
    engine = make_engine(url)
    async with make_session_factory(engine)() as s:
        stored = (await s.execute(select(AppSetting.value).where(AppSetting.key == "bot_username"))).scalar_one()
        assert stored == "minsk_conf_bot"
    await engine.dispose()
