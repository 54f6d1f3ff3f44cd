"""Who is here, in numbers: the /stats summary by status and category, presence by
delegation (and at the high-level sessions), by day, and entries per hour (the chart).

Every figure is one indexed query with GROUP BY in SQL; Python only merges a few dozen
grouped rows. Who was checked in on a day, and a day's scan counts, are read from the
attendance summary (`attendance_day`, `attendance_tally`: core/reporting/summary.py), which
each of these reports folds first: a report may write, so it needs a writable unit of work.
The definitions (checked in, inside now, high-level) are in the package's docstring
(core/reporting/__init__.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.models import AgendaKind, Category, Conference, RegistrationStatus, pick
from core.reporting import summary
from core.reporting.days import conference_days, day_bounds, report_day, today_start, zone
from core.reporting.sql import (
    APPROVED,
    DELEG,
    ITEM,
    PRESENCE,
    REG,
    SCAN,
    counts_per_span,
    entry_conditions,
    enum_text,
    inside_now,
    item_entries,
    rows,
)


def _report_span(conference: Conference, day: date | None, clock: Clock) -> tuple[int, date, datetime, datetime]:
    """The conference's id, the day a report shows (`day`, else `report_day`), its [start, end)."""
    assert conference.id is not None
    day = day or report_day(conference, clock)
    start, end = day_bounds(conference, day)
    return conference.id, day, start, end


# -- /stats ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryLine:
    category: str
    registered: int = 0
    pending: int = 0
    approved: int = 0
    checked_in: int = 0
    inside: int = 0


@dataclass(frozen=True)
class Stats:
    conference: str
    timezone: str
    day: date
    registered: int
    pending: int
    approved: int
    rejected: int
    cancelled: int
    checked_in: int
    inside: int
    by_category: list[CategoryLine] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return data


async def _checked(session: AsyncSession, conference_id: int, day: date, *group: str) -> list[Any]:
    """(*group, people checked in on `day`), `group` columns of the summary: its rows carry
    their registration's category and delegation (copies: core/models/attendance.py,
    migration 0013), so this reads ix_attendance_day_report alone (SQLite looked up the day's ~48,000
    registrations by id before: ~20 ms at 50,000 registrations)."""
    t = summary.DAY
    columns = [t.c[name] for name in group]
    return await rows(
        session,
        select(*columns, func.count()).where(t.c.conference_id == conference_id, t.c.day == day).group_by(*columns),
    )


async def _inside(session: AsyncSession, conference_id: int, since: datetime, group: str) -> list[Any]:
    """(`group`, registrations inside now: entered since `since`), `group` a registration
    column. On SQLite the registrations are read in id order (ix_registration_id_report) and
    grouped after: each presence row looked up (keyed by registration id) is then the one
    after the last, which SQLite steps to instead of searching for (11 ms instead of 15 at
    50,000 registrations read in delegation order). PostgreSQL hashes the join: no order."""
    inside = (
        select(REG.c[group])
        .select_from(REG.join(PRESENCE, PRESENCE.c.registration_id == REG.c.id))
        .where(*inside_now(conference_id, since))
    )
    if (await session.connection()).dialect.name == "sqlite":
        inside = inside.order_by(REG.c.id)
    found = inside.subquery()
    return await rows(session, select(found.c[group], func.count()).group_by(found.c[group]))


def _sums(found: list[Any]) -> list[tuple[Any, int]]:
    """(key, n): rows (key, ..., n) summed by their first column."""
    sums: dict[Any, int] = {}
    for row in found:
        sums[row[0]] = sums.get(row[0], 0) + int(row[-1])
    return list(sums.items())


def _category_lines(by_status: list[Any], checked: list[Any], inside: list[Any]) -> list[CategoryLine]:
    lines: dict[str, dict[str, int]] = {c.value: {} for c in Category}
    for category, status, n in by_status:
        line = lines.setdefault(enum_text(category), {})
        line[enum_text(status)] = line.get(enum_text(status), 0) + int(n)
    for category, n in checked:
        lines.setdefault(enum_text(category), {})["checked_in"] = int(n)
    for category, n in inside:
        lines.setdefault(enum_text(category), {})["inside"] = int(n)
    return [
        CategoryLine(
            cat,
            registered=sum(v.get(s.value, 0) for s in RegistrationStatus),
            pending=v.get("pending", 0),
            approved=v.get(APPROVED, 0),
            checked_in=v.get("checked_in", 0),
            inside=v.get("inside", 0),
        )
        for cat, v in lines.items()
        if v
    ]


async def stats(
    session: AsyncSession, conference: Conference, *, day: date | None = None, clock: Clock = utc_now
) -> Stats:
    """Registrations by status, checked in on `day` (default today), inside now; by category."""
    cid, day, _, _ = _report_span(conference, day, clock)
    await summary.refresh(session, conference, clock=clock)
    by_status = await rows(
        session,
        select(REG.c.category, REG.c.status, func.count())
        .where(REG.c.conference_id == cid)
        .group_by(REG.c.category, REG.c.status),
    )
    # in the index's order (delegation, category): no sort; summed by category here
    checked = _sums([(c, d, n) for d, c, n in await _checked(session, cid, day, "delegation_id", "category")])
    inside = await _inside(session, cid, today_start(conference, clock), "category")
    by_category = _category_lines(by_status, checked, inside)
    totals: dict[str, int] = {s.value: 0 for s in RegistrationStatus}
    for _, status, n in by_status:
        totals[enum_text(status)] += int(n)
    return Stats(
        conference=conference.slug,
        timezone=conference.timezone,
        day=day,
        registered=sum(totals.values()),
        pending=totals["pending"],
        approved=totals[APPROVED],
        rejected=totals["rejected"],
        cancelled=totals["cancelled"],
        checked_in=sum(c.checked_in for c in by_category),
        inside=sum(c.inside for c in by_category),
        by_category=by_category,
    )


async def by_category(
    session: AsyncSession, conference: Conference, *, day: date | None = None, clock: Clock = utc_now
) -> list[CategoryLine]:
    return (await stats(session, conference, day=day, clock=clock)).by_category


# -- by delegation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DelegationLine:
    delegation_id: int | None  # None: people without a delegation
    code: str
    name: dict[str, str]
    accredited: int = 0
    present: int = 0
    inside: int = 0
    high_level: int = 0

    def label(self, language: str) -> str:
        return pick(self.name, language) or self.code


@dataclass(frozen=True)
class DelegationReport:
    day: date
    lines: list[DelegationLine]
    high_level_items: int  # how many high-level items the conference has

    @property
    def with_members(self) -> list[DelegationLine]:
        return [d for d in self.lines if d.delegation_id is not None and d.accredited]

    @property
    def present_high_level(self) -> int:
        """Delegations with at least one member at a high-level session."""
        return sum(1 for d in self.with_members if d.high_level)

    @property
    def present_today(self) -> int:
        return sum(1 for d in self.with_members if d.present)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "high_level_items": self.high_level_items,
            "delegations": len(self.with_members),
            "delegations_present": self.present_today,
            "delegations_at_high_level": self.present_high_level,
            "lines": [asdict(d) for d in self.lines],
        }


async def by_delegation(
    session: AsyncSession, conference: Conference, *, day: date | None = None, clock: Clock = utc_now
) -> DelegationReport:
    cid, day, _, _ = _report_span(conference, day, clock)
    await summary.refresh(session, conference, clock=clock)
    # the ids as values: SQLite then reads their entries from ix_scan_report_item instead
    # of skip-scanning every accepted entry for a subquery's ids
    hl_ids = [
        int(r[0])
        for r in await rows(
            session, select(ITEM.c.id).where(ITEM.c.conference_id == cid, ITEM.c.kind == AgendaKind.HIGH_LEVEL.value)
        )
    ]
    group = REG.c.delegation_id
    delegations = await rows(
        session, select(DELEG.c.id, DELEG.c.code, DELEG.c.name).where(DELEG.c.conference_id == cid)
    )
    high_level = REG.c.id.in_(select(SCAN.c.registration_id).where(*item_entries(), SCAN.c.agenda_item_id.in_(hl_ids)))
    counted = {
        "accredited": await rows(
            session,
            select(group, func.count()).where(REG.c.conference_id == cid, REG.c.status == APPROVED).group_by(group),
        ),
        "present": await _checked(session, cid, day, "delegation_id"),
        "inside": await _inside(session, cid, today_start(conference, clock), "delegation_id"),
        "high_level": await rows(
            session, select(group, func.count()).where(REG.c.conference_id == cid, high_level).group_by(group)
        ),
    }
    counts: dict[int | None, dict[str, int]] = {}
    for key, found in counted.items():
        for delegation_id, n in found:
            counts.setdefault(delegation_id, {})[key] = int(n)
    lines = [DelegationLine(d_id, code, dict(name or {}), **counts.get(d_id, {})) for d_id, code, name in delegations]
    lines.sort(key=lambda d: (-d.accredited, d.code))
    if None in counts:
        lines.append(DelegationLine(None, "—", {}, **counts[None]))
    return DelegationReport(day, lines, len(hl_ids))


# -- by day ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayLine:
    day: date
    present: int  # distinct people checked in
    entries: int  # ok entry scans at the venue entrance
    refused: int  # scans that were not ok (invalid, revoked, not approved, ...)

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "present": self.present, "entries": self.entries, "refused": self.refused}


async def by_day(session: AsyncSession, conference: Conference, *, clock: Clock = utc_now) -> list[DayLine]:
    """Each conference day: people checked in, entries at the venue entrance, refused scans
    (all scans - accepted ones), from the summary (attendance_day, attendance_tally; folded
    with `clock`, as every report folds with its own)."""
    assert conference.id is not None
    await summary.refresh(session, conference, clock=clock)
    days = conference_days(conference)
    cid, day_col = conference.id, summary.DAY.c.day
    present = dict(
        await rows(
            session,
            select(day_col, func.count())
            .where(summary.DAY.c.conference_id == cid, day_col >= days[0], day_col <= days[-1])
            .group_by(day_col),
        )
    )
    t = summary.TALLY
    counts = {
        day: (int(entries), int(scans) - int(accepted))
        for day, scans, accepted, entries in await rows(
            session,
            select(t.c.day, t.c.scans, t.c.accepted, t.c.entries).where(
                t.c.conference_id == cid, t.c.day >= days[0], t.c.day <= days[-1]
            ),
        )
    }
    return [DayLine(day, int(present.get(day, 0)), *counts.get(day, (0, 0))) for day in days]


# -- per hour (the chart) ----------------------------------------------------------------------


@dataclass(frozen=True)
class HourCount:
    hour: datetime  # conference-local start of the hour
    entries: int


async def checkins_per_hour(
    session: AsyncSession, conference: Conference, *, day: date | None = None, clock: Clock = utc_now
) -> list[HourCount]:
    """OK entry scans at the venue entrance per local hour of `day` (every hour 0-23)."""
    cid, day, start, end = _report_span(conference, day, clock)
    hours = int((end - start).total_seconds() // 3600)
    where = [*entry_conditions(cid), SCAN.c.agenda_item_id.is_(None)]
    counts = (await rows(session, counts_per_span(where, start, timedelta(hours=1), hours)))[0]
    tz = zone(conference)
    return [HourCount((start + timedelta(hours=h)).astimezone(tz), int(n)) for h, n in enumerate(counts)]
