import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.accreditation import registration
from core.errors import CapacityFull, Conflict, NotAllowed, WrongState
from core.models import AgendaItem, AgendaSignup, Category, Conference, OutboxMessage, RegistrationStatus, SignupStatus
from core.programme import messages, signups, views
from core.programme.file import parse_programme
from core.programme.load import load_programme
from core.uow import unit_of_work
from tests.factories import make_conference, make_item, make_participant, make_registration, programme_file

T0 = datetime(2024, 10, 31, 9, 0, tzinfo=UTC)


async def test_signup_rules(session):
    conf = await make_conference(session)
    item = await make_item(session, conf, "migration", capacity=1, allowed=["delegate", "expert"])
    press = await make_registration(session, conf, category=Category.PRESS)
    pending = await make_registration(session, conf, status=RegistrationStatus.PENDING)
    a = await make_registration(session, conf)
    b = await make_registration(session, conf, category=Category.EXPERT)
    await session.commit()
    with pytest.raises(NotAllowed) as err:
        await signups.sign_up(session, press.id, item.id)
    assert err.value.code == "category_not_allowed"
    with pytest.raises(NotAllowed) as err:
        await signups.sign_up(session, pending.id, item.id)
    assert err.value.code == "not_approved"
    first = await signups.sign_up(session, a.id, item.id)
    assert first.signup.status == SignupStatus.CONFIRMED
    with pytest.raises(Conflict):
        await signups.sign_up(session, a.id, item.id)
    with pytest.raises(CapacityFull):
        await signups.sign_up(session, b.id, item.id, waitlist=False)
    second = await signups.sign_up(session, b.id, item.id)
    assert second.signup.status == SignupStatus.WAITLISTED and second.position == 1
    freed = await signups.cancel(session, a.id, item.id)
    assert freed.promoted == [b.id]
    with pytest.raises(WrongState):
        await signups.cancel(session, a.id, item.id)
    again = await signups.sign_up(session, a.id, item.id)  # the same row, back in line
    assert again.signup.status == SignupStatus.WAITLISTED
    rows = (await session.execute(select(func.count()).select_from(AgendaSignup))).scalar_one()
    assert rows == 2


async def test_clash_is_a_warning_not_a_refusal(session):
    conf = await make_conference(session)
    one = await make_item(session, conf, "one", start=T0, minutes=90)
    two = await make_item(session, conf, "two", start=T0 + timedelta(minutes=60))
    three = await make_item(session, conf, "three", start=T0 + timedelta(minutes=90))
    reg = await make_registration(session, conf)
    await session.commit()
    await signups.sign_up(session, reg.id, one.id)
    clash = await signups.sign_up(session, reg.id, two.id)
    assert [i.code for i in clash.clashes] == ["one"]
    touching = await signups.sign_up(session, reg.id, three.id)  # starts as "one" ends
    assert [i.code for i in touching.clashes] == ["two"]


async def test_withdraw_promotes_the_waiting_list(session):
    conf = await make_conference(session)
    item = await make_item(session, conf, capacity=1)
    a, b = await make_registration(session, conf), await make_registration(session, conf)
    await session.commit()
    await signups.sign_up(session, a.id, item.id)
    await signups.sign_up(session, b.id, item.id)
    await registration.withdraw(session, a.id, actor_telegram_id=None)
    status = (
        await session.execute(select(AgendaSignup.status).where(AgendaSignup.registration_id == b.id))
    ).scalar_one()
    assert status == SignupStatus.CONFIRMED


async def test_200_concurrent_signups_for_50_seats(session_factory):
    async with session_factory() as s:
        conf = await make_conference(s)
        item = await make_item(s, conf, capacity=50)
        regs = [(await make_registration(s, conf)).id for _ in range(200)]
        await s.commit()

    order: list[int] = []

    async def one(reg_id):
        async with unit_of_work(session_factory) as s:
            result = await signups.sign_up(s, reg_id, item.id)
            order.append(reg_id)
            return result.signup.status

    statuses = await asyncio.gather(*(one(r) for r in regs))
    assert statuses.count(SignupStatus.CONFIRMED) == 50
    assert statuses.count(SignupStatus.WAITLISTED) == 150
    async with unit_of_work(session_factory) as s:
        rows = (await s.execute(select(AgendaSignup).where(AgendaSignup.agenda_item_id == item.id))).scalars().all()
        waiting = sorted((r for r in rows if r.status == SignupStatus.WAITLISTED), key=lambda r: r.waitlist_ticket)
        assert [r.waitlist_ticket for r in waiting] == list(range(1, 151))
        confirmed = [r.registration_id for r in rows if r.status == SignupStatus.CONFIRMED]
        for reg_id in confirmed[:10]:
            await signups.cancel(s, reg_id, item.id)
        promoted = {r.registration_id for r in waiting[:10]}
        after = (await s.execute(select(AgendaSignup).where(AgendaSignup.agenda_item_id == item.id))).scalars().all()
        now_confirmed = {r.registration_id for r in after if r.status == SignupStatus.CONFIRMED}
        assert len(now_confirmed) == 50
        assert promoted <= now_confirmed
        assert sum(1 for r in after if r.status == SignupStatus.WAITLISTED) == 140


async def test_places_on_the_waiting_list_move_up(session):
    """Places are counted from the line as it is now: after five promotions the head of
    the line is No. 1 and the last one No. 5 of 5; leaving the line moves those behind up."""
    conf = await make_conference(session)
    item = await make_item(session, conf, capacity=5)
    regs = [
        await make_registration(session, conf, await make_participant(session, telegram_id=7000 + i)) for i in range(15)
    ]
    await session.commit()
    for reg in regs:
        await signups.sign_up(session, reg.id, item.id)

    async def places(numbers: range | list[int]) -> list[int | None]:
        return [(await views.item_view(session, conf.id, item.id, telegram_id=7000 + i)).my_position for i in numbers]

    assert await places(range(5, 15)) == list(range(1, 11))
    for reg in regs[:5]:
        assert len((await signups.cancel(session, reg.id, item.id)).promoted) == 1
    assert await places(range(10, 15)) == [1, 2, 3, 4, 5]
    await signups.cancel(session, regs[11].id, item.id)  # No. 2 leaves the line
    assert await places([10, 12, 13, 14]) == [1, 2, 3, 4]
    back = await signups.sign_up(session, regs[11].id, item.id)  # and joins again: at the back
    assert back.position == 5 and await places([11]) == [5]
    [mine] = await views.my_agenda(session, conf.id, 7014)
    assert mine.my_position == 4


PROGRAMME = programme_file(
    """\
  - {code: migration, kind: thematic, day: 2024-10-31, start: "14:30", end: "16:30", title: Migration,
     capacity: 1, signup_open: true}
"""
)


async def test_a_larger_hall_seats_those_waiting_first(session):
    """A reload that raises the capacity gives the new seats to the waiting list, in order
    (else the card would offer them to newcomers while others wait)."""
    await load_programme(session, parse_programme(PROGRAMME, "p.yaml"))
    conf = (await session.execute(select(Conference))).scalar_one()
    item = (await session.execute(select(AgendaItem))).scalar_one()
    a, b, c = [await make_registration(session, conf) for _ in range(3)]
    await session.commit()
    for reg in (a, b, c):
        await signups.sign_up(session, reg.id, item.id)

    async def statuses() -> list[SignupStatus]:
        rows = await session.execute(select(AgendaSignup).where(AgendaSignup.agenda_item_id == item.id))
        by_reg = {s.registration_id: s.status for s in rows.scalars()}
        return [by_reg[r.id] for r in (a, b, c)]

    await load_programme(session, parse_programme(PROGRAMME.replace("capacity: 1", "capacity: 2"), "p.yaml"))
    assert await statuses() == [SignupStatus.CONFIRMED, SignupStatus.CONFIRMED, SignupStatus.WAITLISTED]
    promoted = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == messages.PROMOTED))).scalars()
    assert [m.payload["registration_id"] for m in promoted] == [b.id]
    await load_programme(session, parse_programme(PROGRAMME.replace("capacity: 1, ", ""), "p.yaml"))  # unlimited
    assert await statuses() == [SignupStatus.CONFIRMED] * 3
