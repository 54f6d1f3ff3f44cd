"""Where the Mini App is served: beside the webhook in webhook mode, on WEB_HOST/WEB_PORT in
polling mode (and not at all in polling mode without WEB_PORT)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from bot.emulator import BotAPIEmulator
from bot.runner import run_polling, run_webhook
from core.config import Settings, load_settings


class Ports(logging.Handler):
    """The (host, port) the runner logs once it listens, by message prefix."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix, self.found = prefix, asyncio.Event()
        self.address: tuple[str, int] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.prefix) and hasattr(record, "port"):
            self.address = (record.host, record.port)  # type: ignore[attr-defined]
            self.found.set()


async def _serving(start: Callable[[Settings], Coroutine[Any, Any, None]], prefix: str, **overrides: Any) -> None:
    async with BotAPIEmulator(bot_username="minsk_conf_bot") as emulator:
        settings = load_settings(
            _env_file=None,
            bot_token=emulator.token,
            telegram_api_url=emulator.base_url,
            redis_url=None,
            webapp_url="https://desk.example/desk/",
            **overrides,
        )
        ports = Ports(prefix)
        logger = logging.getLogger("confdesk.bot")
        logger.addHandler(ports)
        old_level = logger.level
        logger.setLevel(logging.INFO)
        task = asyncio.create_task(start(settings))
        try:
            done, _ = await asyncio.wait([task, asyncio.create_task(ports.found.wait())], return_when="FIRST_COMPLETED")
            assert task not in done, task.exception()
            assert ports.address is not None
            base = f"http://127.0.0.1:{ports.address[1]}/desk/"
            async with aiohttp.ClientSession() as http:
                async with http.get(base) as page:
                    html = await page.text()
                    assert page.status == 200 and "telegram-web-app.js" in html
                    assert "script-src 'self' https://telegram.org" in page.headers["Content-Security-Policy"]
                async with http.get(base + "static/scanner.js") as script:
                    assert script.status == 200 and "showScanQrPopup" in await script.text()
                async with http.get(base + "static/..%2Fserver.py") as sneaky:
                    assert sneaky.status == 404
                async with http.post(base + "api/me") as me:
                    assert me.status == 401
        finally:
            logger.removeHandler(ports)
            logger.setLevel(old_level)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_polling_serves_the_app_on_web_port(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'poll.db'}"
    await _serving(run_polling, "mini app on", database_url=url, web_host="127.0.0.1", web_port=0)


async def test_webhook_serves_the_app_beside_the_webhook(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}"

    async def start(settings: Settings) -> None:
        await run_webhook(settings, "127.0.0.1", 0)

    await _serving(
        start,
        "webhook listening",
        database_url=url,
        webhook_url="https://desk.example/hook",
        webhook_secret="s3cret",
    )
