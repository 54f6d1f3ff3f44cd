"""Drops an update whose id was already handled (Telegram's at-least-once delivery, or
two webhook instances behind a load balancer receiving a retried request).

With Redis the record is `SET NX EX 86400`; without, a row in `processed_update`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.services import updates

log = logging.getLogger("confdesk.updates")
DAY = 24 * 3600


class DedupMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], redis: Any | None = None, prefix: str = "confdesk") -> None:
        self.session_factory = session_factory
        self.redis = redis
        self.prefix = prefix

    async def first(self, bot_id: int, update_id: int) -> bool:
        if self.redis is not None:
            return bool(await self.redis.set(f"{self.prefix}:upd:{bot_id}:{update_id}", 1, nx=True, ex=DAY))
        async with self.session_factory() as session:
            return await updates.first_delivery(session, update_id)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update):
            bot = data.get("bot")
            if not await self.first(bot.id if bot else 0, event.update_id):
                log.info("update %s already handled: skipped", event.update_id)
                return None
        return await handler(event, data)
