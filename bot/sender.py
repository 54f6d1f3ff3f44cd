"""Sends what the outbox holds: claims due messages, renders each in its recipient's
language, keeps under Telegram's limits, and records the outcome.

Limits: about 25 messages a second overall and one a second per chat; a 429 answer's
`retry_after` pauses every send and the message is tried again after it. A user who
blocked the bot is marked, and skipped by later broadcasts.

Renderers are registered per message kind by the feature that enqueues them
(`register_renderer("reminder", render_reminder)`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.services import outbox, people
from core.services.clock import Clock, utc_now
from core.services.outbox import Claimed

log = logging.getLogger("confdesk.sender")


@dataclass(frozen=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | None = None


# (session, message, language) -> what to send, or None to drop it (e.g. the item is gone).
Renderer = Callable[[AsyncSession, Claimed, str], Awaitable[Rendered | None]]
RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    RENDERERS[kind] = renderer


class RateLimiter:
    """A global token bucket plus a minimum interval per chat; `pause` holds everything."""

    def __init__(self, per_second: float = 25.0, per_chat_interval: float = 1.0) -> None:
        self.interval = 1.0 / per_second
        self.per_chat_interval = per_chat_interval
        self.next_slot = 0.0
        self.chat_next: dict[int, float] = {}
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    async def wait(self, chat_id: int) -> None:
        now = time.monotonic()
        start = max(now, self.next_slot, self.paused_until, self.chat_next.get(chat_id, 0.0))
        self.next_slot = start + self.interval
        self.chat_next[chat_id] = start + self.per_chat_interval
        if start > now:
            await asyncio.sleep(start - now)


class Sender:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        worker: str | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock = utc_now,
        kinds: tuple[str, ...] | None = None,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.settings = settings
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self) % 10000}"
        self.limiter = limiter or RateLimiter()
        self.clock = clock
        self.kinds = kinds
        self.sent = 0

    async def run_once(self, limit: int = 25) -> int:
        """Claim and send one batch; returns how many were claimed."""
        async with self.session_factory() as session:
            batch = await outbox.claim(
                session,
                self.worker,
                limit=limit,
                kinds=self.kinds,
                clock=self.clock,
                lease=timedelta(seconds=max(60, limit * 2)),
            )
            if not batch:
                return 0
            langs = await people.languages(session, [m.chat_id for m in batch])
            await session.commit()
            for message in batch:
                language = langs.get(message.chat_id) or self.settings.default_language
                await self._deliver(session, message, language)
        return len(batch)

    async def _deliver(self, session: AsyncSession, message: Claimed, language: str) -> None:
        renderer = RENDERERS.get(message.kind)
        rendered = await renderer(session, message, language) if renderer else None
        if rendered is None:
            await outbox.mark_failed(session, message.id, self.worker, error="nothing to send")
            return
        await self.limiter.wait(message.chat_id)
        try:
            await self.bot.send_message(message.chat_id, rendered.text, reply_markup=rendered.markup)
        except TelegramRetryAfter as exc:
            self.limiter.pause(exc.retry_after)
            await outbox.retry_later(
                session,
                message.id,
                self.worker,
                after=timedelta(seconds=exc.retry_after),
                error=f"429 retry after {exc.retry_after}",
                clock=self.clock,
            )
            return
        except TelegramForbiddenError:
            await people.mark_blocked(session, message.chat_id, clock=self.clock)
            await outbox.mark_failed(session, message.id, self.worker, error="blocked by the user")
            return
        except TelegramBadRequest as exc:
            await outbox.mark_failed(session, message.id, self.worker, error=f"bad request: {exc.message}")
            return
        await outbox.mark_sent(session, message.id, self.worker, clock=self.clock)
        self.sent += 1

    async def run_forever(self, idle: float = 1.0) -> None:
        while True:
            try:
                claimed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sender batch failed")
                claimed = 0
            if not claimed:
                await asyncio.sleep(idle)
