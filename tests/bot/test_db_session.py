"""Each update is one unit of work: what the handler did is committed when it returns and
rolled back when it raises; the Bot API client's checkpoint commits the work so far."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.middlewares.database import DbSessionMiddleware
from core import uow
from core.models import UserPref


async def test_an_update_is_a_unit_of_work(session_factory) -> None:  # type: ignore[no-untyped-def]
    middleware = DbSessionMiddleware(session_factory)

    async def writes(event: object, data: dict) -> str:  # type: ignore[type-arg]
        work = uow.current.get()
        assert work is not None and work.session is data["session"]
        data["session"].add(UserPref(telegram_id=1, language="en"))
        return "done"

    async def fails_half_way(event: object, data: dict) -> None:  # type: ignore[type-arg]
        data["session"].add(UserPref(telegram_id=2, language="en"))
        await data["session"].flush()
        raise RuntimeError("the handler broke")

    async def checkpoints_then_fails(event: object, data: dict) -> None:  # type: ignore[type-arg]
        data["session"].add(UserPref(telegram_id=3, language="en"))
        work = uow.current.get()
        assert work is not None
        await work.checkpoint()  # what the bot does before it calls Telegram
        data["session"].add(UserPref(telegram_id=4, language="en"))
        raise RuntimeError("after the reply")

    async def untouched(event: object, data: dict) -> None:  # type: ignore[type-arg]
        return None

    assert await middleware(writes, object(), {}) == "done"  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await middleware(fails_half_way, object(), {})  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await middleware(checkpoints_then_fails, object(), {})  # type: ignore[arg-type]
    await middleware(untouched, object(), {})  # type: ignore[arg-type]
    assert uow.current.get() is None
    async with session_factory() as s:
        ids = (await s.execute(select(UserPref.telegram_id).order_by(UserPref.telegram_id))).scalars().all()
    assert ids == [1, 3]
