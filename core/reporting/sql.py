"""Query pieces every report shares: the tables, what an accepted entry is, who is inside
now (who was checked in on a day: the summary, core/reporting/summary.py). SQLAlchemy Core
on the session's connection."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import exists, func, literal_column, select
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
    served by ix_scan_report_item, a partial index of exactly these (core.models.scan). The
    values are written into the SQL, not bound: neither database takes `result = ?` as
    proof of the index's `result = 'ok'` (PostgreSQL may, until it switches a prepared
    statement to its generic plan)."""
    return [SCAN.c.result == literal_column(f"'{OK}'"), SCAN.c.direction == literal_column(f"'{IN}'")]


def came_to(item_id: Any, among: list[int] | None = None) -> Any:
    """EXISTS an accepted entry of the sign-up's person at `item_id` (a value or a column).
    With `among` (the item ids the caller reads; `item_id` is a column), the scans are also
    bounded to those items: PostgreSQL then reads them from ix_scan_report_item instead of
    de-duplicating every accepted entry of the table for a semi-join (10x on 500k scans)."""
    where = [
        SCAN.c.registration_id == SIGNUP.c.registration_id,
        SCAN.c.agenda_item_id == item_id,
        *item_entries(),
    ]
    if among is not None:
        where.append(SCAN.c.agenda_item_id.in_(among))
    return exists().where(*where)


def inside_now(conference_id: int, since: datetime) -> list[ColumnElement[bool]]:
    """Registrations of the conference inside now (entered since `since`, today's start)."""
    return [REG.c.conference_id == conference_id, PRESENCE.c.inside.is_(True), PRESENCE.c.since >= since]


def counts_per_span(where: list[ColumnElement[bool]], start: datetime, width: timedelta, n: int) -> Any:
    """One row of `n` counts: scans matching `where` in [start + i*width, start + (i+1)*width).
    Each count is an index range (ix_scan_report_day, index-only), so a chart costs about one
    pass over its day's entries; grouping by a time expression instead computes it per row
    and sorts (SQLite) or hashes them (10-20x slower on 500k scans)."""
    bounds = [start + i * width for i in range(n + 1)]
    return select(
        *(
            select(func.count())
            .select_from(SCAN)
            .where(*where, SCAN.c.scanned_at >= lo, SCAN.c.scanned_at < hi)
            .scalar_subquery()
            for lo, hi in pairwise(bounds)
        )
    )


def enum_text(value: Any) -> str:
    """An enum column's value as text (drivers return the enum or its value)."""
    return str(getattr(value, "value", value))


async def rows(session: AsyncSession, stmt: Any) -> list[Any]:
    conn = await session.connection()
    return list((await conn.execute(stmt)).all())
