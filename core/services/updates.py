"""Telegram delivers updates at least once: record each update id atomically before it is
handled, so a second delivery has no effect. Records expire after a day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import BigInteger, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import ProcessedUpdate
from core.services.clock import Clock, utc_now

KEEP = timedelta(days=1)
_t = ProcessedUpdate.__table__  # type: ignore[attr-defined]


# Built once per dialect: this runs for every batch of updates. On PostgreSQL the ids go as
# one array (one statement text whatever the batch size, so one server-side prepare).
_RECORD = {
    "postgresql": postgresql.insert(_t)
    .from_select(
        ["update_id", "seen_at"],
        select(
            func.unnest(bindparam("ids", type_=postgresql.ARRAY(BigInteger))),
            bindparam("seen_at", type_=_t.c.seen_at.type),
        ),
    )
    .on_conflict_do_nothing(index_elements=["update_id"])
    .returning(_t.c.update_id),
    "sqlite": sqlite.insert(_t).on_conflict_do_nothing(index_elements=["update_id"]).returning(_t.c.update_id),
}


async def record(session: AsyncSession, update_ids: Iterable[int], *, clock: Clock = utc_now) -> set[int]:
    """The ids among `update_ids` seen for the first time (the rest are repeats). Records
    them in the caller's transaction (no commit): the caller's commit makes them durable."""
    ids = sorted(set(update_ids))
    if not ids:
        return set()
    seen_at = clock()
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        result = await session.execute(_RECORD["postgresql"], {"ids": ids, "seen_at": seen_at})
    else:
        result = await session.execute(_RECORD["sqlite"], [{"update_id": i, "seen_at": seen_at} for i in ids])
    return set(result.scalars().all())


async def prune(session: AsyncSession, *, clock: Clock = utc_now) -> int:
    removed = (await session.execute(delete(_t).where(_t.c.seen_at < clock() - KEEP))).rowcount  # type: ignore[attr-defined]
    await session.commit()
    return int(removed)
