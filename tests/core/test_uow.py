"""core.uow: commits at the end, rolls back on an exception, and runs what waits for the
commit only once the writes are visible to other connections."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import uow
from core.models import Conference
from core.uow import unit_of_work
from tests.factories import make_conference


async def _conferences(factory: async_sessionmaker[AsyncSession]) -> int:
    async with unit_of_work(factory) as s:
        return int((await s.execute(select(func.count()).select_from(Conference))).scalar_one())


async def test_after_commit_runs_when_the_writes_are_visible(session_factory: async_sessionmaker[AsyncSession]) -> None:
    seen: list[int] = []

    async def check() -> None:
        seen.append(await _conferences(session_factory))

    pending: list[object] = []
    async with unit_of_work(session_factory) as s:
        await make_conference(s)
        uow.after_commit(lambda: pending.append(object()))
        assert pending == []  # not before the commit
    assert len(pending) == 1
    await check()
    assert seen == [1]


async def test_after_commit_is_dropped_on_rollback(session_factory: async_sessionmaker[AsyncSession]) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError):
        async with unit_of_work(session_factory) as s:
            await make_conference(s)
            uow.after_commit(lambda: ran.append("x"))
            raise RuntimeError("the work failed")
    assert ran == [] and await _conferences(session_factory) == 0


async def test_after_commit_runs_at_a_checkpoint_outside_the_unit_of_work(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    outside: list[object] = []
    async with unit_of_work(session_factory) as s:
        await make_conference(s)
        uow.after_commit(lambda: outside.append(uow.current.get()))
        await uow.checkpoint(s)
        assert outside == [None]  # ran, and not inside this unit of work
        assert await _conferences(session_factory) == 1


async def test_after_commit_without_a_unit_of_work_runs_at_once() -> None:
    ran: list[str] = []
    uow.after_commit(lambda: ran.append("x"))
    assert ran == ["x"]


def _write_lock_taken(database_url: str) -> bool:
    """Whether another connection to the SQLite file is kept from writing now."""
    import sqlite3

    from core.db import sqlite_file

    other = sqlite3.connect(sqlite_file(database_url), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    finally:
        other.close()


async def test_a_reads_only_checkpoint_holds_no_write_lock_and_ends_with_its_unit_of_work(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """SQLite: after `checkpoint(reads_only=True)` the transaction begins deferred (no write
    lock); the next commit, and the unit of work's end, give writing transactions
    BEGIN IMMEDIATE again (the setting does not outlive them)."""
    if session_factory.kw["bind"].dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")

    async def read(s: AsyncSession) -> None:
        await s.execute(select(func.count()).select_from(Conference))

    async with unit_of_work(session_factory) as s:
        await read(s)
        assert _write_lock_taken(database_url)
        await uow.checkpoint(s, reads_only=True)
        await read(s)
        assert not _write_lock_taken(database_url)
        await uow.checkpoint(s)
        await read(s)
        assert _write_lock_taken(database_url)
        await uow.checkpoint(s, reads_only=True)
        await read(s)
    async with unit_of_work(session_factory) as s:
        await read(s)
        assert _write_lock_taken(database_url)


async def test_a_task_started_after_a_reads_only_checkpoint_writes_atomically(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """What waited for the commit (`after_commit`) runs outside the unit of work, and so
    does a task it starts: that task's own units of work begin IMMEDIATE (hold the write
    lock from their first read, atomic across processes), whatever the checkpoint says
    about the transaction that follows it."""
    import asyncio

    if session_factory.kw["bind"].dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    locked: list[bool] = []
    started: list[asyncio.Task[None]] = []

    async def later() -> None:
        async with unit_of_work(session_factory) as s:
            await s.execute(select(func.count()).select_from(Conference))
            locked.append(_write_lock_taken(database_url))

    async with unit_of_work(session_factory) as s:
        await make_conference(s)
        uow.after_commit(lambda: started.append(asyncio.ensure_future(later())))
        await uow.checkpoint(s, reads_only=True)
    await started[0]
    assert locked == [True]


async def test_a_unit_of_work_opened_during_a_reads_only_transaction_writes_atomically(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """`reads_only` is said of one unit of work's next transaction: another unit of work
    opened meanwhile in the same task (its own writes) begins IMMEDIATE, and the first
    goes on reading without the lock after it."""
    if session_factory.kw["bind"].dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    async with unit_of_work(session_factory) as s:
        await uow.checkpoint(s, reads_only=True)
        async with unit_of_work(session_factory) as inner:
            await inner.execute(select(func.count()).select_from(Conference))
            assert _write_lock_taken(database_url)
        await s.execute(select(func.count()).select_from(Conference))
        assert not _write_lock_taken(database_url)
