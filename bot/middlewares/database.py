"""Each update is one unit of work (`core.uow`): a session for the handler, committed when
the handler returns, rolled back when it raises. Services never commit.

The Bot API client checkpoints it before every request (bot.api_requests.CheckpointBeforeRequest):
what was done so far is committed before the bot waits on Telegram, so a transaction (and
SQLite's single connection) is never held through a network round trip, and what the user is
about to be told is durable. A session that never opened a transaction holds no connection
and is simply dropped: most wizard steps never touch it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.uow import unit_of_work


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with unit_of_work(self.session_factory) as session:
            data["session"] = session
            return await handler(event, data)
