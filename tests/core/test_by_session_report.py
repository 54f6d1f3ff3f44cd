"""The by-session report (core.reporting.agenda_items) and one item's no-shows, every figure,
against the truth worked out in Python from the rows the test wrote, on awkward data: hall
and venue scans, exits, repeated entries, refused scans, scans with no registration, sign-ups
confirmed, waiting and cancelled (and scanned or not), a break and a cancelled item (left out),
an item with nothing, another conference's item. Its queries read a partial index of accepted
hall entries and a covering sign-up index (migration 0014): this is what must keep them right.
SQLite, and PostgreSQL with CONFDESK_TEST_DATABASE_URL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from core import reporting
from core.models import (
    AgendaKind,
    AgendaSignup,
    AttendanceFold,
    Registration,
    Scan,
    ScanDirection,
    ScanResult,
    SignupStatus,
)
from core.reporting import agenda_items, summary
from core.reporting.sql import SCAN, item_entries
from tests.factories import make_conference, make_item, make_participant, make_registration

START = datetime(2024, 10, 31, 7, 0, tzinfo=UTC)
RESULTS = [ScanResult.OK] * 5 + [ScanResult.DUPLICATE, ScanResult.INVALID, ScanResult.REVOKED, ScanResult.NOT_ALLOWED]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("folds", [False, True])
async def test_by_session_and_no_shows_match_the_truth(session, seed, folds):
    """`folds`: the attendance summary folded after half the scans (the report then reads
    the people per item it holds, and the entries above its watermark), then a
    registration deleted (its pairs and their counts go), the summary folded again, rebuilt
    for another time zone, and rebuilt from scratch, each checked."""
    rng = random.Random(seed)
    conf = await make_conference(session)
    other = await make_conference(session, slug="other-2024")
    names, regs = {}, []
    for i in range(30):
        p = await make_participant(session, full_name=f"Person {i:02d} {rng.randrange(1000)}")
        reg = await make_registration(session, conf, p)
        names[reg.id] = p.full_name
        regs.append(reg.id)
    other_reg = (await make_registration(session, other, await make_participant(session))).id
    shown = [
        await make_item(session, conf, f"i{n}", start=START + timedelta(hours=n), capacity=rng.choice([None, 5]))
        for n in range(4)
    ]
    hl = await make_item(session, conf, "hl", kind=AgendaKind.HIGH_LEVEL, start=START + timedelta(hours=5))
    empty = await make_item(session, conf, "empty", start=START + timedelta(hours=6))
    pause = await make_item(session, conf, "pause", kind=AgendaKind.BREAK, start=START + timedelta(hours=7))
    gone = await make_item(session, conf, "gone", start=START + timedelta(hours=8))
    gone.cancelled_at = START
    foreign = await make_item(session, other, "far", start=START)
    await session.flush()
    reported = [i.id for i in [*shown, hl, empty]]
    hidden = [pause.id, gone.id]

    signups: dict[tuple[int, int], SignupStatus] = {}
    for item_id in [i.id for i in shown] + hidden:
        for ticket, reg_id in enumerate(rng.sample(regs, rng.randrange(6, 16)), start=1):
            status = rng.choice([SignupStatus.CONFIRMED] * 3 + [SignupStatus.WAITLISTED, SignupStatus.CANCELLED])
            signups[(reg_id, item_id)] = status
            session.add(
                AgendaSignup(
                    registration_id=reg_id,
                    agenda_item_id=item_id,
                    status=status,
                    waitlist_ticket=ticket if status == SignupStatus.WAITLISTED else None,
                )
            )

    scans: list[tuple[int | None, int | None, ScanDirection, ScanResult]] = []
    for _ in range(400):
        item = rng.choice([None, None, *reported, *hidden])
        row = (
            None if rng.random() < 0.05 else rng.choice(regs),
            item,
            ScanDirection.OUT if rng.random() < 0.3 else ScanDirection.IN,
            rng.choice(RESULTS),
        )
        scans.append(row)
        if rng.random() < 0.1:  # the same scan again: a repeated entry (or exit) of the same person
            scans.append(row)
    for n, (reg_id, item_id, direction, result) in enumerate(scans):
        if folds and n == len(scans) // 2:
            await session.commit()
            await summary.refresh(session, conf)
        session.add(
            Scan(
                conference_id=conf.id,
                registration_id=reg_id,
                agenda_item_id=item_id,
                direction=direction,
                result=result,
                scanned_at=START + timedelta(minutes=rng.randrange(600)),
                gate="Main",
            )
        )
    for direction in ScanDirection:  # another conference's hall: nothing of it is counted here
        session.add(
            Scan(
                conference_id=other.id,
                registration_id=other_reg,
                agenda_item_id=foreign.id,
                direction=direction,
                result=ScanResult.OK,
                scanned_at=START,
                gate="Main",
            )
        )
    await session.commit()

    came = {(r, i) for r, i, d, res in scans if r is not None and d == ScanDirection.IN and res == ScanResult.OK}
    # people scanned at an item (an exit, a refusal) who did not enter it: not counted there
    assert any(r is not None and i in reported and (r, i) not in came for r, i, *_ in scans)
    await check(session, conf, reported, signups, came, names)
    if not folds:
        return
    gone = min(r for r, i in came if i in reported and (r, i) in signups)  # scanned in at an item, signed up there
    await session.execute(delete(Registration).where(Registration.id == gone))  # scans SET NULL, sign-ups go
    await session.commit()
    signups = {k: v for k, v in signups.items() if k[0] != gone}
    came = {(r, i) for r, i in came if r != gone}
    await check(session, conf, reported, signups, came, names)
    await summary.refresh(session, conf)
    await check(session, conf, reported, signups, came, names)
    conf.timezone = "Asia/Tokyo"  # days cut elsewhere: the summary is rebuilt
    await session.commit()
    await summary.refresh(session, conf)
    await check(session, conf, reported, signups, came, names)
    await session.execute(delete(AttendanceFold))  # as a migration forcing a rebuild does
    await session.commit()
    await summary.refresh(session, conf)
    await check(session, conf, reported, signups, came, names)


async def check(session, conf, reported, signups, came, names) -> None:
    lines = await reporting.by_item(session, conf)
    assert [line.item_id for line in lines] == reported  # in start order; the break and the cancelled left out
    for line in lines:
        i = line.item_id
        confirmed = {r for (r, it), s in signups.items() if it == i and s == SignupStatus.CONFIRMED}
        waiting = {r for (r, it), s in signups.items() if it == i and s == SignupStatus.WAITLISTED}
        people = {r for r, it in came if it == i}
        got = (line.signed_up, line.waitlisted, line.scanned, line.signed_and_scanned, line.no_shows, line.walk_ins)
        want = (
            len(confirmed),
            len(waiting),
            len(people),
            len(confirmed & people),
            len(confirmed - people),
            len(people - confirmed),
        )
        assert got == want, line.code
        one, absent = await reporting.no_shows(session, conf, i, limit=100)
        assert one == line
        assert [p.registration_id for p in absent] == sorted(confirmed - people, key=lambda r: names[r])
    assert (await reporting.by_item(session, conf))[-1].code == "empty"
    assert sum(line.signed_and_scanned for line in lines) > 0  # the data has every case it means to
    assert sum(line.walk_ins for line in lines) > 0 and sum(line.no_shows for line in lines) > 0


async def test_item_entries_are_read_from_the_partial_index(session):
    """item_entries() spells result and direction as literals, so that the database can use
    the partial index ix_scan_report_item; with bound values SQLite does not (and PostgreSQL
    may stop once a prepared statement goes generic)."""
    query = select(SCAN.c.registration_id).where(*item_entries(), SCAN.c.agenda_item_id.in_([1, 2]))
    conn = await session.connection()
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    assert "'ok'" in str(compiled) and "'in'" in str(compiled)
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL's choice depends on its statistics: an empty table is read whole
    params = tuple(compiled.params[name] for name in compiled.positiontup or [])
    plan = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
    assert "ix_scan_report_item" in " ".join(str(r[-1]) for r in plan)


async def test_the_report_folds_only_past_a_few_new_scans(session, monkeypatch):
    """By session reads the entries above the summary's watermark as they are, and folds them
    first only when more than FOLD_AFTER ids are there (or nothing was ever folded)."""
    monkeypatch.setattr(agenda_items, "FOLD_AFTER", 3)
    conf = await make_conference(session)
    item = await make_item(session, conf, "i1", start=START)
    regs = [await make_registration(session, conf, await make_participant(session)) for _ in range(8)]

    async def enter(reg) -> None:
        session.add(
            Scan(
                conference_id=conf.id,
                registration_id=reg.id,
                agenda_item_id=item.id,
                direction=ScanDirection.IN,
                result=ScanResult.OK,
                scanned_at=START,
                gate="Main",
            )
        )
        await session.commit()

    async def report() -> tuple[int, int]:
        [line] = await reporting.by_item(session, conf)
        watermark = (await session.execute(select(AttendanceFold.scan_id))).scalar()
        return line.scanned, watermark

    await enter(regs[0])
    assert await report() == (1, 1)  # never folded: folded now
    for reg in regs[1:4]:
        await enter(reg)
    assert await report() == (4, 1)  # 3 new ids: read as they are
    await enter(regs[4])
    await enter(regs[0])  # again: one person
    assert await report() == (5, 6)  # 5 new ids: folded first
