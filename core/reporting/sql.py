"""Query pieces every report shares: the tables, what an accepted entry is, who was checked
in on a day, who is inside now. SQLAlchemy Core on the session's connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core import joins
from core.models import (
    AgendaItem,
    AgendaSignup,
    AuditLog,
    Presence,
    RegistrationStatus,
    Scan,
    ScanDirection,
    ScanResult,
)

REG, PART, DELEG = joins.REGISTRATION, joins.PERSON, joins.DELEGATION
SCAN = Scan.__table__  # type: ignore[attr-defined]
ITEM = AgendaItem.__table__  # type: ignore[attr-defined]
SIGNUP = AgendaSignup.__table__  # type: ignore[attr-defined]
PRESENCE = Presence.__table__  # type: ignore[attr-defined]
AUDIT = AuditLog.__table__  # type: ignore[attr-defined]

OK, IN = ScanResult.OK.value, ScanDirection.IN.value
APPROVED = RegistrationStatus.APPROVED.value


def entry_conditions(
    conference_id: int, start: datetime | None = None, end: datetime | None = None
) -> list[ColumnElement[bool]]:
    """Conditions for accepted entry scans of a conference (within [start, end))."""
    where: list[ColumnElement[bool]] = [
        SCAN.c.conference_id == conference_id,
        SCAN.c.result == OK,
        SCAN.c.direction == IN,
    ]
    if start is not None:
        where.append(SCAN.c.scanned_at >= start)
    if end is not None:
        where.append(SCAN.c.scanned_at < end)
    return where


def item_entries() -> list[ColumnElement[bool]]:
    """Accepted entries, for queries that name agenda items (of one conference already):
    served by ix_scan_report_item."""
    return [SCAN.c.result == OK, SCAN.c.direction == IN]


def came_to(item_id: Any) -> Any:
    """EXISTS an accepted entry of the sign-up's person at `item_id` (a value or a column)."""
    return exists().where(
        SCAN.c.registration_id == SIGNUP.c.registration_id,
        SCAN.c.agenda_item_id == item_id,
        SCAN.c.result == OK,
        SCAN.c.direction == IN,
    )


def present_ids(conference_id: int, start: datetime, end: datetime) -> Any:
    """Registration ids checked in within [start, end) (a subquery for IN)."""
    return select(SCAN.c.registration_id).where(
        *entry_conditions(conference_id, start, end), SCAN.c.registration_id.is_not(None)
    )


def inside_now(conference_id: int, since: datetime) -> list[ColumnElement[bool]]:
    """Registrations of the conference inside now (entered since `since`, today's start)."""
    return [REG.c.conference_id == conference_id, PRESENCE.c.inside.is_(True), PRESENCE.c.since >= since]


def enum_text(value: Any) -> str:
    """An enum column's value as text (drivers return the enum or its value)."""
    return str(getattr(value, "value", value))


async def rows(session: AsyncSession, stmt: Any) -> list[Any]:
    conn = await session.connection()
    return list((await conn.execute(stmt)).all())
