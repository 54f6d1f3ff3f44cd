"""The per-update session: what a handler leaves unfinished is rolled back, never kept."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.middlewares.database import DbSessionMiddleware, current_session
from core.models import UserPref


async def test_an_unfinished_write_is_rolled_back_and_a_committed_one_kept(session_factory) -> None:  # type: ignore[no-untyped-def]
    middleware = DbSessionMiddleware(session_factory)

    async def commits(event: object, data: dict) -> str:  # type: ignore[type-arg]
        assert current_session.get() is data["session"]
        data["session"].add(UserPref(telegram_id=1, language="en"))
        await data["session"].commit()
        return "done"

    async def leaves_open(event: object, data: dict) -> None:  # type: ignore[type-arg]
        data["session"].add(UserPref(telegram_id=2, language="en"))
        await data["session"].flush()  # written in a transaction nobody commits

    async def untouched(event: object, data: dict) -> None:  # type: ignore[type-arg]
        return None

    assert await middleware(commits, object(), {}) == "done"  # type: ignore[arg-type]
    await middleware(leaves_open, object(), {})  # type: ignore[arg-type]
    await middleware(untouched, object(), {})  # type: ignore[arg-type]
    assert current_session.get() is None
    async with session_factory() as s:
        kept = (await s.execute(select(func.count()).select_from(UserPref))).scalar_one()
        ids = (await s.execute(select(UserPref.telegram_id))).scalars().all()
    assert kept == 1 and ids == [1]
