"""The sign-up Confirm's database part alone: CPU ms per registration, no Bot API, no emulator.

What the Confirm handler does in its unit of work (`registration.register`: participant,
registration and audit row; `bot.notify.officers`: who is told, in which language; the
officer's card rendered), committed, one unit of work per registration, beside a bare
INSERT of the same audit row + COMMIT in its own unit of work, alternating rounds in one
process. `bench/updates.py` measures the whole update, but on this shared machine its CPU
per update moves by +-20 % from run to run; this part moves much less, so A/B it here
(`python /path/to/other/checkout/bench/confirm_db.py` runs that checkout's code).

    python bench/confirm_db.py [--n 1000] [--rounds 3]
    CONFDESK_BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/confdesk_x python bench/confirm_db.py --no-sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bot import notify
from bot.i18n import translator
from bot.keyboards import common as kb
from bot.texts.registration import officer_new_text
from core.accreditation import registration
from core.accreditation.registration import PersonData, TelegramAccount
from core.clock import utc_now
from core.config import load_settings
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import AuditLog, Category
from core.uow import unit_of_work
from tests.bot.conftest import seed


async def confirm_round(factory: Any, conference: Any, ctx: Any, first_id: int, n: int) -> float:
    """CPU ms per registration, as the Confirm handler's unit of work does it."""
    start = time.process_time()
    for tg in range(first_id, first_id + n):
        async with unit_of_work(factory) as session:
            view = await registration.register(
                session,
                conference,
                PersonData(full_name="Guest Abc", position="Analyst"),
                category=Category.EXPERT,
                account=TelegramAccount(tg, None, "en"),
            )
            for _officer, language in await notify.officers(session, ctx, conference.id):
                t = translator(language)
                officer_new_text(t, view)
                kb.decision(t, view.registration.id or 0)
    return (time.process_time() - start) / n * 1e3


async def bare_round(factory: Any, n: int) -> float:
    """CPU ms per bare INSERT of an audit row + COMMIT (on the table: an INSERT on the ORM
    class runs as an ORM bulk insert, about twice the CPU, which flattered the ratio)."""
    statement = insert(AuditLog.__table__)  # type: ignore[attr-defined]
    start = time.process_time()
    for i in range(n):
        async with unit_of_work(factory) as session:
            row = {"at": utc_now(), "actor": "system", "action": "bench", "entity": "x", "entity_id": i, "details": {}}
            await session.execute(statement, row)
    return (time.process_time() - start) / n * 1e3


async def run(url: str, n: int, rounds: int) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    factory = make_session_factory(engine)
    conference, _ = await seed(factory)
    settings = load_settings(_env_file=None, bot_token="1:x", database_url=url, redis_url=None, admin_ids=[50_000])
    ctx = SimpleNamespace(settings=settings)
    await confirm_round(factory, conference, ctx, 10_000_000, 50)  # warm-up: caches, connections
    await bare_round(factory, 50)
    ours, bare = [], []
    for r in range(rounds):
        ours.append(await confirm_round(factory, conference, ctx, 1_000_000 * (r + 1), n))
        bare.append(await bare_round(factory, n))
    await engine.dispose()
    mine, floor = statistics.median(ours), statistics.median(bare)
    print(
        f"  Confirm's unit of work {mine:.2f} ms CPU per registration (rounds {', '.join(f'{x:.2f}' for x in ours)});"
        f" bare INSERT + COMMIT {floor:.2f} ms: {mine / floor:.1f}x"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        print("SQLite")
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite+aiosqlite:///{tmp}/bench.db", args.n, args.rounds)
    pg = os.environ.get("CONFDESK_BENCH_PG_URL")
    if pg:
        from tests import dbutil

        dbutil.PG_URL = pg
        name = dbutil.fresh_name()
        url = await dbutil.create_pg_database(name)
        print("PostgreSQL")
        try:
            await run(url, args.n, args.rounds)
        finally:
            await dbutil.drop_pg_database(name)


if __name__ == "__main__":
    asyncio.run(main())
