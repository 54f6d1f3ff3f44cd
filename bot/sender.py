"""Sends what the outbox holds: claims due messages, renders each in its recipient's
language, keeps under Telegram's limits, and records the outcome.

Limits: about 25 messages a second overall and one a second per chat; a 429 answer's
`retry_after` pauses every send of this sender, the message is tried again after it, and
the rest of the batch is given back at once rather than held through the pause. Telegram
not reachable at all (a network error) is waited out the same way, as long as the outage has
lasted so far (5 s doubling to 5 min), and uses up none of a message's tries: an outage of the
venue's link delays messages but never drops them. A user who blocked the bot is marked, and
skipped by later broadcasts.

Once only, whatever the number of senders (core/messaging/outbox.py has the claim rules):
a batch is claimed with a short lease that a heartbeat renews while the sender works on it;
right before each send the claim on that row is checked and extended in one statement, and
the send is abandoned (cancelled) before that lease could run out unless the heartbeat
extended it meanwhile. A sender that lost a row skips it; one killed with kill -9 leaves
rows that others take within a lease (seconds).

The sender is an entry point: each step is a unit of work of its own (`core/uow.py`): claim
a batch (and read its recipients' languages), render a message, check the claim before its
send, record its outcome. No transaction is open while it waits for a send slot or for
Telegram, and what a step did is committed before the next begins.

What each kind of message says: `bot/outbox_texts.py` (`RENDERERS`, one renderer a kind).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api_requests import raise_flood_limits
from bot.outbox_texts import RENDERERS, Rendered
from core.clock import Clock, utc_now
from core.config import Settings
from core.messaging import outbox
from core.messaging.outbox import Claimed
from core.people import preferences as people
from core.uow import unit_of_work

log = logging.getLogger("confdesk.sender")

LEASE = outbox.LEASE.total_seconds()  # seconds; the heartbeat renews a claim 4 times a lease
UNSURE_RETRY = timedelta(seconds=5)  # a send whose answer never came is tried again after this
# Telegram not reachable at all: every send waits as long as the outage has lasted so far
# (5 s, 5, 10, 20 ... doubling), at most this long, and uses up none of a message's tries
UNREACHABLE_MAX_WAIT = timedelta(minutes=5)


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

    def pause_left(self) -> float:
        """Seconds until a 429 pause ends (0 if none)."""
        return max(0.0, self.paused_until - time.monotonic())

    async def wait(self, chat_id: int) -> None:
        now = time.monotonic()
        start = max(now, self.next_slot, self.paused_until, self.chat_next.get(chat_id, 0.0))
        self.next_slot = start + self.interval
        self.chat_next[chat_id] = start + self.per_chat_interval
        if start > now:
            await asyncio.sleep(start - now)


@dataclass
class _Hold:
    """One claimed batch: its token, the rows not finished yet, and until when (by the
    sender's clock) the claim on them is known to run."""

    token: str
    ids: set[int]
    valid_until: datetime
    margin: timedelta  # a send is cut off this long before the claim could run out
    begun: set[int] = field(default_factory=set)  # sends begun: outcome unknown until recorded
    sending: tuple[int, asyncio.Timeout] | None = None  # the running send and its deadline


class Sender:
    """`lease` (seconds of the clock) is how long a claim lasts unrenewed; `speed` says how
    many seconds of `clock` pass per real second: tests that fast-forward the clock (a 30 s
    `retry_after` in 3 s) pass both, so that leases, pauses and deadlines keep their ratios."""

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
        lease: float = LEASE,
        speed: float = 1.0,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.settings = settings
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self) % 10000}"
        self.limiter = limiter or RateLimiter()
        self.clock = clock
        self.kinds = kinds
        self.lease = timedelta(seconds=lease)
        self.speed = speed
        self.sent = 0
        self.lost = 0  # rows found claimed by another sender right before sending (skipped)
        self.unreachable_since: datetime | None = None  # by the clock: no send has got through since

    def _real(self, clock_seconds: float) -> float:
        return max(0.0, clock_seconds / self.speed)

    async def run_once(self, limit: int = 25) -> int:
        """Claim and send one batch; returns how many were claimed. Waits out a 429 pause
        first: nothing is claimed that could not be sent soon."""
        if pause := self.limiter.pause_left():
            await asyncio.sleep(pause)
        since = self.clock()
        async with unit_of_work(self.session_factory) as session:  # step: claim a batch
            batch = await outbox.claim(
                session, self.worker, limit=limit, kinds=self.kinds, clock=self.clock, lease=self.lease
            )
            if not batch:
                return 0
            langs = await people.languages(session, [m.chat_id for m in batch])
        hold = _Hold(batch[0].token, {m.id for m in batch}, since + self.lease, self.lease / 3)
        keeper = asyncio.create_task(self._keep(hold), name=f"outbox-lease-{hold.token[:8]}")
        try:
            for message in batch:
                if self.limiter.pause_left():  # a 429: give the rest back instead of sitting on them
                    break
                if message.id not in hold.ids:  # lost (a renewal found it taken)
                    continue
                language = langs.get(message.chat_id) or self.settings.default_language
                await self._deliver(message, language, hold)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            await self._release(hold)
        return len(batch)

    async def _release(self, hold: _Hold) -> None:
        """Give back what was not sent. A send that began and was not recorded (cancelled at
        shutdown, a database error after it) is not given back: Telegram may have it, and
        its lease runs out by itself."""
        unsent = hold.ids - hold.begun
        if not unsent:
            return
        try:
            async with unit_of_work(self.session_factory) as session:
                await outbox.release(session, hold.token, unsent)
        except Exception:  # the lease runs out by itself
            log.warning("giving back %d claimed messages failed", len(unsent), exc_info=True)

    async def _keep(self, hold: _Hold) -> None:
        """The heartbeat: renew the batch's claim every quarter lease while it is worked on."""
        every = self._real((self.lease / 4).total_seconds())
        while True:
            await asyncio.sleep(every)
            try:
                since = self.clock()
                async with unit_of_work(self.session_factory) as session:
                    kept = await outbox.renew(session, hold.token, hold.ids, lease=self.lease, clock=self.clock)
            except asyncio.CancelledError:
                raise
            except Exception:  # the claim is not extended; the send deadline below still holds
                log.warning("renewing outbox claims failed", exc_info=True)
                continue
            lost = hold.ids - kept
            if lost:
                log.warning("outbox claim lost on %d messages", len(lost))
                hold.ids -= lost
            hold.valid_until = since + self.lease
            if hold.sending is not None:
                sending, timer = hold.sending
                if sending in kept:
                    self._set_deadline(timer, hold.valid_until - hold.margin)
                else:  # cannot be while the deadline holds (clocks apart?): stop waiting on it
                    timer.reschedule(asyncio.get_running_loop().time())

    def _set_deadline(self, timer: asyncio.Timeout, until: datetime) -> None:
        """Let the running send go on until `until` by the clock (never later: the claim may
        run out after it)."""
        left = self._real((until - self.clock()).total_seconds())
        timer.reschedule(asyncio.get_running_loop().time() + left)

    async def _render(self, message: Claimed, language: str, hold: _Hold) -> Rendered | None:
        """What to send (one unit of work: the renderer reads); a message with nothing to
        send is marked failed in it."""
        renderer = RENDERERS.get(message.kind)
        async with unit_of_work(self.session_factory) as session:
            rendered = await renderer(session, message, language) if renderer else None
            if rendered is None:
                await outbox.mark_failed(session, message.id, hold.token, error="nothing to send")
        if rendered is None:
            hold.ids.discard(message.id)
        return rendered

    async def _begin(self, message: Claimed, hold: _Hold) -> bool:
        """The check right before the send, committed before it (its own unit of work)."""
        async with unit_of_work(self.session_factory) as session:
            begun = await outbox.begin_send(session, message.id, hold.token, lease=self.lease, clock=self.clock)
        if not begun:
            log.warning("outbox message %s is no longer claimed by this sender: not sent here", message.id)
            hold.ids.discard(message.id)
            self.lost += 1
            return False
        hold.begun.add(message.id)
        return True

    async def _deliver(self, message: Claimed, language: str, hold: _Hold) -> None:
        """Render, wait for a send slot, check the claim, send, record the outcome: no
        transaction is held while waiting for a slot or for Telegram."""
        rendered = await self._render(message, language, hold)
        if rendered is None:
            return
        await self.limiter.wait(message.chat_id)
        since = self.clock()
        if not await self._begin(message, hold):
            return
        raising = raise_flood_limits.set(True)  # a 429 comes here, not slept out inside the send
        try:
            async with asyncio.timeout(None) as deadline:
                self._set_deadline(deadline, since + self.lease - hold.margin)
                hold.sending = (message.id, deadline)
                try:
                    await self.bot.send_message(message.chat_id, rendered.text, reply_markup=rendered.markup)
                finally:  # at once: the heartbeat must not reschedule a deadline that has ended
                    hold.sending = None  # (the outcome below is recorded after awaits)
        except TelegramRetryAfter as exc:
            self.limiter.pause(self._real(exc.retry_after))
            after = timedelta(seconds=exc.retry_after)
            await self._retry(message, hold, after, f"429 retry after {exc.retry_after}", flood=True)
            return
        except TelegramForbiddenError:
            await self._failed(message, hold, "blocked by the user", blocked=True)
            return
        except TelegramBadRequest as exc:
            await self._failed(message, hold, f"bad request: {exc.message}")
            return
        except TelegramEntityTooLarge as exc:  # a network error by class, but no retry helps
            await self._failed(message, hold, f"too large: {exc.message}")
            return
        except TelegramNetworkError as exc:
            # No way to Telegram (the venue's link is down, DNS, a proxy): nothing is wrong
            # with the message, so, as for a 429, it keeps its tries; every send waits.
            after = self._unreachable()
            log.warning("outbox message %s: %s; sends paused %s", message.id, type(exc).__name__, after)
            await self._retry(message, hold, after, f"Telegram not reachable ({type(exc).__name__})", flood=True)
            return
        except (TimeoutError, TelegramServerError) as exc:
            # No answer before the claim could run out, or none at all: Telegram may or may
            # not have the message. Tried again later, like any send of unknown outcome.
            why = "no answer before the claim could run out" if deadline.expired() else type(exc).__name__
            log.warning("outbox message %s: %s", message.id, why)
            await self._retry(message, hold, UNSURE_RETRY, why)
            return
        finally:
            raise_flood_limits.reset(raising)
        await self._sent(message, hold)

    def _unreachable(self) -> timedelta:
        """A send found no way to Telegram: how long every send now waits (as long as the
        outage has lasted so far, from UNSURE_RETRY up to UNREACHABLE_MAX_WAIT), with the
        limiter paused for it. A batch failing at once waits once, not once per message."""
        now = self.clock()
        if self.unreachable_since is None:
            self.unreachable_since = now
        lasted = now - self.unreachable_since
        after = min(max(UNSURE_RETRY, lasted), UNREACHABLE_MAX_WAIT)
        self.limiter.pause(self._real(after.total_seconds()))
        return after

    @staticmethod
    def _done(hold: _Hold, message: Claimed) -> None:
        hold.ids.discard(message.id)
        hold.begun.discard(message.id)

    # Each outcome is recorded in a unit of work of its own, under the claim's token.

    async def _sent(self, message: Claimed, hold: _Hold) -> None:
        async with unit_of_work(self.session_factory) as session:
            recorded = await outbox.mark_sent(session, message.id, hold.token, clock=self.clock)
        if not recorded:
            log.error("outbox message %s was sent, but its claim was lost meanwhile", message.id)
        self.unreachable_since = None  # Telegram answers again
        self._done(hold, message)
        self.sent += 1

    async def _retry(self, message: Claimed, hold: _Hold, after: timedelta, error: str, *, flood: bool = False) -> None:
        async with unit_of_work(self.session_factory) as session:
            await outbox.retry_later(
                session, message.id, hold.token, after=after, error=error, flood=flood, clock=self.clock
            )
        self._done(hold, message)

    async def _failed(self, message: Claimed, hold: _Hold, error: str, *, blocked: bool = False) -> None:
        """Give up on the message; `blocked`: the recipient blocked the bot (marked, in the
        same unit of work)."""
        async with unit_of_work(self.session_factory) as session:
            if blocked:
                await people.mark_blocked(session, message.chat_id, clock=self.clock)
            await outbox.mark_failed(session, message.id, hold.token, error=error)
        self._done(hold, message)

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
