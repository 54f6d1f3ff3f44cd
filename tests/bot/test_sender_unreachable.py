"""Telegram not reachable (the venue's link is down): the sender waits as long as the outage
has lasted so far and the messages keep their tries, so an outage of any length delays them
but drops none (a 5xx or a send with no answer still counts, core/messaging/outbox.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiogram.exceptions import TelegramEntityTooLarge, TelegramNetworkError
from aiogram.methods import SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox_texts import RENDERERS, Rendered
from bot.sender import Sender
from core.clock import utc_now
from core.config import load_settings
from core.messaging import outbox
from core.models import OutboxMessage, OutboxStatus


class DownBot:
    """Stands in for aiogram's Bot: sends fail with `error` while `down`, then go through."""

    def __init__(self) -> None:
        self.down = True
        self.error: Exception = TelegramNetworkError(SendMessage(chat_id=1, text="probe"), "link down")
        self.delivered: list[int] = []

    async def send_message(self, chat_id: int, text: str, **_: Any) -> None:
        if self.down:
            raise self.error
        self.delivered.append(chat_id)


async def _probe(session: AsyncSession, message: outbox.Claimed, language: str) -> Rendered:
    return Rendered("probe")


@pytest.fixture(autouse=True)
def _probe_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RENDERERS, "probe", _probe)


async def _enqueue(factory: async_sessionmaker[AsyncSession], chat_id: int, due: Any) -> None:
    async with factory() as s:
        await outbox.enqueue(s, kind="probe", chat_id=chat_id, dedup_key=f"probe:{chat_id}", due_at=due)
        await s.commit()


async def _rows(factory: async_sessionmaker[AsyncSession]) -> dict[int, OutboxMessage]:
    async with factory() as s:
        return {m.chat_id: m for m in (await s.execute(select(OutboxMessage))).scalars()}


async def test_an_outage_longer_than_every_try_delays_messages_and_drops_none(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    now = [utc_now()]
    await _enqueue(session_factory, 1, now[0] - timedelta(seconds=1))
    bot = DownBot()
    settings = load_settings(_env_file=None, bot_token="1:T", database_url=database_url)
    sender = Sender(bot, session_factory, settings, worker="net", kinds=("probe",), clock=lambda: now[0], speed=1000)  # type: ignore[arg-type]
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS + 3):  # more failed sends than a message has tries
        assert await sender.run_once() == 1
        row = (await _rows(session_factory))[1]
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0), row.error
        assert row.error == "Telegram not reachable (TelegramNetworkError)"
        waits.append((row.due_at - now[0]).total_seconds())
        now[0] = row.due_at  # the clock moves to when it is due again
    assert waits == [5, 5, 10, 20, 40, 80, 160, 300]  # as long as the outage so far, at most 5 min
    bot.down = False
    assert await sender.run_once() == 1
    assert bot.delivered == [1] and (await _rows(session_factory))[1].status == OutboxStatus.SENT

    # Telegram answered: the next outage starts from the shortest wait again
    await _enqueue(session_factory, 2, now[0])
    bot.down = True
    assert await sender.run_once() == 1
    assert ((await _rows(session_factory))[2].due_at - now[0]).total_seconds() == 5


async def test_a_message_too_large_is_not_tried_again(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """TelegramEntityTooLarge is a network error by class; no wait makes it smaller."""
    await _enqueue(session_factory, 1, utc_now() - timedelta(seconds=1))
    bot = DownBot()
    bot.error = TelegramEntityTooLarge(SendMessage(chat_id=1, text="probe"), "too large")
    settings = load_settings(_env_file=None, bot_token="1:T", database_url=database_url)
    sender = Sender(bot, session_factory, settings, worker="net", kinds=("probe",))  # type: ignore[arg-type]
    assert await sender.run_once() == 1
    row = (await _rows(session_factory))[1]
    assert row.status == OutboxStatus.FAILED and row.error.startswith("too large")
