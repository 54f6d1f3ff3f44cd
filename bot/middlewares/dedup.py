"""Drops an update whose id was already handled (Telegram's at-least-once delivery, or
two webhook instances behind a load balancer receiving a retried request).

With Redis the record is `SET NX EX 86400`; without, a row in `processed_update` inserted
in the update's own transaction (committed with the first commit that follows, before any
handler runs), so it costs no extra round trip."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from core.services import updates

log = logging.getLogger("confdesk.updates")
DAY = 24 * 3600


class DedupMiddleware(BaseMiddleware):
    def __init__(self, redis: Any | None = None, prefix: str = "confdesk") -> None:
        self.redis = redis
        self.prefix = prefix

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update):
            if self.redis is not None:
                bot = data.get("bot")
                first = bool(
                    await self.redis.set(
                        f"{self.prefix}:upd:{bot.id if bot else 0}:{event.update_id}", 1, nx=True, ex=DAY
                    )
                )
            else:
                first = await updates.record(data["session"], event.update_id)
            if not first:
                log.info("update %s already handled: skipped", event.update_id)
                return None
        return await handler(event, data)
