"""Telegram delivers updates at least once: record each update id atomically before it is
handled, so a second delivery has no effect. Records expire after a day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import ProcessedUpdate
from core.services.clock import Clock, utc_now

KEEP = timedelta(days=1)
_t = ProcessedUpdate.__table__  # type: ignore[attr-defined]


# Built once per dialect: this runs for every update.
_RECORD = {
    name: dialect.insert(_t)
    .values(update_id=bindparam("update_id"), seen_at=bindparam("seen_at"))
    .on_conflict_do_nothing(index_elements=["update_id"])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


async def record(session: AsyncSession, update_id: int, *, clock: Clock = utc_now) -> bool:
    """True the first time `update_id` is seen; False for a repeat. Records it in the
    caller's transaction (no commit): the update's first commit makes it durable."""
    stmt = _RECORD["postgresql" if session.bind.dialect.name == "postgresql" else "sqlite"]  # type: ignore[union-attr]
    result = await session.execute(stmt, {"update_id": update_id, "seen_at": clock()})
    inserted = result.rowcount  # type: ignore[attr-defined]
    if not inserted:
        await session.rollback()
    return bool(inserted)


async def prune(session: AsyncSession, *, clock: Clock = utc_now) -> int:
    removed = (await session.execute(delete(_t).where(_t.c.seen_at < clock() - KEEP))).rowcount  # type: ignore[attr-defined]
    await session.commit()
    return int(removed)
