"""Running the bot for real: migrate, learn our username, register commands, poll."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_dispatcher, make_bot, set_commands
from bot.sender import Sender
from core import app_settings
from core import seen_updates as updates
from core.clock import Clock, utc_now
from core.config import Settings
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.programme import reminders
from core.uow import unit_of_work

log = logging.getLogger("confdesk.bot")


async def prepare(bot: Bot, settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> str:
    """Things done once at start: returns the bot's username."""
    me = await bot.get_me()
    username = me.username or ""
    async with unit_of_work(session_factory) as session:
        await app_settings.remember_bot_username(session, username)
        _, where = await app_settings.ensure_badge_secret(session, settings)
        adopted = await updates.adopt_unattributed(session, me.id)  # before any update is handled
    log.info("bot @%s (id %s); badge secret from %s", username, me.id, where)
    if adopted:
        log.info("%d update ids recorded before bot ids were kept are now bot %s's", adopted, me.id)
    await set_commands(bot)
    return username


def settle_heap() -> None:
    """Called once start-up is done. What exists by then (modules, aiogram's types and their
    pydantic schemas, SQLAlchemy's mappers and statement caches, the translations) lives as
    long as the process, so it leaves the garbage collector's generations (`gc.freeze`):
    the full collections an update's allocations trigger no longer walk those hundreds of
    thousands of objects each time. Cyclic garbage made later is collected as before.
    Measured on the sign-up Confirm (bench/README.md): GC from ~2.5 to ~0.6 ms of CPU per
    update."""
    gc.collect()
    gc.freeze()


async def background(bot: Bot, session_factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Beside the updates: the outbox sender, the scheduler that queues reminders into it
    (every process runs both: outbox claims and dedup keys keep each message single), and
    the hourly pruning of update ids older than a day."""
    await asyncio.gather(
        Sender(bot, session_factory, settings).run_forever(),
        reminders.run_scheduler(session_factory, minutes=settings.reminder_minutes),
        prune_updates(session_factory),
    )


async def prune_updates(session_factory: async_sessionmaker[AsyncSession], every: float = 3600.0) -> None:
    while True:
        try:
            async with unit_of_work(session_factory) as session:
                await updates.prune(session)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("pruning processed updates failed")
        await asyncio.sleep(every)


async def start_web(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], clock: Clock = utc_now
) -> Any | None:
    """Polling mode: the Mini App's server on WEB_HOST (default 127.0.0.1):WEB_PORT, when
    WEB_PORT is set (0: any free port, logged); None otherwise. Returns its AppRunner."""
    if settings.web_port is None:
        return None
    from aiohttp import web

    from bot.webapp.server import WebApp

    webapp = WebApp(settings, session_factory, clock=clock)
    runner = web.AppRunner(webapp.app(), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, settings.web_host or "127.0.0.1", settings.web_port).start()
    host, port = runner.addresses[0][:2]
    log.info(
        "mini app on %s:%s%s/", host, port, webapp.prefix, extra={"host": host, "port": port, "path": webapp.prefix}
    )
    return runner


async def run_polling(settings: Settings, *, clock: Clock = utc_now) -> None:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        session_factory = make_session_factory(engine)
        bot = make_bot(settings)
        dp = build_dispatcher(settings, session_factory, clock=clock)
        try:
            await prepare(bot, settings, session_factory)
            await bot.delete_webhook(drop_pending_updates=False)
            web_runner = await start_web(settings, session_factory, clock)
            sender = asyncio.create_task(background(bot, session_factory, settings))
            settle_heap()
            try:
                await dp.start_polling(
                    bot,
                    allowed_updates=dp.resolve_used_update_types(),
                    # Beyond this many, updates are not fetched (so not acknowledged) until
                    # some finish: Telegram keeps them meanwhile.
                    tasks_concurrency_limit=settings.max_updates_in_flight,
                )
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
                if web_runner is not None:
                    await web_runner.cleanup()
        finally:
            await bot.session.close()
            await dp.storage.close()
    finally:
        await engine.dispose()


async def run_webhook(settings: Settings, host: str, port: int) -> None:
    """One webhook instance; run as many as needed behind a load balancer (they share the
    database and Redis). `confdesk webhook set` tells Telegram the URL once."""
    from aiohttp import web

    from bot.webapp.server import WebApp
    from bot.webhook import WebhookServer, webhook_path

    assert settings.webhook_url and settings.webhook_secret
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        session_factory = make_session_factory(engine)
        bot = make_bot(settings)
        dp = build_dispatcher(settings, session_factory)
        server = WebhookServer(
            dp,
            bot,
            secret=settings.webhook_secret.get_secret_value(),
            path=webhook_path(settings.webhook_url),
            session_factory=session_factory,
            redis=getattr(dp.storage, "redis", None),
            in_flight=settings.max_updates_in_flight,
        )
        app = server.app()
        WebApp(settings, session_factory).add_routes(app)  # the Mini App beside the webhook
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        try:
            await prepare(bot, settings, session_factory)
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
            bound_host, bound_port = runner.addresses[0][:2]  # the real port when given 0
            log.info(
                "webhook listening on %s:%s%s",
                bound_host,
                bound_port,
                server.path,
                extra={"host": bound_host, "port": bound_port, "path": server.path},
            )
            # Startup hooks as polling runs them (broadcast watchers resume there).
            hooks = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
            await dp.emit_startup(bot=bot, **hooks)
            sender = asyncio.create_task(background(bot, session_factory, settings))
            settle_heap()
            stop = asyncio.Event()
            _on_signals(stop.set)
            await stop.wait()
            log.info("shutting down: draining %d updates", len(server.tasks))
            await server.drain()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            await dp.emit_shutdown(bot=bot, **hooks)
        finally:
            await runner.cleanup()
            await bot.session.close()
            await dp.storage.close()
    finally:
        await engine.dispose()


def _on_signals(callback: object) -> None:
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, callback)  # type: ignore[arg-type]
