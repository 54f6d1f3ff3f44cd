"""Middlewares on the Bot API client session (every request the bot makes)."""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import Response, TelegramMethod, TelegramType

from core import uow

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger("confdesk.api_requests")

# Set by a caller with a 429 policy of its own (the outbox sender pauses, gives its batch
# back and reschedules; sleeping inside a send would hold the batch through the wait).
raise_flood_limits: ContextVar[bool] = ContextVar("raise_flood_limits", default=False)


class PinResponseTypes(BaseRequestMiddleware):
    """aiogram parses each answer with `Response[method.__returning__]`; pydantic keeps
    parametrized generics only weakly, so without a strong reference the class and its
    schema may be rebuilt on every call (~0.25 ms each, measured). Keep the ones we use."""

    pinned: dict[type, type] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        kind = type(method)
        if kind not in self.pinned:
            self.pinned[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)


class CheckpointBeforeRequest(BaseRequestMiddleware):
    """Before the bot waits on Telegram, checkpoint the unit of work the request is made in
    (an update's, the sender's): what was done so far is committed, so no transaction keeps
    SQLite's one connection (or a pooled PostgreSQL one) through a network round trip, and
    what the user is about to read is already durable."""

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        work = uow.current.get()
        if work is not None:
            await work.checkpoint()
        return await make_request(bot, method)


class RetryAfter(BaseRequestMiddleware):
    """A reply that hits Telegram's flood limit waits `retry_after` and is sent again, up
    to `max_wait` seconds in all; longer waits are raised. The outbox sender has every 429
    raised (`raise_flood_limits`) and reschedules itself."""

    def __init__(self, max_wait: float = 10.0, attempts: int = 3) -> None:
        self.max_wait = max_wait
        self.attempts = attempts

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        if raise_flood_limits.get():
            return await make_request(bot, method)
        waited = 0.0
        for attempt in range(self.attempts):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt + 1 == self.attempts or waited + exc.retry_after > self.max_wait:
                    raise
                log.warning("flood limit on %s: retrying in %ss", type(method).__name__, exc.retry_after)
                waited += exc.retry_after
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")
