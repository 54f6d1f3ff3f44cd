"""Idempotent scans: the verdict of the scan stored with a nonce (the Telegram message or
the kiosk's line), rebuilt from the database, so that the same nonce again gets the first
verdict and stores nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.checkin import tables as t
from core.checkin.verdict import Verdict, holder
from core.models import ScanDirection, ScanResult


async def replay(session: AsyncSession, nonce: str) -> Verdict | None:
    """The verdict of the scan stored with `nonce`, rebuilt from the database, or None."""
    conn = await session.connection()
    s = (await conn.execute(select(t.scan).where(t.scan.c.nonce == nonce))).first()
    if s is None:
        return None
    result = ScanResult(s.result)
    who = await _holder(conn, s.registration_id) if s.registration_id is not None else {}
    dup = await _entry_before(conn, s) if result is ScanResult.DUPLICATE and s.registration_id is not None else {}
    return Verdict(
        result,
        at=s.scanned_at,
        detail="replayed",
        registration_id=s.registration_id,
        direction=ScanDirection(s.direction),
        agenda_item_id=s.agenda_item_id,
        gate=s.gate,
        scan_id=s.id,
        replayed=True,
        **who,
        **dup,
    )


async def _holder(conn: AsyncConnection, registration_id: int) -> dict[str, Any]:
    """The verdict's fields about the registration's holder ({} if it is gone)."""
    reg, part, deleg = t.registration, t.participant, t.delegation
    row = (
        await conn.execute(
            select(part.c.full_name, part.c.native_name, deleg.c.name, reg.c.category)
            .select_from(
                reg.join(part, part.c.id == reg.c.participant_id).outerjoin(deleg, deleg.c.id == reg.c.delegation_id)
            )
            .where(reg.c.id == registration_id)
        )
    ).first()
    return holder(row) if row is not None else {}


async def _entry_before(conn: AsyncConnection, duplicate: Row[Any]) -> dict[str, Any]:
    """A duplicate's `already_*` fields: the last admitted entry before it (at the same
    hall for a hall scan, anywhere for the venue), {} if there is none."""
    scan = t.scan
    conditions = [
        scan.c.registration_id == duplicate.registration_id,
        scan.c.id < duplicate.id,
        scan.c.result == ScanResult.OK,
        scan.c.direction == ScanDirection.IN,
    ]
    if duplicate.agenda_item_id is not None:  # a hall: the entry into that hall
        conditions.append(scan.c.agenda_item_id == duplicate.agenda_item_id)
    query = select(scan.c.scanned_at, scan.c.staff_telegram_id, scan.c.gate).where(and_(*conditions))
    first = (await conn.execute(query.order_by(scan.c.id.desc()).limit(1))).first()
    return {"already_at": first[0], "already_by": first[1], "already_gate": first[2]} if first is not None else {}
