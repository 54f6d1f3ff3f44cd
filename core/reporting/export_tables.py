"""What each export holds: its columns and its rows, streamed from the database.

A table is a list of columns (header, database column, how its value is shown). Times are
conference-local, without offset (spreadsheets have no time zones); the header says which
zone ("{tz}" in a header is the conference's time zone).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.joins import registrations_with_people_and_delegations
from core.models import Conference, RegistrationStatus, pick
from core.reporting.days import conference_days, day_bounds, zone
from core.reporting.sql import DELEG, ITEM, PART, PRESENCE, REG, SCAN, entry_conditions, enum_text

Cell = str | int | float | datetime | date | None
Table = tuple[list[str], AsyncIterator[Sequence[Cell]]]


@dataclass(frozen=True)
class Col:
    header: str
    column: Any
    shown: str = ""  # "": as stored; "enum": its value; "en": the English name; "local": local
    # time; "venue": an agenda item's code, "venue" for none (the entrance)


class _Local:
    def __init__(self, conference: Conference) -> None:
        self.tz = zone(conference)

    def __call__(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.tz).replace(tzinfo=None, microsecond=0) if moment else None


def _english(name: dict[str, str] | None) -> str | None:
    return pick(name, "en") if name else None


def _cells(columns: Sequence[Col], conference: Conference) -> Callable[[Sequence[Any]], list[Cell]]:
    """The function that turns a row of `columns` into its cells."""
    shown: dict[str, Callable[[Any], Cell] | None] = {
        "": None,
        "enum": enum_text,
        "en": _english,
        "local": _Local(conference),
        "venue": lambda code: code or "venue",
    }
    convert = [shown[c.shown] for c in columns]
    return lambda row: [v if f is None else f(v) for v, f in zip(row, convert, strict=False)]


def _headers(columns: Sequence[Col], conference: Conference) -> list[str]:
    return [c.header.format(tz=conference.timezone) for c in columns]


async def _stream(session: AsyncSession, stmt: Any) -> AsyncIterator[Any]:
    """The rows of `stmt`, fetched 2,000 at a time. Rows are handed on from each batch:
    iterating the async result row by row costs a greenlet switch per row (about half the
    time of an export of 50,000 registrations)."""
    conn = await session.connection()
    result = await conn.stream(stmt.execution_options(yield_per=2000))
    async for batch in result.partitions():
        for row in batch:
            yield row


def _select(columns: Sequence[Col]) -> Any:
    return select(*(c.column for c in columns))


async def _plain(session: AsyncSession, conference: Conference, columns: Sequence[Col], stmt: Any) -> Table:
    """A table whose every cell is one column of `stmt` (it selects `columns`)."""
    cells = _cells(columns, conference)

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        async for r in _stream(session, stmt):
            yield cells(r)

    return _headers(columns, conference), rows()


PERSON = (
    Col("registration_id", REG.c.id),
    Col("full_name", PART.c.full_name),
    Col("native_name", PART.c.native_name),
    Col("delegation_code", DELEG.c.code),
    Col("delegation", DELEG.c.name, "en"),
    Col("category", REG.c.category, "enum"),
)

REGISTRATIONS = (
    *PERSON,
    Col("status", REG.c.status, "enum"),
    Col("position", PART.c.position),
    Col("organisation", PART.c.organisation),
    Col("email", PART.c.email),
    Col("telegram_username", PART.c.telegram_username),
    Col("source", REG.c.source),
    Col("badge_version", REG.c.badge_version),
    Col("badge_print_count", REG.c.badge_print_count),
    Col("registered_at ({tz})", REG.c.created_at, "local"),
    Col("decided_at ({tz})", REG.c.decided_at, "local"),
)

SCANS = (
    Col("scan_id", SCAN.c.id),
    Col("scanned_at ({tz})", SCAN.c.scanned_at, "local"),
    Col("registration_id", SCAN.c.registration_id),
    Col("full_name", PART.c.full_name),
    Col("delegation_code", DELEG.c.code),
    Col("direction", SCAN.c.direction, "enum"),
    Col("result", SCAN.c.result, "enum"),
    Col("place", ITEM.c.code, "venue"),
    Col("gate", SCAN.c.gate),
    Col("staff_telegram_id", SCAN.c.staff_telegram_id),
    Col("badge_version", SCAN.c.badge_version),
)


async def registrations(session: AsyncSession, conference: Conference) -> Table:
    stmt = (
        _select(REGISTRATIONS)
        .select_from(registrations_with_people_and_delegations())
        .where(REG.c.conference_id == conference.id)
        .order_by(REG.c.id)
    )
    return await _plain(session, conference, REGISTRATIONS, stmt)


async def scans(session: AsyncSession, conference: Conference) -> Table:
    stmt = (
        _select(SCANS)
        .select_from(
            SCAN.outerjoin(REG, REG.c.id == SCAN.c.registration_id)
            .outerjoin(PART, PART.c.id == REG.c.participant_id)
            .outerjoin(DELEG, DELEG.c.id == REG.c.delegation_id)
            .outerjoin(ITEM, ITEM.c.id == SCAN.c.agenda_item_id)
        )
        .where(SCAN.c.conference_id == conference.id)
        .order_by(SCAN.c.scanned_at, SCAN.c.id)
    )
    return await _plain(session, conference, SCANS, stmt)


async def _entries(
    session: AsyncSession, conference: Conference, days: list[date]
) -> tuple[list[set[int]], dict[int, tuple[datetime, datetime]]]:
    """Per conference day, the registrations checked in; per registration, its first and
    last accepted entry (on any day, before and after the conference's too). One grouped
    read of each day's entries (ix_scan_report_day, index-only), plus the time before and
    after: grouping all of them by registration at once made SQLite walk
    ix_scan_registration_at and read every scan row (1 s on 500,000 scans)."""
    assert conference.id is not None
    conn = await session.connection()
    bounds = [day_bounds(conference, day) for day in days]
    spans = [(None, bounds[0][0]), *bounds, (bounds[-1][1], None)] if bounds else [(None, None)]
    present: list[set[int]] = []
    first_last: dict[int, tuple[datetime, datetime]] = {}
    for start, end in spans:
        stmt = (
            select(SCAN.c.registration_id, func.min(SCAN.c.scanned_at), func.max(SCAN.c.scanned_at))
            .where(*entry_conditions(conference.id, start, end), SCAN.c.registration_id.is_not(None))
            .group_by(SCAN.c.registration_id)
        )
        seen = set()
        for reg_id, first, last in await conn.execute(stmt):
            seen.add(reg_id)
            known = first_last.get(reg_id)
            first_last[reg_id] = (min(known[0], first), max(known[1], last)) if known else (first, last)
        present.append(seen)
    return present[1:-1] if bounds else [], first_last


async def attendance(session: AsyncSession, conference: Conference, now: datetime) -> Table:
    """One row per approved registration: present on each conference day, first and last entry."""
    assert conference.id is not None
    days = conference_days(conference)
    present, span = await _entries(session, conference, days)
    today_start, _ = day_bounds(conference, now.astimezone(zone(conference)).date())
    tz = conference.timezone
    headers = [
        *_headers(PERSON, conference),
        *[f"present {d.isoformat()}" for d in days],
        "days_present",
        f"first_entry ({tz})",
        f"last_entry ({tz})",
        "inside_now",
    ]
    stmt = (
        _select(PERSON)
        .add_columns(PRESENCE.c.inside, PRESENCE.c.since)
        .select_from(
            registrations_with_people_and_delegations().outerjoin(PRESENCE, PRESENCE.c.registration_id == REG.c.id)
        )
        .where(REG.c.conference_id == conference.id, REG.c.status == RegistrationStatus.APPROVED.value)
        .order_by(REG.c.id)
    )
    person, local = _cells(PERSON, conference), _Local(conference)

    async def rows() -> AsyncIterator[Sequence[Cell]]:
        async for r in _stream(session, stmt):
            marks = ["yes" if r[0] in seen else "" for seen in present]
            first, last = span.get(r[0], (None, None))
            inside = bool(r[6]) and r[7] is not None and r[7] >= today_start
            yield [*person(r), *marks, sum(1 for m in marks if m), local(first), local(last), "yes" if inside else ""]

    return headers, rows()
