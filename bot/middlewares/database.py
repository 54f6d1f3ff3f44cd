"""One database session per update, closed when the update is handled.

The session is also published in a context variable, so that the Bot API client can end
a read-only transaction before it waits on Telegram (see bot.session.ReleaseBeforeRequest):
with SQLite's single connection, a transaction held across a network call would make every
other update wait for it.

Services commit their own work, so a transaction still open when the handler returns was
only reading (or failed half-way): it is rolled back. A session that never opened one
holds no connection and is simply dropped: most wizard steps never touch it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = self.session_factory()
        data["session"] = session
        token = current_session.set(session)
        try:
            return await handler(event, data)
        finally:
            current_session.reset(token)
            if session.in_transaction():
                await session.close()
