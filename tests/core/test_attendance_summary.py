"""The attendance summary (core/reporting/summary.py) against the from-scratch queries the
reports used before it (kept here as the oracle): random scan sequences with entries, exits,
duplicates, refusals, hall scans, offline-style late inserts (old times, new ids), ids that
become rows only after a later id was folded (PostgreSQL's late commits), ids in flight when
a rebuild starts and committed while it runs, another conference's scans, a time-zone change
and an erasure. Then what folding holds back: a door scans while a rebuild runs
(PostgreSQL: no lock on scan) and while the attendance export streams its file (SQLite: no
write lock); two reports at once; one clock for a fold. SQLite, and PostgreSQL with
CONFDESK_TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Delete, Select, Update, distinct, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core import reporting
from core.db import make_engine, make_session_factory
from core.models import AttendanceDay, AttendanceFold, Category, Conference, Scan, ScanDirection, ScanResult
from core.people.erasure import forget
from core.reporting import export_files, summary
from core.reporting.days import day_bounds
from core.reporting.sql import REG, SCAN, entry_conditions
from core.uow import unit_of_work
from tests.dbutil import USE_PG
from tests.factories import make_conference, make_delegation, make_item, make_participant, make_registration

START = datetime(2024, 10, 30, 18, 0, tzinfo=UTC)  # scans from here, over about three days
DAYS = [date(2024, 10, 30) + timedelta(days=i) for i in range(5)]
ZONES = ["Europe/Minsk", "Asia/Tokyo", "America/Los_Angeles", "UTC"]


def now() -> datetime:
    return datetime(2024, 10, 31, 9, 0, tzinfo=UTC)


async def oracle(session, conf: Conference, day: date) -> dict[int, tuple[datetime, datetime]]:
    """The registrations checked in on `day` with their first and last entry, as the reports
    counted them before the summary: accepted entries of the day's [start, end), read from scan."""
    start, end = day_bounds(conf, day)
    where = [*entry_conditions(conf.id, start, end), SCAN.c.registration_id.is_not(None)]
    query = select(SCAN.c.registration_id, func.min(SCAN.c.scanned_at), func.max(SCAN.c.scanned_at))
    found = await session.execute(query.where(*where).group_by(SCAN.c.registration_id))
    return {reg: (_utc(a), _utc(b)) for reg, a, b in found}


async def oracle_by_category(session, conf: Conference, day: date) -> dict[str, int]:
    start, end = day_bounds(conf, day)
    present = select(SCAN.c.registration_id).where(*entry_conditions(conf.id, start, end))
    query = select(REG.c.category, func.count()).where(REG.c.conference_id == conf.id, REG.c.id.in_(present))
    return {str(getattr(c, "value", c)): n for c, n in await session.execute(query.group_by(REG.c.category))}


async def oracle_present(session, conf: Conference, day: date) -> int:
    start, end = day_bounds(conf, day)
    query = select(func.count(distinct(SCAN.c.registration_id))).where(*entry_conditions(conf.id, start, end))
    return int((await session.execute(query)).scalar_one())


async def oracle_day(session, conf: Conference, day: date) -> tuple[int, int, int]:
    """The day report's line as it was computed from scan: people checked in, accepted entries
    at the venue entrance, refused scans (all - accepted in or out)."""
    start, end = day_bounds(conf, day)
    in_day = [SCAN.c.conference_id == conf.id, SCAN.c.scanned_at >= start, SCAN.c.scanned_at < end]
    present = select(func.count(distinct(SCAN.c.registration_id))).where(*entry_conditions(conf.id, start, end))
    entries = select(func.count()).where(*entry_conditions(conf.id, start, end), SCAN.c.agenda_item_id.is_(None))
    total = select(func.count()).select_from(SCAN).where(*in_day)
    ok = select(func.count()).where(*in_day, SCAN.c.result == "ok", SCAN.c.direction.in_(["in", "out"]))
    query = select(present.scalar_subquery(), entries.scalar_subquery(), total.scalar_subquery() - ok.scalar_subquery())
    return tuple(int(n) for n in (await session.execute(query)).one())


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


async def summary_rows(session, conf: Conference, day: date) -> dict[int, tuple[datetime, datetime]]:
    t = summary.DAY
    found = await session.execute(
        select(t.c.registration_id, t.c.first_in, t.c.last_in).where(t.c.conference_id == conf.id, t.c.day == day)
    )
    return {reg: (a, b) for reg, a, b in found}


async def oracle_item_people(session, conf: Conference) -> set[tuple[int, int]]:
    """(registration, agenda item) of every accepted hall entry of the conference."""
    query = select(SCAN.c.registration_id, SCAN.c.agenda_item_id).where(
        *entry_conditions(conf.id), SCAN.c.agenda_item_id.is_not(None), SCAN.c.registration_id.is_not(None)
    )
    return {(r, i) for r, i in await session.execute(query)}


async def check_item_people(session, conf: Conference, *, folded: bool) -> None:
    """The by-session report's people per item are the scans' (from the summary and the
    entries not folded yet); once folded, the summary's pairs and counts are the scans'."""
    pairs = await oracle_item_people(session, conf)
    expected = Counter(i for _, i in pairs)
    lines = await reporting.by_item(session, conf, clock=now)
    assert {line.item_id: line.scanned for line in lines if line.scanned} == expected
    if folded:
        kept = await session.execute(
            select(summary.ITEM_PERSON.c.registration_id, summary.ITEM_PERSON.c.agenda_item_id)
        )
        assert {(r, i) for r, i in kept} == pairs
        t = summary.ITEM_PEOPLE
        counts = await session.execute(select(t.c.agenda_item_id, t.c.people).where(t.c.conference_id == conf.id))
        assert {i: n for i, n in counts if n} == expected


async def check(session, conf: Conference) -> None:
    """Every report that counts people checked in agrees with the oracle, on every day."""
    conf = await session.get(Conference, conf.id, populate_existing=True)
    await check_item_people(session, conf, folded=False)  # before the fold the reports below make
    by_day = {
        line.day: (line.present, line.entries, line.refused)
        for line in await reporting.by_day(session, conf, clock=now)
    }
    for day in DAYS:
        expected = await oracle(session, conf, day)
        assert await summary_rows(session, conf, day) == expected, (day, conf.timezone)
        stats = await reporting.stats(session, conf, day=day, clock=now)
        by_cat = {line.category: line.checked_in for line in stats.by_category if line.checked_in}
        assert by_cat == await oracle_by_category(session, conf, day)
        assert stats.checked_in == len(expected)
        present = {
            line.delegation_id: line.present
            for line in (await reporting.by_delegation(session, conf, day=day, clock=now)).lines
        }
        assert sum(present.values()) == len(expected)
        if day in by_day:
            assert by_day[day] == await oracle_day(session, conf, day)
            assert by_day[day][0] == await oracle_present(session, conf, day) == len(expected)
    await check_item_people(session, conf, folded=True)


SETTLED = summary._settled  # the real one (the fixture below stands in for it)


@pytest.fixture(autouse=True)
def in_flight(monkeypatch):
    """Scans may be written while a fold runs (PostgreSQL), on SQLite too: tests write ids
    between a rebuild's statements, or leave them for later, as PostgreSQL's doors do."""
    monkeypatch.setattr(summary, "_settled", nothing_settled)


async def nothing_settled(conn) -> int:
    return 0


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_summary_follows_random_scans(session, seed, monkeypatch):
    rng = random.Random(seed)
    conf = await make_conference(session, first_day=DAYS[0], last_day=DAYS[-1])
    other = await make_conference(session, slug="other-2024")
    dels = [await make_delegation(session, conf, code) for code in ("BY", "HU")]
    people, regs = [], []
    for i in range(10):
        p = await make_participant(session)
        people.append(p)
        regs.append(
            await make_registration(
                session, conf, p, delegation=dels[i % 3] if i % 3 < 2 else None, category=list(Category)[i % 4]
            )
        )
    other_reg = await make_registration(session, other, await make_participant(session))
    items = [(await make_item(session, conf, f"i{i}", start=START + timedelta(hours=14 + i))).id for i in range(2)]
    await session.commit()
    next_id = 1
    held: list[int] = []  # ids skipped now, written later (a late commit)
    checked = False

    def add(at: datetime, **kw) -> None:
        nonlocal next_id
        values = {
            "id": next_id,
            "conference_id": conf.id,
            "registration_id": rng.choice(regs).id,
            "agenda_item_id": rng.choice([None, None, *items]),
            "direction": ScanDirection.OUT if rng.random() < 0.25 else ScanDirection.IN,
            "result": rng.choice([ScanResult.OK] * 4 + [ScanResult.DUPLICATE, ScanResult.INVALID, ScanResult.REVOKED]),
            "scanned_at": at,
            "gate": "Main",
            **kw,
        }
        session.add(Scan(**values))
        next_id += 1

    meanwhile: list[int] = []  # ids committed while a rebuild ran
    rebuilds = ids_then(lambda: commit_meanwhile())
    monkeypatch.setattr(summary, "_ids", rebuilds)

    async def commit_meanwhile() -> None:
        """A held id commits after the rebuild's snapshot (PostgreSQL: a door's transaction in
        flight; here written on the rebuild's own connection, which its next statements see)."""
        nonlocal next_id
        if held:
            late = held.pop(rng.randrange(len(held)))
            keep, next_id = next_id, late
            at = START + timedelta(minutes=rng.randrange(72 * 60))
            add(at, result=ScanResult.OK, direction=ScanDirection.IN, agenda_item_id=None)
            next_id = keep
            await session.flush()
            meanwhile.append(late)

    for step in range(30):
        for _ in range(rng.randrange(1, 8)):
            roll = rng.random()
            at = START + timedelta(minutes=rng.randrange(72 * 60))
            if roll < 0.1:
                add(at, registration_id=None, result=ScanResult.INVALID)
            elif roll < 0.2:
                add(at, conference_id=other.id, registration_id=other_reg.id)
            elif roll < 0.3:  # this id commits after later ones were folded
                held.append(next_id)
                next_id += 1
            else:
                add(at)  # times at random: an offline upload's old times get new ids too
        if held and rng.random() < 0.4:
            late = held.pop(0)
            keep, next_id = next_id, late
            add(START + timedelta(minutes=rng.randrange(72 * 60)), result=ScanResult.OK, direction=ScanDirection.IN)
            next_id = keep
        await session.commit()
        rebuild = step == 12 or not checked
        if rebuild:  # ids in flight when it starts: one commits while it runs (commit_meanwhile)
            held.extend([next_id, next_id + 1])
            next_id += 2
            add(START + timedelta(hours=20))
            await session.commit()
        if held and rng.random() < 0.1:  # rolled back: never a row
            held.pop(rng.randrange(len(held)))
        if step == 12:  # a time-zone change (a programme load or a setting)
            await session.execute(
                update(Conference).where(Conference.id == conf.id).values(timezone=rng.choice(ZONES[1:]))
            )
            await session.commit()
        if step == 20:  # /forget: the registration is cancelled, its scans still count
            await forget(session, people[0].telegram_id)
            await session.commit()
        if rng.random() < 0.3 or step in (12, 13, 20, 29) or rebuild:
            await check(session, conf)
            await session.commit()
            checked = True
    for late in held:  # every id written at last
        next_id = late
        add(START + timedelta(hours=30), result=ScanResult.OK, direction=ScanDirection.IN)
    await session.commit()
    await check(session, conf)
    assert rebuilds.calls >= 2 and len(meanwhile) == rebuilds.calls  # the first fold, the zone change


class ids_then:
    """`summary._ids` (the rebuild's snapshot of the ids), then `after()`: what happens
    between that snapshot and the rebuild's next statements."""

    def __init__(self, after) -> None:
        self.original, self.after, self.calls = summary._ids, after, 0

    async def __call__(self, conn, low):
        found = await self.original(conn, low)
        self.calls += 1
        await self.after()
        return found


async def all_settled(conn) -> None:
    return None


async def test_a_rebuild_where_nothing_is_in_flight(session, monkeypatch):
    """SQLite's rebuild (its fold holds the write lock: no scan is being written) counts every
    row and leaves nothing pending: what is not a row then never becomes one."""
    monkeypatch.setattr(summary, "_settled", all_settled)
    conf = await make_conference(session, first_day=DAYS[0], last_day=DAYS[-1])
    reg = await make_registration(session, conf, await make_participant(session))
    session.add_all([a_scan(conf, reg, i, hours=i * 7) for i in (1, 2, 4, 5, 9)])
    await session.commit()
    await summary.refresh(session, conf, clock=now)
    await session.commit()
    assert await fold_state(session, conf) == (9, [])
    await check(session, conf)
    await session.execute(update(Conference).where(Conference.id == conf.id).values(timezone="America/Los_Angeles"))
    session.add(a_scan(conf, reg, 11, hours=70))
    await session.commit()
    await check(session, conf)
    assert await fold_state(session, conf) == (11, [])


async def test_an_id_missed_for_longer_than_the_grace_is_given_up(session):
    conf = await make_conference(session)
    reg = await make_registration(session, conf, await make_participant(session))
    await session.commit()

    def scan(scan_id: int) -> Scan:
        return Scan(
            id=scan_id,
            conference_id=conf.id,
            registration_id=reg.id,
            direction=ScanDirection.IN,
            result=ScanResult.OK,
            scanned_at=START + timedelta(hours=scan_id),
        )

    t0 = now()
    await summary.refresh(session, conf, clock=lambda: t0)  # the first fold: built from scratch
    session.add_all([scan(1), scan(4)])
    await session.commit()
    await summary.refresh(session, conf, clock=lambda: t0)
    state = await session.get(AttendanceFold, conf.id)
    assert (state.scan_id, state.pending) == (4, [[2, 3, t0.isoformat()]])
    session.add(scan(2))
    await session.commit()
    await summary.refresh(session, conf, clock=lambda: t0 + timedelta(minutes=1))
    state = await session.get(AttendanceFold, conf.id, populate_existing=True)
    assert state.pending == [[3, 3, t0.isoformat()]]
    days = (await session.execute(select(AttendanceDay.day).where(AttendanceDay.conference_id == conf.id))).scalars()
    assert sorted(days) == [date(2024, 10, 30), date(2024, 10, 31)]  # 19:00 UTC on 30 Oct is 22:00 Minsk
    await summary.refresh(session, conf, clock=lambda: t0 + summary.PENDING_GRACE)
    state = await session.get(AttendanceFold, conf.id, populate_existing=True)
    assert state.pending == []


def a_scan(conf: Conference, reg, scan_id: int | None = None, hours: int = 1) -> Scan:
    return Scan(
        id=scan_id,
        conference_id=conf.id,
        registration_id=reg.id,
        direction=ScanDirection.IN,
        result=ScanResult.OK,
        scanned_at=START + timedelta(hours=hours),
        gate="Main",
    )


async def fold_state(session, conf: Conference) -> tuple[int, list]:
    state = await session.get(AttendanceFold, conf.id, populate_existing=True)
    return state.scan_id, state.pending


async def test_a_rebuild_keeps_ids_in_flight_pending_and_counts_each_once(session, monkeypatch):
    """Ids not rows at the rebuild's snapshot may be a door's transaction in flight: the
    rebuild counts them never, the next fold once. One commits while the rebuild runs
    (between its snapshot and its statements: they must not count it), one after it."""
    conf = await make_conference(session, first_day=DAYS[0], last_day=DAYS[-1])
    reg = await make_registration(session, conf, await make_participant(session))
    other = await make_registration(session, conf, await make_participant(session))
    session.add_all([a_scan(conf, reg, 1, hours=1), a_scan(conf, other, 4, hours=30)])
    await session.commit()

    async def meanwhile() -> None:
        session.add(a_scan(conf, other, 2, hours=2))  # other's first entry on its first day
        await session.flush()

    monkeypatch.setattr(summary, "_ids", ids_then(meanwhile))
    await summary.refresh(session, conf, clock=now)
    await session.commit()
    assert await fold_state(session, conf) == (4, [[3, 3, now().isoformat()]])  # 2 was read by id: a row by then
    await check(session, conf)
    session.add(a_scan(conf, reg, 3, hours=3))  # committed after the rebuild
    await session.commit()
    monkeypatch.undo()
    await check(session, conf)
    assert await fold_state(session, conf) == (4, [])


async def test_a_rebuild_after_a_zone_change_keeps_what_the_fold_row_knew(session):
    """Below the watermark only pending ids can still become rows: a rebuild keeps them
    pending (since when they were first missed: the grace does not start again) and takes
    the other ids below it for gone."""
    conf = await make_conference(session, first_day=DAYS[0], last_day=DAYS[-1])
    reg = await make_registration(session, conf, await make_participant(session))
    await session.commit()
    t0 = now()
    await summary.refresh(session, conf, clock=lambda: t0)
    session.add_all([a_scan(conf, reg, 2), a_scan(conf, reg, 5, hours=4), a_scan(conf, reg, 8, hours=40)])
    await session.commit()
    await summary.refresh(session, conf, clock=lambda: t0)
    assert await fold_state(session, conf) == (
        8,
        [[1, 1, t0.isoformat()], [3, 4, t0.isoformat()], [6, 7, t0.isoformat()]],
    )
    state = await session.get(AttendanceFold, conf.id)
    state.pending = [[3, 4, t0.isoformat()]]  # 1, 6, 7 given up (or never rows)
    await session.execute(update(Conference).where(Conference.id == conf.id).values(timezone="Asia/Tokyo"))
    await session.commit()
    session.add_all([a_scan(conf, reg, 4, hours=50), a_scan(conf, reg, 10, hours=60)])
    await session.commit()
    conf = await session.get(Conference, conf.id, populate_existing=True)
    later = t0 + timedelta(minutes=3)
    await summary.refresh(session, conf, clock=lambda: later)
    await session.commit()
    assert await fold_state(session, conf) == (10, [[3, 3, t0.isoformat()], [9, 9, later.isoformat()]])
    await check(session, conf)


@pytest.mark.skipif(not USE_PG, reason="PostgreSQL: SQLite's fold holds the write lock, as any write")
async def test_doors_do_not_wait_for_a_rebuild(session_factory, monkeypatch):
    """While a rebuild runs (paused at its first delete, and again after its ANALYZE, at the
    fold row's update) a door takes its lock on scan at once (NOWAIT: fails if any lock
    stood in its way) and commits its scan; a door whose transaction was in flight when the
    rebuild began commits too. The rebuild holds no lock that a door's would wait for; every
    scan is counted once afterwards."""
    async with session_factory() as s:
        conf = await make_conference(s, first_day=DAYS[0], last_day=DAYS[-1])
        reg = await make_registration(s, conf, await make_participant(s))
        s.add_all([a_scan(conf, reg, hours=h) for h in (1, 2, 30)])
        await s.commit()
    monkeypatch.setattr(summary, "_settled", SETTLED)  # which sees the door below writing
    in_flight = session_factory()
    in_flight.add(a_scan(conf, reg, hours=3))
    await in_flight.flush()  # an id taken, not committed
    async with session_factory() as s:
        s.add(a_scan(conf, reg, hours=31))  # a later id, committed
        await s.commit()
    report = session_factory()
    pid = (await report.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    held: list[set[tuple[str, str]]] = []  # the rebuild's locks, at each pause

    async def door_meanwhile(hours: int) -> None:
        async with session_factory() as door:
            await door.execute(text("LOCK TABLE scan IN ROW EXCLUSIVE MODE NOWAIT"))
            door.add(a_scan(conf, reg, hours=hours))
            await door.commit()
        if in_flight.in_transaction():
            await in_flight.commit()
        async with session_factory() as s:
            locks = await s.execute(
                text(
                    "SELECT relation::regclass::text, mode FROM pg_locks"
                    " WHERE pid = :pid AND locktype = 'relation' AND mode <> 'AccessShareLock'"
                ),
                {"pid": pid},
            )
            held.append({(str(r), str(m)) for r, m in locks})

    execute = AsyncConnection.execute

    async def pausing(self, statement, *args, **kw):
        table = getattr(statement, "table", None)
        if not held and isinstance(statement, Delete) and table is summary.DAY:
            await door_meanwhile(32)
        elif len(held) == 1 and isinstance(statement, Update) and table is summary.FOLD:
            await door_meanwhile(33)
        return await execute(self, statement, *args, **kw)

    monkeypatch.setattr(AsyncConnection, "execute", pausing)
    try:
        await summary.refresh(report, conf, clock=now)
        await report.commit()
    finally:
        await report.close()
        await in_flight.close()
        monkeypatch.undo()
    assert len(held) == 2
    # beyond the summary's own tables (and their indexes): ROW SHARE (its foreign keys' row
    # locks, on conference and registration), which only EXCLUSIVE locks conflict with, and
    # ROW EXCLUSIVE on the id sequence (read for `_settled`), which is what nextval takes too
    others = {(relation, mode) for relation, mode in set.union(*held) if "attendance_" not in relation}
    others -= {("scan_id_seq", "RowExclusiveLock")}
    assert {mode for _, mode in others} <= {"RowShareLock"}, others
    assert ("attendance_day", "ShareUpdateExclusiveLock") in held[1]  # its ANALYZE's, on its own tables
    async with session_factory() as s:
        await check(s, conf)
        assert (await s.execute(select(func.count()).where(SCAN.c.conference_id == conf.id))).scalar_one() == 7


@pytest.mark.skipif(not USE_PG, reason="PostgreSQL: on SQLite a report's transaction holds the write lock throughout")
async def test_a_report_that_waited_for_another_folds_up_to_now(session_factory, monkeypatch):
    """Report B reads the top id, then waits for the fold row that report A holds; scans
    are committed meanwhile. Once A commits, B folds them too (it reads the top again under
    the lock), and no scan is counted twice or given up unread."""
    async with session_factory() as s:
        conf = await make_conference(s, first_day=DAYS[0], last_day=DAYS[-1])
        reg = await make_registration(s, conf, await make_participant(s))
        s.add(a_scan(conf, reg, hours=1))
        await s.commit()
        await summary.refresh(s, conf, clock=now)
        await s.commit()
        s.add(a_scan(conf, reg, hours=2))
        await s.commit()
    a, b = session_factory(), session_factory()
    await summary.refresh(a, conf, clock=now)  # holds the fold row until it commits
    execute = AsyncConnection.execute
    waiting = asyncio.Event()

    async def flagging(self, statement, *args, **kw):
        if isinstance(statement, Select) and statement._for_update_arg is not None:
            waiting.set()  # B read the top and is about to wait for A's row lock
        return await execute(self, statement, *args, **kw)

    monkeypatch.setattr(AsyncConnection, "execute", flagging)
    try:
        task = asyncio.create_task(summary.refresh(b, conf, clock=lambda: now() + timedelta(minutes=1)))
        await waiting.wait()
        async with session_factory() as s:
            s.add(a_scan(conf, reg, hours=26))  # committed while B waits
            await s.commit()
            top = (await s.execute(select(func.max(SCAN.c.id)))).scalar_one()
        await a.commit()
        await task
        await b.commit()
    finally:
        await a.close()
        await b.close()
        monkeypatch.undo()
    async with session_factory() as s:
        assert (await fold_state(s, conf))[0] == top
        await check(s, conf)


async def test_every_report_folds_with_its_own_clock(session):
    """A pending id is aged by the report's clock: by_day too (it folded with the real one,
    and gave up at once an id stamped by a report on another clock)."""
    conf = await make_conference(session, first_day=DAYS[0], last_day=DAYS[-1])
    reg = await make_registration(session, conf, await make_participant(session))
    await session.commit()
    await reporting.stats(session, conf, clock=now)
    session.add(a_scan(conf, reg, 2))  # 1: in flight
    await session.commit()
    await reporting.stats(session, conf, clock=now)
    assert await fold_state(session, conf) == (2, [[1, 1, now().isoformat()]])
    await reporting.by_day(session, conf, clock=lambda: now() + timedelta(minutes=1))
    await session.commit()
    assert await fold_state(session, conf) == (2, [[1, 1, now().isoformat()]])
    session.add(a_scan(conf, reg, 1, hours=27))
    await session.commit()
    await check(session, conf)


async def test_doors_scan_while_the_attendance_export_streams(database_url, session_factory, monkeypatch, tmp_path):
    """The export folds (a short write, committed), then streams the file in a transaction
    that only reads: on SQLite a door (busy_timeout 0: any wait fails) takes the write lock
    and commits a scan while the file is being written; on PostgreSQL it takes its lock on
    scan at once. Afterwards a unit of work on the same engine holds the write lock again."""
    async with session_factory() as s:
        conf = await make_conference(s, first_day=DAYS[0], last_day=DAYS[-1])
        regs = [await make_registration(s, conf, await make_participant(s)) for _ in range(3)]
        s.add_all([a_scan(conf, reg, hours=h) for reg in regs for h in (1, 25)])
        await s.commit()
    doors = make_engine(database_url + ("" if USE_PG else "?timeout=0"))
    rows = export_files._rows
    scanned: list[int] = []

    async def door_scan() -> None:
        async with make_session_factory(doors)() as door:
            if USE_PG:
                await door.execute(text("LOCK TABLE scan IN ROW EXCLUSIVE MODE NOWAIT"))
            door.add(a_scan(conf, regs[0], hours=26))
            await door.commit()
            scanned.append(1)

    async def streaming(table, session, for_csv):
        async for batch in rows(table, session, for_csv):
            if not scanned:
                await door_scan()
            yield batch

    monkeypatch.setattr(export_files, "_rows", streaming)
    try:
        async with unit_of_work(session_factory) as s:
            result = await reporting.export(s, conf, "attendance", "xlsx", tmp_path / "a.xlsx", clock=now)
        assert scanned and result.rows == 3
        if not USE_PG:  # the export's deferred read ended with it: a writer's transaction again
            async with unit_of_work(session_factory) as s:
                await s.execute(select(func.count()).select_from(Scan))
                with pytest.raises(Exception, match="locked"):
                    await door_scan()
    finally:
        await doors.dispose()
    async with session_factory() as s:
        await check(s, conf)


@pytest.mark.skipif(not USE_PG, reason="PostgreSQL's sequence and locks")
async def test_ids_are_settled_up_to_the_sequence_while_no_door_writes(session_factory, monkeypatch):
    """With no transaction writing scan, every id drawn so far is a row or never one: a
    rebuild keeps no gap below them pending. With a door's transaction open, nothing is
    known (its id may commit later)."""
    monkeypatch.setattr(summary, "_settled", SETTLED)
    async with session_factory() as s:
        conf = await make_conference(s, first_day=DAYS[0], last_day=DAYS[-1])
        reg = await make_registration(s, conf, await make_participant(s))
        await s.commit()
        s.add_all([a_scan(conf, reg, hours=h) for h in (1, 2, 3)])
        await s.flush()
        s.add(a_scan(conf, reg, hours=4))
        await s.rollback()  # its ids drawn, never rows
        await s.refresh(conf)
        await s.refresh(reg)
        s.add_all([a_scan(conf, reg, hours=h) for h in (5, 6)])
        await s.commit()
        top = (await s.execute(select(func.max(SCAN.c.id)))).scalar_one()
        assert await SETTLED(await s.connection()) >= top
        door = session_factory()
        door.add(a_scan(conf, reg, hours=7))
        await door.flush()
        assert await SETTLED(await s.connection()) == 0
        await door.rollback()
        await door.close()
        await s.commit()
        await summary.refresh(s, conf, clock=now)
        await s.commit()
        assert await fold_state(s, conf) == (top, [])
        await check(s, conf)


def test_ids_left_out_are_each_read_once():
    """Short ranges go as lists of ids, long ones as at most `most` windows; an id in a
    window is not in the list too (a fold counts what it reads)."""
    ranges = [(1, 2), (10, 60), (70, 71), (100, 200), (5000, 5001), (9000, 9100)]
    ids, windows = summary._split(ranges, 2)
    assert windows == [(10, 200), (9000, 9100)]
    assert ids == [1, 2, 5000, 5001]


async def test_a_rebuild_with_long_and_short_gaps_in_flight(session, monkeypatch):
    """Gaps long and short at the rebuild's snapshot, an id of each committed while it runs:
    each scan counted once, the rest pending."""
    conf = await make_conference(session, first_day=DAYS[0], last_day=DAYS[-1])
    reg = await make_registration(session, conf, await make_participant(session))
    other = await make_registration(session, conf, await make_participant(session))
    rows = [*range(1, 6), *range(61, 64), 65, *range(100, 140)]
    session.add_all([a_scan(conf, reg if i % 2 else other, i, hours=i % 70) for i in rows])
    await session.commit()

    async def meanwhile() -> None:
        session.add_all([a_scan(conf, other, 30, hours=5), a_scan(conf, reg, 64, hours=50)])
        await session.flush()

    monkeypatch.setattr(summary, "_ids", ids_then(meanwhile))
    await summary.refresh(session, conf, clock=now)
    await session.commit()
    missed = now().isoformat()
    assert await fold_state(session, conf) == (139, [[6, 29, missed], [31, 60, missed], [66, 99, missed]])
    await check(session, conf)
    monkeypatch.undo()
    session.add(a_scan(conf, reg, 80, hours=60))
    await session.commit()
    await check(session, conf)
