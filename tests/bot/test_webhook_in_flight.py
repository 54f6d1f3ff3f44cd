"""Webhook mode answers every request at once but handles at most `in_flight` updates at a
time (MAX_UPDATES_IN_FLIGHT): a burst queues instead of opening a connection per update."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiogram import Bot
from aiohttp import web

from bot.webhook import SECRET_HEADER, WebhookServer

SECRET = "in-flight-secret"


class Gate:
    """A dispatcher whose updates run until released, counting how many run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.done: list[int] = []
        self.release = asyncio.Event()
        self.changed = asyncio.Condition()

    async def feed_update(self, bot: Bot, update: Any) -> None:
        async with self.changed:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.changed.notify_all()
        await self.release.wait()
        self.running -= 1
        self.done.append(update.update_id)


def _update(n: int) -> dict[str, Any]:
    chat = {"id": 100 + n, "type": "private", "first_name": "U"}
    return {"update_id": n, "message": {"message_id": 1, "date": 0, "chat": chat, "text": "hi"}}


async def test_a_burst_is_answered_at_once_and_handled_three_at_a_time(session_factory) -> None:  # type: ignore[no-untyped-def]
    gate = Gate()
    bot = Bot("123456:TEST")
    server = WebhookServer(gate, bot, secret=SECRET, path="/hook", session_factory=session_factory, in_flight=3)  # type: ignore[arg-type]
    runner = web.AppRunner(server.app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        async with aiohttp.ClientSession() as http:

            async def post(n: int) -> int:
                async with http.post(url, json=_update(n), headers={SECRET_HEADER: SECRET}) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(post(n) for n in range(1, 11)))
        assert statuses == [200] * 10  # all acknowledged while none has finished
        async with gate.changed:
            await asyncio.wait_for(gate.changed.wait_for(lambda: gate.running == 3), 30)
        assert len(server.tasks) == 10 and gate.done == []
        gate.release.set()
        await server.drain()
        assert sorted(gate.done) == list(range(1, 11))
        assert gate.peak == 3
    finally:
        await runner.cleanup()
        await bot.session.close()
