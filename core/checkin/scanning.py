"""`scan()`: judge one scanned code by the rules (core.checkin.rules), record it as a Scan
row, move the badge's presence (core.checkin.presence). Runs inside the caller's unit of
work (core.uow: the kiosk around each line, the bot around each update) and never commits.

Every scan is stored, failed ones too (registration_id None for invalid), with what was
scanned in `raw` (see core.checkin.scanned). A nonce makes a scan idempotent
(core.checkin.replay). The judging runs in a savepoint: should a write still collide (a
presence row created by another door after this scan read none, or the same nonce stored
by a concurrent scan first), only the savepoint is rolled back and the scan is judged once
more afresh: the later door gets `duplicate` (or the first verdict), never an IntegrityError.

The hot path is SQLAlchemy Core on the session's connection (one SELECT with joins, one
INSERT … RETURNING, one UPDATE or INSERT of presence).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.checkin import presence, rules
from core.checkin import tables as t
from core.checkin.replay import replay
from core.checkin.scanned import ScanRequest, read_scanned
from core.checkin.verdict import Refusal, Verdict, holder
from core.clock import Clock, utc_now
from core.errors import NotFound
from core.models import ScanDirection, ScanResult


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
    readable, raw = read_scanned(text)
    ask = ScanRequest(
        conference_id=conference_id,
        text=readable,
        raw=raw,
        staff=staff_telegram_id,
        gate=(gate or "")[:64],
        item_id=agenda_item_id,
        direction=direction,
        nonce=nonce,
        secret=secret,
        now=clock(),
        allowed=await _allowed_categories(session, conference_id, agenda_item_id),
    )
    for attempt in (1, 2):
        try:
            async with session.begin_nested():
                return await _judge_and_record(await session.connection(), ask)
        except IntegrityError:
            if nonce is not None and (earlier := await replay(session, nonce)) is not None:
                return earlier  # the same nonce, stored by a concurrent scan first
            if attempt == 2:
                raise
            # another door created this badge's presence row after our read: judge afresh
    raise AssertionError("unreachable")


async def _allowed_categories(session: AsyncSession, conference_id: int, item_id: int | None) -> tuple[str, ...]:
    """The categories a hall admits (empty: everyone, and for the venue)."""
    if item_id is None:
        return ()
    item = t.agenda_item
    conn = await session.connection()
    row = (
        await conn.execute(
            select(item.c.allowed_categories).where(item.c.id == item_id, item.c.conference_id == conference_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"agenda item {item_id} not found in this conference", id=item_id)
    return tuple(row[0] or ())


async def _judge_and_record(conn: AsyncConnection, ask: ScanRequest) -> Verdict:
    """The rules in order; the first refusal is the verdict, else the badge is admitted and
    its presence moves. Either way the scan is recorded."""
    checked = rules.badge_token(ask.text, ask.secret)
    if isinstance(checked, Refusal):
        return await _refuse(conn, ask, checked)
    registration_id, version = checked
    state = await presence.read_locked(conn, registration_id, ask.now)
    refusal = rules.registration_known(state, ask)
    if refusal is not None:
        return await _refuse(conn, ask, refusal)
    assert state is not None  # registration_known refuses a missing registration
    refusal = rules.first_refusal(state, version, ask)
    if refusal is not None:
        return await _refuse(conn, ask, refusal, registration_id, version, state)
    scan_id = await _record(conn, ask, ScanResult.OK, registration_id, version)
    detail = await presence.move(conn, registration_id, state, ask, scan_id)
    who = {"registration_id": registration_id, **holder(state)}
    return Verdict(ScanResult.OK, detail=detail, scan_id=scan_id, **ask.where(), **who)


async def _refuse(
    conn: AsyncConnection,
    ask: ScanRequest,
    refusal: Refusal,
    registration_id: int | None = None,
    version: int | None = None,
    state: Row[Any] | None = None,
) -> Verdict:
    """Record a refused scan; its verdict (who, for a known registration; for a duplicate,
    since when and by whom they are inside)."""
    scan_id = await _record(conn, ask, refusal.result, registration_id, version)
    who: dict[str, Any] = {}
    if state is not None:
        who = {"registration_id": registration_id, **holder(state)}
    if refusal.result is ScanResult.DUPLICATE and state is not None:
        who |= {"already_at": state.since, "already_by": state.staff_telegram_id, "already_gate": state.gate}
    return Verdict(refusal.result, detail=refusal.detail, scan_id=scan_id, **ask.where(), **who)


async def _record(
    conn: AsyncConnection,
    ask: ScanRequest,
    result: ScanResult,
    registration_id: int | None = None,
    version: int | None = None,
) -> int:
    """Insert the Scan row; its id."""
    row = await conn.execute(
        insert(t.scan)
        .values(
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
        .returning(t.scan.c.id)
    )
    return int(row.scalar_one())
