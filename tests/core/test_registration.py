import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.accreditation import quota
from core.accreditation import registration as reg_svc
from core.accreditation.registration import PersonData, TelegramAccount
from core.errors import Conflict, InvalidInput, NotFound, QuotaExceeded, WrongState
from core.models import AuditLog, Category, Participant, Registration, RegistrationStatus
from core.people import erasure
from core.uow import unit_of_work
from tests.factories import make_conference, make_delegation

NOW = datetime(2024, 10, 20, 12, 0, tzinfo=UTC)


def clock():
    return NOW


def person(name="Anna Petrova", **kw):
    return PersonData(full_name=name, **kw)


async def test_register_creates_pending_and_audit(session):
    conf = await make_conference(session)
    by = await make_delegation(session, conf, "BY", quota=5)
    v = await reg_svc.register(
        session,
        conf,
        person(native_name="Анна Петрова"),
        category=Category.DELEGATE,
        delegation_id=by.id,
        account=TelegramAccount(501, "anna", "ru"),
        clock=clock,
    )
    assert v.registration.status == RegistrationStatus.PENDING
    assert v.participant.telegram_id == 501 and v.participant.native_name == "Анна Петрова"
    assert v.registration.created_at == NOW
    actions = (await session.execute(select(AuditLog.action))).scalars().all()
    assert actions == ["registration.create"]


async def test_register_twice_is_a_conflict(session):
    conf = await make_conference(session)
    await reg_svc.register(session, conf, person(), category=Category.EXPERT, account=TelegramAccount(7))
    with pytest.raises(Conflict) as err:
        await reg_svc.register(session, conf, person(), category=Category.EXPERT, account=TelegramAccount(7))
    assert err.value.code == "already_registered"


async def test_quota_stops_the_seat_after_the_last(session):
    conf = await make_conference(session)
    hu = await make_delegation(session, conf, "HU", quota=2)
    for tg in (1, 2):
        await reg_svc.register(
            session,
            conf,
            person(f"Member Number{tg}"),
            category=Category.DELEGATE,
            delegation_id=hu.id,
            account=TelegramAccount(tg),
        )
    with pytest.raises(QuotaExceeded):
        await reg_svc.register(
            session,
            conf,
            person("Third Member"),
            category=Category.DELEGATE,
            delegation_id=hu.id,
            account=TelegramAccount(3),
        )
    assert await quota.seats_left(session, hu) == 0


async def test_quota_holds_under_concurrency(session_factory):
    async with unit_of_work(session_factory) as s:
        conf = await make_conference(s)
        rs = await make_delegation(s, conf, "RS", quota=3)

    async def one(tg):
        try:
            async with unit_of_work(session_factory) as s:
                await reg_svc.register(
                    s,
                    conf,
                    person(f"Person Number{tg}"),
                    category=Category.DELEGATE,
                    delegation_id=rs.id,
                    account=TelegramAccount(tg),
                )
            return "ok"
        except QuotaExceeded:
            return "full"

    results = await asyncio.gather(*(one(tg) for tg in range(100, 112)))
    assert results.count("ok") == 3 and results.count("full") == 9
    async with session_factory() as s:
        count = (await s.execute(select(func.count()).select_from(Registration))).scalar_one()
    assert count == 3


async def test_withdrawn_seat_is_free_again_and_reregistering_reuses_the_row(session):
    conf = await make_conference(session)
    cn = await make_delegation(session, conf, "CN", quota=1)
    v = await reg_svc.register(
        session, conf, person("Li Hui"), category=Category.DELEGATE, delegation_id=cn.id, account=TelegramAccount(9)
    )
    await reg_svc.withdraw(session, v.registration.id, actor_telegram_id=9)
    v2 = await reg_svc.register(
        session, conf, person("Wang Yi"), category=Category.DELEGATE, delegation_id=cn.id, account=TelegramAccount(10)
    )
    assert v2.registration.status == RegistrationStatus.PENDING
    with pytest.raises(QuotaExceeded):
        await reg_svc.register(
            session, conf, person("Li Hui"), category=Category.DELEGATE, delegation_id=cn.id, account=TelegramAccount(9)
        )


async def test_approve_reject_and_already_decided(session):
    conf = await make_conference(session)
    v = await reg_svc.register(session, conf, person(), category=Category.PRESS, account=TelegramAccount(11))
    with pytest.raises(InvalidInput):
        await reg_svc.decide(
            session, v.registration.id, approve=False, actor_telegram_id=1, conference_id=None, reason="  "
        )
    done = await reg_svc.decide(
        session, v.registration.id, approve=True, actor_telegram_id=1, conference_id=conf.id, clock=clock
    )
    assert done.registration.status == RegistrationStatus.APPROVED
    assert done.registration.decided_by == 1 and done.registration.decided_at == NOW
    with pytest.raises(WrongState) as err:
        await reg_svc.decide(session, v.registration.id, approve=True, actor_telegram_id=2, conference_id=conf.id)
    assert err.value.code == "already_decided" and err.value.params["by"] == "tg:1"


async def test_auto_approval_by_category_and_delegation(session):
    conf = await make_conference(session, auto_approve_categories=["press"])
    osce = await make_delegation(session, conf, "OSCE", kind="organisation", auto_approve=True)
    a = await reg_svc.register(
        session, conf, person("Press Person"), category=Category.PRESS, account=TelegramAccount(1)
    )
    b = await reg_svc.register(
        session,
        conf,
        person("Osce Person"),
        category=Category.DELEGATE,
        delegation_id=osce.id,
        account=TelegramAccount(2),
    )
    c = await reg_svc.register(
        session, conf, person("Other Person"), category=Category.EXPERT, account=TelegramAccount(3)
    )
    assert [x.registration.status for x in (a, b, c)] == [RegistrationStatus.APPROVED] * 2 + [
        RegistrationStatus.PENDING
    ]


async def test_edit_of_an_approved_name_goes_back_to_pending(session):
    conf = await make_conference(session)
    v = await reg_svc.register(session, conf, person(), category=Category.EXPERT, account=TelegramAccount(12))
    await reg_svc.decide(session, v.registration.id, approve=True, actor_telegram_id=1, conference_id=conf.id)
    same_name = await reg_svc.update_person(
        session, v.registration.id, person(position="Ambassador"), delegation_id=None
    )
    assert same_name.registration.status == RegistrationStatus.APPROVED and same_name.changed == ["position"]
    renamed = await reg_svc.update_person(session, v.registration.id, person("Anna Ivanova"), delegation_id=None)
    assert renamed.registration.status == RegistrationStatus.PENDING


async def test_invitation_prefills_limits_and_revokes(session):
    conf = await make_conference(session)
    sy = await make_delegation(session, conf, "SY", quota=10)
    inv = await reg_svc.create_invitation(
        session, conf.id, delegation_id=sy.id, category=Category.HEAD, created_by=1, max_uses=1, clock=clock
    )
    v = await reg_svc.register(
        session,
        conf,
        person("Bassam Sabbagh"),
        category=Category.EXPERT,
        account=TelegramAccount(21),
        invitation_token=inv.token,
        clock=clock,
    )
    assert v.registration.delegation_id == sy.id and v.registration.category == Category.HEAD
    with pytest.raises(WrongState) as err:
        await reg_svc.register(
            session,
            conf,
            person("Second User"),
            category=Category.EXPERT,
            account=TelegramAccount(22),
            invitation_token=inv.token,
        )
    assert err.value.code == "invitation_used_up"
    inv2 = await reg_svc.create_invitation(
        session, conf.id, delegation_id=sy.id, created_by=1, expires_at=NOW + timedelta(days=1), clock=clock
    )
    await reg_svc.revoke_invitation(session, inv2.id, actor_telegram_id=1, conference_id=conf.id)
    with pytest.raises(WrongState):
        await reg_svc.invitation_by_token(session, conf.id, inv2.token)
    with pytest.raises(WrongState) as err:
        await reg_svc.invitation_by_token(session, conf.id, inv.token)
    assert err.value.code == "invitation_used_up"
    inv3 = await reg_svc.create_invitation(
        session, conf.id, delegation_id=sy.id, created_by=1, expires_at=NOW + timedelta(hours=1), clock=clock
    )
    with pytest.raises(WrongState) as err:
        await reg_svc.invitation_by_token(session, conf.id, inv3.token, clock=lambda: NOW + timedelta(hours=2))
    assert err.value.code == "invitation_expired"
    with pytest.raises(NotFound):
        await reg_svc.invitation_by_token(session, conf.id, "nonsense")


async def test_forget_keeps_counts_and_drops_names(session):
    conf = await make_conference(session)
    v = await reg_svc.register(
        session,
        conf,
        person(native_name="Анна", email="a@example.org"),
        category=Category.EXPERT,
        account=TelegramAccount(31),
    )
    done = await erasure.forget(session, 31)
    assert done.held and done.participant_id == v.participant.id
    p = await session.get(Participant, v.participant.id)
    assert p.full_name == "" and p.native_name is None and p.telegram_id is None and p.email is None
    r = await session.get(Registration, v.registration.id)
    assert r.status == RegistrationStatus.CANCELLED and r.badge_version == 2
    assert (await session.execute(select(func.count()).select_from(Registration))).scalar_one() == 1
    assert not (await erasure.forget(session, 31)).held


async def test_bind_account_to_an_imported_registration(session):
    conf = await make_conference(session)
    v = await reg_svc.register(session, conf, person("Peter Szijjarto"), category=Category.HEAD)
    v.registration.bind_token = "tok123"
    await session.commit()
    bound = await reg_svc.bind_account(session, "tok123", TelegramAccount(41, "peter", "en"))
    assert bound.participant.telegram_id == 41 and bound.registration.bind_token is None
    with pytest.raises(NotFound):
        await reg_svc.bind_account(session, "tok123", TelegramAccount(42))
