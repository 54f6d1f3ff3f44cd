"""The sender's claim while a send runs: a send slower than the lease goes on as long as
the heartbeat renews the claim, and is cut off before the claim could run out when it
cannot (then the message is tried again later, never recorded as sent by a lost claim)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox_texts import RENDERERS, Rendered
from bot.sender import Sender
from core.clock import utc_now
from core.config import load_settings
from core.messaging import outbox
from core.models import OutboxMessage, OutboxStatus

LEASE = 2.4  # seconds: the send is cut 0.8 s before an unrenewed claim runs out


class SlowBot:
    """Stands in for aiogram's Bot: each send takes `delay` seconds. Notes the claim's end
    as stored when the send starts, and the time when a send is cut off."""

    def __init__(self, delay: float, factory: async_sessionmaker[AsyncSession]) -> None:
        self.delay = delay
        self.factory = factory
        self.started = 0
        self.finished = 0
        self.claimed_until: datetime | None = None
        self.cut_at: datetime | None = None

    async def send_message(self, chat_id: int, text: str, **_: Any) -> None:
        self.started += 1
        self.claimed_until = (await _row(self.factory)).claimed_until
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cut_at = utc_now()
            raise
        self.finished += 1


async def _probe(session: AsyncSession, message: outbox.Claimed, language: str) -> Rendered:
    return Rendered("probe")


@pytest.fixture(autouse=True)
def _probe_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RENDERERS, "probe", _probe)


async def _one_message(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as s:
        await outbox.enqueue(s, kind="probe", chat_id=1, dedup_key="probe:1", due_at=utc_now() - timedelta(seconds=1))
        await s.commit()


async def _row(factory: async_sessionmaker[AsyncSession]) -> OutboxMessage:
    async with factory() as s:
        return (await s.execute(select(OutboxMessage))).scalar_one()


def _sender(bot: SlowBot, factory: async_sessionmaker[AsyncSession], database_url: str) -> Sender:
    settings = load_settings(_env_file=None, bot_token="1:T", database_url=database_url)
    return Sender(bot, factory, settings, worker="slow", lease=LEASE, kinds=("probe",))  # type: ignore[arg-type]


async def test_a_send_slower_than_the_lease_goes_on_while_the_claim_is_renewed(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await _one_message(session_factory)
    bot = SlowBot(LEASE * 2, session_factory)
    sender = _sender(bot, session_factory, database_url)
    assert await sender.run_once() == 1
    row = await _row(session_factory)
    assert (bot.finished, sender.sent, row.status, row.attempts) == (1, 1, OutboxStatus.SENT, 1)


async def test_a_send_is_cut_off_before_an_unrenewed_claim_runs_out(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _one_message(session_factory)

    async def database_gone(*args: Any, **kwargs: Any) -> set[int]:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(outbox, "renew", database_gone)
    bot = SlowBot(LEASE * 2, session_factory)
    sender = _sender(bot, session_factory, database_url)
    assert await sender.run_once() == 1
    row = await _row(session_factory)
    assert bot.started == 1 and bot.finished == 0 and sender.sent == 0
    assert bot.claimed_until is not None and bot.cut_at is not None
    assert bot.cut_at < bot.claimed_until  # cut off while the claim still held
    assert row.status == OutboxStatus.PENDING and row.claim_token is None
    assert row.error == "no answer before the claim could run out" and row.due_at > utc_now()
