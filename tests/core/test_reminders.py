"""Reminders, promotion messages and change notices in the outbox (both databases)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.messaging import outbox
from core.models import AgendaItem, AgendaKind, Category, Conference, OutboxMessage, OutboxStatus, RegistrationStatus
from core.programme import messages, reminders, signups
from core.programme.file import parse_programme
from core.programme.load import load_programme
from core.uow import unit_of_work
from tests.factories import make_conference, make_item, make_participant, make_registration, programme_file

START = datetime(2024, 10, 31, 11, 30, tzinfo=UTC)  # 14:30 in Minsk
HOUR = timedelta(hours=1)


async def rows(session, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id).execution_options(populate_existing=True)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    found = list((await session.execute(query)).scalars())
    await session.commit()
    return found


async def test_schedule_is_idempotent_and_due_before_the_start(session):
    conf = await make_conference(session)
    talk = await make_item(session, conf, "talk", start=START, capacity=10)
    later = await make_item(session, conf, "later", start=START + 5 * HOUR)
    a, b = await make_registration(session, conf), await make_registration(session, conf)
    await session.commit()
    for reg in (a, b):
        await signups.sign_up(session, reg.id, talk.id)
        await signups.sign_up(session, reg.id, later.id)
    now = START - 2 * HOUR
    assert await reminders.schedule_reminders(session, now=now, minutes=15) == 0  # not within the horizon yet
    now = START - 50 * timedelta(minutes=1)
    assert await reminders.schedule_reminders(session, now=now, minutes=15) == 2
    assert await reminders.schedule_reminders(session, now=now, minutes=15) == 0
    assert await reminders.schedule_reminders(session, now=now + timedelta(minutes=5), minutes=15) == 0
    queued = await rows(session)
    assert {r.due_at for r in queued} == {START - timedelta(minutes=15)}
    assert {r.payload["item_id"] for r in queued} == {talk.id}


async def test_high_level_session_reminds_everyone_approved_who_may_attend(session):
    conf = await make_conference(session)
    hl = await make_item(
        session,
        conf,
        "hl",
        kind=AgendaKind.HIGH_LEVEL,
        start=START,
        signup_open=False,
        allowed=["head_of_delegation", "speaker", "delegate"],
    )
    head = await make_registration(session, conf, category=Category.HEAD)
    await make_registration(session, conf, category=Category.PRESS)  # not admitted
    await make_registration(session, conf, status=RegistrationStatus.PENDING)
    await make_registration(session, conf, participant=await make_participant(session, telegram_id=None))
    await session.commit()
    assert await reminders.schedule_reminders(session, now=START - HOUR, minutes=15) == 1
    [row] = await rows(session)
    assert row.payload["registration_id"] == head.id and row.payload["everyone"] is True
    assert row.payload["item_id"] == hl.id and row.due_at == START - timedelta(minutes=15)
    assert await reminders.still_due(session, messages.REMINDER, row.payload) is not None


async def test_leaving_cancels_the_reminder_and_signing_up_again_makes_a_new_one(session):
    conf = await make_conference(session)
    talk = await make_item(session, conf, "talk", start=START)
    reg = await make_registration(session, conf)
    await session.commit()
    now = START - HOUR
    await signups.sign_up(session, reg.id, talk.id, clock=lambda: now)
    assert await reminders.schedule_reminders(session, now=now, minutes=15) == 1
    [first] = await rows(session)
    await signups.cancel(session, reg.id, talk.id, clock=lambda: now + timedelta(seconds=1))
    assert (await rows(session))[0].status == OutboxStatus.CANCELLED
    assert await reminders.still_due(session, messages.REMINDER, first.payload) is None
    await signups.sign_up(session, reg.id, talk.id, clock=lambda: now + timedelta(seconds=2))
    assert await reminders.schedule_reminders(session, now=now + timedelta(seconds=3), minutes=15) == 1
    statuses = [(r.status, r.kind) for r in await rows(session)]
    assert statuses == [(OutboxStatus.CANCELLED, "reminder"), (OutboxStatus.PENDING, "reminder")]
    assert await reminders.still_due(session, messages.REMINDER, (await rows(session))[1].payload) is not None


async def test_cancelled_or_moved_item_is_not_reminded(session):
    conf = await make_conference(session)
    talk = await make_item(session, conf, "talk", start=START)
    other = await make_item(session, conf, "other", start=START)
    reg = await make_registration(session, conf)
    await session.commit()
    await signups.sign_up(session, reg.id, talk.id)
    await signups.sign_up(session, reg.id, other.id)
    await reminders.schedule_reminders(session, now=START - HOUR, minutes=15)
    by_item = {r.payload["item_id"]: r for r in await rows(session)}
    talk.cancelled_at = START - HOUR
    other.starts_at, other.ends_at = other.starts_at + HOUR, other.ends_at + HOUR
    session.add_all([talk, other])
    await session.commit()
    assert await reminders.still_due(session, messages.REMINDER, by_item[talk.id].payload) is None
    assert await reminders.still_due(session, messages.REMINDER, by_item[other.id].payload) is None
    # the moved item gets a reminder for its new time; the cancelled one none
    assert await reminders.schedule_reminders(session, now=START - timedelta(minutes=10), minutes=15) == 1
    new = [r for r in await rows(session) if r.id not in {x.id for x in by_item.values()}]
    assert [r.payload["item_id"] for r in new] == [other.id]
    assert new[0].due_at == START + HOUR - timedelta(minutes=15)


async def test_unsent_reminders_of_started_items_are_dropped(session):
    conf = await make_conference(session)
    talk = await make_item(session, conf, "talk", start=START)
    reg = await make_registration(session, conf)
    await session.commit()
    await signups.sign_up(session, reg.id, talk.id)
    await reminders.schedule_reminders(session, now=START - HOUR, minutes=15)
    # the bot was down until after the start
    await reminders.schedule_reminders(session, now=START + timedelta(minutes=5), minutes=15)
    assert [r.status for r in await rows(session)] == [OutboxStatus.CANCELLED]
    assert await outbox.claim(session, "w", clock=lambda: START + timedelta(minutes=6)) == []


async def test_promotion_is_queued_at_once_and_dropped_if_given_back(session):
    conf = await make_conference(session)
    talk = await make_item(session, conf, "talk", start=START, capacity=1)
    a, b = await make_registration(session, conf), await make_registration(session, conf)
    await session.commit()
    await signups.sign_up(session, a.id, talk.id)
    await signups.sign_up(session, b.id, talk.id)
    now = START - 3 * HOUR
    await signups.cancel(session, a.id, talk.id, clock=lambda: now)
    [promo] = await rows(session, messages.PROMOTED)
    assert promo.due_at == now and promo.payload["registration_id"] == b.id
    assert await reminders.still_due(session, messages.PROMOTED, promo.payload) is not None
    await signups.cancel(session, b.id, talk.id, clock=lambda: now + timedelta(seconds=1))
    assert await reminders.still_due(session, messages.PROMOTED, promo.payload) is None


PROGRAMME = programme_file(
    """\
  - {code: migration, kind: thematic, day: 2024-10-31, start: "14:30", end: "16:30", title: Migration,
     hall: {en: Hall 1, ru: Зал 1}, capacity: 10, signup_open: true}
  - {code: charter, kind: thematic, day: 2024-10-31, start: "17:00", end: "19:00", title: Charter,
     hall: {en: Hall 2, ru: Зал 2}, capacity: 10, signup_open: true}
  - {code: lunch, kind: break, day: 2024-10-31, start: "13:00", end: "14:30", title: Lunch}
"""
)


async def test_programme_reload_tells_only_the_people_signed_up(session):
    await load_programme(session, parse_programme(PROGRAMME, "p.yaml"))
    conf = (await session.execute(select(Conference))).scalar_one()
    items = {i.code: i for i in (await session.execute(select(AgendaItem))).scalars()}
    a, b, c = [await make_registration(session, conf) for _ in range(3)]
    await session.commit()
    await signups.sign_up(session, a.id, items["migration"].id)
    await signups.sign_up(session, b.id, items["migration"].id)
    await signups.cancel(session, b.id, items["migration"].id)  # left: not told
    await signups.sign_up(session, c.id, items["charter"].id)  # another item: not told
    moved = PROGRAMME.replace('start: "14:30", end: "16:30"', 'start: "15:00", end: "17:00"').replace(
        "{en: Hall 1, ru: Зал 1}", "{en: Hall 3, ru: Зал 3}"
    )
    diff = await load_programme(session, parse_programme(moved, "p.yaml"))
    assert [str(ch) for ch in diff.changed] == ["agenda 'migration' (hall, start, end)"]
    [notice] = await rows(session, messages.NOTICE)
    assert notice.payload["registration_id"] == a.id and notice.payload["fields"] == ["time", "hall"]
    assert notice.payload["old_hall"] == {"en": "Hall 1", "ru": "Зал 1"} and notice.payload["hall"]["en"] == "Hall 3"
    # a dry run queues nothing; an item dropped from the file is cancelled and its people told
    dropped = "\n".join(line for line in moved.splitlines() if "charter" not in line and "Hall 2" not in line)
    await load_programme(session, parse_programme(dropped, "p.yaml"), dry_run=True)
    assert len(await rows(session, messages.NOTICE)) == 1
    await load_programme(session, parse_programme(dropped, "p.yaml"))
    notices = await rows(session, messages.NOTICE)
    assert [(n.payload["registration_id"], n.payload["fields"]) for n in notices[1:]] == [(c.id, ["cancelled"])]


async def test_run_scheduler_queues_periodically(session_factory):
    async with unit_of_work(session_factory) as s:
        conf = await make_conference(s)
        talk = await make_item(s, conf, "talk", start=START)
        reg = await make_registration(s, conf)
        await s.commit()
        await signups.sign_up(s, reg.id, talk.id)
    task = asyncio.create_task(
        reminders.run_scheduler(session_factory, minutes=15, every=0.01, clock=lambda: START - HOUR)
    )
    try:
        deadline = asyncio.get_running_loop().time() + 60  # an upper bound; the loop ends on the row
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
            async with session_factory() as s:
                if await rows(s, messages.REMINDER):
                    break
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    async with session_factory() as s:
        assert len(await rows(s, messages.REMINDER)) == 1
