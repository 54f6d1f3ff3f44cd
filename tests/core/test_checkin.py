import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, null, select

from core.badges import badge_link, make_token, reissue_badge
from core.checkin import presence, scan
from core.errors import NotFound
from core.models import Category, Presence, RegistrationStatus, Scan, ScanDirection, ScanResult
from core.uow import unit_of_work
from tests.dbutil import USE_PG
from tests.factories import (
    make_conference,
    make_delegation,
    make_item,
    make_participant,
    make_registration,
)

SECRET = b"k" * 48
T0 = datetime(2024, 10, 31, 7, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
async def world(session):
    conf = await make_conference(session)
    deleg = await make_delegation(session, conf, "HU", name={"en": "Hungary"})
    p = await make_participant(session, full_name="Péter Szijjártó", native_name="Сийярто Петер")
    reg = await make_registration(session, conf, p, delegation=deleg, category=Category.HEAD)
    hall_a = await make_item(session, conf, "a")
    hall_b = await make_item(session, conf, "b")
    press_only = await make_item(session, conf, "press", allowed=["press"])
    await session.commit()
    session.expunge_all()  # detached copies: a service rollback cannot expire them
    return conf, reg, hall_a, hall_b, press_only


def code(reg, version=None):
    return badge_link("confdesk_bot", make_token(SECRET, reg.id, version or reg.badge_version))


async def do(session, conf, text, clock=None, **kw):
    kw.setdefault("staff_telegram_id", 555)
    kw.setdefault("gate", "Main")
    return await scan(session, conference_id=conf.id, text=text, secret=SECRET, clock=clock or Clock(), **kw)


async def scans(session):
    return (await session.execute(select(Scan).order_by(Scan.id))).scalars().all()


async def test_ok_then_duplicate_with_who_and_when(session, world):
    conf, reg, *_ = world
    clock = Clock()
    first = await do(session, conf, code(reg), clock)
    assert first.result is ScanResult.OK and first.name == "Péter Szijjártó"
    assert first.native_name == "Сийярто Петер" and first.delegation == {"en": "Hungary"}
    assert first.category == "head_of_delegation" and first.registration_id == reg.id
    again = await do(session, conf, code(reg), clock, staff_telegram_id=666, gate="Side")
    assert again.result is ScanResult.DUPLICATE
    assert again.already_at == first.at and again.already_by == 555 and again.already_gate == "Main"
    rows = await scans(session)
    assert [r.result for r in rows] == [ScanResult.OK, ScanResult.DUPLICATE]
    assert rows[1].staff_telegram_id == 666


async def test_invalid_variants_are_stored(session, world):
    conf, reg, *_ = world
    token = make_token(SECRET, reg.id, 1)
    for text, detail in [
        ("hello", "unreadable"),
        (token[:-1], "unreadable"),
        (token[:-1] + ("A" if token[-1] != "A" else "B"), "forged"),
        (make_token(b"x" * 48, reg.id, 1), "forged"),
        (make_token(SECRET, 99999, 1), "unknown"),
    ]:
        v = await do(session, conf, text)
        assert v.result is ScanResult.INVALID and v.detail == detail, text
        assert v.registration_id is None
    other = await make_conference(session, "other-2025")
    p = await make_participant(session)
    foreign = await make_registration(session, other, p)
    await session.commit()
    v = await do(session, conf, code(foreign))
    assert v.result is ScanResult.INVALID and v.detail == "other_conference"
    rows = await scans(session)
    assert len(rows) == 6 and all(r.registration_id is None for r in rows)
    assert rows[0].raw == "hello"


async def test_revoked_after_reissue(session, world):
    conf, reg, *_ = world
    old = code(reg)
    await reissue_badge(session, reg.id)
    v = await do(session, conf, old)
    assert v.result is ScanResult.REVOKED and v.registration_id == reg.id
    v = await do(session, conf, code(reg, 2))
    assert v.result is ScanResult.OK


async def test_not_approved_and_not_allowed(session, world):
    conf, reg, _a, _b, press_only = world
    p = await make_participant(session)
    pending = await make_registration(session, conf, p, status=RegistrationStatus.PENDING)
    await session.commit()
    v = await do(session, conf, code(pending))
    assert v.result is ScanResult.NOT_APPROVED and v.detail == "pending"
    v = await do(session, conf, code(reg), agenda_item_id=press_only.id)
    assert v.result is ScanResult.NOT_ALLOWED
    p2 = await make_participant(session)
    journalist = await make_registration(session, conf, p2, category=Category.PRESS)
    await session.commit()
    v = await do(session, conf, code(journalist), agenda_item_id=press_only.id)
    assert v.result is ScanResult.OK
    with pytest.raises(NotFound):
        await do(session, conf, code(reg), agenda_item_id=987654)


async def test_hall_presence_moves_and_exits(session, world):
    conf, reg, hall_a, hall_b, _ = world
    clock = Clock()

    async def presence():
        session.expunge_all()
        p = await session.get(Presence, reg.id)
        return (p.inside, p.agenda_item_id) if p else None

    assert (await do(session, conf, code(reg), clock)).ok
    assert await presence() == (True, None)
    assert (await do(session, conf, code(reg), clock, agenda_item_id=hall_a.id)).ok
    assert await presence() == (True, hall_a.id)
    dup = await do(session, conf, code(reg), clock, agenda_item_id=hall_a.id)
    assert dup.result is ScanResult.DUPLICATE
    assert (await do(session, conf, code(reg), clock, agenda_item_id=hall_b.id)).ok
    assert await presence() == (True, hall_b.id)
    # venue entrance while inside a hall: already at the venue
    assert (await do(session, conf, code(reg), clock)).result is ScanResult.DUPLICATE
    # leaving hall A where they are not: ok, "was_not_inside", stays in B
    v = await do(session, conf, code(reg), clock, agenda_item_id=hall_a.id, direction=ScanDirection.OUT)
    assert v.ok and v.detail == "was_not_inside"
    assert await presence() == (True, hall_b.id)
    v = await do(session, conf, code(reg), clock, agenda_item_id=hall_b.id, direction=ScanDirection.OUT)
    assert v.ok and v.detail is None
    assert await presence() == (True, None)
    v = await do(session, conf, code(reg), clock, direction=ScanDirection.OUT)
    assert v.ok and v.detail is None
    assert await presence() == (False, None)
    v = await do(session, conf, code(reg), clock, direction=ScanDirection.OUT)
    assert v.ok and v.detail == "was_not_inside"
    assert (await do(session, conf, code(reg), clock)).ok


async def test_next_day_entry_is_not_duplicate(session, world):
    conf, reg, *_ = world
    clock = Clock()
    assert (await do(session, conf, code(reg), clock)).ok
    clock.now += timedelta(days=1)
    assert (await do(session, conf, code(reg), clock)).ok


async def test_nonce_replay_returns_original_and_stores_nothing(session, world):
    conf, reg, *_ = world
    first = await do(session, conf, code(reg), nonce="upd-1")
    again = await do(session, conf, code(reg), nonce="upd-1")
    assert again.result is ScanResult.OK and again.scan_id == first.scan_id and again.replayed
    assert again.registration_id == reg.id and again.name == first.name
    dup = await do(session, conf, code(reg), nonce="upd-2")
    dup2 = await do(session, conf, code(reg), nonce="upd-2")
    assert dup.result is dup2.result is ScanResult.DUPLICATE
    assert dup2.already_by == 555
    bad = await do(session, conf, "junk", nonce="upd-3")
    assert (await do(session, conf, "junk", nonce="upd-3")).scan_id == bad.scan_id
    assert len(await scans(session)) == 3


async def test_concurrent_double_scan(session_factory, world):
    conf, reg, *_ = world

    async def door(gate: str, nonce: str | None = None):
        async with unit_of_work(session_factory) as s:  # as a door does: one scan, one transaction
            return await do(s, conf, code(reg), gate=gate, nonce=nonce)

    results = await asyncio.gather(door("North"), door("South"))
    assert sorted(r.result for r in results) == [ScanResult.DUPLICATE, ScanResult.OK]
    # the same nonce from two doors at once: one scan stored, both get its verdict
    async with unit_of_work(session_factory) as s:
        await do(s, conf, code(reg), direction=ScanDirection.OUT)
    twins = await asyncio.gather(door("A", "same"), door("B", "same"))
    assert twins[0].scan_id == twins[1].scan_id
    async with session_factory() as s:
        n = (await s.execute(select(func.count()).select_from(Scan))).scalar_one()
    assert n == 4


@pytest.mark.parametrize(
    "text, raw",
    [
        (b"\xff\xfe b_not-utf8 \xc3", "\\xff\\xfe b_not-utf8 \\xc3"),
        (b"\x00\x01\x02\x1b[2J\x7f", "\\x00\\x01\\x02\\x1b[2J\\x7f"),
        ("tab\tinside\x00nul", "tab\\x09inside\\x00nul"),
        ("\u202ereversed", "\\u202ereversed"),
    ],
)
async def test_unreadable_text_is_invalid_and_stored_printable(session, world, text, raw):
    conf, *_ = world
    v = await do(session, conf, text)
    assert v.result is ScanResult.INVALID and v.detail == "unreadable"
    rows = await scans(session)
    assert len(rows) == 1 and rows[0].raw == raw and rows[0].result is ScanResult.INVALID


async def test_a_valid_code_inside_junk_or_an_overlong_line_is_invalid(session, world):
    conf, reg, *_ = world
    link = code(reg).encode()
    for text in (link + b"\xff", b"\x00" + link, link + b" " * 5000, link + b"x" * 2_000_000):
        v = await do(session, conf, text)
        assert v.result is ScanResult.INVALID and v.detail == "unreadable", text[:120]
    rows = await scans(session)
    assert len(rows) == 4 and all(len(r.raw) <= 256 for r in rows)
    assert rows[3].raw == (link + b"x" * 256)[:256].decode()
    assert (await do(session, conf, link + b"\r\n")).result is ScanResult.OK  # the same code, clean


@pytest.mark.skipif(USE_PG, reason="PostgreSQL reads presence through an upsert that locks its latest row")
async def test_presence_row_made_after_the_read_gives_duplicate_not_an_error(session, world, monkeypatch):
    """SQLite: if another door's first entry commits the badge's presence row after this scan
    read none (a stale read), inserting presence collides: judged afresh, it is a duplicate."""
    conf, reg, *_ = world
    assert (await do(session, conf, code(reg))).result is ScanResult.OK
    real, calls = presence._select_state, []

    def stale_once(*, pg):
        stmt = real(pg=pg)
        calls.append(pg)
        if len(calls) > 1:
            return stmt
        hidden = (presence._presence, presence._prev)  # as read before the other door committed
        cols = [null().label(c.key) if c.table in hidden else c for c in stmt.selected_columns]
        return stmt.with_only_columns(*cols, maintain_column_froms=True)

    monkeypatch.setattr(presence, "_select_state", stale_once)
    again = await do(session, conf, code(reg), gate="South")
    assert len(calls) == 2 and again.result is ScanResult.DUPLICATE and again.already_gate == "Main"
    assert [r.result for r in await scans(session)] == [ScanResult.OK, ScanResult.DUPLICATE]


@pytest.mark.skipif(not USE_PG, reason="PostgreSQL's row lock")
async def test_a_door_waiting_for_the_lock_sees_the_entry_it_waited_for(session_factory, world):
    """The second door's statement waits on the badge's presence row while the first door's
    entry is uncommitted; then it is a duplicate naming that entry (its gate and staff),
    although that scan was committed after the waiting statement began."""
    conf, reg, *_ = world
    async with unit_of_work(session_factory) as first:
        assert (await do(first, conf, code(reg), gate="North", staff_telegram_id=1)).ok
        second = asyncio.create_task(_door(session_factory, conf, reg))
        async with session_factory() as watcher:  # until the second door waits for the lock
            waiting = (
                select(func.count())
                .select_from(sa.text("pg_stat_activity"))
                .where(sa.text("wait_event_type = 'Lock' AND datname = current_database()"))
            )
            for _ in range(3000):
                if (await watcher.execute(waiting)).scalar_one():
                    break
                # pg_stat_activity is a snapshot kept until the transaction ends: a new one per look
                await watcher.rollback()
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the second door never waited for the lock")
    again = await second
    assert again.result is ScanResult.DUPLICATE
    assert (again.already_gate, again.already_by) == ("North", 1)


async def _door(session_factory, conf, reg):
    async with unit_of_work(session_factory) as s:
        return await do(s, conf, code(reg), gate="South", staff_telegram_id=2)


def test_a_verdict_as_a_dict_is_every_field_json_ready():
    """`Verdict.as_dict` (a kiosk's --json line, the Mini App's answer): every field as
    `dataclasses.asdict` gives it, times as ISO text, enums as values, the delegation copied."""
    import dataclasses
    import json

    from core.checkin import Verdict

    at = datetime(2024, 10, 31, 7, tzinfo=UTC)
    delegation = {"en": "Hungary"}
    for v in (
        Verdict(ScanResult.OK, at=at),
        Verdict(ScanResult.DUPLICATE, at=at, detail="already_inside", registration_id=1, name="A", native_name="Б",
                delegation=delegation, category="press", direction=ScanDirection.OUT, agenda_item_id=3, gate="N",
                scan_id=4, already_at=at, already_by=5, already_gate="S", replayed=True, offline=True),
    ):  # fmt: skip
        expected = dataclasses.asdict(v) | {
            "at": at.isoformat(),
            "already_at": at.isoformat() if v.already_at else None,
            "result": v.result.value,
            "direction": v.direction.value,
        }
        got = v.as_dict()
        assert got == expected and list(got) == list(expected)
        assert json.loads(json.dumps(got)) == got
        assert got["delegation"] is not delegation
