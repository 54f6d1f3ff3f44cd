"""Where a badge is (its Presence row), read under lock, and moved by an admitted scan.

The Presence row is the lock that makes one badge's scans serialise. PostgreSQL: the row is
created if missing (INSERT … ON CONFLICT DO NOTHING) and read with SELECT … FOR UPDATE, so
two doors scanning one badge at once take turns. SQLite: every transaction begins
IMMEDIATE (core.db), so the whole unit of work holds the database's write lock, across
processes too (two kiosks on one file); the row may not exist yet (it is inserted on entry).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.checkin import tables as t
from core.checkin.scanned import ScanRequest
from core.models import ScanDirection

_presence = t.presence
_prev = t.previous_scan


def _select_state(registration_id: int, *, pg: bool):  # type: ignore[no-untyped-def]
    """The registration, its holder, its conference's time zone, its presence and the scan
    that last moved it: one SELECT (… FOR UPDATE of the presence row on PostgreSQL)."""
    reg, part, deleg, conf = t.registration, t.participant, t.delegation, t.conference
    cols = (
        *(reg.c.id, reg.c.conference_id, reg.c.status, reg.c.category, reg.c.badge_version),
        *(part.c.full_name, part.c.native_name, deleg.c.name, conf.c.timezone),
        *(_presence.c.inside, _presence.c.agenda_item_id, _presence.c.since, _presence.c.last_scan_id),
        *(_prev.c.staff_telegram_id, _prev.c.gate),
    )
    joined = (
        reg.join(part, part.c.id == reg.c.participant_id)
        .join(conf, conf.c.id == reg.c.conference_id)
        .outerjoin(deleg, deleg.c.id == reg.c.delegation_id)
    )
    if pg:  # the presence row exists (upserted just before) and is the lock
        joined = joined.join(_presence, _presence.c.registration_id == reg.c.id)
    else:
        joined = joined.outerjoin(_presence, _presence.c.registration_id == reg.c.id)
    joined = joined.outerjoin(_prev, _prev.c.id == _presence.c.last_scan_id)
    stmt = select(*cols).select_from(joined).where(reg.c.id == registration_id)
    if pg:
        stmt = stmt.with_for_update(of=_presence)
    return stmt


async def read_locked(conn: AsyncConnection, registration_id: int, now: datetime) -> Row[Any] | None:
    """The badge's state (see `_select_state`), its presence row locked; None for an
    unknown registration. `inside` is None where no presence row exists yet (SQLite)."""
    pg = conn.dialect.name == "postgresql"
    if pg:
        reg = t.registration
        await conn.execute(
            pg_insert(_presence)
            .from_select(
                ["registration_id", "inside", "since"],
                select(reg.c.id, literal(False), literal(now, _presence.c.since.type)).where(
                    reg.c.id == registration_id
                ),
            )
            .on_conflict_do_nothing(index_elements=["registration_id"])
        )
    return (await conn.execute(_select_state(registration_id, pg=pg))).first()


def place_after(
    inside: bool, here: int | None, direction: ScanDirection, item_id: int | None
) -> tuple[bool, int | None, str | None]:
    """(inside, agenda item, detail) after an admitted scan at `item_id` (None: the venue),
    for a badge `inside` at `here`. "in": there (a hall is inside the venue). "out" of the
    venue: outside. "out" of the hall they are in: back to the venue. "out" where they are
    not: "was_not_inside", outside (venue) or as they were. Pure: the offline kiosk and the
    upload's replay of merged scans move presence with it too."""
    if direction is ScanDirection.IN:
        return True, item_id, None
    if item_id is None:  # leaving the venue
        return False, None, None if inside else "was_not_inside"
    if inside and here == item_id:  # leaving this hall, still at the venue
        return True, None, None
    return inside, here, "was_not_inside"


def next_place(state: Row[Any], ask: ScanRequest) -> tuple[bool, int | None, str | None]:
    """`place_after` for the badge's state row and this scan."""
    return place_after(bool(state.inside), state.agenda_item_id, ask.direction, ask.item_id)


async def move(
    conn: AsyncConnection, registration_id: int, state: Row[Any], ask: ScanRequest, scan_id: int
) -> str | None:
    """Write the presence `next_place` gives (since = now if it changed or on entry); its detail."""
    new_inside, new_item, detail = next_place(state, ask)
    values: dict[str, Any] = {"inside": new_inside, "agenda_item_id": new_item, "last_scan_id": scan_id}
    if (new_inside, new_item) != (bool(state.inside), state.agenda_item_id) or ask.direction is ScanDirection.IN:
        values["since"] = ask.now
    if state.inside is None:  # no presence row yet (SQLite path)
        await conn.execute(insert(_presence).values(registration_id=registration_id, **{"since": ask.now, **values}))
    else:
        await conn.execute(update(_presence).where(_presence.c.registration_id == registration_id).values(**values))
    return detail
