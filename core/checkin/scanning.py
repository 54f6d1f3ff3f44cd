"""`scan()`: judge one scanned code by the rules (core.checkin.rules), record it as a Scan
row, move the badge's presence (core.checkin.presence). Runs inside the caller's unit of
work (core.uow: the bot around each update, the Mini App around each call) and never
commits. `scan_alone()`: the same, as a unit of work of its own (the kiosk, per line).

Every scan is stored, failed ones too (registration_id None for invalid), with what was
scanned in `raw` (see core.checkin.scanned). A nonce makes a scan idempotent
(core.checkin.replay): the same nonce stored by a concurrent scan first gives its verdict.

PostgreSQL: two statements (presence upserted and locked with the badge's state; then the
Scan row, ON CONFLICT (nonce) DO NOTHING, and the move of presence), no savepoint: neither
can collide. SQLite: the judging runs in a savepoint: should a write still collide (a
presence row created by another door after this scan read none, or the same nonce stored
first), only the savepoint is rolled back and the scan is judged once more afresh: the later
door gets `duplicate` (or the first verdict), never an IntegrityError.

`scan_alone()` on PostgreSQL holds no lock while it judges and opens no transaction (core.uow
`autocommit`: no BEGIN, no COMMIT): one statement reads the badge's state unlocked with the
hall's categories and whether the nonce is stored already (`presence.read`), the rules judge
it, then one statement stores the scan: a refusal the badge's presence does not decide
(invalid, revoked, not approved, not allowed) as it is; a duplicate, or an admitted scan with
its move of presence, only if presence is still as read (compare-and-set, the row locked for
that statement). If another door moved it in between, nothing is stored and the scan is read
and judged afresh, CAS_TRIES times at most, then by `scan()` under lock in a transaction.
Everything else a verdict reads (the registration, its holder, the hall's categories) is as
the first read saw it, as the locked path reads it in its first statement; neither sees a
change committed after that. A valid scan, at the venue or in a hall, with or without a
nonce, is two round trips (the locked path: four, a hall five). Those statements go to the
asyncpg connection directly, compiled once (core.checkin.prepared): no SQLAlchemy execution
per statement. The bot and the Mini App keep `scan()`: their scan is one step of a larger
unit of work.

`scan()`'s path is SQLAlchemy Core on the session's connection, statements built once.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.checkin import presence, rules
from core.checkin import tables as t
from core.checkin.prepared import Driver, Prepared
from core.checkin.replay import replay
from core.checkin.scanned import ScanRequest, read_scanned
from core.checkin.verdict import Refusal, Verdict, holder
from core.clock import Clock, utc_now
from core.errors import NotFound
from core.models import ScanDirection, ScanResult
from core.uow import autocommit, is_postgres, unit_of_work

CAS_TRIES = 3  # compare-and-set misses before a kiosk's scan waits for the lock instead


class _NonceTaken(Exception):
    """PostgreSQL: the Scan row was not inserted, its nonce is stored already."""


async def scan(
    session: AsyncSession,
    *,
    conference_id: int,
    text: str | bytes,
    staff_telegram_id: int | None,
    gate: str,
    agenda_item_id: int | None = None,
    direction: ScanDirection = ScanDirection.IN,
    nonce: str | None = None,
    secret: bytes,
    clock: Clock = utc_now,
) -> Verdict:
    """Judge one scanned code, record it, move presence (no commit: the caller's unit of
    work ends the transaction). `text` is what was scanned: a string, or a kiosk's raw line
    as bytes. An agenda item not of this conference is NotFound, and nothing is stored."""
    direction = ScanDirection(direction)
    nonce = nonce[:64] if nonce is not None else None
    if nonce is not None and (earlier := await replay(session, nonce)) is not None:
        return earlier
    conn = await session.connection()
    ask = await _request(
        conn, conference_id, text, staff_telegram_id, gate, agenda_item_id, direction, nonce, secret, clock()
    )
    pg = conn.dialect.name == "postgresql"
    collided = (_NonceTaken,) if pg else (IntegrityError,)  # PostgreSQL: no savepoint to roll back
    for attempt in (1, 2):
        try:
            if pg:
                return await _judge_and_record(conn, ask, pg=True)
            async with session.begin_nested():  # the SAVEPOINT is sent as the connection is asked for
                return await _judge_and_record(await session.connection(), ask, pg=False)
        except collided:
            if nonce is not None and (earlier := await replay(session, nonce)) is not None:
                return earlier  # the same nonce, stored by a concurrent scan first
            if attempt == 2:
                raise
            # SQLite: another door created this badge's presence row after our read: judge afresh
    raise AssertionError("unreachable")


async def _request(
    conn: AsyncConnection,
    conference_id: int,
    text: str | bytes,
    staff_telegram_id: int | None,
    gate: str,
    agenda_item_id: int | None,
    direction: ScanDirection,
    nonce: str | None,
    secret: bytes,
    now: datetime,
) -> ScanRequest:
    readable, raw = read_scanned(text)
    return ScanRequest(
        conference_id=conference_id,
        text=readable,
        raw=raw,
        staff=staff_telegram_id,
        gate=(gate or "")[:64],
        item_id=agenda_item_id,
        direction=direction,
        nonce=nonce,
        secret=secret,
        now=now,
        allowed=await _allowed_categories(conn, conference_id, agenda_item_id),
    )


async def scan_alone(
    factory: async_sessionmaker[AsyncSession],
    *,
    conference_id: int,
    text: str | bytes,
    staff_telegram_id: int | None,
    gate: str,
    agenda_item_id: int | None = None,
    direction: ScanDirection = ScanDirection.IN,
    nonce: str | None = None,
    secret: bytes,
    clock: Clock = utc_now,
) -> Verdict:
    """`scan()` as a unit of work of its own: a kiosk's line. The same verdicts and rows as
    `scan()` in `unit_of_work(factory)`, which is what it runs on SQLite. PostgreSQL: no
    transaction, each statement commits by itself (core.uow.autocommit): the state is read
    unlocked, then one compare-and-set statement stores the scan (and moves presence) only
    if presence is still as read; if another door moved it meanwhile, nothing is stored and
    the scan is judged again from a fresh read, at most CAS_TRIES times, then under lock."""
    direction = ScanDirection(direction)
    nonce = nonce[:64] if nonce is not None else None
    where: dict[str, Any] = {
        "conference_id": conference_id,
        "text": text,
        "staff_telegram_id": staff_telegram_id,
        "gate": gate,
    }
    where |= {"agenda_item_id": agenda_item_id, "direction": direction, "nonce": nonce, "secret": secret}
    if not is_postgres(factory):
        async with unit_of_work(factory) as session:
            return await scan(session, **where, clock=clock)
    async with autocommit(factory) as pg:
        verdict = await _scan_unlocked(factory, pg, where, clock)
    if isinstance(verdict, Verdict):
        return verdict
    now = verdict  # every write missed: the scan's time, for the scan under lock
    async with unit_of_work(factory) as session:  # presence kept moving under this door: wait for it
        return await scan(session, **where, clock=lambda: now)


async def _scan_unlocked(
    factory: async_sessionmaker[AsyncSession], pg: Driver, where: dict[str, Any], clock: Clock
) -> Verdict | datetime:
    """PostgreSQL, `scan_alone` without a lock, on the asyncpg connection `pg` (the
    statements of core.checkin.prepared; a replay, rare, in a unit of work of its own): one
    read (the badge's state, the hall's categories, whether the nonce is stored; none for a
    venue's code that is no badge, without a nonce), the rules, one write. The verdict, or
    the scan's time if presence moved under every one of CAS_TRIES writes. The clock is
    read once, after a replay would have answered (as `scan()` reads it)."""
    conference_id, item_id, nonce = where["conference_id"], where["agenda_item_id"], where["nonce"]
    readable, raw = read_scanned(where["text"])
    checked = rules.badge_token(readable, where["secret"])
    registration_id = None if isinstance(checked, Refusal) else checked[0]
    ask: ScanRequest | None = None
    for _ in range(CAS_TRIES):
        seen = None
        if registration_id is not None or item_id is not None or nonce is not None:  # else nothing to read
            seen = await presence.read(pg, registration_id, conference_id, item_id, nonce)
            if seen.nonce_stored and (earlier := await _replay_alone(factory, nonce)) is not None:
                return earlier  # the same nonce again: its first verdict
        if ask is None:  # in `scan()`'s order: a replay, the clock, the hall (its categories read once)
            now = clock()
            if item_id is not None and (seen is None or seen.hall_id is None):
                raise NotFound(f"agenda item {item_id} not found in this conference", id=item_id)
            allowed = tuple(seen.hall_allows or ()) if seen is not None and item_id is not None else ()
            ask = ScanRequest(
                conference_id=conference_id, text=readable, raw=raw, staff=where["staff_telegram_id"],
                gate=(where["gate"] or "")[:64], item_id=item_id, direction=where["direction"], nonce=nonce,
                secret=where["secret"], now=now, allowed=allowed,
            )  # fmt: skip
        state = seen if seen is not None and seen.id is not None else None
        try:
            verdict = await _judge_and_compare_and_set(pg, ask, checked, state)
        except _NonceTaken:
            verdict = None
        if verdict is not None:
            return verdict
        if nonce is not None and (earlier := await _replay_alone(factory, nonce)) is not None:
            return earlier  # the same nonce, stored by a concurrent scan first
    assert ask is not None
    return ask.now


async def _replay_alone(factory: async_sessionmaker[AsyncSession], nonce: str) -> Verdict | None:
    async with unit_of_work(factory) as session:
        return await replay(session, nonce)


async def _judge_and_compare_and_set(
    pg: Driver, ask: ScanRequest, checked: tuple[int, int] | Refusal, state: Any
) -> Verdict | None:
    """`_judge_and_record` on a state read unlocked (None: no such registration): a refusal
    that does not depend on presence is stored as it is; a duplicate, or an admitted scan
    and its move of presence, only if presence is still as read. None: nothing was stored,
    presence moved meanwhile (or the nonce is taken: _NonceTaken)."""
    if isinstance(checked, Refusal):
        return await _refuse_unlocked(pg, ask, checked)
    registration_id, version = checked
    refusal = rules.registration_known(state, ask)
    if refusal is not None:
        return await _refuse_unlocked(pg, ask, refusal)
    assert state is not None  # registration_known refuses a missing registration
    refusal = rules.first_refusal(state, version, ask)
    if refusal is not None and refusal.result is not ScanResult.DUPLICATE:
        return await _refuse_unlocked(pg, ask, refusal, registration_id, version, state)
    values = _scan_values(ask, refusal.result if refusal else ScanResult.OK, registration_id, version)
    if refusal is not None:  # already inside: stored only if they still are, as read
        scan_id = await presence.record_if_unmoved(pg, values, state)
        if scan_id is None:
            return None
        return _refusal(ask, refusal, scan_id, registration_id, state, await presence.previous_scan_on(pg, state))
    scan_id, detail = await presence.record_and_move_if_unmoved(pg, values, state, ask)
    return None if scan_id is None else _admitted(ask, registration_id, state, scan_id, detail)


@cache
def _insert_scan() -> Prepared:
    return Prepared(t.insert_scan(pg=True))


async def _refuse_unlocked(
    pg: Driver,
    ask: ScanRequest,
    refusal: Refusal,
    registration_id: int | None = None,
    version: int | None = None,
    state: Any = None,
) -> Verdict:
    """`_refuse` on the asyncpg connection (a refusal presence does not decide: never a
    duplicate); _NonceTaken if the nonce is stored already."""
    row = await _insert_scan().fetchrow(pg, _scan_values(ask, refusal.result, registration_id, version))
    if row is None:
        raise _NonceTaken
    return _refusal(ask, refusal, int(row[0]), registration_id, state, None)


@cache
def _item_categories():  # type: ignore[no-untyped-def]
    item = t.agenda_item
    return select(item.c.allowed_categories).where(item.c.id == bindparam("id"), item.c.conference_id == bindparam("c"))


async def _allowed_categories(conn: AsyncConnection, conference_id: int, item_id: int | None) -> tuple[str, ...]:
    """The categories a hall admits (empty: everyone, and for the venue)."""
    if item_id is None:
        return ()
    row = (await conn.execute(_item_categories(), {"id": item_id, "c": conference_id})).first()
    if row is None:
        raise NotFound(f"agenda item {item_id} not found in this conference", id=item_id)
    return tuple(row[0] or ())


async def _judge_and_record(conn: AsyncConnection, ask: ScanRequest, *, pg: bool) -> Verdict:
    """The rules in order; the first refusal is the verdict, else the badge is admitted and
    its presence moves. Either way the scan is recorded."""
    checked = rules.badge_token(ask.text, ask.secret)
    if isinstance(checked, Refusal):
        return await _refuse(conn, ask, checked, pg=pg)
    registration_id, version = checked
    state = await presence.read_locked(conn, registration_id, ask.now)
    refusal = rules.registration_known(state, ask)
    if refusal is not None:
        return await _refuse(conn, ask, refusal, pg=pg)
    assert state is not None  # registration_known refuses a missing registration
    refusal = rules.first_refusal(state, version, ask)
    if refusal is not None:
        return await _refuse(conn, ask, refusal, registration_id, version, state, pg=pg)
    values = _scan_values(ask, ScanResult.OK, registration_id, version)
    if pg:
        scan_id, detail = await presence.record_and_move(conn, values, state, ask)
        if scan_id is None:
            raise _NonceTaken
    else:
        scan_id = await _record(conn, values, pg=False)
        detail = await presence.move(conn, registration_id, state, ask, scan_id)
    return _admitted(ask, registration_id, state, scan_id, detail)


def _admitted(ask: ScanRequest, registration_id: int, state: Row[Any], scan_id: int, detail: str | None) -> Verdict:
    who = {"registration_id": registration_id, **holder(state)}
    return Verdict(ScanResult.OK, detail=detail, scan_id=scan_id, **ask.where(), **who)


async def _refuse(
    conn: AsyncConnection,
    ask: ScanRequest,
    refusal: Refusal,
    registration_id: int | None = None,
    version: int | None = None,
    state: Row[Any] | None = None,
    *,
    pg: bool,
) -> Verdict:
    """Record a refused scan; its verdict (who, for a known registration; for a duplicate,
    since when and by whom they are inside)."""
    scan_id = await _record(conn, _scan_values(ask, refusal.result, registration_id, version), pg=pg)
    return await _refused(conn, ask, refusal, scan_id, registration_id, state)


async def _refused(
    conn: AsyncConnection,
    ask: ScanRequest,
    refusal: Refusal,
    scan_id: int,
    registration_id: int | None,
    state: Row[Any] | None,
) -> Verdict:
    """The verdict of a refused scan stored as `scan_id`."""
    previous = None
    if refusal.result is ScanResult.DUPLICATE and state is not None:
        previous = await presence.previous_scan(conn, state)
    return _refusal(ask, refusal, scan_id, registration_id, state, previous)


def _refusal(
    ask: ScanRequest,
    refusal: Refusal,
    scan_id: int,
    registration_id: int | None,
    state: Any,
    previous: tuple[int | None, str | None] | None,
) -> Verdict:
    """A refusal's verdict (who, for a known registration; for a duplicate, since when and
    by whom they are inside: `previous`, the staff and gate of the scan that let them in)."""
    who: dict[str, Any] = {}
    if state is not None:
        who = {"registration_id": registration_id, **holder(state)}
    if refusal.result is ScanResult.DUPLICATE and state is not None and previous is not None:
        by, gate = previous
        who |= {"already_at": state.since, "already_by": by, "already_gate": gate}
    return Verdict(refusal.result, detail=refusal.detail, scan_id=scan_id, **ask.where(), **who)


def _scan_values(
    ask: ScanRequest, result: ScanResult, registration_id: int | None, version: int | None
) -> dict[str, Any]:
    return t.scan_params(
        conference_id=ask.conference_id,
        registration_id=registration_id,
        agenda_item_id=ask.item_id,
        direction=ask.direction,
        result=result,
        scanned_at=ask.now,
        staff_telegram_id=ask.staff,
        gate=ask.gate,
        badge_version=version,
        raw=ask.raw,
        nonce=ask.nonce,
    )


async def _record(conn: AsyncConnection, values: dict[str, Any], *, pg: bool) -> int:
    """Insert the Scan row; its id (PostgreSQL: _NonceTaken if its nonce is stored already)."""
    row = (await conn.execute(t.insert_scan(pg=pg), values)).first()
    if row is None:
        raise _NonceTaken
    return int(row[0])
