"""An update's intake: dropped if it was already handled (Telegram's at-least-once
delivery, or a retried webhook request reaching another instance); else its sender is
resolved (current conference, language, staff roles) into `ctx` and `t`.

Without Redis both are done by `bot.update_intake.UpdateIntake`, batched with the updates arriving
alongside; with Redis the id is recorded there (`SET NX EX 86400`) and only identity is
read from the database. Either way an update is known by its bot's id and its own (update
ids are per bot). Language and roles are read fresh for every update."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.i18n import choose_language, translator
from bot.update_intake import UpdateIntake
from core.config import Settings
from core.people.preferences import remember_language, unblock

log = logging.getLogger("confdesk.updates")
DAY = 24 * 3600


class UpdateIntakeMiddleware(BaseMiddleware):
    def __init__(self, settings: Settings, intake: UpdateIntake, redis: Any | None = None, prefix: str = "confdesk"):
        self.settings = settings
        self.intake = intake
        self.redis = redis
        self.prefix = prefix

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update_id = event.update_id if isinstance(event, Update) else None
        bot = data.get("bot")
        bot_id = bot.id if bot is not None else 0
        if update_id is not None and self.redis is not None:
            key = f"{self.prefix}:upd:{bot_id}:{update_id}"
            if not await self.redis.set(key, 1, nx=True, ex=DAY):
                return self._repeat(update_id)
            update_id = None  # recorded
        user: User | None = data.get("event_from_user")
        person = user.id if user is not None and not user.is_bot else None
        received = await self.intake.receive(bot_id, update_id, person)
        if received.repeat:
            return self._repeat(update_id)
        who = received.who
        if user is None or who is None:
            return await handler(event, data)
        language = choose_language(who.language, user.language_code, self.settings.default_language)
        session: AsyncSession = data["session"]
        if who.blocked:  # they blocked the bot once and write again: broadcasts reach them again
            await unblock(session, user.id)
        if not who.known:
            await remember_language(session, user.id, language, chosen=False)
        ctx = Ctx(
            telegram_id=user.id,
            language=language,
            t=translator(language),
            settings=self.settings,
            conference=who.conference,
            roles=who.roles,
        )
        data["ctx"] = ctx
        data["t"] = ctx.t
        return await handler(event, data)

    @staticmethod
    def _repeat(update_id: int | None) -> None:
        log.info("update %s already handled: skipped", update_id)
        return None
