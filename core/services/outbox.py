"""The outbox: messages to send later (reminders, broadcasts, notices), kept in the database
so they survive restarts, and claimed so that each goes out once whatever the number of bot
processes.

A claim is one UPDATE statement that takes due, unclaimed (or lease-expired) rows for a
worker: atomic on SQLite (it takes the write lock) and on PostgreSQL (the rows are picked
with FOR UPDATE SKIP LOCKED, so two workers never wait on or take the same row). A worker
that dies mid-send leaves a lease that expires; the row is then claimed again (at least
once; a lease long enough for one send makes a repeat rare).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import OutboxMessage, OutboxStatus
from core.services.clock import Clock, utc_now

_t = OutboxMessage.__table__  # type: ignore[attr-defined]
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    chat_id: int
    payload: dict[str, Any]
    attempts: int
    conference_id: int | None


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    chat_id: int,
    dedup_key: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    conference_id: int | None = None,
) -> bool:
    """Add a message unless one with `dedup_key` exists (then nothing happens). Runs inside
    the caller's unit of work: no commit. Returns whether a row was added."""
    values = {
        "kind": kind,
        "chat_id": chat_id,
        "dedup_key": dedup_key[:128],
        "due_at": due_at,
        "payload": payload or {},
        "conference_id": conference_id,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "created_at": utc_now(),
    }
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite  # type: ignore[union-attr]
    stmt = dialect.insert(_t).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel_where(session: AsyncSession, *, dedup_prefix: str) -> int:
    """Cancel pending messages whose key starts with `dedup_prefix` (no commit)."""
    result = await session.execute(
        update(_t)
        .where(_t.c.status == OutboxStatus.PENDING.value, _t.c.dedup_key.startswith(dedup_prefix, autoescape=True))
        .values(status=OutboxStatus.CANCELLED.value)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def claim(
    session: AsyncSession,
    worker: str,
    *,
    limit: int = 20,
    lease: timedelta = timedelta(seconds=60),
    kinds: tuple[str, ...] | None = None,
    clock: Clock = utc_now,
) -> list[Claimed]:
    """Take up to `limit` due messages for `worker`, oldest due first. Commits."""
    now = clock()
    until = now + lease
    due = and_(
        _t.c.status == OutboxStatus.PENDING.value,
        _t.c.due_at <= now,
        or_(_t.c.claimed_until.is_(None), _t.c.claimed_until < now),
    )
    if kinds:
        due = and_(due, _t.c.kind.in_(kinds))
    pick = select(_t.c.id).where(due).order_by(_t.c.due_at, _t.c.id).limit(limit)
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(_t)
        .where(_t.c.id.in_(pick.scalar_subquery()), due)
        .values(claimed_by=worker[:64], claimed_until=until, attempts=_t.c.attempts + 1)
        .returning(_t.c.id, _t.c.kind, _t.c.chat_id, _t.c.payload, _t.c.attempts, _t.c.conference_id, _t.c.due_at)
    )
    rows = list((await session.execute(stmt)).all())
    await session.commit()
    rows.sort(key=lambda r: (r.due_at, r.id))
    return [Claimed(r.id, r.kind, r.chat_id, r.payload or {}, r.attempts, r.conference_id) for r in rows]


async def mark_sent(session: AsyncSession, message_id: int, worker: str, *, clock: Clock = utc_now) -> None:
    await session.execute(
        update(_t)
        .where(_t.c.id == message_id, _t.c.claimed_by == worker[:64])
        .values(status=OutboxStatus.SENT.value, sent_at=clock(), claimed_until=None, error=None)
    )
    await session.commit()


async def retry_later(
    session: AsyncSession, message_id: int, worker: str, *, after: timedelta, error: str, clock: Clock = utc_now
) -> bool:
    """Give a claimed message back to be tried after `after`; gives up after MAX_ATTEMPTS
    (returns False then)."""
    row = (await session.execute(select(_t.c.attempts).where(_t.c.id == message_id))).scalar_one()
    final = row >= MAX_ATTEMPTS
    await session.execute(
        update(_t)
        .where(_t.c.id == message_id, _t.c.claimed_by == worker[:64])
        .values(
            status=OutboxStatus.FAILED.value if final else OutboxStatus.PENDING.value,
            due_at=clock() + after,
            claimed_until=None,
            error=error[:500],
        )
    )
    await session.commit()
    return not final


async def mark_failed(session: AsyncSession, message_id: int, worker: str, *, error: str) -> None:
    """Give up on a message for good (the user blocked the bot, the item is gone)."""
    await session.execute(
        update(_t)
        .where(_t.c.id == message_id, _t.c.claimed_by == worker[:64])
        .values(status=OutboxStatus.FAILED.value, claimed_until=None, error=error[:500])
    )
    await session.commit()


async def counts(session: AsyncSession, *, dedup_prefix: str | None = None) -> dict[str, int]:
    """How many messages are in each status (optionally of one batch, by key prefix)."""
    query = select(_t.c.status, func.count()).group_by(_t.c.status)
    if dedup_prefix:
        query = query.where(_t.c.dedup_key.startswith(dedup_prefix, autoescape=True))
    rows = (await session.execute(query)).all()
    await session.commit()
    return {status: int(n) for status, n in rows}
