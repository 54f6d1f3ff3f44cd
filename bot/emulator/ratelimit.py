"""Telegram-like flood limits for sending methods: per chat and overall, as token buckets.

Telegram allows about one message per second per chat (short bursts pass) and about thirty
per second overall, answering 429 with ``retry_after`` beyond that.  Off by default so normal
flow tests run fast; a broadcast test switches it on.  ``inject`` forces 429s for retry tests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


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

    def inject(self, count: int, retry_after: int = 1) -> None:
        """Answer the next ``count`` sending calls with 429, whether limits are on or not."""
        self._forced.extend([retry_after] * count)

    def reset(self) -> None:
        self._chats.clear()
        self._global = None
        self._forced.clear()

    def acquire(self, chat_id: int | None) -> int | None:
        """Take a send slot; return None if allowed, or the ``retry_after`` seconds if not."""
        if self._forced:
            return self._forced.pop(0)
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
