"""/stats and the delegation report, every figure, against from-scratch queries over
registration, presence and scan (the oracle), while registrations change under them: moved to
another category or delegation (by the ORM and by a bulk UPDATE, as the import writes), a
status changed, a delegation deleted (its registrations' delegation set NULL by the foreign
key), a person erased (/forget), the time zone changed (the summary rebuilt); and scans and
presence moving meanwhile. The summary's rows carry copies of their registration's category
and delegation (written with the row, rewritten by a trigger of migration 0013 when the
registration changes): this is what must keep them right.
And on PostgreSQL, a change made while a fold is writing that registration's rows. SQLite, and
PostgreSQL with CONFDESK_TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update

from core import reporting
from core.models import (
    AgendaKind,
    Category,
    Conference,
    Delegation,
    Presence,
    Registration,
    RegistrationStatus,
    Scan,
    ScanDirection,
    ScanResult,
)
from core.people.erasure import forget
from core.reporting import summary
from core.reporting.days import day_bounds, today_start
from core.reporting.sql import PRESENCE, REG, SCAN, entry_conditions, enum_text, item_entries
from core.uow import unit_of_work
from tests.dbutil import USE_PG
from tests.factories import make_conference, make_delegation, make_item, make_participant, make_registration

START = datetime(2024, 10, 30, 18, 0, tzinfo=UTC)  # scans from here, over about three days
DAYS = [date(2024, 10, 30) + timedelta(days=i) for i in range(4)]
ZONES = ["Asia/Tokyo", "America/Los_Angeles", "UTC"]


def now() -> datetime:
    return datetime(2024, 10, 31, 15, 0, tzinfo=UTC)


async def _grouped(session, query) -> dict[Any, int]:
    return {(enum_text(k) if isinstance(k, Category) else k): int(n) for k, n in await session.execute(query)}


async def oracle_stats(session, conf: Conference, day: date) -> dict[str, dict[str, int]]:
    """Per category: registered, pending, approved, checked in on `day` (an accepted entry in
    the day's bounds, read from scan), inside now; lines with nothing left out."""
    cid = conf.id
    start, end = day_bounds(conf, day)
    lines: dict[str, dict[str, int]] = {}
    for cat, status, n in await session.execute(
        select(REG.c.category, REG.c.status, func.count())
        .where(REG.c.conference_id == cid)
        .group_by(REG.c.category, REG.c.status)
    ):
        line = lines.setdefault(enum_text(cat), {})
        line["registered"] = line.get("registered", 0) + n
        line[enum_text(status)] = line.get(enum_text(status), 0) + n
    entered = select(SCAN.c.registration_id).where(*entry_conditions(cid, start, end))
    checked = select(REG.c.category, func.count()).where(REG.c.conference_id == cid, REG.c.id.in_(entered))
    for cat, n in await session.execute(checked.group_by(REG.c.category)):
        lines.setdefault(enum_text(cat), {})["checked_in"] = n
    for cat, n in await session.execute(_inside(REG.c.category, conf)):
        lines.setdefault(enum_text(cat), {})["inside"] = n
    return {cat: {k: v for k, v in line.items() if k in FIGURES} for cat, line in lines.items()}


FIGURES = ("registered", "pending", "approved", "checked_in", "inside")


def _inside(group: Any, conf: Conference) -> Any:
    return (
        select(group, func.count())
        .select_from(PRESENCE.join(REG, REG.c.id == PRESENCE.c.registration_id))
        .where(REG.c.conference_id == conf.id, PRESENCE.c.inside.is_(True), PRESENCE.c.since >= today_start(conf, now))
        .group_by(group)
    )


async def oracle_delegations(session, conf: Conference, day: date, hl_items: list[int]) -> dict[Any, dict[str, int]]:
    cid, group = conf.id, REG.c.delegation_id
    start, end = day_bounds(conf, day)
    entered = select(SCAN.c.registration_id).where(*entry_conditions(cid, start, end))
    at_high_level = select(SCAN.c.registration_id).where(*item_entries(), SCAN.c.agenda_item_id.in_(hl_items))
    queries = {
        "accredited": select(group, func.count()).where(REG.c.conference_id == cid, REG.c.status == "approved"),
        "present": select(group, func.count()).where(REG.c.conference_id == cid, REG.c.id.in_(entered)),
        "high_level": select(group, func.count()).where(REG.c.conference_id == cid, REG.c.id.in_(at_high_level)),
    }
    lines: dict[Any, dict[str, int]] = {}
    for key, query in queries.items():
        for d, n in await session.execute(query.group_by(group)):
            lines.setdefault(d, {})[key] = n
    for d, n in await session.execute(_inside(group, conf)):
        lines.setdefault(d, {})["inside"] = n
    return lines


async def check(session, conference_id: int, hl_items: list[int]) -> None:
    conf = await session.get(Conference, conference_id, populate_existing=True)
    for day in DAYS:
        stats = await reporting.stats(session, conf, day=day, clock=now)
        shown = {
            line.category: {k: v for k in FIGURES if (v := getattr(line, k))}
            for line in stats.by_category
            if any(getattr(line, k) for k in FIGURES)
        }
        expected = await oracle_stats(session, conf, day)
        assert shown == expected, (day, conf.timezone)
        assert stats.checked_in == sum(line.get("checked_in", 0) for line in expected.values())
        assert stats.inside == sum(line.get("inside", 0) for line in expected.values())
        assert stats.registered == sum(line.get("registered", 0) for line in expected.values())
        report = await reporting.by_delegation(session, conf, day=day, clock=now)
        figures = ("accredited", "present", "inside", "high_level")
        got = {
            line.delegation_id: {k: v for k in figures if (v := getattr(line, k))}
            for line in report.lines
            if any(getattr(line, k) for k in figures)
        }
        assert got == await oracle_delegations(session, conf, day, hl_items), (day, conf.timezone)
        await session.commit()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_reports_follow_registration_changes(session, seed):
    rng = random.Random(seed)
    conf = await make_conference(session, first_day=DAYS[0], last_day=DAYS[-1])
    other = await make_conference(session, slug="other-2024")
    dels = [await make_delegation(session, conf, code) for code in ("BY", "HU", "KZ", "UZ")]
    other_del = await make_delegation(session, other, "BY")
    people, regs = [], []
    for i in range(14):
        p = await make_participant(session)
        people.append(p.telegram_id)
        reg = await make_registration(
            session,
            conf,
            p,
            delegation=dels[i % 5] if i % 5 < 4 else None,
            category=list(Category)[i % 5],
            status=RegistrationStatus.PENDING if i % 6 == 0 else RegistrationStatus.APPROVED,
        )
        regs.append(reg.id)
    other_reg = (await make_registration(session, other, await make_participant(session), delegation=other_del)).id
    items = [
        (await make_item(session, conf, "hl", kind=AgendaKind.HIGH_LEVEL, start=START + timedelta(hours=15))).id,
        (await make_item(session, conf, "th", start=START + timedelta(hours=17))).id,
    ]
    cid, other_id, live_dels = conf.id, other.id, [d.id for d in dels]
    await session.commit()

    def add_scans(n: int) -> None:
        for _ in range(n):
            roll = rng.random()
            session.add(
                Scan(
                    conference_id=other_id if roll < 0.1 else cid,
                    registration_id=other_reg if roll < 0.1 else rng.choice(regs),
                    agenda_item_id=rng.choice([None, None, *items]),
                    direction=ScanDirection.OUT if rng.random() < 0.25 else ScanDirection.IN,
                    result=rng.choice([ScanResult.OK] * 4 + [ScanResult.DUPLICATE, ScanResult.INVALID]),
                    scanned_at=START + timedelta(minutes=rng.randrange(72 * 60)),
                    gate="Main",
                )
            )

    async def move_presence() -> None:
        for reg_id in rng.sample(regs, 4):
            since = now() - timedelta(hours=rng.randrange(40))
            await session.execute(delete(Presence).where(Presence.registration_id == reg_id))
            session.add(Presence(registration_id=reg_id, inside=rng.random() < 0.6, since=since))
        await session.flush()

    async def alive() -> list[int]:
        found = await session.execute(select(Registration.id).where(Registration.conference_id == cid))
        return list(found.scalars())

    add_scans(40)
    await move_presence()
    await session.commit()
    await check(session, cid, items[:1])  # the first fold: built from scratch
    for step in range(16):
        regs = await alive()
        add_scans(rng.randrange(1, 10))
        await move_presence()
        change = step % 8
        if change == 0:  # re-categorised through the ORM
            reg = await session.get(Registration, rng.choice(regs))
            reg.category = rng.choice(list(Category))
        elif change == 1:  # moved to another delegation, or to none
            reg = await session.get(Registration, rng.choice(regs))
            reg.delegation_id = rng.choice([None, *live_dels])
        elif change == 2:  # a bulk UPDATE, as the protocol office's import writes
            await session.execute(
                update(Registration)
                .where(Registration.id.in_(rng.sample(regs, 3)))
                .values(category=rng.choice(list(Category)), delegation_id=rng.choice([None, *live_dels]))
            )
        elif change == 3:  # approved, rejected, cancelled
            reg = await session.get(Registration, rng.choice(regs))
            reg.status = rng.choice(list(RegistrationStatus))
        elif change == 4 and len(live_dels) > 1:  # a delegation deleted: ON DELETE SET NULL
            gone = live_dels.pop(rng.randrange(len(live_dels)))
            await session.execute(delete(Delegation).where(Delegation.id == gone))
        elif change == 5:  # /forget
            await forget(session, rng.choice(people))
        elif change == 6:  # a time-zone change: the summary is rebuilt, its copies filled anew
            await session.execute(update(Conference).where(Conference.id == cid).values(timezone=rng.choice(ZONES)))
        elif change == 7:  # a registration deleted: its summary rows go with it
            await session.execute(delete(Registration).where(Registration.id == rng.choice(regs)))
        await session.commit()
        session.expire_all()
        await check(session, cid, items[:1])
    rows = await session.execute(
        select(summary.DAY.c.registration_id, summary.DAY.c.category, summary.DAY.c.delegation_id).where(
            summary.DAY.c.conference_id == cid
        )
    )
    copies = {(reg_id, enum_text(cat), d) for reg_id, cat, d in rows}
    assert copies  # the test checked something
    truth = await session.execute(select(REG.c.id, REG.c.category, REG.c.delegation_id))
    current = {reg_id: (enum_text(cat), d) for reg_id, cat, d in truth}
    assert {(reg_id, cat, d) for reg_id, (cat, d) in current.items() if reg_id in {c[0] for c in copies}} == copies


async def test_a_deleted_delegation_takes_its_people_out_of_the_summary_copies(session):
    """ON DELETE SET NULL is the foreign key's own write: the registration's trigger follows it."""
    conf = await make_conference(session)
    delegation = await make_delegation(session, conf, "BY")
    reg = await make_registration(session, conf, await make_participant(session), delegation=delegation)
    session.add(
        Scan(
            conference_id=conf.id,
            registration_id=reg.id,
            direction=ScanDirection.IN,
            result=ScanResult.OK,
            scanned_at=datetime(2024, 10, 31, 8, 0, tzinfo=UTC),
        )
    )
    cid, did = conf.id, delegation.id
    await session.commit()
    day = date(2024, 10, 31)

    async def present() -> dict[Any, int]:
        conf = await session.get(Conference, cid, populate_existing=True)
        report = await reporting.by_delegation(session, conf, day=day, clock=now)
        return {line.delegation_id: line.present for line in report.lines if line.present}

    assert await present() == {did: 1}
    await session.execute(delete(Delegation).where(Delegation.id == did))
    await session.commit()
    assert await present() == {None: 1}
    copies = await session.execute(select(summary.DAY.c.delegation_id, summary.DAY.c.category))
    assert [(d, enum_text(c)) for d, c in copies] == [(None, "delegate")]


@pytest.mark.skipif(not USE_PG, reason="PostgreSQL's concurrent writers (SQLite has one writer at a time)")
async def test_a_change_waits_for_a_fold_writing_its_registrations_rows(session_factory):
    """A fold reads a registration's category as it writes a new day's row; a change of that
    category committed meanwhile would not see the row (not committed yet), so the change
    waits for the fold (the follow trigger takes the fold row's lock) and then rewrites it."""
    async with unit_of_work(session_factory) as session:
        conf = await make_conference(session, first_day=DAYS[0], last_day=DAYS[-1])
        reg = await make_registration(session, conf, await make_participant(session))
        cid, reg_id = conf.id, reg.id

    def entry(at: datetime) -> Scan:
        return Scan(conference_id=cid, registration_id=reg_id, direction="in", result="ok", scanned_at=at)

    async with unit_of_work(session_factory) as session:
        session.add(entry(datetime(2024, 10, 30, 8, 0, tzinfo=UTC)))
    async with unit_of_work(session_factory) as session:
        await summary.refresh(session, await session.get(Conference, cid), clock=now)  # the first fold
    async with unit_of_work(session_factory) as session:
        session.add(entry(datetime(2024, 10, 31, 8, 0, tzinfo=UTC)))  # a new day's row to fold

    async def recategorise() -> None:
        async with unit_of_work(session_factory) as other:
            await other.execute(update(Registration).where(Registration.id == reg_id).values(category=Category.PRESS))

    async with unit_of_work(session_factory) as fold:
        await summary.refresh(fold, await fold.get(Conference, cid), clock=now)  # writes 31 Oct's row
        change = asyncio.create_task(recategorise())
        async with session_factory() as watcher:  # until the change waits for the lock (or is done)
            waiting = (
                select(func.count())
                .select_from(text("pg_stat_activity"))
                .where(text("wait_event_type = 'Lock' AND datname = current_database()"))
            )
            for _ in range(3000):
                if change.done() or (await watcher.execute(waiting)).scalar_one():
                    break
                # pg_stat_activity is a snapshot kept until the transaction ends: a new one per look
                await watcher.rollback()
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the change neither waited nor finished")
    await change
    async with session_factory() as session:
        found = await session.execute(select(summary.DAY.c.day, summary.DAY.c.category))
        assert sorted((day, enum_text(c)) for day, c in found) == [(DAYS[0], "press"), (DAYS[1], "press")]


async def _waiting_for_a_lock(watcher: Any, task: asyncio.Task[Any]) -> None:
    """Until another connection waits for a lock (or `task` is done)."""
    query = (
        select(func.count())
        .select_from(text("pg_stat_activity"))
        .where(text("wait_event_type = 'Lock' AND datname = current_database()"))
    )
    for _ in range(3000):
        if task.done() or (await watcher.execute(query)).scalar_one():
            return
        await watcher.rollback()  # a new snapshot of pg_stat_activity per look
        await asyncio.sleep(0.01)
    raise AssertionError("nothing waited")


async def _a_new_day_to_fold(session_factory: Any) -> tuple[int, int]:
    """A registration folded on DAYS[0], with a scan on DAYS[1] not folded yet."""
    async with unit_of_work(session_factory) as session:
        conf = await make_conference(session, first_day=DAYS[0], last_day=DAYS[-1])
        reg = await make_registration(session, conf, await make_participant(session, full_name="Anna Petrova"))
        cid, reg_id = conf.id, reg.id

    def entry(at: datetime) -> Scan:
        return Scan(conference_id=cid, registration_id=reg_id, direction="in", result="ok", scanned_at=at)

    async with unit_of_work(session_factory) as session:
        session.add(entry(datetime(2024, 10, 30, 8, 0, tzinfo=UTC)))
    async with unit_of_work(session_factory) as session:
        await summary.refresh(session, await session.get(Conference, cid), clock=now)  # the first fold
    async with unit_of_work(session_factory) as session:
        session.add(entry(datetime(2024, 10, 31, 8, 0, tzinfo=UTC)))  # a new day's row to fold
    return cid, reg_id


async def _copies(session_factory: Any) -> list[tuple[date, str]]:
    async with session_factory() as session:
        found = await session.execute(select(summary.DAY.c.day, summary.DAY.c.category))
        return sorted((day, enum_text(c)) for day, c in found)


@pytest.mark.skipif(not USE_PG, reason="PostgreSQL's concurrent writers (SQLite has one writer at a time)")
async def test_an_edit_of_the_category_and_a_fold_do_not_deadlock(session_factory):
    """An edit (update_person) locks the registration, then changes its category: the follow
    trigger waits for the fold in progress, which is about to write that registration's new
    day (its foreign key check takes KEY SHARE on the registration). The edit's lock must let
    that check through (FOR NO KEY UPDATE), else each waits for the other (deadlock: one fails)."""
    from core.accreditation import registration as reg_svc
    from core.accreditation.registration import PersonData

    cid, reg_id = await _a_new_day_to_fold(session_factory)

    async def edit() -> None:
        async with unit_of_work(session_factory) as session:
            await reg_svc.update_person(
                session, reg_id, PersonData("Anna Petrova"), delegation_id=None, category=Category.PRESS
            )

    async with session_factory() as watcher:
        async with unit_of_work(session_factory) as fold:
            # a fold in progress: it holds the fold row (as refresh does first) ...
            await fold.execute(select(summary.FOLD).where(summary.FOLD.c.conference_id == cid).with_for_update())
            editing = asyncio.create_task(edit())
            await _waiting_for_a_lock(watcher, editing)  # the edit's trigger waits for it
            # ... and writes the registration's new day
            await summary.refresh(fold, await fold.get(Conference, cid), clock=now)
        await editing
    assert await _copies(session_factory) == [(DAYS[0], "press"), (DAYS[1], "press")]


@pytest.mark.skipif(not USE_PG, reason="PostgreSQL's concurrent writers (SQLite has one writer at a time)")
async def test_a_programme_load_and_a_fold_do_not_deadlock(session_factory):
    """A programme load holds its conference (FOR UPDATE, core/programme/stored.py) and may
    change a registration's category, whose follow trigger waits for a fold in progress; the
    fold's rows check their foreign key to the conference (KEY SHARE). The fold takes that
    before the fold row, so it waits for the load instead of the load waiting for it too."""
    from core.models import Conference as Conf

    cid, reg_id = await _a_new_day_to_fold(session_factory)

    async def fold() -> None:
        async with unit_of_work(session_factory) as session:
            await summary.refresh(session, await session.get(Conference, cid), clock=now)

    async with session_factory() as watcher:
        async with unit_of_work(session_factory) as load:
            await load.execute(select(Conf).where(Conf.id == cid).with_for_update())
            folding = asyncio.create_task(fold())
            await _waiting_for_a_lock(watcher, folding)
            await load.execute(update(Registration).where(Registration.id == reg_id).values(category=Category.PRESS))
        await folding
    assert await _copies(session_factory) == [(DAYS[0], "press"), (DAYS[1], "press")]
