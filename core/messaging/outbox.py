"""The outbox: messages to send later (reminders, broadcasts, notices), kept in the database
so they survive restarts, and claimed so that each goes out once whatever the number of bot
processes and however long Telegram makes them wait.

A claim is one UPDATE statement that takes due, unclaimed (or lease-expired) rows for a
worker: atomic on SQLite (it takes the write lock) and on PostgreSQL (the rows are picked
with FOR UPDATE SKIP LOCKED, so two workers never wait on or take the same row). Each claim
writes a new fencing token on its rows and a short lease (seconds):

- the holder renews the lease while it works (`renew`, a heartbeat), so a live worker keeps
  its rows as long as it needs them, and the rows of a killed one are free within a lease;
- right before each send the holder checks and extends its claim on that row in one
  statement (`begin_send`: the token is still its own and the lease has not run out); if
  that fails the row may be someone else's and is not sent. The holder then waits for
  Telegram only while the lease it has just extended runs (bot/sender.py), so the claim
  cannot expire between the check and the end of the send;
- outcomes (`mark_sent`, `retry_later`, `mark_failed`) and giving rows back (`release`) are
  written only under the holder's token: a worker that lost its claim records nothing.

What can still send a message twice is the unavoidable case: a worker killed after Telegram
took the message and before `mark_sent` committed (the row is sent again: at least once).
`attempts` counts sends begun, not claims: rows given back unsent keep their retries.
Lease times come from the caller's clock; processes on several hosts need clocks that agree
within a fraction of the lease (NTP does).

None of these functions commits: each runs in its caller's unit of work (`core/uow.py`). A
claim or a `begin_send` protects anything only once it is committed, so the sender opens a
unit of work per step (claim a batch; check before a send; record an outcome) and sends
outside any transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.models import OutboxMessage, OutboxStatus

_t = OutboxMessage.__table__  # type: ignore[attr-defined]
MAX_ATTEMPTS = 5
LEASE = timedelta(seconds=6)  # a claim unrenewed: how soon a killed worker's rows go to others


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    chat_id: int
    payload: dict[str, Any]
    attempts: int  # sends begun before this claim
    conference_id: int | None
    token: str = ""  # the claim's fencing token: every later call on the row passes it


def _insert(session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT (dedup_key) DO NOTHING: a key queued once is never queued again."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite  # type: ignore[union-attr]
    return dialect.insert(_t).on_conflict_do_nothing(index_elements=["dedup_key"])


def _row(
    kind: str,
    chat_id: int,
    dedup_key: str,
    due_at: datetime,
    payload: dict[str, Any] | None,
    conference_id: int | None,
    created_at: datetime,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "chat_id": chat_id,
        "dedup_key": dedup_key[:128],
        "due_at": due_at,
        "payload": payload or {},
        "conference_id": conference_id,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "created_at": created_at,
    }


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
    values = _row(kind, chat_id, dedup_key, due_at, payload, conference_id, utc_now())
    result = await session.execute(_insert(session).values(**values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def enqueue_many(
    session: AsyncSession,
    *,
    kind: str,
    chat_ids: Sequence[int],
    dedup_prefix: str,
    due_at: datetime,
    payload: dict[str, Any],
    conference_id: int | None,
    created_at: datetime,
    chunk: int = 1000,
) -> None:
    """`enqueue` for many recipients at once (a broadcast), key `dedup_prefix` + chat id,
    with the same idempotence; `chunk` rows a statement. No commit."""
    for first in range(0, len(chat_ids), chunk):
        rows = [
            _row(kind, chat_id, f"{dedup_prefix}{chat_id}", due_at, payload, conference_id, created_at)
            for chat_id in chat_ids[first : first + chunk]
        ]
        await session.execute(_insert(session), rows)


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
    lease: timedelta = LEASE,
    kinds: tuple[str, ...] | None = None,
    clock: Clock = utc_now,
) -> list[Claimed]:
    """Take up to `limit` due messages for `worker` under one new token, oldest due first,
    until `clock() + lease` (the clock is read before the statement runs, so the holder may
    count on that instant)."""
    now = clock()
    token = uuid.uuid4().hex
    due = and_(
        _t.c.status == OutboxStatus.PENDING.value,
        _t.c.due_at <= now,
        or_(_t.c.claimed_until.is_(None), _t.c.claimed_until < now),
    )
    if kinds:
        due = and_(due, _t.c.kind.in_(kinds))
    pick = select(_t.c.id).where(due).order_by(_t.c.due_at, _t.c.id).limit(limit)
    picked = pick.cte("picked")
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        # Evaluated once, as a materialized CTE. Inside `IN (subquery)` PostgreSQL may plan
        # the pick as the inner side of a nested loop and run it again for each row: rows this
        # very UPDATE already changed are then skipped as locked and the next ones picked, so
        # a claim of 10 took all 200 pending rows (seen in CI once the statistics changed).
        picked = pick.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
    stmt = (
        update(_t)
        .where(_t.c.id.in_(select(picked.c.id)), due)
        .values(claimed_by=worker[:64], claimed_until=now + lease, claim_token=token)
        .returning(_t.c.id, _t.c.kind, _t.c.chat_id, _t.c.payload, _t.c.attempts, _t.c.conference_id, _t.c.due_at)
    )
    rows = list((await session.execute(stmt)).all())
    rows.sort(key=lambda r: (r.due_at, r.id))
    return [Claimed(r.id, r.kind, r.chat_id, r.payload or {}, r.attempts, r.conference_id, token) for r in rows]


def _held(token: str, now: datetime) -> Any:
    """Rows the claim `token` still holds at `now`: pending, its token, the lease running."""
    return and_(_t.c.claim_token == token, _t.c.status == OutboxStatus.PENDING.value, _t.c.claimed_until > now)


async def renew(
    session: AsyncSession, token: str, ids: Iterable[int], *, lease: timedelta = LEASE, clock: Clock = utc_now
) -> set[int]:
    """The heartbeat: extend the claim `token` to `clock() + lease` on those of `ids` it still
    holds, and return them (a row missing was lost: its lease ran out first)."""
    wanted = list(ids)
    if not wanted:
        return set()
    now = clock()
    result = await session.execute(
        update(_t).where(_t.c.id.in_(wanted), _held(token, now)).values(claimed_until=now + lease).returning(_t.c.id)
    )
    return {int(i) for i in result.scalars().all()}


async def begin_send(
    session: AsyncSession, message_id: int, token: str, *, lease: timedelta = LEASE, clock: Clock = utc_now
) -> bool:
    """The check right before a send: if the claim `token` still holds the row, extend it to
    `clock() + lease` and count the attempt, in one statement. False: the claim was lost and
    the message must not be sent."""
    now = clock()
    result = await session.execute(
        update(_t)
        .where(_t.c.id == message_id, _held(token, now))
        .values(claimed_until=now + lease, attempts=_t.c.attempts + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _mine(message_id: int, token: str) -> Any:
    return and_(_t.c.id == message_id, _t.c.claim_token == token, _t.c.status == OutboxStatus.PENDING.value)


async def release(session: AsyncSession, token: str, ids: Iterable[int]) -> int:
    """Give back rows claimed under `token` and not sent: claimable again at once."""
    wanted = list(ids)
    if not wanted:
        return 0
    result = await session.execute(
        update(_t)
        .where(_t.c.id.in_(wanted), _t.c.claim_token == token, _t.c.status == OutboxStatus.PENDING.value)
        .values(claimed_until=None, claim_token=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_sent(session: AsyncSession, message_id: int, token: str, *, clock: Clock = utc_now) -> bool:
    """Record a send, under the claim's token (False: the claim was lost)."""
    result = await session.execute(
        update(_t)
        .where(_mine(message_id, token))
        .values(status=OutboxStatus.SENT.value, sent_at=clock(), claimed_until=None, claim_token=None, error=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def retry_later(
    session: AsyncSession,
    message_id: int,
    token: str,
    *,
    after: timedelta,
    error: str,
    flood: bool = False,
    clock: Clock = utc_now,
) -> bool:
    """Give a claimed message back to be tried after `after`; gives up after MAX_ATTEMPTS
    sends begun (returns False then). `flood`: Telegram refused for its flood limits (429),
    or could not be reached at all, which says nothing about the message: that send does not
    use up one of its tries, so a long 429 storm or outage delays messages but never drops
    them. Under the claim's token."""
    row = (await session.execute(select(_t.c.attempts).where(_t.c.id == message_id))).scalar_one()
    final = not flood and row >= MAX_ATTEMPTS
    values: dict[str, Any] = {
        "status": OutboxStatus.FAILED.value if final else OutboxStatus.PENDING.value,
        "due_at": clock() + after,
        "claimed_until": None,
        "claim_token": None,
        "error": error[:500],
    }
    if flood:
        values["attempts"] = _t.c.attempts - 1  # give back the try begin_send counted
    await session.execute(update(_t).where(_mine(message_id, token)).values(**values))
    return not final


async def mark_failed(session: AsyncSession, message_id: int, token: str, *, error: str) -> None:
    """Give up on a message for good (the user blocked the bot, the item is gone), under the
    claim's token."""
    await session.execute(
        update(_t)
        .where(_mine(message_id, token))
        .values(status=OutboxStatus.FAILED.value, claimed_until=None, claim_token=None, error=error[:500])
    )


async def counts(session: AsyncSession, *, dedup_prefix: str | None = None) -> dict[str, int]:
    """How many messages are in each status (optionally of one batch, by key prefix)."""
    query = select(_t.c.status, func.count()).group_by(_t.c.status)
    if dedup_prefix:
        query = query.where(_t.c.dedup_key.startswith(dedup_prefix, autoescape=True))
    rows = (await session.execute(query)).all()
    return {status: int(n) for status, n in rows}
