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
