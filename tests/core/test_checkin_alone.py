"""`scan_alone()`, a kiosk's scan as a unit of work of its own: the same verdicts and rows as
`scan()` in a unit of work (SQLite: it is that; PostgreSQL: unlocked read, then a
compare-and-set write), and what happens when another door moves presence in between."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from core.badges import make_token
from core.checkin import presence, scan, scan_alone, scanning
from core.errors import NotFound
from core.models import Category, Presence, RegistrationStatus, Scan, ScanDirection, ScanResult
from core.uow import unit_of_work
from tests.core import test_checkin
from tests.core.test_checkin import SECRET, Clock, code
from tests.dbutil import USE_PG
from tests.factories import make_conference, make_item, make_participant, make_registration

IN, OUT = ScanDirection.IN, ScanDirection.OUT
world = test_checkin.world  # the same badge, halls and conference


async def _locked(factory, conf, text, clock, **kw):
    async with unit_of_work(factory) as s:
        return await scan(s, conference_id=conf.id, text=text, secret=SECRET, clock=clock, **kw)


async def _alone(factory, conf, text, clock, **kw):
    kw.setdefault("staff_telegram_id", 7)
    kw.setdefault("gate", "Main")
    return await scan_alone(factory, conference_id=conf.id, text=text, secret=SECRET, clock=clock, **kw)


def _scenario(conf, reg, hall_a, hall_b, press_only, pending, foreign, other_item):
    """(text, keywords) of scans covering every rule and every move of presence, at the
    venue and in halls, with and without a nonce, and halls that are not this conference's."""
    venue, a, b = {}, {"agenda_item_id": hall_a.id}, {"agenda_item_id": hall_b.id}
    press_only_ = {"agenda_item_id": press_only.id}
    token = make_token(SECRET, reg.id, 1)
    return [
        (code(reg), venue),  # the badge's first scan: ok
        (code(reg), {"gate": "South", "staff_telegram_id": 2}),  # duplicate, naming Main
        (code(reg), a),
        (code(reg), a),  # duplicate in the hall
        (code(reg), venue),  # the venue while in a hall: duplicate
        (code(reg), {"agenda_item_id": press_only.id}),  # not_allowed
        (code(reg), b | {"direction": OUT}),  # was_not_inside
        (code(reg), a | {"direction": OUT}),
        (code(reg), {"direction": OUT}),
        (code(reg), {"direction": OUT}),  # was_not_inside
        (code(reg), venue | {"nonce": "n-1"}),
        (code(reg), venue | {"nonce": "n-1"}),  # replayed
        (code(reg), {"nonce": "n-2"}),  # duplicate with a nonce
        (code(reg), {"nonce": "n-2"}),  # replayed duplicate
        ("junk", venue),
        (b"\xff\x00", venue),
        (token[:-1] + ("A" if token[-1] != "A" else "B"), venue),  # forged
        (make_token(SECRET, 999_999, 1), venue),  # unknown
        (code(reg, 2), venue),  # unknown_version
        (code(pending), {"nonce": "n-3"}),  # not_approved, first scan of that badge
        (code(pending), {"nonce": "n-3"}),
        (code(foreign), venue),  # other_conference
        ("next day", {}),  # the clock moves a day: inside since yesterday enters afresh
        (code(reg), venue),
        # halls: their categories come with the badge's state on PostgreSQL's kiosk scan
        ("junk", a),  # not a badge, in a hall: stored with the hall
        ("junk", {"agenda_item_id": 999_999}),  # no such hall: NotFound, nothing stored
        (code(reg), {"agenda_item_id": 999_999}),
        (code(reg), {"agenda_item_id": other_item.id}),  # another conference's hall: NotFound
        (make_token(SECRET, 999_999, 1), b),  # unknown, in a hall
        (code(foreign), {"agenda_item_id": press_only.id}),  # other_conference before category
        (code(pending), press_only_),  # not_approved before category
        (code(reg), b | {"nonce": "n-4"}),
        (code(reg), b | {"nonce": "n-4"}),  # replayed, in a hall
        (code(reg), {"agenda_item_id": 999_999, "nonce": "n-4"}),  # replayed before the hall is looked up
        (code(reg), b | {"direction": OUT, "nonce": "n-5"}),
        ("junk", {"nonce": "n-6"}),
        ("junk", {"nonce": "n-6"}),  # a code that is no badge, replayed
        ("junk", a | {"nonce": "n-5"}),  # another line with a stored nonce: the stored verdict
    ]


async def _run(factory, conf, steps, judge):
    clock, out = Clock(), []
    for text, kw in steps:
        if text == "next day":
            clock.now += timedelta(days=1)
            continue
        kw = {"staff_telegram_id": 1, "gate": "Main", **kw}
        try:
            v = await judge(factory, conf, text, clock, **kw)
        except NotFound as exc:
            out.append({"error": exc.code, "params": exc.params})
            continue
        out.append({k: val for k, val in v.as_dict().items() if k != "scan_id"} | {"replayed": v.replayed})
    async with factory() as s:
        rows = (await s.execute(select(Scan).order_by(Scan.id))).scalars().all()
        stored = [{k: val for k, val in r.model_dump().items() if k != "id"} for r in rows]
        # a row of a badge no scan moved (PostgreSQL's locked read creates one for a refused
        # first scan; SQLite and the unlocked read do not) tells nothing: left out
        places = (await s.execute(select(Presence).where(Presence.last_scan_id.is_not(None)))).scalars().all()
        where = sorted((p.registration_id, p.inside, p.agenda_item_id, p.since) for p in places)
        await s.execute(delete(Presence))
        await s.execute(delete(Scan))
        await s.commit()
    return out, stored, where


async def test_a_kiosk_scan_gives_what_a_scan_in_a_unit_of_work_gives(session, session_factory, world):
    conf, reg, hall_a, hall_b, press_only = world
    pending = await make_registration(session, conf, await make_participant(session), status=RegistrationStatus.PENDING)
    other = await make_conference(session, "other-2025")
    foreign = await make_registration(session, other, await make_participant(session), category=Category.PRESS)
    other_item = await make_item(session, other, "a")
    await session.commit()
    await session.close()
    steps = _scenario(conf, reg, hall_a, hall_b, press_only, pending, foreign, other_item)
    locked = await _run(session_factory, conf, steps, _locked)
    alone = await _run(session_factory, conf, steps, _alone)
    assert [v["result"] for v in locked[0][:6]] == ["ok", "duplicate", "ok", "duplicate", "duplicate", "not_allowed"]
    assert sum(v.get("replayed", 0) for v in locked[0]) == 7 and locked[0][22]["result"] == "ok"
    assert [v.get("error") for v in locked[0]].count("not_found") == 3
    assert alone[0] == locked[0]  # every verdict, field by field
    assert alone[1] == locked[1] and len(alone[1]) == len(steps) - 1 - 7 - 3  # the rows: no replay stored
    assert alone[2] == locked[2] and alone[2]


# --- another door between this door's read and its write (PostgreSQL: compare-and-set) ---

pg_only = pytest.mark.skipif(not USE_PG, reason="SQLite's kiosk scan holds the write lock from its start")


def _meddle(monkeypatch, other_door, times=1):
    """Make `times` of this door's reads stale: right after each, `other_door()` scans and
    commits (its own reads pass through untouched)."""
    real, calls = presence.read, []

    async def read_then_other_door(*args):
        state = await real(*args)
        calls.append(args)
        if len(calls) <= times:
            monkeypatch.setattr(presence, "read", real)  # the other door reads for real
            try:
                await other_door()
            finally:
                monkeypatch.setattr(presence, "read", read_then_other_door)
        return state

    monkeypatch.setattr(presence, "read", read_then_other_door)
    return calls


async def _stored(factory):
    async with factory() as s:
        rows = (await s.execute(select(Scan).order_by(Scan.id))).scalars().all()
        place = (await s.execute(select(Presence))).scalars().all()
    return rows, place


@pg_only
@pytest.mark.parametrize("first", [True, False], ids=["first-entry", "entry-after-exit"])
async def test_two_doors_one_entry_when_the_write_misses(session_factory, world, monkeypatch, first):
    """South reads the badge outside; North lets it in before South writes: South's
    compare-and-set stores nothing, South reads again and refuses it as already inside.
    One entry admitted, one duplicate, each stored once."""
    conf, reg, *_ = world
    clock = Clock()
    if not first:
        assert (await _alone(session_factory, conf, code(reg), clock, staff_telegram_id=9, gate="East")).ok
        out = await _alone(session_factory, conf, code(reg), clock, staff_telegram_id=9, gate="East", direction=OUT)
        assert out.ok
    north = []

    async def north_door():
        north.append(await _alone(session_factory, conf, code(reg), clock, staff_telegram_id=1, gate="North"))

    calls = _meddle(monkeypatch, north_door)
    south = await _alone(session_factory, conf, code(reg), clock, staff_telegram_id=2, gate="South")
    assert len(calls) == 2  # South read twice: the first write missed
    assert north[0].ok
    assert south.result is ScanResult.DUPLICATE and south.detail == "already_inside"
    assert (south.already_gate, south.already_by, south.already_at) == ("North", 1, north[0].at)
    rows, place = await _stored(session_factory)
    mine = rows[-2:]
    assert [(r.gate, r.result) for r in mine] == [("North", ScanResult.OK), ("South", ScanResult.DUPLICATE)]
    assert [r.id for r in mine] == [north[0].scan_id, south.scan_id]
    assert len(rows) == (2 if first else 4)
    assert [(p.inside, p.last_scan_id) for p in place] == [(True, north[0].scan_id)]


@pg_only
async def test_a_duplicate_whose_badge_left_meanwhile_is_judged_again(session_factory, world, monkeypatch):
    """South reads the badge inside (a duplicate); an exit is scanned before South writes:
    South's duplicate is not stored, and judged again it is an entry."""
    conf, reg, *_ = world
    clock = Clock()
    assert (await _alone(session_factory, conf, code(reg), clock, gate="North", staff_telegram_id=1)).ok

    async def exit_door():
        assert (await _alone(session_factory, conf, code(reg), clock, gate="Exit", direction=OUT)).ok

    calls = _meddle(monkeypatch, exit_door)
    south = await _alone(session_factory, conf, code(reg), clock, staff_telegram_id=2, gate="South")
    assert len(calls) == 2 and south.ok
    rows, place = await _stored(session_factory)
    assert [(r.gate, r.result) for r in rows] == [
        ("North", ScanResult.OK),
        ("Exit", ScanResult.OK),
        ("South", ScanResult.OK),
    ]
    assert [(p.inside, p.last_scan_id) for p in place] == [(True, south.scan_id)]


@pg_only
async def test_the_same_nonce_from_another_door_in_between_is_replayed(session_factory, world, monkeypatch):
    """The same line sent twice (a kiosk's retry): the other one stores it between this one's
    read and write; this one stores nothing and answers the stored verdict."""
    conf, reg, *_ = world
    clock = Clock()
    other = []

    async def twin():
        other.append(await _alone(session_factory, conf, code(reg), clock, gate="Main", nonce="line-1"))

    _meddle(monkeypatch, twin)
    v = await _alone(session_factory, conf, code(reg), clock, gate="Main", nonce="line-1")
    assert v.replayed and v.ok and v.scan_id == other[0].scan_id
    rows, place = await _stored(session_factory)
    assert len(rows) == 1 and [(p.inside, p.last_scan_id) for p in place] == [(True, v.scan_id)]


@pg_only
async def test_a_first_entry_whose_nonce_was_stored_meanwhile_stores_nothing(session_factory, world, monkeypatch):
    """No presence row yet, and a scan with this nonce but no move of presence is stored in
    between: the first entry's statement fails whole on the foreign key (presence would
    point at no scan), and the stored scan's verdict is the answer."""
    conf, reg, *_ = world
    clock = Clock()

    async def stored_elsewhere():
        async with unit_of_work(session_factory) as s:  # a refusal stored with the same nonce
            await scan(s, conference_id=conf.id, text="junk", staff_telegram_id=1, gate="Main", nonce="line-2",
                       secret=SECRET, clock=clock)  # fmt: skip

    _meddle(monkeypatch, stored_elsewhere)
    v = await _alone(session_factory, conf, code(reg), clock, gate="Main", nonce="line-2")
    assert v.replayed and v.result is ScanResult.INVALID
    rows, place = await _stored(session_factory)
    assert len(rows) == 1 and place == []


@pg_only
async def test_a_door_that_keeps_missing_waits_for_the_lock(session_factory, world, monkeypatch):
    """Presence moved between every read and write: after CAS_TRIES misses the scan is
    judged under lock, in a transaction, and stored once."""
    conf, reg, *_ = world
    clock = Clock()
    directions = iter([IN, OUT] * scanning.CAS_TRIES)

    async def busy_door():
        assert (await _alone(session_factory, conf, code(reg), clock, gate="Busy", direction=next(directions))).ok

    calls = _meddle(monkeypatch, busy_door, times=scanning.CAS_TRIES)
    v = await _alone(session_factory, conf, code(reg), clock, gate="South")
    assert len(calls) == scanning.CAS_TRIES
    rows, _ = await _stored(session_factory)
    assert [r.gate for r in rows].count("South") == 1 and len(rows) == scanning.CAS_TRIES + 1
    # the busy door's last move was IN when CAS_TRIES is odd: then South is a duplicate
    expected = ScanResult.DUPLICATE if scanning.CAS_TRIES % 2 else ScanResult.OK
    assert v.result is expected


async def test_two_kiosks_at_once_one_entry(session_factory, world):
    """Two kiosks scanning one badge at the same moment (no hook: whichever order the
    database gives): one admitted, one already inside; the same line twice: one row."""
    conf, reg, *_ = world
    clock = Clock()
    doors = await asyncio.gather(*(_alone(session_factory, conf, code(reg), clock, gate=g) for g in ("N", "S")))
    assert sorted(v.result for v in doors) == [ScanResult.DUPLICATE, ScanResult.OK]
    assert (await _alone(session_factory, conf, code(reg), clock, gate="X", direction=OUT)).ok
    twins = await asyncio.gather(*(_alone(session_factory, conf, code(reg), clock, gate=g, nonce="t") for g in "AB"))
    assert twins[0].scan_id == twins[1].scan_id and twins[0].ok
    rows, place = await _stored(session_factory)
    assert len(rows) == 4 and [(p.inside, p.last_scan_id) for p in place] == [(True, twins[0].scan_id)]


def _count_round_trips(monkeypatch):
    """The first word of every statement asyncpg sends (its public calls that talk to the
    server: SQLAlchemy's BEGIN and COMMIT, its prepared statements, and ours)."""
    import asyncpg
    from asyncpg.prepared_stmt import PreparedStatement

    sent = []

    def counted(real, query_of):
        async def call(self, *args, **kwargs):
            sent.append(query_of(self, args).split()[0].upper())
            return await real(self, *args, **kwargs)

        return call

    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare"):
        real = getattr(asyncpg.Connection, name)
        monkeypatch.setattr(asyncpg.Connection, name, counted(real, lambda conn, args: args[0]))
    for name in ("fetch", "fetchrow", "fetchval", "executemany"):
        real = getattr(PreparedStatement, name)
        monkeypatch.setattr(PreparedStatement, name, counted(real, lambda stmt, args: stmt.get_query()))
    return sent


@pg_only
async def test_a_kiosk_scan_is_one_read_and_one_write_without_a_transaction(session_factory, world, monkeypatch):
    """PostgreSQL, no other door: a first entry, a duplicate, an exit and an entry after it
    are each two round trips to the server (read, compare-and-set), at the venue as in a
    hall (whose categories come with the read) and with a nonce (whose replay check too):
    no BEGIN, no COMMIT. A code that is no badge is one at the venue (its INSERT), two in a
    hall (the hall is looked up)."""
    conf, reg, hall_a, *_ = world
    clock, sent = Clock(), _count_round_trips(monkeypatch)
    a = {"agenda_item_id": hall_a.id}
    steps = [({}, "ok"), ({}, "duplicate"), ({"direction": OUT}, "ok"), ({}, "ok")]
    for i, place in enumerate(({}, a, a)):
        if i == 2:  # out of the hall first (still at the venue)
            assert (await _alone(session_factory, conf, code(reg), clock, direction=OUT, **a)).ok
        for j, (kw, result) in enumerate(steps):
            nonce = {"nonce": f"line-{j}"} if i == 2 else {}
            sent.clear()
            assert (await _alone(session_factory, conf, code(reg), clock, **place, **kw, **nonce)).result == result
            assert sent == ["SELECT", "WITH"], (place, nonce, kw, result, sent)
    for where, trips in [({}, ["INSERT"]), (a, ["SELECT", "INSERT"])]:
        sent.clear()
        assert (await _alone(session_factory, conf, "junk", clock, **where)).result is ScanResult.INVALID
        assert sent == trips, (where, sent)


@pg_only
async def test_a_scan_cancelled_mid_statement_gives_no_busy_connection_back(session_factory, world, engine):
    """A kiosk's scan cancelled while its statement waits (the offline kiosk gives up after
    its timeout: Central.call) leaves no connection in the pool that is still busy with it:
    every connection the pool hands out next answers (asyncpg: 'another operation is in
    progress' otherwise), as SQLAlchemy's own connections are invalidated on cancellation."""
    from sqlalchemy import text

    conf, reg, *_ = world
    clock = Clock()
    assert (await _alone(session_factory, conf, code(reg), clock)).ok
    async with engine.connect() as holder:  # the presence row locked: the scan's write waits
        await holder.execute(select(Presence).where(Presence.registration_id == reg.id).with_for_update())
        task = asyncio.ensure_future(_alone(session_factory, conf, code(reg), clock, direction=OUT))
        async with engine.connect() as watch:
            await watch.execution_options(isolation_level="AUTOCOMMIT")
            waiting = text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            while not (await watch.execute(waiting)).scalar():
                assert not task.done(), task.result()
                await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        idle = engine.pool.checkedin()
        taken = [await engine.raw_connection() for _ in range(idle)]
        try:
            for pooled in taken:
                assert await pooled.driver_connection.fetchval("SELECT 1") == 1
        finally:
            for pooled in taken:
                pooled.close()
        await holder.rollback()
    v = await _alone(session_factory, conf, code(reg), clock, direction=OUT)
    assert v.ok
