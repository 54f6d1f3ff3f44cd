"""core.db on PostgreSQL: a pooled connection is pinged before use only after resting
PING_AFTER_IDLE seconds; a dead one found so is replaced and the work goes on."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from core import db
from tests.dbutil import USE_PG

pytestmark = pytest.mark.skipif(not USE_PG, reason="PostgreSQL's pool")


async def _backend(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


def _count_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    dialect, pings = engine.sync_engine.dialect, []
    real = dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


async def test_a_connection_just_given_back_is_used_without_a_ping(engine, monkeypatch) -> None:
    pings = _count_pings(engine, monkeypatch)
    first = await _backend(engine)
    assert await _backend(engine) == first and pings == []


async def test_a_dead_connection_that_rested_is_replaced(engine, monkeypatch) -> None:
    pings = _count_pings(engine, monkeypatch)
    first = await _backend(engine)
    # autocommit: pg_stat_activity is a snapshot kept until the transaction ends, a fresh one per look
    other = create_async_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with other.connect() as conn:  # the server ends the pooled connection
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        gone = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
        for _ in range(3000):  # terminating is only signalled: until the backend is gone
            if not await conn.scalar(gone, {"pid": first}):
                break
            await asyncio.sleep(0.01)
    await other.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # as if it had rested
    second = await _backend(engine)
    assert second != first and pings
