"""The database fails under a running kiosk (issue 11, item 1): the door gets one plain
line, "database unavailable: scan not recorded, scan again" (with --json the code
`database_unavailable`), never SQL or a traceback; the kiosk stays up and the next scan after
the database is back is recorded.

SQLite: another process holds the write lock longer than the kiosk waits (`?timeout=1`).
PostgreSQL: the database stops accepting connections and the kiosk's are cut.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli.scan import DATABASE_UNAVAILABLE
from core.models import ScanResult
from tests.dbutil import PG_URL, USE_PG
from tests.faults.doors_util import count_scans, kiosk, kiosks, link, seed

UNAVAILABLE = {"result": "error", "error": "database_unavailable", "message": DATABASE_UNAVAILABLE}
NOT_PLAIN = ("SELECT", "INSERT", "UPDATE", "[SQL", "Traceback", "parameters")


@asynccontextmanager
async def sqlite_locked(database_url: str) -> AsyncIterator[None]:
    other = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


@asynccontextmanager
async def pg_down(database_url: str) -> AsyncIterator[None]:
    name = make_url(database_url).database
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            try:
                await conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
                )
                # terminating is only signalled: wait until the kiosks' connections are gone
                deadline = asyncio.get_running_loop().time() + 30
                while await conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n"), {"n": name}):
                    assert asyncio.get_running_loop().time() < deadline, "backends still there after 30 s"
                    await asyncio.sleep(0.02)
                yield
            finally:
                await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    finally:
        await admin.dispose()


async def test_database_failure_is_one_plain_line_and_the_kiosk_goes_on(database_url, tmp_path):
    [reg] = await seed(database_url, 1)
    url = database_url if USE_PG else database_url + "?timeout=1"
    fault: Callable[[str], AbstractAsyncContextManager[None]] = pg_down if USE_PG else sqlite_locked
    async with kiosks(url, tmp_path, ("North",)) as [k], kiosk(url, tmp_path, "South", json=False) as door:
        assert (await k.ask(link(reg)))["result"] == "ok"
        assert (await door.ask_text(b"warm-up")).startswith("❌ NOT A VALID BADGE"), door.seen()  # it is up
        async with fault(database_url):
            for _ in range(2):
                got = await k.ask(link(reg))
                assert got == UNAVAILABLE, (got, k.seen())
            said = await door.ask_text(link(reg))
            assert said.split() == ["ERROR", *DATABASE_UNAVAILABLE.split()], (said, door.seen())
        assert (await k.ask(link(reg)))["result"] == "duplicate"  # recorded again
        assert (await door.ask_text(link(reg))).startswith("⚠️ ALREADY INSIDE"), door.seen()
        for each in (k, door):
            assert await each.finish() == 0, each.seen()
            out, err = b"".join(each.lines).decode(), each.stderr.read_text()
            assert not [w for w in NOT_PLAIN if w in out or w in err], each.seen()
    assert k.stderr.read_text().count("scan not recorded") == 2, k.seen()
    assert await count_scans(database_url, result=ScanResult.DUPLICATE) == 2


@pytest.mark.parametrize("where", ["unopenable", "closed port"])
async def test_a_kiosk_that_cannot_reach_its_database_says_so_in_one_line(tmp_path, where):
    url = f"sqlite+aiosqlite:///{tmp_path}" if where == "unopenable" else "postgresql+asyncpg://postgres@127.0.0.1:1/x"
    async with kiosk(url, tmp_path, "Main") as k:
        assert await k.finish() == 1
    err = k.stderr.read_text()
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    assert not [w for w in NOT_PLAIN if w in err], err
