"""The attendance summary (core/reporting/summary.py) against the from-scratch queries the
reports used before it (kept here as the oracle): random scan sequences with entries, exits,
duplicates, refusals, hall scans, offline-style late inserts (old times, new ids), ids that
become rows only after a later id was folded (PostgreSQL's late commits), another
conference's scans, a time-zone change and an erasure. SQLite, and PostgreSQL with
CONFDESK_TEST_DATABASE_URL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import distinct, func, select, update

from core import reporting
from core.models import AttendanceDay, AttendanceFold, Category, Conference, Scan, ScanDirection, ScanResult
from core.people.erasure import forget
from core.reporting import summary
from core.reporting.days import day_bounds
from core.reporting.sql import REG, SCAN, entry_conditions
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


async def check(session, conf: Conference) -> None:
    """Every report that counts people checked in agrees with the oracle, on every day."""
    conf = await session.get(Conference, conf.id, populate_existing=True)
    by_day = {line.day: (line.present, line.entries, line.refused) for line in await reporting.by_day(session, conf)}
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


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_summary_follows_random_scans(session, seed):
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
        if rebuild:  # a rebuild waits for every scan being written (SHARE lock): none is in flight
            for late in held[: len(held) // 2]:  # committed; the others rolled back, never rows
                keep, next_id = next_id, late
                add(START + timedelta(minutes=rng.randrange(72 * 60)), result=ScanResult.OK)
                next_id = keep
            held.clear()
            await session.commit()
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
