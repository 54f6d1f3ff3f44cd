"""Resolves the user: current conference, language, staff roles -> `ctx` and `t`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.context import Ctx
from bot.i18n import choose_language, translator
from core.config import Settings
from core.services.identity import identify
from core.services.people import remember_language


class ContextMiddleware(BaseMiddleware):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return await handler(event, data)
        who = await identify(data["session"], user.id, conference_slug=self.settings.conference,
                             admin_ids=self.settings.admin_ids)
        language = choose_language(who.language, user.language_code, self.settings.default_language)
        if not who.known:
            await remember_language(data["session"], user.id, language, chosen=False)
        ctx = Ctx(telegram_id=user.id, language=language, t=translator(language), settings=self.settings,
                  conference=who.conference, roles=who.roles)
        data["ctx"] = ctx
        data["t"] = ctx.t
        return await handler(event, data)
