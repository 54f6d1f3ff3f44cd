"""Updates per second through the real bot, against a bare aiogram echo bot, same run.

Two steps of the sign-up wizard, for N users at once: the name answer (validation, FSM,
the update's id recorded in the database and its sender read from it, one reply) and
Confirm (the registration and its audit row written, the reply, and a notice to each
accreditation officer: `--officers`, default 1, i.e. three Bot API calls). Each over HTTP
(the emulator + real long polling) and in-process (`dp.feed_update`, the Bot API calls still
going to the emulator). The floor is an echo bot answering N
messages the same two ways, measured right before and after each step (after a warm-up
burst that opens the client's connections). Also counts "database is locked" errors.

    python bench/updates.py [--users 600] [--repeat 1] [--officers 1]   # SQLite (a temp file)
    CONFDESK_BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test python bench/updates.py [--no-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message, Update

from bot.app import build_dispatcher, make_bot
from bot.emulator import BotAPIEmulator
from bot.runner import settle_heap
from core.config import load_settings
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from tests.bot.conftest import seed

CPU_MS: list[float] = []  # CPU ms per update of the latest measurement (the whole process)
OFFICERS = 50_000  # Telegram ids of the accreditation officers (admins)


class LockCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.locked = 0
        self.failures = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        self.locked += "database is locked" in text
        self.failures += record.levelno >= logging.ERROR


class Posted:
    """Counts the messages the bot posts in the emulator, and wakes a waiter at a target.
    (`emulator.sent` rebuilds a list over every chat; polling it every few ms took a
    growing share of this one event loop's CPU as the chats filled up.)"""

    def __init__(self, emulator: BotAPIEmulator) -> None:
        self.count = 0
        self.target = 0
        self.reached = asyncio.Event()
        post = emulator.post

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            if self.count >= self.target:
                self.reached.set()
            return post(*args, **kwargs)

        emulator.post = counted  # type: ignore[method-assign]
        emulator.posted = self  # type: ignore[attr-defined]


async def _until(emulator: BotAPIEmulator, count: int, limit: float = 120.0) -> None:
    posted: Posted = emulator.posted  # type: ignore[attr-defined]
    posted.target = count
    posted.reached.clear()
    if posted.count < count:
        try:
            await asyncio.wait_for(posted.reached.wait(), limit)
        except TimeoutError:
            raise RuntimeError(f"only {posted.count} of {count} replies after {limit}s") from None


def echo_dispatcher() -> Dispatcher:
    router = Router()

    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    router.message.register(echo)
    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def rate_over_http(
    emulator: BotAPIEmulator, dp: Dispatcher, bot: Any, act: Any, n: int, per_update: int = 1
) -> float:
    """Updates per second: `n` updates, each done when the bot has posted `per_update` messages."""
    async with emulator.polling(dp, bot):
        before = emulator.posted.count  # type: ignore[attr-defined]
        start, cpu = time.perf_counter(), time.process_time()
        await act()
        await _until(emulator, before + n * per_update)
        CPU_MS.append((time.process_time() - cpu) / n * 1e3)
        return n / (time.perf_counter() - start)


async def rate_in_process(
    emulator: BotAPIEmulator, dp: Dispatcher, bot: Any, act: Any, n: int, per_update: int = 1
) -> float:
    await act()
    raw, emulator.updates.pending = list(emulator.updates.pending), []
    updates = [Update.model_validate(u, context={"bot": bot}) for u in raw]
    before = emulator.posted.count  # type: ignore[attr-defined]
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(dp.feed_update(bot, u) for u in updates))
    await _until(emulator, before + n * per_update)
    CPU_MS.append((time.process_time() - cpu) / n * 1e3)
    return n / (time.perf_counter() - start)


def _letters(n: int) -> str:
    """A Latin surname from a number (names may not contain digits)."""
    out = ""
    while n:
        n, r = divmod(n, 26)
        out += "abcdefghijklmnopqrstuvwxyz"[r]
    return out.capitalize()


async def to_name(users: list[Any]) -> None:
    """Every user opens the wizard and is asked for their name (not timed)."""

    async def one(user: Any) -> None:
        await user.start()
        await user.expect("full name", timeout=60)

    await asyncio.gather(*(one(u) for u in users))


async def to_summary(emulator: BotAPIEmulator, users: list[Any]) -> None:
    """Walk every user from the native-name question to the summary (not timed)."""

    async def one(user: Any) -> None:
        await user.expect("own script", timeout=60)
        await user.press("Skip")
        await user.expect("Which delegation", timeout=60)
        await user.press("No delegation")
        await user.expect("category", timeout=60)
        await user.press("Expert")
        await user.expect("position", timeout=60)
        await user.send("Analyst")
        await user.expect("organisation", timeout=60)
        await user.press("Skip")
        await user.expect("Personal data", timeout=60)
        await user.press("I agree")
        await user.expect("check your data", timeout=60)

    await asyncio.gather(*(one(u) for u in users))


async def run(url: str, n: int, officers: int) -> dict[str, float]:
    """Each step's rate, and the echo bot's measured just before and just after it (this
    VM drifts within a run; the step is compared with the mean of its two neighbours)."""
    engine = make_engine(url)
    await upgrade(engine)
    factory = make_session_factory(engine)
    await seed(factory)
    results: dict[str, float] = {}
    async with BotAPIEmulator() as emulator:
        Posted(emulator)
        settings = load_settings(
            _env_file=None,
            bot_token=emulator.token,
            database_url=url,
            telegram_api_url=emulator.base_url,
            redis_url=None,
            admin_ids=[OFFICERS + i for i in range(officers)],  # each told of every new registration
        )
        for i in range(officers):
            emulator.user(id=OFFICERS + i, first_name="Officer")
        bot = make_bot(settings)
        echo = echo_dispatcher()
        # the floor: a bare aiogram bot (aiogram's own session, none of our request middlewares)
        bare = Bot(emulator.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url)))
        senders = [emulator.user(id=90_000 + i, first_name="E") for i in range(n)]
        # As `confdesk run` does once started (bot.runner.settle_heap): what exists now leaves
        # the collector's generations. Process-wide, so the echo bot's figures get it too;
        # again after each untimed walk below: the emulator keeps every message and call it
        # ever saw (tests assert on them), which a bot process does not carry, and full
        # collections walking that history were ~1.5 ms of a timed Confirm update.
        settle_heap()

        async def echo_burst() -> None:
            for user in senders:
                await user.send("hello")

        for mode in ("http", "inproc"):
            measure = rate_over_http if mode == "http" else rate_in_process
            await measure(emulator, echo, bare, echo_burst, n)  # warm-up: connections, caches
            dp = build_dispatcher(settings, factory)
            users = [emulator.user(id=(100_000 if mode == "http" else 200_000) + i, first_name="G") for i in range(n)]
            async with emulator.polling(dp, bot):
                await to_name(users)
                await emulator.wait_idle()
            settle_heap()

            async def name_all(users: list[Any] = users) -> None:
                for user in users:
                    await user.send(f"Guest {_letters(user.id)}")

            async def confirm_all(users: list[Any] = users) -> None:
                for user in users:
                    await user.press("Confirm")

            before = await measure(emulator, echo, bare, echo_burst, n)
            cpu_before = CPU_MS[-1]
            results[f"name_{mode}"] = await measure(emulator, dp, bot, name_all, n)
            results[f"name_{mode}_cpu"] = CPU_MS[-1]
            after = await measure(emulator, echo, bare, echo_burst, n)
            cpu_after = CPU_MS[-1]
            results[f"name_{mode}_echo"] = (before + after) / 2
            results[f"name_{mode}_echo_cpu"] = (cpu_before + cpu_after) / 2
            async with emulator.polling(dp, bot):
                await to_summary(emulator, users)
                await emulator.wait_idle()
            settle_heap()
            # Confirm: the reply, and a notice to each officer
            results[f"signup_{mode}"] = await measure(emulator, dp, bot, confirm_all, n, 1 + officers)
            results[f"signup_{mode}_cpu"] = CPU_MS[-1]
            later = await measure(emulator, echo, bare, echo_burst, n)
            results[f"signup_{mode}_echo"] = (after + later) / 2
            results[f"signup_{mode}_echo_cpu"] = (cpu_after + CPU_MS[-1]) / 2
        await bot.session.close()
        await bare.session.close()
    await engine.dispose()
    return results


def report(name: str, runs: list[dict[str, float]], counter: LockCounter) -> None:
    """Median over the runs, with the range of the ratio (this VM's timings are noisy)."""
    print(f"\n{name} ({len(runs)} runs; median, ratio range)")
    for step, label in (("name", "wizard name step"), ("signup", "sign-up confirm")):
        for mode, how in (("http", "over HTTP: "), ("inproc", "in-process:")):
            rates = [r[f"{step}_{mode}"] for r in runs]
            echoes = [r[f"{step}_{mode}_echo"] for r in runs]
            ratios = sorted(r[f"{step}_{mode}"] / r[f"{step}_{mode}_echo"] for r in runs)
            cpu = statistics.median(r[f"{step}_{mode}_cpu"] for r in runs)
            echo_cpu = statistics.median(r[f"{step}_{mode}_echo_cpu"] for r in runs)
            print(
                f"  {how} {label:17s} {statistics.median(rates):6.0f} upd/s   echo bot {statistics.median(echoes):6.0f}"
                f" upd/s   ratio {statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"
                f"   CPU/update {cpu:5.2f} ms vs {echo_cpu:5.2f} ms: {echo_cpu / cpu:.2f}x"
            )
    print(f"  'database is locked' errors: {counter.locked}; errors logged: {counter.failures}")


async def pg_rounds(
    server: str, rounds: int, one: Callable[[str], Awaitable[dict[str, float]]]
) -> list[dict[str, float]]:
    """`rounds` runs of `one`, each on a scratch database made on `server` and dropped after."""
    from tests import dbutil

    dbutil.PG_URL = server
    runs = []
    for _ in range(rounds):
        name = dbutil.fresh_name()
        url = await dbutil.create_pg_database(name)
        try:
            runs.append(await one(url))
        finally:
            await dbutil.drop_pg_database(name)
    return runs


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=600)  # shorter bursts were too noisy here
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--officers", type=int, default=1, help="admins told of each new registration")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL (CONFDESK_BENCH_PG_URL)")
    args = parser.parse_args()
    counter = LockCounter()
    logging.getLogger().addHandler(counter)
    print(f"Confirm: the registration, its audit row, the reply and a notice to each of {args.officers} officer(s)")
    runs = []
    for _ in range(0 if args.no_sqlite else args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(await run(f"sqlite+aiosqlite:///{tmp}/bench.db", args.users, args.officers))
    if runs:
        report(f"SQLite, {args.users} users", runs, counter)
    pg = os.environ.get("CONFDESK_BENCH_PG_URL")
    if pg:
        counter.locked = counter.failures = 0
        runs = await pg_rounds(pg, args.repeat, lambda url: run(url, args.users, args.officers))
        report(f"PostgreSQL, {args.users} users", runs, counter)


if __name__ == "__main__":
    asyncio.run(main())
