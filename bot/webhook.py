"""Webhook mode: an aiohttp app that receives updates on the path of WEBHOOK_URL.

- The secret header is compared in constant time; wrong or missing: 401, nothing handled.
- A good request is answered 200 at once and the update handled in a task; at most
  `in_flight` (MAX_UPDATES_IN_FLIGHT) are handled at once, the rest wait their turn (a burst
  must not open more database and Redis connections than the pools have). Shutdown stops
  taking requests, then waits for those tasks, so nothing is left half-written.
- `/healthz`: 200 when the database (and Redis, if configured) answer, else 503.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import ping
from core.uow import unit_of_work

log = logging.getLogger("confdesk.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


class WebhookServer:
    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        *,
        secret: str,
        path: str,
        session_factory: async_sessionmaker[AsyncSession],
        redis: Any | None = None,
        in_flight: int = 100,
    ) -> None:
        self.dp, self.bot, self.path = dp, bot, path
        self._secret = secret.encode()
        self.session_factory = session_factory
        self.redis = redis
        self.tasks: set[asyncio.Task[Any]] = set()  # acknowledged updates, handled or waiting
        self._slots = asyncio.Semaphore(in_flight)
        self.accepting = True

    def app(self) -> web.Application:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post(self.path, self.handle)
        app.router.add_get("/healthz", self.healthz)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=401, text="Unauthorized")
        if not self.accepting:
            return web.Response(status=503, text="shutting down")  # Telegram retries later
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except (json.JSONDecodeError, ValidationError, UnicodeDecodeError):
            return web.Response(status=400, text="not a Telegram update")
        task = asyncio.create_task(self._process(update))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.json_response({"ok": True})

    async def _process(self, update: Update) -> None:
        async with self._slots:
            try:
                await self.dp.feed_update(self.bot, update)
            except Exception:  # the errors handler could not answer either
                log.exception("update %s failed", update.update_id)

    async def healthz(self, request: web.Request) -> web.Response:
        status: dict[str, str] = {}
        try:
            async with unit_of_work(self.session_factory) as session:
                await ping(session)
            status["database"] = "ok"
        except Exception as exc:
            status["database"] = type(exc).__name__
        if self.redis is not None:
            try:
                await self.redis.ping()
                status["redis"] = "ok"
            except Exception as exc:
                status["redis"] = type(exc).__name__
        healthy = all(v == "ok" for v in status.values())
        return web.json_response(status, status=200 if healthy else 503)

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a bound, not a cancel scope
        """Stop taking updates and let the ones in flight finish."""
        self.accepting = False
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)
