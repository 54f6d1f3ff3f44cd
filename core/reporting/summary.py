"""The attendance summary: `attendance_day`, one row per registration and conference-local
day it was checked in (its first and last accepted entry), and `attendance_tally`, one row
per day with its scan counts, so reports count people present on a day from rows instead of
de-duplicating the day's entries, and read a day's counts instead of counting its scans
(issue 17).

Nothing on the check-in path writes them: `refresh` folds the scans added since the last
fold (scan ids above the conference's watermark, `attendance_fold.scan_id`) before a report
reads them, under the conference's fold row lock (`SELECT … FOR UPDATE` on PostgreSQL;
SQLite's writer lock, BEGIN IMMEDIATE), so two reports never fold the same scans. A day's
first and last entry are kept with min/max, so an offline kiosk's upload (old times under
new ids) lands right; each scan is counted in the tallies exactly once. A refresh with
nothing new only reads; one that folds writes, so reports need a writable unit of work
(SQLite: not a read-only engine, core/db.py).

Built from scratch (`_rebuild`: one grouped statement per day with scans, over the report
indexes) the first time, and whenever the conference's time zone is not the one the rows
were folded in (days are local days; a programme load or a setting may change the zone; the
conference's first and last day do not matter: every day is kept). On PostgreSQL the
rebuild holds `LOCK TABLE scan IN SHARE MODE` (waits at most REBUILD_LOCK_WAIT_MS for scans
being written, else the report fails and is asked again; holds new scans back while it runs,
3-4 s at 500,000 scans), so that it sees one set of scans, and ANALYZEs the
summary tables (without statistics the planner takes them for a few rows: 3x slower plans).

What keeps it right besides:
- a scan id not visible yet (PostgreSQL: an insert committed after a later id's) is kept in
  `pending` and looked for again on each fold, for PENDING_GRACE; then it is taken for an id
  that never becomes a row (a rollback, an upload's duplicate skipped by ON CONFLICT).
- a row's `category` and `delegation_id` are its registration's: written with the row
  (`_write`, `_rebuild`: read from registration in the same statement), rewritten by the
  database when the registration changes (migration 0013's trigger; on PostgreSQL such a
  change first waits for a fold in progress, this module's lock, so it sees the rows that
  fold writes with what it read before the change).
- scans are never updated in what counts here (erasure rewrites only their nonce and staff
  id; an agenda item is deleted only while no scan names it, core/programme/plan.py); a
  registration or conference deleted takes its rows along (FK cascade), as its scans stop
  counting (registration_id SET NULL).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.clock import Clock, utc_now
from core.models import AttendanceDay, AttendanceFold, AttendanceTally, Conference, ScanDirection
from core.reporting.days import day_bounds, zone
from core.reporting.sql import IN, OK, REG, SCAN, entry_conditions

DAY = AttendanceDay.__table__  # type: ignore[attr-defined]
TALLY = AttendanceTally.__table__  # type: ignore[attr-defined]
FOLD = AttendanceFold.__table__  # type: ignore[attr-defined]

PENDING_GRACE = timedelta(minutes=10)  # how long an id below the watermark may stay unseen
REBUILD_LOCK_WAIT_MS = 1000  # longest a rebuild waits for scans being written (doors wait behind it)
BATCH = 50_000  # scans read per statement while folding
MOVES = (ScanDirection.IN.value, ScanDirection.OUT.value)


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


class _Fold:
    """What a fold adds: registration-day spans, and per day counts of the scans new to it."""

    def __init__(self, conference: Conference) -> None:
        self.conference_id = conference.id
        self.to_day = _Days(conference)
        self.spans: dict[tuple[int, date], list[datetime]] = {}
        self.tally: dict[date, list[int]] = {}

    def add(self, new: bool, registration_id: int | None, result: str, direction: str, item: Any, at: datetime) -> None:
        """One scan of the conference; `new`: not counted before (a span may be folded twice)."""
        ok_entry = result == OK and direction == IN
        if not (new or (ok_entry and registration_id is not None)):
            return
        day = self.to_day(at)
        if new:
            counts = self.tally.setdefault(day, [0, 0, 0])
            counts[0] += 1
            counts[1] += result == OK and direction in MOVES
            counts[2] += ok_entry and item is None
        if ok_entry and registration_id is not None:
            span = self.spans.setdefault((registration_id, day), [at, at])
            span[0], span[1] = min(span[0], at), max(span[1], at)


async def refresh(session: AsyncSession, conference: Conference, *, clock: Clock = utc_now) -> None:
    """Fold into the summary every scan of the conference not in it yet (see the module)."""
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
    now = clock()
    if state.timezone != conference.timezone:
        watermark, pending = await _rebuild(conn, conference), []
    else:
        watermark = max(top, state.scan_id)
        pending = await _fold_new(conn, conference, state.scan_id, top, state.pending, now)
    await conn.execute(
        update(FOLD)
        .where(FOLD.c.conference_id == conference.id)
        .values(scan_id=watermark, timezone=conference.timezone, pending=pending, folded_at=now)
    )


def _up_to_date(state: Any, conference: Conference, top: int) -> bool:
    return bool(state.scan_id >= top and state.timezone == conference.timezone and not state.pending)


async def _fold_new(
    conn: AsyncConnection, conference: Conference, watermark: int, top: int, pending: list[Any], now: datetime
) -> list[list[Any]]:
    """Fold the scans above `watermark` and those of `pending` that are rows now; the ids
    still missing, with when they were first missed."""
    old = [(int(lo), int(hi), str(since)) for lo, hi, since in pending]

    def new(scan_id: int) -> bool:
        return scan_id > watermark or any(lo <= scan_id <= hi for lo, hi, _ in old)

    fold = _Fold(conference)
    # ids missed before are read again with the new ones: one range, by the primary key
    start = min([lo for lo, _, _ in old] + [watermark + 1])
    seen = await _read(conn, fold, start, top, new)
    await _write(conn, fold)
    still: list[list[Any]] = [
        [a, b, since]
        for lo, hi, since in old
        if now - datetime.fromisoformat(since) < PENDING_GRACE
        for a, b in _gaps(lo, hi, seen)
    ]
    return still + [[a, b, now.isoformat()] for a, b in _gaps(watermark + 1, top, seen)]


async def _read(conn: AsyncConnection, fold: _Fold, lo: int, hi: int, new: Any) -> set[int]:
    """Fold the conference's scans among ids [lo, hi]; every id of the range that is a row
    (any conference's). Read by id alone: the primary key serves it whatever the planner
    knows of the other indexes."""
    seen: set[int] = set()
    columns = ("id", "conference_id", "registration_id", "result", "direction", "agenda_item_id", "scanned_at")
    while lo <= hi:
        query = select(*(SCAN.c[c] for c in columns)).where(SCAN.c.id >= lo, SCAN.c.id <= hi)
        batch: list[Any] = list((await conn.execute(query.order_by(SCAN.c.id).limit(BATCH))).all())
        if not batch:
            break
        for scan_id, cid, reg_id, result, direction, item, at in batch:
            seen.add(scan_id)
            if cid == fold.conference_id:
                fold.add(new(scan_id), reg_id, _text(result), _text(direction), item, at)
        lo = batch[-1][0] + 1
    return seen


async def _rebuild(conn: AsyncConnection, conference: Conference) -> int:
    """The conference's summary from scratch, day by day (each day with scans: one grouped
    statement for its spans, one for its counts); the highest scan id it covers."""
    cid = conference.id
    assert cid is not None
    if conn.dialect.name == "postgresql":  # one set of scans: none being written meanwhile
        # bounded: a door's transaction left open (a kiosk cut off mid-scan) must not queue every
        # other door's scans behind this lock; the report fails instead and is asked again
        await conn.execute(text(f"SET LOCAL lock_timeout = '{REBUILD_LOCK_WAIT_MS}ms'"))
        await conn.execute(text("LOCK TABLE scan IN SHARE MODE"))
        await conn.execute(text("RESET lock_timeout"))
    await conn.execute(delete(DAY).where(DAY.c.conference_id == cid))
    await conn.execute(delete(TALLY).where(TALLY.c.conference_id == cid))
    top = (await conn.execute(select(func.max(SCAN.c.id)))).scalar() or 0
    to_day = _Days(conference)
    after = (await conn.execute(select(func.min(SCAN.c.scanned_at)).where(SCAN.c.conference_id == cid))).scalar()
    while after is not None:
        day = to_day(after)
        start, end = day_bounds(conference, day)
        entries = entry_conditions(cid, start, end)
        await conn.execute(DAY.insert().from_select(DAY_COLUMNS, _spans(cid, day, entries)))
        await conn.execute(
            TALLY.insert().from_select(
                ["conference_id", "day", "scans", "accepted", "entries"], _day_counts(cid, day, start, end)
            )
        )
        later = select(func.min(SCAN.c.scanned_at)).where(SCAN.c.conference_id == cid, SCAN.c.scanned_at >= end)
        after = (await conn.execute(later)).scalar()
    if conn.dialect.name == "postgresql":  # a bulk load: plans right away, not after autovacuum's next round
        await conn.execute(text("ANALYZE attendance_day, attendance_tally"))
    return int(top)


DAY_COLUMNS = ["conference_id", "day", "registration_id", "first_in", "last_in", "category", "delegation_id"]


def _spans(cid: int, day: date, entries: list[Any]) -> Any:
    """The day's rows: each registration's first and last entry, with the registration's
    category and delegation (copies that migration 0013's trigger keeps)."""
    spans = (
        select(SCAN.c.registration_id, func.min(SCAN.c.scanned_at).label("a"), func.max(SCAN.c.scanned_at).label("b"))
        .where(*entries, SCAN.c.registration_id.is_not(None))
        .group_by(SCAN.c.registration_id)
        .subquery()
    )
    return select(
        literal(cid), literal(day), spans.c.registration_id, spans.c.a, spans.c.b, REG.c.category, REG.c.delegation_id
    ).join_from(spans, REG, REG.c.id == spans.c.registration_id)


def _day_counts(cid: int, day: date, start: datetime, end: datetime) -> Any:
    """One row: the conference, the day, its scans, accepted scans, accepted venue entries."""
    in_day = [SCAN.c.conference_id == cid, SCAN.c.scanned_at >= start, SCAN.c.scanned_at < end]
    scans = select(func.count()).select_from(SCAN).where(*in_day)
    accepted = select(func.count()).select_from(SCAN).where(*in_day, SCAN.c.result == OK, SCAN.c.direction.in_(MOVES))
    entries = (
        select(func.count())
        .select_from(SCAN)
        .where(*entry_conditions(cid, start, end), SCAN.c.agenda_item_id.is_(None))
    )
    return select(
        literal(cid), literal(day), scans.scalar_subquery(), accepted.scalar_subquery(), entries.scalar_subquery()
    )


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


async def _write(conn: AsyncConnection, fold: _Fold) -> None:
    """Spans into their rows (the earlier first entry, the later last), counts added."""
    least, greatest = (func.least, func.greatest) if conn.dialect.name == "postgresql" else (func.min, func.max)
    of_registration = REG.c.id == bindparam("reg")  # its category and delegation, per row
    stmt = _insert(conn, DAY).values(
        registration_id=bindparam("reg"),
        category=select(REG.c.category).where(of_registration).scalar_subquery(),
        delegation_id=select(REG.c.delegation_id).where(of_registration).scalar_subquery(),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["conference_id", "day", "registration_id"],
        set_={
            "first_in": least(DAY.c.first_in, stmt.excluded.first_in),
            "last_in": greatest(DAY.c.last_in, stmt.excluded.last_in),
        },
    )
    rows = [
        {"conference_id": fold.conference_id, "day": day, "reg": reg_id, "first_in": a, "last_in": b}
        for (reg_id, day), (a, b) in fold.spans.items()
    ]
    for chunk in range(0, len(rows), 5000):
        await conn.execute(stmt, rows[chunk : chunk + 5000])
    if fold.tally:
        stmt = _insert(conn, TALLY)
        counts = ("scans", "accepted", "entries")
        stmt = stmt.on_conflict_do_update(
            index_elements=["conference_id", "day"], set_={k: TALLY.c[k] + stmt.excluded[k] for k in counts}
        )
        await conn.execute(
            stmt,
            [
                {"conference_id": fold.conference_id, "day": day, **dict(zip(counts, n, strict=True))}
                for day, n in fold.tally.items()
            ],
        )
