"""Telegram-like flood limits for sending methods: per chat and overall, as token buckets.

Telegram allows about one message per second per chat (short bursts pass) and about thirty
per second overall, answering 429 with ``retry_after`` beyond that.  Off by default so normal
flow tests run fast; a broadcast test switches it on.  ``inject`` forces 429s for retry tests
(of sends, or of one method such as editMessageText); ``every`` answers every n-th send with
a 429, counted over all callers, as a flood limit shared by several bot processes would.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Params = dict[str, Any]


@dataclass
class RateLimitConfig:
    enabled: bool = False
    per_chat_burst: float = 3.0  # bucket size per chat
    per_chat_rate: float = 1.0  # tokens per second per chat
    global_burst: float = 30.0
    global_rate: float = 30.0


@dataclass
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    config: RateLimitConfig = field(default_factory=RateLimitConfig)
    clock: Callable[[], float] = time.monotonic
    _chats: dict[int, _Bucket] = field(default_factory=dict)
    _global: _Bucket | None = None
    _forced: list[int] = field(default_factory=list)  # retry_after of injected 429s
    _forced_calls: dict[str, list[tuple[int, Callable[[Params], bool]]]] = field(default_factory=dict)
    _every: tuple[int, int] | None = None  # (n, retry_after): every n-th send fails
    sends: int = 0  # sending calls seen (while ``every`` is set)

    def inject(self, count: int, retry_after: int = 1) -> None:
        """Answer the next ``count`` sending calls with 429, whether limits are on or not."""
        self._forced.extend([retry_after] * count)

    def inject_calls(
        self, method: str, count: int, retry_after: int = 1, where: Callable[[Params], bool] | None = None
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (whose parameters satisfy ``where``)
        with 429, sending method or not."""
        self._forced_calls.setdefault(method, []).extend([(retry_after, where or (lambda _: True))] * count)

    def every(self, n: int | None, retry_after: int = 1) -> None:
        """Answer every ``n``-th sending call with 429 ``retry_after`` (None: stop)."""
        self._every = (n, retry_after) if n else None
        self.sends = 0

    def reset(self) -> None:
        self._chats.clear()
        self._global = None
        self._forced.clear()
        self._forced_calls.clear()
        self._every = None

    def forced(self, method: str, params: Params) -> int | None:
        """An injected 429 for this call of ``method`` (any method, sending or not)."""
        queue = self._forced_calls.get(method, [])
        for i, (retry_after, where) in enumerate(queue):
            if where(params):
                del queue[i]
                return retry_after
        return None

    def acquire(self, chat_id: int | None) -> int | None:
        """Take a send slot; return None if allowed, or the ``retry_after`` seconds if not."""
        if self._forced:
            return self._forced.pop(0)
        if self._every is not None:
            self.sends += 1
            n, retry_after = self._every
            if self.sends % n == 0:
                return retry_after
        if not self.config.enabled:
            return None
        now = self.clock()
        buckets = [self._global_bucket(now)]
        if chat_id is not None:
            buckets.append(self._chat_bucket(chat_id, now))
        for bucket in buckets:
            bucket.refill(now)
        wait = max(bucket.wait_time() for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1
        return None

    def _global_bucket(self, now: float) -> _Bucket:
        if self._global is None:
            c = self.config
            self._global = _Bucket(c.global_burst, c.global_rate, c.global_burst, now)
        return self._global

    def _chat_bucket(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            c = self.config
            bucket = _Bucket(c.per_chat_burst, c.per_chat_rate, c.per_chat_burst, now)
            self._chats[chat_id] = bucket
        return bucket
