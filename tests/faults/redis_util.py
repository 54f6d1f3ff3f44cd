"""Helpers for the Redis / update-loss fault tests: the real bot as a subprocess
(`confdesk run`, polling or webhook) against the Bot API emulator in the test process, and
waiting for events (answers, log lines) with a generous bound that reports what was seen."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from bot.emulator import BotAPIEmulator
from bot.emulator.users import FakeUser
from tests.bot.test_redis_state import REDIS_URL

CONFDESK = str(Path(sys.executable).with_name("confdesk"))
WEBHOOK_SECRET = "fault-secret_123"
WEBHOOK_PATH = "/tg/hook"
# Settings a developer's shell or .env might carry that must not reach the bot under test.
_OURS = (
    "BOT_TOKEN",
    "DATABASE_URL",
    "REDIS_URL",
    "TELEGRAM_API_URL",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "ADMIN_IDS",
    "CONFERENCE",
    "LOG_LEVEL",
    "BADGE_SECRET",
    "BOT_USERNAME",
    "MAX_UPDATES_IN_FLIGHT",
    "REDIS_MAX_CONNECTIONS",
)


_FAILED_UPDATE = re.compile(r"update (?:id=)?(\d+)")


def fresh_token() -> str:
    """A bot id of its own per test: Redis keys (state, locks, seen updates) never collide."""
    return f"{uuid.uuid4().int % 10**9 + 10**9}:FAULT"


class BotProcess:
    """`confdesk run` in a subprocess; its stderr (JSON log lines) is collected as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip())
            self._changed.set()
        self._changed.set()

    def tail(self, n: int = 15, width: int = 300) -> str:
        return "\n".join(line[:width] for line in self.lines[-n:])

    def errors(self) -> list[str]:
        return [line for line in self.lines if '"level": "error"' in line or "Traceback" in line]

    def failed_updates(self) -> set[int]:
        """Update ids the bot logged as failed (in any logger's words)."""
        return {int(m) for line in self.errors() for m in _FAILED_UPDATE.findall(line)[:1]}

    async def wait_line(self, needle: str, timeout: float = 60.0) -> dict[str, object]:  # noqa: ASYNC109
        """The first log line whose event contains `needle` (parsed), waiting for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if needle in line:
                    with contextlib.suppress(ValueError):
                        return json.loads(line)  # type: ignore[no-any-return]
                    return {"event": line}
            seen = len(self.lines)
            if self._reader.done():
                raise AssertionError(f"bot exited ({self.process.returncode}) before {needle!r}:\n{self.tail()}")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {needle!r} from the bot after {timeout}s:\n{self.tail()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def stop(self, timeout: float = 60.0) -> int:  # noqa: ASYNC109
        """SIGTERM (the bot drains what it took), then wait; SIGKILL only past the bound."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"bot did not stop within {timeout}s of SIGTERM:\n{self.tail()}") from None
        finally:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        return self.process.returncode  # type: ignore[return-value]


@contextlib.asynccontextmanager
async def bot_process(
    emulator: BotAPIEmulator,
    database_url: str,
    cwd: Path,
    *,
    webhook: bool = False,
    redis_url: str | None = REDIS_URL,
    **env: str,
) -> AsyncIterator[BotProcess]:
    environ = {k: v for k, v in os.environ.items() if k not in _OURS}
    environ.update(
        BOT_TOKEN=emulator.token,
        DATABASE_URL=database_url,
        TELEGRAM_API_URL=emulator.base_url,
        LOG_LEVEL="INFO",
        **env,
    )
    if redis_url:
        environ["REDIS_URL"] = redis_url
    args = [CONFDESK, "run"]
    if webhook:
        environ.update(WEBHOOK_URL=f"https://bot.example.org{WEBHOOK_PATH}", WEBHOOK_SECRET=WEBHOOK_SECRET)
        args += ["--webhook", "--host", "127.0.0.1", "--port", "0"]
    process = await asyncio.create_subprocess_exec(
        *args,
        cwd=cwd,
        env=environ,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    bot = BotProcess(process)
    try:
        yield bot
    finally:
        if process.returncode is None:
            with contextlib.suppress(AssertionError):
                await bot.stop()


async def until(
    emulator: BotAPIEmulator,
    ready: Callable[[], bool],
    what: Callable[[], str],
    *,
    hopeless: Callable[[], bool] = lambda: False,
    timeout: float = 60.0,  # noqa: ASYNC109
) -> None:
    """Wait until `ready()`, woken by every change the bot makes; fail with `what()` past
    `timeout`, or at once when `hopeless()` (every update accounted for, some lost)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not ready():
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"after {timeout}s: {what()}")
        if hopeless():
            raise AssertionError(what())
        await emulator.changed.wait(min(remaining, 1.0))


def answered(users: list[FakeUser], text: str) -> list[FakeUser]:
    return [u for u in users if any(m.matches(text) for m in u.messages)]
