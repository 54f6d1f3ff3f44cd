"""Resolves the user: current conference, language, staff roles -> `ctx` and `t`.

The current conference is cached for a few seconds (it changes only when a programme is
loaded); language and roles are read fresh for every update, in one statement."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.i18n import choose_language, translator
from core.config import Settings
from core.errors import NotFound
from core.models import Conference
from core.services.conferences import current_conference
from core.services.identity import identify
from core.services.people import remember_language, unblock

CONFERENCE_TTL = 5.0


class ContextMiddleware(BaseMiddleware):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conference: Conference | None = None
        self._conference_at = float("-inf")

    async def conference(self, session: AsyncSession) -> Conference | None:
        if time.monotonic() - self._conference_at > CONFERENCE_TTL:
            try:
                self._conference = await current_conference(session, self.settings.conference)
            except NotFound:
                self._conference = None
            self._conference_at = time.monotonic()
        return self._conference

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return await handler(event, data)
        session: AsyncSession = data["session"]
        who = await identify(
            session, user.id, conference=await self.conference(session), admin_ids=self.settings.admin_ids
        )
        language = choose_language(who.language, user.language_code, self.settings.default_language)
        if who.blocked:  # they blocked the bot once and write again: broadcasts reach them again
            await unblock(session, user.id)
        if not who.known:
            await remember_language(session, user.id, language, chosen=False)  # commits
        else:
            await session.commit()  # ends the read (and keeps the update's dedup record)
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
