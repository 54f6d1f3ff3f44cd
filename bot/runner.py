"""Running the bot for real: migrate, learn our username, register commands, poll."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot

from bot.app import build_dispatcher, make_bot, set_commands
from bot.sender import Sender
from core.config import Settings
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.services import badges

log = logging.getLogger("confdesk.bot")


async def prepare(bot: Bot, settings: Settings, session_factory: object) -> str:
    """Things done once at start: returns the bot's username."""
    me = await bot.get_me()
    username = me.username or ""
    async with session_factory() as session:  # type: ignore[operator]
        await badges.remember_bot_username(session, username)
        _, where = await badges.ensure_badge_secret(session, settings)
    log.info("bot @%s (id %s); badge secret from %s", username, me.id, where)
    await set_commands(bot)
    return username


async def run_polling(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        session_factory = make_session_factory(engine)
        bot = make_bot(settings)
        dp = build_dispatcher(settings, session_factory)
        try:
            await prepare(bot, settings, session_factory)
            await bot.delete_webhook(drop_pending_updates=False)
            sender = asyncio.create_task(Sender(bot, session_factory, settings).run_forever())
            try:
                await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
        finally:
            await bot.session.close()
            await dp.storage.close()
    finally:
        await engine.dispose()
