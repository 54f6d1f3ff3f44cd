"""Each update's intake: the bookkeeping before its handler, committed for many updates at
once (`UpdateIntake`, used by `bot/middlewares/update_intake.py`).

Before a handler runs, an update is recorded by its bot and id (Telegram delivers at least
once: a repeat is dropped) and its sender is identified (language, staff roles). Done per
update, that is a transaction per update; under load most of the bot's time went there. Here
updates that arrive together share one: the first arrival starts a flush on the next
loop turn, every update arriving meanwhile joins it, and arrivals during a flush join the
next one (group commit). One update alone still costs one transaction; a burst of a
hundred costs a few. Each update's record is durable before its handler runs: a batch is
one unit of work (`core/uow.py`), committed before any of its updates is answered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import seen_updates as updates
from core.conferences import current_conference
from core.errors import NotFound
from core.models import Conference
from core.people.identity import Identity, identify
from core.uow import unit_of_work

CONFERENCE_TTL = 5.0  # the current conference changes only when a programme is loaded


@dataclass(frozen=True)
class Received:
    """What the intake found about one update."""

    repeat: bool  # the update was handled before: drop it
    who: Identity | None = None  # the sender, if the update has a human one


REPEAT = Received(repeat=True)


@dataclass
class _Waiter:
    bot_id: int
    update_id: int | None  # None: not recorded here (no id, or Redis recorded it)
    telegram_id: int | None
    future: asyncio.Future[Received]


class UpdateIntake:
    """Records updates and identifies their senders, a batch of arrivals at a time."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        conference_slug: str | None,
        admin_ids: Iterable[int],
    ) -> None:
        self.session_factory = session_factory
        self.conference_slug = conference_slug
        self.admin_ids = frozenset(admin_ids)
        self._pending: list[_Waiter] = []  # arrived, for the next flush
        self._batch: list[_Waiter] = []  # in the flush now running
        self._flusher: asyncio.Task[None] | None = None
        self._conference: Conference | None = None
        self._conference_at = float("-inf")

    async def receive(self, bot_id: int, update_id: int | None, telegram_id: int | None) -> Received:
        """Record the update (`update_id` None: nothing to record) and identify its sender
        (`telegram_id` None: no human one), with the updates arriving alongside."""
        future: asyncio.Future[Received] = asyncio.get_running_loop().create_future()
        self._pending.append(_Waiter(bot_id, update_id, telegram_id, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_all())
            self._flusher.add_done_callback(self._flusher_done)
        return await future

    async def _flush_all(self) -> None:
        try:
            while self._pending:
                self._batch, self._pending = self._pending, []
                try:
                    await self._flush(self._batch)
                except Exception as exc:  # each update's own error handling reports it
                    for waiter in self._batch:
                        if not waiter.future.done():
                            waiter.future.set_exception(exc)
                self._batch = []
        finally:
            self._flusher = None  # at once: an arrival right after must start a new flush

    def _flusher_done(self, task: asyncio.Task[None]) -> None:
        """Cancelled (shutdown), even before it started: nobody waits for ever on it."""
        if task.cancelled():
            if self._flusher is task:  # cancelled before it ran
                self._flusher = None
            stranded = self._batch + (self._pending if self._flusher is None else [])
            for waiter in stranded:
                waiter.future.cancel()
            self._batch = []
            if self._flusher is None:
                self._pending = []

    async def _flush(self, batch: list[_Waiter]) -> None:
        async with unit_of_work(self.session_factory) as session:  # committed on leaving, before any answer
            by_bot: dict[int, list[int]] = {}  # one bot per process in practice: one statement
            for w in batch:
                if w.update_id is not None:
                    by_bot.setdefault(w.bot_id, []).append(w.update_id)
            new: set[tuple[int, int]] = set()
            for bot_id, ids in by_bot.items():
                new.update((bot_id, i) for i in await updates.record(session, bot_id, ids))
            conference = await self._current(session)
            people = await identify(
                session,
                (w.telegram_id for w in batch if w.telegram_id is not None),
                conference=conference,
                admin_ids=self.admin_ids,
            )
        claimed: set[tuple[int, int]] = set()  # the same update twice in one batch: the second is a repeat
        for waiter in batch:
            if waiter.future.done():  # its update was cancelled meanwhile
                continue
            if waiter.update_id is not None:
                key = (waiter.bot_id, waiter.update_id)
                if key not in new or key in claimed:
                    waiter.future.set_result(REPEAT)
                    continue
                claimed.add(key)
            who = people[waiter.telegram_id] if waiter.telegram_id is not None else None
            waiter.future.set_result(Received(repeat=False, who=who))

    async def _current(self, session: AsyncSession) -> Conference | None:
        if time.monotonic() - self._conference_at > CONFERENCE_TTL:
            try:
                self._conference = await current_conference(session, self.conference_slug)
            except NotFound:
                self._conference = None
            self._conference_at = time.monotonic()
        return self._conference
