"""Building the bot: `build_dispatcher` (used by `confdesk run`, the demo and the tests)
and `make_bot`; `run_polling` is the long-polling entry point."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand, LinkPreviewOptions, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import broadcast_progress
from bot.api_requests import CheckpointBeforeRequest, PinResponseTypes, RetryAfter
from bot.api_session import JsonSession
from bot.i18n import translator
from bot.middlewares.database import DbSessionMiddleware
from bot.middlewares.errors import ErrorMiddleware, on_error
from bot.middlewares.preconditions import Preconditions
from bot.middlewares.update_intake import UpdateIntakeMiddleware
from bot.routers import (
    accreditation,
    agenda,
    badge,
    basics,
    broadcast,
    checkin,
    delegation,
    fallback,
    miniapp,
    organiser,
    profile,
    signup,
    start,
)
from bot.update_intake import UpdateIntake
from core.clock import Clock, utc_now
from core.config import LANGUAGES, Settings

log = logging.getLogger("confdesk.bot")
DEFAULT_API = "https://api.telegram.org"

USER_COMMANDS = ("start", "me", "badge", "agenda", "my", "edit", "language", "withdraw", "forget", "cancel", "help")
STAFF_COMMANDS = (
    "pending",
    "delegation",
    "invite",
    "register_member",
    "gate",
    "stats",
    "attendance",
    "find",
    "broadcast",
    "scanner",
    "board",
)


REDIS_POOL_TIMEOUT = 30.0  # seconds a Redis command waits for a free connection (as the DB pool)


def make_storage(settings: Settings) -> BaseStorage:
    """FSM state in Redis when REDIS_URL is set, else in memory. The Redis client is the
    process's only one: the storage, the event-isolation lock (`make_isolation`) and the
    seen-update keys (`UpdateIntakeMiddleware`) share it. Its pool blocks: with every connection
    busy, a command waits (up to REDIS_POOL_TIMEOUT) instead of failing the update, as
    redis-py's default pool does past its 100 connections. No retries on a connection error:
    a SET NX that reached Redis before the connection dropped would, retried, read as "seen"."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
        from redis.asyncio import BlockingConnectionPool, Redis

        pool = BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=settings.redis_pool_size, timeout=REDIS_POOL_TIMEOUT
        )
        return RedisStorage(Redis(connection_pool=pool), key_builder=DefaultKeyBuilder(with_destiny=True))
    return MemoryStorage()


def make_isolation(storage: BaseStorage) -> BaseEventIsolation:
    """Handle one user's updates one at a time: in-process, or across instances via Redis."""
    if hasattr(storage, "create_isolation"):
        return storage.create_isolation()  # type: ignore[no-any-return]
    return SimpleEventIsolation()


class FinishingDispatcher(Dispatcher):
    """aiogram's Dispatcher, finishing the updates it is handling before it shuts down.

    When polling stops, aiogram cancels its polling loop but not the update tasks it
    started, and its shutdown closes the FSM storage (the Redis connections) under them:
    updates already acknowledged failed half-way (seen as "Connection closed by server" in
    the isolation lock's release). Now shutdown first waits for them (up to DRAIN_TIMEOUT),
    as the webhook server drains its own."""

    DRAIN_TIMEOUT = 30.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        self.in_flight += 1
        self._idle.clear()
        try:
            return await super().feed_update(bot, update, **kwargs)
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()

    async def emit_shutdown(self, *args: Any, **kwargs: Any) -> None:
        if self.in_flight:
            log.info("shutting down: finishing %d updates", self.in_flight)
            try:
                await asyncio.wait_for(self._idle.wait(), self.DRAIN_TIMEOUT)
            except TimeoutError:
                log.error("shutting down with %d updates unfinished", self.in_flight)
        await super().emit_shutdown(*args, **kwargs)


def build_dispatcher(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    storage: BaseStorage | None = None,
    clock: Clock = utc_now,
) -> Dispatcher:
    """The bot's dispatcher. `clock` is what handlers that stamp or judge a moment take as
    `clock` (check-in, reports): real time in production, a simulated one in the demo."""
    storage = storage or make_storage(settings)
    dp = FinishingDispatcher(storage=storage, events_isolation=make_isolation(storage))
    dp.errors.register(on_error)  # what fails before ErrorMiddleware: the isolation lock, FSM state
    dp.update.outer_middleware(ErrorMiddleware(settings.default_language))
    dp.update.outer_middleware(DbSessionMiddleware(session_factory))
    intake = UpdateIntake(session_factory, conference_slug=settings.conference, admin_ids=settings.admin_ids)
    dp.update.outer_middleware(UpdateIntakeMiddleware(settings, intake, redis=getattr(storage, "redis", None)))
    preconditions = Preconditions(settings.default_language)  # each handler's `needs(...)` flags
    for observer in (dp.message, dp.callback_query, dp.inline_query):
        observer.middleware(preconditions)
    # Fresh routers per dispatcher: tests and the demo build several in one process.
    dp.include_routers(
        *(
            module.build()
            for module in (
                basics,
                # The wizard early: most updates are wizard answers, and each of its handlers
                # starts with a state check and never takes a command, so it steals nothing.
                signup,
                start,
                checkin,
                badge,
                accreditation,
                profile,
                delegation,
                agenda,
                organiser,
                broadcast,
                miniapp,
                fallback,
            )
        )
    )
    dp.startup.register(broadcast_progress.on_startup)  # resumes the progress of unfinished broadcasts
    dp.shutdown.register(broadcast_progress.on_shutdown)
    dp["settings"] = settings
    dp["session_factory"] = session_factory  # for startup hooks (resuming broadcast watchers)
    dp["clock"] = clock
    return dp


def make_bot(settings: Settings) -> Bot:
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    api_url = settings.telegram_api_url.rstrip("/")
    session = JsonSession(api=TelegramAPIServer.from_base(api_url)) if api_url != DEFAULT_API else JsonSession()
    session.middleware(PinResponseTypes())
    session.middleware(CheckpointBeforeRequest())
    session.middleware(RetryAfter())
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview=LinkPreviewOptions(is_disabled=True)),
    )


async def set_commands(bot: Bot) -> None:
    """The command menu in English (default) and Russian."""
    for language in LANGUAGES:
        t = translator(language)
        commands = [
            BotCommand(command=c, description=t(f"cmd-{c.replace('_', '-')}")) for c in USER_COMMANDS + STAFF_COMMANDS
        ]
        await bot.set_my_commands(commands, language_code=None if language == "en" else language)
