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

With the same scans it folds `attendance_item_person` (one row per registration scanned in
at an agenda item: an accepted hall entry) and `attendance_item` (their number per item,
raised by the rows a fold adds: the insert returns them), for the by-session report
(core/reporting/agenda_items.py reads them beside the entries not folded yet). A pair never
changes and is the same in any time zone: folding a scan twice adds nothing. A registration
deleted takes its pairs (FK cascade) and a trigger lowers the counts (migration 0015); on
PostgreSQL, deleted while a rebuild recounts (it re-inserts attendance_item, which the
trigger's UPDATE then does not find), its items stay one too high until the next rebuild
(the application deletes registrations only with their conference).

Built from scratch (`_rebuild`: one grouped statement per day with scans, over the report
indexes) the first time, and whenever the conference's time zone is not the one the rows
were folded in (days are local days; a programme load or a setting may change the zone; the
conference's first and last day do not matter: every day is kept). A rebuild inserts every
settled pair it does not have yet and counts each item's pairs afresh (`_rebuild_item_people`;
~0.1-0.5 s more at 500,000 scans).

The rebuild takes no lock on scan: on PostgreSQL doors never wait for a report. One
statement (one snapshot) reads the top id and the ids below it that are not rows (`_ids`);
those the fold row does not already know for gone (below its watermark and not pending)
may still be written by a transaction in flight, so the grouped statements leave them out
(a list of ids, and the few id windows around the long ranges, REBUILD_SKIP_WINDOWS); what
they left out is read and folded by id as new scans are, and the ids still missing are
kept in `pending` as an incremental fold keeps them. Each statement thus counts the same settled ids whatever its
own snapshot sees. The id conditions cost PostgreSQL its index-only scans (scan.id is not
in the report index): a rebuild at 500,000 scans takes 0.1-0.8 s longer than under the old
SHARE lock (bench/README.md), holding nobody back. A first rebuild that finds
a door's transaction open knows no id below which all is settled: every gap in the ids may
be in flight then, and for PENDING_GRACE the folds look for them again (by a list of ids).
On SQLite a fold is a write under the writer lock, as any: nothing is in flight meanwhile,
and none of this is done (`_settled`). Nor is it on PostgreSQL below the id sequence's
value when no transaction was writing scan as the rebuild began (`_settled`). On
PostgreSQL the rebuild then ANALYZEs the summary tables (without statistics the planner
takes them for a few rows: 3x slower plans); that takes SHARE UPDATE EXCLUSIVE on those
two tables alone, which no door needs.

What keeps it right besides:
- a scan id not visible yet (PostgreSQL: an insert committed after a later id's) is kept in
  `pending` and looked for again on each fold, for PENDING_GRACE; then it is taken for an id
  that never becomes a row (a rollback, an upload's duplicate skipped by ON CONFLICT).
  Every fold reads the top id again once it holds the fold row: a report that waited for
  another's fold folds up to now, not up to what it saw before waiting.
- a fold's clock (`refresh(clock=…)`, the report's injectable clock) stamps and ages the
  pending ids: every report passes its own, so one clock rules them.
- days are cut by the zone's rules as Python's zoneinfo has them; a tzdata update that
  changes the rules of a zone under the same name (for instants already folded) does not
  rebuild: the rows folded before keep the old cut (a conference's zone changing rules
  mid-conference; a change of `conference.timezone` rebuilds, or deleting its
  attendance_fold row does).
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

from bisect import bisect_right
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, literal, not_, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.clock import Clock, utc_now
from core.models import (
    AgendaItem,
    AttendanceDay,
    AttendanceFold,
    AttendanceItem,
    AttendanceItemPerson,
    AttendanceTally,
    Conference,
    ScanDirection,
)
from core.reporting.days import day_bounds, zone
from core.reporting.sql import IN, OK, REG, SCAN, entry_conditions, item_entries

DAY = AttendanceDay.__table__  # type: ignore[attr-defined]
TALLY = AttendanceTally.__table__  # type: ignore[attr-defined]
FOLD = AttendanceFold.__table__  # type: ignore[attr-defined]
CONF = Conference.__table__  # type: ignore[attr-defined]
ITEM_PERSON = AttendanceItemPerson.__table__  # type: ignore[attr-defined]
ITEM_PEOPLE = AttendanceItem.__table__  # type: ignore[attr-defined]
AGENDA_ITEM = AgendaItem.__table__  # type: ignore[attr-defined]

PENDING_GRACE = timedelta(minutes=10)  # how long an id below the watermark may stay unseen
REBUILD_SKIP_WINDOWS = 16  # id windows a rebuild's grouped statements leave out (read by id instead)
READ_WINDOWS = 64  # id windows a fold reads at most (long pending ranges close together share one)
SHORT = 32  # a pending range shorter than this is read (or left out) as a list of its ids
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
        self.item_people: set[tuple[int, int]] = set()  # (registration, agenda item) scanned in there

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
            if item is not None:  # a set: a pair folded twice is one row
                self.item_people.add((registration_id, item))


async def refresh(session: AsyncSession, conference: Conference, *, clock: Clock = utc_now) -> None:
    """Fold into the summary every scan of the conference not in it yet (see the module)."""
    assert conference.id is not None
    conn = await session.connection()
    top = await _top(conn)
    state = (await conn.execute(select(FOLD).where(FOLD.c.conference_id == conference.id))).first()
    if state is not None and _up_to_date(state, conference, top):
        return
    # PostgreSQL: the conference row's KEY SHARE, which the rows written below take anyway
    # (their foreign key), before the fold row: a writer holding the conference (a programme
    # load, FOR UPDATE) that changes a registration's category waits for the fold row in
    # migration 0013's trigger; the fold must not hold that row while it waits for the writer
    await conn.execute(select(CONF.c.id).where(CONF.c.id == conference.id).with_for_update(read=True, key_share=True))
    if state is None:
        await conn.execute(_insert(conn, FOLD).values(conference_id=conference.id).on_conflict_do_nothing())
    state = (
        await conn.execute(select(FOLD).where(FOLD.c.conference_id == conference.id).with_for_update())
    ).one()  # another fold may have run meanwhile: its result, under the lock
    top = await _top(conn)  # and scans committed meanwhile: up to now, not to before the wait
    now = clock()
    if state.timezone != conference.timezone:
        watermark, pending = await _rebuild(conn, conference, state, now)
    else:
        watermark = max(top, state.scan_id)
        pending = await _fold_new(conn, conference, state.scan_id, top, state.pending, now)
    await conn.execute(
        update(FOLD)
        .where(FOLD.c.conference_id == conference.id)
        .values(scan_id=watermark, timezone=conference.timezone, pending=pending, folded_at=now)
    )


async def _top(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.max(SCAN.c.id)))).scalar() or 0)


def _up_to_date(state: Any, conference: Conference, top: int) -> bool:
    return bool(state.scan_id >= top and state.timezone == conference.timezone and not state.pending)


async def _fold_new(
    conn: AsyncConnection, conference: Conference, watermark: int, top: int, pending: list[Any], now: datetime
) -> list[list[Any]]:
    """Fold the scans above `watermark` and those of `pending` that are rows now; the ids
    still missing, with when they were first missed."""
    old = _ranges(pending)
    targets = old + ([(watermark + 1, top, now.isoformat())] if top > watermark else [])
    starts = [lo for lo, _, _ in old]

    def new(scan_id: int) -> bool:
        if scan_id > watermark:
            return True
        i = bisect_right(starts, scan_id) - 1
        return i >= 0 and scan_id <= old[i][1]

    fold = _Fold(conference)
    # ids missed before are read again with the new ones, by the primary key
    seen = await _read_all(conn, fold, [(lo, hi) for lo, hi, _ in targets], READ_WINDOWS, new)
    await _write(conn, fold)
    return _missing(targets, seen, now)


def _split(ranges: list[tuple[int, int]], most: int) -> tuple[list[int], list[tuple[int, int]]]:
    """Short ranges as their ids (read or left out as a list: a rebuild's first one may find
    hundreds of gaps scattered over the table), the long ones as at most `most` windows."""
    windows = _windows([(lo, hi) for lo, hi in ranges if hi - lo >= SHORT], most)
    starts = [lo for lo, _ in windows]

    def windowed(i: int) -> bool:  # each id read once: a tally counts what it reads
        w = bisect_right(starts, i) - 1
        return w >= 0 and i <= windows[w][1]

    return [i for lo, hi in ranges if hi - lo < SHORT for i in range(lo, hi + 1) if not windowed(i)], windows


async def _read_all(conn: AsyncConnection, fold: _Fold, ranges: list[tuple[int, int]], most: int, new: Any) -> set[int]:
    """Fold the conference's scans among the ids of `ranges` (`_split`: each id once); the
    ids that are rows."""
    short, windows = _split(ranges, most)
    seen: set[int] = set()
    for lo, hi in windows:
        seen |= await _read(conn, fold, lo, hi, new)
    for chunk in range(0, len(short), BATCH):
        seen |= await _read(conn, fold, 0, -1, new, ids=short[chunk : chunk + BATCH])
    return seen


def _ranges(pending: list[Any]) -> list[tuple[int, int, str]]:
    """The fold row's pending ranges, in id order (they never overlap)."""
    return sorted((int(lo), int(hi), str(since)) for lo, hi, since in pending)


def _missing(targets: list[tuple[int, int, str]], seen: set[int], now: datetime) -> list[list[Any]]:
    """The ids of `targets` not in `seen`, as ranges with when they were first missed; those
    missed for PENDING_GRACE are given up."""
    return [
        [a, b, since]
        for lo, hi, since in targets
        if now - datetime.fromisoformat(since) < PENDING_GRACE
        for a, b in _gaps(lo, hi, seen)
    ]


def _windows(ranges: list[tuple[int, int]], most: int) -> list[tuple[int, int]]:
    """At most `most` id windows covering `ranges`: the closest neighbours joined first."""
    windows: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if windows and lo <= windows[-1][1] + 1:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    if len(windows) > most:  # join across the smallest distances
        joins = sorted(range(len(windows) - 1), key=lambda i: windows[i + 1][0] - windows[i][1])
        cut = set(joins[len(windows) - most :])  # the boundaries kept
        joined: list[list[int]] = [windows[0]]
        for i in range(1, len(windows)):
            if i - 1 in cut:
                joined.append(windows[i])
            else:
                joined[-1][1] = windows[i][1]
        windows = joined
    return [(lo, hi) for lo, hi in windows]


async def _read(
    conn: AsyncConnection, fold: _Fold, lo: int, hi: int, new: Any, *, ids: list[int] | None = None
) -> set[int]:
    """Fold the conference's scans among ids [lo, hi] (or among `ids`); every id of them
    that is a row (any conference's). Read by id alone: the primary key serves it whatever
    the planner knows of the other indexes."""
    seen: set[int] = set()
    columns = ("id", "conference_id", "registration_id", "result", "direction", "agenda_item_id", "scanned_at")
    if ids is not None:
        lo, hi = (min(ids), max(ids)) if ids else (0, -1)
    while lo <= hi:
        query = select(*(SCAN.c[c] for c in columns)).where(SCAN.c.id >= lo, SCAN.c.id <= hi)
        if ids is not None:
            query = query.where(SCAN.c.id.in_(ids))
        batch: list[Any] = list((await conn.execute(query.order_by(SCAN.c.id).limit(BATCH))).all())
        if not batch:
            break
        for scan_id, cid, reg_id, result, direction, item, at in batch:
            seen.add(scan_id)
            if cid == fold.conference_id:
                fold.add(new(scan_id), reg_id, _text(result), _text(direction), item, at)
        lo = batch[-1][0] + 1
    return seen


async def _settled(conn: AsyncConnection) -> int | None:
    """An id up to which no scan can still be being written. None on SQLite: a fold holds the
    write lock from its first statement (BEGIN IMMEDIATE), so none at all (a rebuild there
    needs neither `_ids` nor the id conditions; they cost it ~0.8 s at 500,000 scans). On
    PostgreSQL the id sequence's last value, if once it is read no other transaction holds
    ROW EXCLUSIVE on scan (a writer of scan takes it before it draws an id and keeps it to
    its end: every id drawn before is then a row or never one, for any later snapshot);
    else 0 (a door's transaction was open: nothing is known). This needs the sequence to
    hand ids out one at a time (CACHE 1, as the migrations' serial id has it: a session with a
    cache could draw a lower id later). Reading the sequence takes ROW
    EXCLUSIVE on it, as each door's nextval does: no door waits for it."""
    if conn.dialect.name == "sqlite":
        return None
    drawn = await conn.execute(
        text("SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('scan', 'id')::regclass), 0)")
    )
    last = int(drawn.scalar() or 0)
    writing = await conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'relation' AND relation = 'scan'::regclass"
            " AND mode = 'RowExclusiveLock' AND pid IS DISTINCT FROM pg_backend_pid())"
        )
    )
    return 0 if writing.scalar() else last


async def _ids(conn: AsyncConnection, low: int) -> tuple[int, list[tuple[int, int]]]:
    """In one statement (one snapshot on PostgreSQL): the highest scan id, and the ranges of
    ids from `low` up to it that are not rows (rolled back, skipped, or not committed yet)."""
    lagged = (
        select(SCAN.c.id, func.lag(SCAN.c.id, 1, low - 1).over(order_by=SCAN.c.id).label("prev"))
        .where(SCAN.c.id >= low)
        .subquery()
    )
    gaps = select(literal(1), lagged.c.prev + 1, lagged.c.id - 1).where(lagged.c.id > lagged.c.prev + 1)
    top = select(literal(0), func.coalesce(func.max(SCAN.c.id), 0), literal(0))
    rows = (await conn.execute(union_all(top, gaps))).all()
    return int(next(hi for kind, hi, _ in rows if kind == 0)), [(int(a), int(b)) for kind, a, b in rows if kind == 1]


def _unknown(
    gaps: list[tuple[int, int]], watermark: int, pending: list[tuple[int, int, str]], now: datetime, settled: int
) -> list[tuple[int, int, str]]:
    """The ids of `gaps` that may still become rows, with when they were first missed: those
    above the fold row's watermark (missed now), and those of its pending ranges (missed
    then). An id at or below the watermark and not pending is known for gone, and so is any
    up to `settled` (`_settled`)."""
    found: list[tuple[int, int, str]] = []
    for lo, hi in ((max(lo, settled + 1), hi) for lo, hi in gaps):
        if lo > hi:
            continue
        if hi > watermark:
            found.append((max(lo, watermark + 1), hi, now.isoformat()))
        for plo, phi, since in pending:
            a, b = max(lo, plo), min(hi, phi, watermark)
            if a <= b:
                found.append((a, b, since))
    return sorted(found)


async def _rebuild(
    conn: AsyncConnection, conference: Conference, state: Any, now: datetime
) -> tuple[int, list[list[Any]]]:
    """The conference's summary from scratch, day by day (each day with scans: one grouped
    statement for its spans, one for its counts), without a lock on scan (see the module);
    the highest scan id it covers, and the ids still missing below it."""
    cid = conference.id
    assert cid is not None
    old = _ranges(state.pending)
    settled_below = await _settled(conn)
    in_flight = settled_below is not None
    if settled_below is not None:  # below the watermark only pending ids may still become rows
        low = max(min([lo for lo, _, _ in old] + [state.scan_id + 1]), settled_below + 1)
        top, gaps = await _ids(conn, low)
    else:
        top, gaps = await _top(conn), []
    watermark = max(top, state.scan_id)
    if in_flight and watermark > top:  # the highest scans are gone (another conference deleted)
        gaps.append((top + 1, watermark))
    unknown = _unknown(gaps, state.scan_id, old, now, settled_below or 0)
    skip_ids, skip = _split([(lo, hi) for lo, hi, _ in unknown], REBUILD_SKIP_WINDOWS)
    # the ids every statement below counts, whatever it sees: none may become a row later
    # (the ids left out inline: PostgreSQL hashes a NOT IN list of constants)
    settled = [SCAN.c.id <= watermark, *(not_(SCAN.c.id.between(lo, hi)) for lo, hi in skip)] if in_flight else []
    if skip_ids:
        settled.append(SCAN.c.id.not_in(bindparam("skip_ids", skip_ids, expanding=True, literal_execute=True)))
    await conn.execute(delete(DAY).where(DAY.c.conference_id == cid))
    await conn.execute(delete(TALLY).where(TALLY.c.conference_id == cid))
    to_day = _Days(conference)
    first = select(func.min(SCAN.c.scanned_at)).where(SCAN.c.conference_id == cid, *settled)
    after = (await conn.execute(first)).scalar()
    while after is not None:
        day = to_day(after)
        start, end = day_bounds(conference, day)
        entries = [*entry_conditions(cid, start, end), *settled]
        await conn.execute(DAY.insert().from_select(DAY_COLUMNS, _spans(cid, day, entries)))
        await conn.execute(
            TALLY.insert().from_select(
                ["conference_id", "day", "scans", "accepted", "entries"],
                _day_counts(cid, day, start, end, settled),
            )
        )
        later = first.where(SCAN.c.scanned_at >= end)
        after = (await conn.execute(later)).scalar()
    await _rebuild_item_people(conn, cid, settled)
    fold = _Fold(conference)  # the ids left out: read by id, every scan among them new here
    seen = await _read_all(conn, fold, [(lo, hi) for lo, hi, _ in unknown], REBUILD_SKIP_WINDOWS, lambda _: True)
    await _write(conn, fold)
    if conn.dialect.name == "postgresql":  # a bulk load: plans right away, not after autovacuum's next round
        await conn.execute(text("ANALYZE attendance_day, attendance_tally"))
    return watermark, _missing(unknown, seen, now)


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


def _day_counts(cid: int, day: date, start: datetime, end: datetime, settled: list[Any]) -> Any:
    """One row: the conference, the day, its scans, accepted scans, accepted venue entries
    (among the `settled` ids)."""
    in_day = [SCAN.c.conference_id == cid, SCAN.c.scanned_at >= start, SCAN.c.scanned_at < end, *settled]
    scans = select(func.count()).select_from(SCAN).where(*in_day)
    accepted = select(func.count()).select_from(SCAN).where(*in_day, SCAN.c.result == OK, SCAN.c.direction.in_(MOVES))
    entries = (
        select(func.count())
        .select_from(SCAN)
        .where(*entry_conditions(cid, start, end), *settled, SCAN.c.agenda_item_id.is_(None))
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
    await _write_item_people(conn, fold)


async def _write_item_people(conn: AsyncConnection, fold: _Fold) -> None:
    """The fold's (registration, item) pairs into attendance_item_person, and each item's
    count raised by the pairs that were new there (those the insert returns)."""
    if not fold.item_people:
        return
    stmt = _insert(conn, ITEM_PERSON).on_conflict_do_nothing().returning(ITEM_PERSON.c.agenda_item_id)
    pairs = [{"registration_id": r, "agenda_item_id": i} for r, i in sorted(fold.item_people)]
    added: Counter[int] = Counter()
    for chunk in range(0, len(pairs), 5000):
        added.update((await conn.execute(stmt, pairs[chunk : chunk + 5000])).scalars())
    if not added:
        return
    upsert = _insert(conn, ITEM_PEOPLE)
    upsert = upsert.on_conflict_do_update(
        index_elements=["agenda_item_id"], set_={"people": ITEM_PEOPLE.c.people + upsert.excluded.people}
    )
    await conn.execute(
        upsert,
        [{"agenda_item_id": i, "conference_id": fold.conference_id, "people": n} for i, n in sorted(added.items())],
    )


async def _rebuild_item_people(conn: AsyncConnection, cid: int, settled: list[Any]) -> None:
    """Every (registration, item) pair of the conference's settled accepted hall entries
    (those already there stay: a pair never changes), then each item's count from scratch."""
    pairs = (
        select(SCAN.c.registration_id, SCAN.c.agenda_item_id)
        .distinct()
        .where(
            SCAN.c.conference_id == cid,
            *item_entries(),
            SCAN.c.agenda_item_id.is_not(None),
            SCAN.c.registration_id.is_not(None),
            *settled,
        )
    )
    await conn.execute(
        _insert(conn, ITEM_PERSON).from_select(["registration_id", "agenda_item_id"], pairs).on_conflict_do_nothing()
    )
    await conn.execute(delete(ITEM_PEOPLE).where(ITEM_PEOPLE.c.conference_id == cid))
    items = select(AGENDA_ITEM.c.id).where(AGENDA_ITEM.c.conference_id == cid)
    counts = (
        select(ITEM_PERSON.c.agenda_item_id, literal(cid), func.count())
        .where(ITEM_PERSON.c.agenda_item_id.in_(items))
        .group_by(ITEM_PERSON.c.agenda_item_id)
    )
    await conn.execute(ITEM_PEOPLE.insert().from_select(["agenda_item_id", "conference_id", "people"], counts))
