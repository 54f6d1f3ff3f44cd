"""The Telegram door path in updates per second, against a bare aiogram echo bot, same run.

Door staff open badge links in the bot (`/start b_TOKEN`, what the phone's camera does with a
badge's QR code): the update's id recorded, the staff member's roles read, the token checked,
the scan judged and stored under the registration's lock, and the verdict message sent.
`--doors` staff members scan `--badges` fresh badges between them, each door one badge after
the other as at a real door (a chat's updates are handled in order). The floor: the echo bot
answering the same number of messages from the same number of chats, measured right before
and after (after a warm-up burst that opens the client's connections). CPU ms per update of
this process (bot and emulator) beside it: robust when the shared machine is loaded.

    python bench/door.py [--badges 600] [--doors 10] [--rounds 3]        # SQLite (a temp file)
    CONFDESK_BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test python bench/door.py [--no-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select
from sqlmodel import col

from bench import seed
from bench.updates import CPU_MS, LockCounter, Posted, echo_dispatcher, pg_rounds, rate_over_http
from bot.app import build_dispatcher, make_bot
from bot.emulator import BotAPIEmulator
from core.config import load_settings
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import Scan, StaffRole, StaffRoleName
from core.uow import unit_of_work
from tests.bot.conftest import seed as seed_conference

SECRET = "d" * 40
DOOR_IDS = 70_000  # Telegram ids of the door staff
ECHO_IDS = 80_000


async def badges(factory: Any, conference_id: int, n: int, first: int) -> list[str]:
    """`n` approved registrations (people numbered from `first`); each badge link's payload."""
    async with unit_of_work(factory) as s:
        made = await seed.approved(await s.connection(), conference_id, n, SECRET.encode(), first=first)
    return [f"b_{token}" for _, token in made]


async def run(url: str, n: int, doors: int) -> dict[str, float]:
    engine = make_engine(url)
    await upgrade(engine)
    factory = make_session_factory(engine)
    conference, _ = await seed_conference(factory)
    async with unit_of_work(factory) as s:
        for i in range(doors):
            s.add(StaffRole(conference_id=conference.id or 0, telegram_id=DOOR_IDS + i, role=StaffRoleName.DOOR))
    assert conference.id is not None
    warm = await badges(factory, conference.id, doors * 2, 0)
    links = await badges(factory, conference.id, n, 10_000)
    out: dict[str, float] = {}
    async with BotAPIEmulator() as emulator:
        Posted(emulator)
        settings = load_settings(
            _env_file=None,
            bot_token=emulator.token,
            database_url=url,
            telegram_api_url=emulator.base_url,
            redis_url=None,
            badge_secret=SECRET,
        )
        bot, dp = make_bot(settings), build_dispatcher(settings, factory)
        bare = Bot(emulator.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url)))
        staff = [emulator.user(id=DOOR_IDS + i, first_name="Door", language_code="en") for i in range(doors)]
        echoers = [emulator.user(id=ECHO_IDS + i, first_name="E") for i in range(doors)]

        async def shift(people: list[Any], payloads: list[str], send: str) -> None:
            async def one(k: int, user: Any) -> None:
                for payload in payloads[k :: len(people)]:
                    await (user.start(payload) if send == "start" else user.send(payload))

            await asyncio.gather(*(one(k, user) for k, user in enumerate(people)))

        async def echo() -> tuple[float, float]:
            burst = ["hi"] * n
            rate = await rate_over_http(emulator, echo_dispatcher(), bare, lambda: shift(echoers, burst, "send"), n)
            return rate, CPU_MS[-1]

        await echo()  # warm-up: connections, caches
        await rate_over_http(emulator, dp, bot, lambda: shift(staff, warm, "start"), len(warm))
        before, cpu_before = await echo()
        out["door"] = await rate_over_http(emulator, dp, bot, lambda: shift(staff, links, "start"), n)
        out["door_cpu"] = CPU_MS[-1]
        after, cpu_after = await echo()
        out["echo"], out["echo_cpu"] = (before + after) / 2, (cpu_before + cpu_after) / 2
        await bot.session.close()
        await bare.session.close()
    async with unit_of_work(factory) as s:
        results = (await s.execute(select(col(Scan.result)))).scalars().all()
    wrong = [r for r in results if str(getattr(r, "value", r)) != "ok"]
    if len(results) != n + len(warm) or wrong:
        raise SystemExit(f"expected {n + len(warm)} ok scans, got {len(results)} ({len(wrong)} not ok)")
    await engine.dispose()
    return out


def report(name: str, runs: list[dict[str, float]], counter: LockCounter) -> None:
    ratios = sorted(r["door"] / r["echo"] for r in runs)
    cpu, echo_cpu = statistics.median(r["door_cpu"] for r in runs), statistics.median(r["echo_cpu"] for r in runs)
    print(f"\n{name} ({len(runs)} rounds; medians, ratio range)")
    print(
        f"  badge link -> verdict  {statistics.median(r['door'] for r in runs):6.0f} upd/s   echo bot"
        f" {statistics.median(r['echo'] for r in runs):6.0f} upd/s   ratio {statistics.median(ratios):.2f}"
        f" ({ratios[0]:.2f}-{ratios[-1]:.2f})   CPU/update {cpu:5.2f} ms vs {echo_cpu:5.2f} ms: {echo_cpu / cpu:.2f}x"
    )
    print(f"  'database is locked' errors: {counter.locked}; errors logged: {counter.failures}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--badges", type=int, default=600)
    parser.add_argument("--doors", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL (CONFDESK_BENCH_PG_URL)")
    args = parser.parse_args()
    counter = LockCounter()
    logging.getLogger().addHandler(counter)
    print(f"{args.doors} door staff scan {args.badges} badges through the bot (every verdict ok)")
    runs: list[dict[str, float]] = []
    for _ in range(0 if args.no_sqlite else args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(await run(f"sqlite+aiosqlite:///{tmp}/bench.db", args.badges, args.doors))
    if runs:
        report("SQLite", runs, counter)
    if pg := os.environ.get("CONFDESK_BENCH_PG_URL"):
        counter.locked = counter.failures = 0
        runs = await pg_rounds(pg, args.rounds, lambda url: run(url, args.badges, args.doors))
        report("PostgreSQL", runs, counter)


if __name__ == "__main__":
    asyncio.run(main())
