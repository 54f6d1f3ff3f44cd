"""Check-in throughput: `python bench/checkin.py [--n 3000]`.

Verdicts per second through core.checkin.scan (parse, verify, lock, insert Scan, move
Presence; each in its own unit of work, committed, as the kiosk does) beside a bare INSERT
of the same Scan row + COMMIT in its own unit of work, in the same run, one process.
SQLite in a temporary file; PostgreSQL too when
CONFDESK_BENCH_PG_URL=postgresql+asyncpg://… names a server (a scratch database is made).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench import seed
from core.badges import badge_link
from core.checkin import scan
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import Scan, ScanResult
from core.uow import unit_of_work

SECRET = b"c" * 48


async def bench(url: str, n: int) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    async with engine.begin() as conn:
        cid = await seed.conference(conn)
        badges = await seed.approved(conn, cid, n, SECRET)
    rids = [rid for rid, _ in badges]
    links = [badge_link("confdesk_bot", token) for _, token in badges]
    factory = make_session_factory(engine)
    results: dict[str, int] = {}

    async def one(text: str, nonce: str | None) -> str:
        async with unit_of_work(factory) as session:  # as the kiosk does: one scan, one transaction
            v = await scan(
                session, conference_id=cid, text=text, staff_telegram_id=1, gate="Main", secret=SECRET, nonce=nonce
            )
        return v.result.value

    for label, nonce in (("entries (ok)", False), ("again (duplicate), with nonce", True)):
        t0 = time.perf_counter()
        for i, link in enumerate(links):
            result = await one(link, f"{label[0]}{i}" if nonce else None)
            results[result] = results.get(result, 0) + 1
        dt = time.perf_counter() - t0
        print(f"  scan() {label:<32} {n / dt:8.0f} verdicts/s")
    t0 = time.perf_counter()
    for i in range(n):
        await one(f"garbage{i}", None)
    print(f"  scan() {'invalid codes':<32} {n / (time.perf_counter() - t0):8.0f} verdicts/s")
    table = Scan.__table__  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    for r in rids:
        async with unit_of_work(factory) as session:
            conn = await session.connection()
            await conn.execute(
                insert(table)
                .values(
                    conference_id=cid,
                    registration_id=r,
                    agenda_item_id=None,
                    direction="in",
                    result=ScanResult.OK,
                    scanned_at=datetime.now(UTC),
                    staff_telegram_id=1,
                    gate="Main",
                    badge_version=1,
                    raw=links[0],
                    nonce=None,
                )
                .returning(table.c.id)
            )
    print(f"  bare INSERT scan + COMMIT {'':<22} {n / (time.perf_counter() - t0):8.0f} rows/s")
    print(f"  verdicts: {results}")
    await engine.dispose()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite ({n} badges)")
        await bench(f"sqlite+aiosqlite:///{tmp}/bench.db", n)
    pg = os.environ.get("CONFDESK_BENCH_PG_URL")
    if pg:
        name = f"confdesk_bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(pg, isolation_level="AUTOCOMMIT")
        async with admin.connect() as c:
            await c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            print(f"PostgreSQL ({n} badges)")
            await bench(make_url(pg).set(database=name).render_as_string(hide_password=False), n)
        finally:
            async with admin.connect() as c:
                await c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
