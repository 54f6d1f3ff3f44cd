"""The attendance summary: `attendance_day`, one row per registration and conference-local
day it was checked in (first and last accepted entry), so reports count people present on a
day from rows instead of de-duplicating the day's entries (issue 17).

Nothing on the check-in path writes it: `refresh` folds the scans added since the last fold
(scan ids above the conference's watermark, `attendance_fold.scan_id`) before a report reads
it, under the conference's fold row lock (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's
writer lock, BEGIN IMMEDIATE) so two reports never fold the same scans at once. Folding
keeps the earliest and latest entry of each registration-day (min/max), so an offline
kiosk's upload, old times under new ids, lands right. A refresh with nothing new only reads;
one that folds writes, so reports need a writable unit of work (SQLite: not a read-only
engine, core/db.py).

What keeps it right besides:
- a time zone other than the one the rows were folded in: the conference's rows are
  dropped and folded again from scratch (days are local days; a programme load or a setting
  may change the zone). The conference's first and last day do not matter: every day is kept.
- a scan id not visible yet (PostgreSQL: an insert committed after a later id's) is kept in
  `pending` and looked for again on each fold, for PENDING_GRACE; then it is taken for an id
  that never becomes a row (a rollback, an upload's duplicate skipped by ON CONFLICT).
- scans are never updated in what counts here (erasure rewrites only their nonce and staff
  id); a registration or conference deleted takes its rows along (FK cascade), as its scans
  stop counting (registration_id SET NULL).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.clock import Clock, utc_now
from core.models import AttendanceDay, AttendanceFold, Conference
from core.reporting.days import day_bounds, zone
from core.reporting.sql import IN, OK, SCAN

DAY = AttendanceDay.__table__  # type: ignore[attr-defined]
FOLD = AttendanceFold.__table__  # type: ignore[attr-defined]

PENDING_GRACE = timedelta(minutes=10)  # how long an id below the watermark may stay unseen
BATCH = 50_000  # scans read per statement while folding


class _Days:
    """Scan instants to conference-local days, exactly as `day_bounds` cuts them."""

    def __init__(self, conference: Conference) -> None:
        self.conference = conference
        self.bounds: dict[date, tuple[datetime, datetime]] = {}

    def __call__(self, at: datetime) -> date:
        day = at.astimezone(zone(self.conference)).date()
        while True:
            start, end = self.bounds.get(day) or self.bounds.setdefault(day, day_bounds(self.conference, day))
            if at < start:
                day -= timedelta(days=1)
            elif at >= end:
                day += timedelta(days=1)
            else:
                return day


async def refresh(session: AsyncSession, conference: Conference, *, clock: Clock = utc_now) -> None:
    """Fold into `attendance_day` every scan of the conference not in it yet (see the module)."""
    assert conference.id is not None
    conn = await session.connection()
    top = (await conn.execute(select(func.max(SCAN.c.id)))).scalar() or 0
    state = (await conn.execute(select(FOLD).where(FOLD.c.conference_id == conference.id))).first()
    if state is not None and _up_to_date(state, conference, top):
        return
    if state is None:
        await conn.execute(_insert(conn, FOLD).values(conference_id=conference.id).on_conflict_do_nothing())
    state = (
        await conn.execute(select(FOLD).where(FOLD.c.conference_id == conference.id).with_for_update())
    ).one()  # another fold may have run meanwhile: its result, under the lock
    watermark, pending = state.scan_id, [list(p) for p in state.pending]
    if state.timezone != conference.timezone:
        await conn.execute(delete(DAY).where(DAY.c.conference_id == conference.id))
        watermark, pending = 0, []
    now = clock()
    folded: dict[tuple[int, date], list[datetime]] = {}
    # ids missed before are read again with the new ones (folding a scan twice changes nothing)
    start = min([int(p[0]) for p in pending] + [watermark + 1])
    seen = set(await _fold_range(conn, conference.id, start, top, folded, _Days(conference)))
    still = [
        [a, b, since]
        for lo, hi, since in pending
        if now - datetime.fromisoformat(str(since)) < PENDING_GRACE
        for a, b in _gaps(int(lo), int(hi), seen)
    ]
    still += [[a, b, now.isoformat()] for a, b in _gaps(watermark + 1, top, seen)]
    await _upsert(conn, conference.id, folded)
    await conn.execute(
        update(FOLD)
        .where(FOLD.c.conference_id == conference.id)
        .values(scan_id=max(top, watermark), timezone=conference.timezone, pending=still, folded_at=now)
    )


def _up_to_date(state: Any, conference: Conference, top: int) -> bool:
    return bool(state.scan_id >= top and state.timezone == conference.timezone and not state.pending)


async def _fold_range(
    conn: AsyncConnection,
    conference_id: int,
    lo: int,
    hi: int,
    folded: dict[tuple[int, date], list[datetime]],
    to_day: _Days,
) -> list[int]:
    """Fold the conference's accepted entries among scan ids [lo, hi] into `folded`; every id
    of the range that is a row (any conference). Read by id alone: the primary key serves it
    whatever the planner knows of the other indexes."""
    seen: list[int] = []
    while lo <= hi:
        batch = (
            await conn.execute(
                select(
                    SCAN.c.id,
                    SCAN.c.conference_id,
                    SCAN.c.registration_id,
                    SCAN.c.result,
                    SCAN.c.direction,
                    SCAN.c.scanned_at,
                )
                .where(SCAN.c.id >= lo, SCAN.c.id <= hi)
                .order_by(SCAN.c.id)
                .limit(BATCH)
            )
        ).all()
        if not batch:
            break
        for scan_id, cid, reg_id, result, direction, at in batch:
            seen.append(scan_id)
            if cid != conference_id or reg_id is None or _text(result) != OK or _text(direction) != IN:
                continue
            span = folded.setdefault((reg_id, to_day(at)), [at, at])
            span[0], span[1] = min(span[0], at), max(span[1], at)
        lo = batch[-1][0] + 1
    return seen


def _text(value: Any) -> str:
    return str(getattr(value, "value", value))


def _gaps(lo: int, hi: int, seen: set[int]) -> list[tuple[int, int]]:
    """The ranges of [lo, hi] whose ids are not in `seen` (ascending)."""
    gaps: list[tuple[int, int]] = []
    start = None
    for scan_id in range(lo, hi + 2):
        missing = scan_id <= hi and scan_id not in seen
        if missing and start is None:
            start = scan_id
        elif not missing and start is not None:
            gaps.append((start, scan_id - 1))
            start = None
    return gaps


def _insert(conn: AsyncConnection, table: Any) -> Any:
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


async def _upsert(conn: AsyncConnection, conference_id: int, folded: dict[tuple[int, date], list[datetime]]) -> None:
    """Each registration-day's span into its row: the earlier first entry, the later last."""
    if not folded:
        return
    stmt = _insert(conn, DAY)
    least, greatest = (func.least, func.greatest) if conn.dialect.name == "postgresql" else (func.min, func.max)
    stmt = stmt.on_conflict_do_update(
        index_elements=["conference_id", "day", "registration_id"],
        set_={
            "first_in": least(DAY.c.first_in, stmt.excluded.first_in),
            "last_in": greatest(DAY.c.last_in, stmt.excluded.last_in),
        },
    )
    rows = [
        {"conference_id": conference_id, "day": day, "registration_id": reg_id, "first_in": a, "last_in": b}
        for (reg_id, day), (a, b) in folded.items()
    ]
    for chunk in range(0, len(rows), 5000):
        await conn.execute(stmt, rows[chunk : chunk + 5000])
