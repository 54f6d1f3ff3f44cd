"""The update queue behind getUpdates, with real long polling.

getUpdates blocks until an update arrives or ``timeout`` passes; ``offset`` confirms earlier
updates; a second concurrent getUpdates terminates the first with 409, as on Telegram.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from typing import Any

from bot.emulator.errors import ApiError

DEFAULT_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)
# Upper bound of every wait for the bot (a message, an answer, idleness). Waits end as soon
# as what they wait for happens; this only decides how long a broken test hangs before it
# fails with a report. Generous, so that a busy machine slows tests down but never fails them.
WAIT_TIMEOUT = float(os.environ.get("EMULATOR_WAIT_TIMEOUT", "60"))
CONFLICT = ApiError(
    409,
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
)


class Signal:
    """Wake every waiter on ``notify()``; callable from synchronous code, unlike Condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        """Wait for the next notify; False if ``seconds`` passed first."""
        if seconds <= 0:
            return False
        try:
            await asyncio.wait_for(self._event.wait(), seconds)
        except TimeoutError:
            return False
        return True


def update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def first_update_id() -> int:
    """Where a new Bot API server starts a bot's update ids: at random, as Telegram's does
    (td/db/TQueue.cpp, EventId::create_random: 10 + 10^6 + a random number below 10^9), so a
    bot's ids do not restart at 1 with a fresh server."""
    return 1_000_010 + random.randrange(1_000_000_000)


class UpdateQueue:
    def __init__(self, first_id: int | None = None) -> None:
        self.pending: list[dict[str, Any]] = []
        self.dropped: list[dict[str, Any]] = []  # filtered out by allowed_updates
        self.allowed: frozenset[str] = DEFAULT_TYPES
        self.delivered_up_to = 0  # highest update_id handed out by getUpdates
        self.waiting = 0  # getUpdates requests currently blocked
        self.polls = 0  # getUpdates requests received so far (counted by the server)
        self.closed = False
        self._next_id = first_update_id() if first_id is None else first_id
        self.first_id = self._next_id
        self._generation = 0
        self.signal = Signal()
        self.on_change: Callable[[], None] = lambda: None  # the emulator's "something changed"

    def push(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_id, **body}
        self._next_id += 1
        self.pending.append(update)
        self.signal.notify()
        return update

    def drop_pending(self) -> None:
        self.pending.clear()

    @property
    def pushed(self) -> range:
        """The ids of every update queued so far."""
        return range(self.first_id, self._next_id)

    @property
    def undelivered(self) -> int:
        return sum(1 for u in self.pending if u["update_id"] > self.delivered_up_to)

    def close(self) -> None:
        """Release blocked getUpdates calls so the server can shut down promptly."""
        self.closed = True
        self.signal.notify()

    async def get(
        self,
        *,
        offset: int | None,
        limit: int,
        wait: float,
        allowed: list[str] | None,
        alive: Callable[[], bool] = lambda: True,
    ) -> list[dict[str, Any]]:
        self._generation += 1
        generation = self._generation
        self.signal.notify()  # wakes an older getUpdates, which then answers 409
        if allowed is not None:
            self.allowed = frozenset(allowed) if allowed else DEFAULT_TYPES
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        self.waiting += 1
        self.on_change()
        try:
            while True:
                if generation != self._generation:
                    raise CONFLICT
                batch = self._take(max(1, min(limit, 100)))
                if batch or self.closed or not alive():
                    break
                await self.signal.wait(min(deadline - loop.time(), 0.5))
                if loop.time() >= deadline:
                    batch = self._take(max(1, min(limit, 100)))
                    break
        finally:
            self.waiting -= 1
        if batch and alive():
            self.delivered_up_to = max(self.delivered_up_to, batch[-1]["update_id"])
            return batch
        return []

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            del self.pending[: max(0, len(self.pending) + offset)]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def _take(self, limit: int) -> list[dict[str, Any]]:
        kept = []
        for update in self.pending:
            if update_type(update) in self.allowed:
                kept.append(update)
            else:
                self.dropped.append(update)
        self.pending = kept
        return kept[:limit]
