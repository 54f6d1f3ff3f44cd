"""Telegram delivers updates at least once: record each update atomically before it is
handled, so a second delivery has no effect. Records expire after a day.

An update is known by its bot and its id: update ids are each bot's own sequence (two bots
on one database share ids), and Telegram never reuses one for a bot within a week (its Bot
API server starts a bot's queue at a random id between about 10^6 and 10^9, and after a week
without updates starts again at a new random id). So one bot seeing an id it saw in the
last day is always a redelivery; a fresh server starting again at 1 (as a test emulator
might) would be taken for one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import BigInteger, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.models import ProcessedUpdate

KEEP = timedelta(days=1)
UNATTRIBUTED = 0  # bot_id of the rows recorded before bot ids were kept (migration 0004)
_t = ProcessedUpdate.__table__  # type: ignore[attr-defined]


# Built once per dialect: this runs for every batch of updates. On PostgreSQL the ids go as
# one array (one statement text whatever the batch size, so one server-side prepare).
_RECORD = {
    "postgresql": postgresql.insert(_t)
    .from_select(
        ["bot_id", "update_id", "seen_at"],
        select(
            bindparam("bot_id", type_=BigInteger),
            func.unnest(bindparam("ids", type_=postgresql.ARRAY(BigInteger))),
            bindparam("seen_at", type_=_t.c.seen_at.type),
        ),
    )
    .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
    .returning(_t.c.update_id),
    "sqlite": sqlite.insert(_t)
    .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
    .returning(_t.c.update_id),
}


async def record(session: AsyncSession, bot_id: int, update_ids: Iterable[int], *, clock: Clock = utc_now) -> set[int]:
    """The ids among `update_ids` (updates of bot `bot_id`) seen for the first time; the
    rest are repeats. Records them in the caller's transaction (no commit): the caller's
    commit makes them durable."""
    ids = sorted(set(update_ids))
    if not ids:
        return set()
    seen_at = clock()
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        params = {"bot_id": bot_id, "ids": ids, "seen_at": seen_at}
        result = await session.execute(_RECORD["postgresql"], params)
    else:
        rows = [{"bot_id": bot_id, "update_id": i, "seen_at": seen_at} for i in ids]
        result = await session.execute(_RECORD["sqlite"], rows)
    return set(result.scalars().all())


async def adopt_unattributed(session: AsyncSession, bot_id: int) -> int:
    """Claim the rows recorded before bot ids were kept for `bot_id` (the bot starting):
    they were this deployment's one bot's. Run at start, before any update is handled, so
    that the batch Telegram redelivers after the restart that upgraded (polling confirms a
    batch only with the next getUpdates) is still recognised. Returns the rows claimed."""
    mine = select(_t.c.update_id).where(_t.c.bot_id == bot_id).scalar_subquery()
    claim = (
        update(_t)
        .where(_t.c.bot_id == UNATTRIBUTED, _t.c.update_id.not_in(mine))
        .values(bot_id=bot_id)
        .execution_options(synchronize_session=False)
    )
    claimed = (await session.execute(claim)).rowcount  # type: ignore[attr-defined]
    return int(claimed)


async def prune(session: AsyncSession, *, clock: Clock = utc_now) -> int:
    removed = (await session.execute(delete(_t).where(_t.c.seen_at < clock() - KEEP))).rowcount  # type: ignore[attr-defined]
    return int(removed)
