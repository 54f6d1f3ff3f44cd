"""Decisions are compare-and-set and scoped to the officer's conference."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from core.accreditation import registration as reg_svc
from core.accreditation.registration import PersonData, TelegramAccount
from core.errors import NotFound, WrongState
from core.models import AuditLog, Category, Invitation, Registration, RegistrationStatus
from core.uow import unit_of_work
from tests.factories import make_conference, make_delegation

NOW = datetime(2024, 10, 20, 12, 0, tzinfo=UTC)


async def _pending(session, conf, tg: int, name: str = "Anna Petrova"):  # type: ignore[no-untyped-def]
    return (
        await reg_svc.register(session, conf, PersonData(name), category=Category.EXPERT, account=TelegramAccount(tg))
    ).registration


async def _decisions(session) -> list[str]:  # type: ignore[no-untyped-def]
    rows = await session.execute(
        select(AuditLog.action).where(AuditLog.action.in_(reg_svc.DECISIONS)).order_by(AuditLog.id)
    )
    return list(rows.scalars())


async def test_reject_after_approve_changes_nothing_and_says_who_and_when(session) -> None:  # type: ignore[no-untyped-def]
    conf = await make_conference(session)
    reg = await _pending(session, conf, 11)
    await reg_svc.decide(
        session, reg.id, approve=True, actor_telegram_id=1, conference_id=conf.id, actor_name="@olga", clock=lambda: NOW
    )
    for approve in (False, True):  # the other way, and the same way again
        with pytest.raises(WrongState) as err:
            await reg_svc.decide(
                session, reg.id, approve=approve, actor_telegram_id=2, conference_id=conf.id, reason="late"
            )
        assert err.value.code == "already_decided"
        assert err.value.params == {"id": reg.id, "status": "approved", "by": "@olga", "at": NOW}
    row = (await session.execute(select(Registration).where(Registration.id == reg.id))).scalar_one()
    await session.refresh(row)
    assert (row.status, row.decided_by, row.decision_reason) == (RegistrationStatus.APPROVED, 1, None)
    assert await _decisions(session) == ["registration.approve"]


async def test_approve_after_reject_changes_nothing(session) -> None:  # type: ignore[no-untyped-def]
    conf = await make_conference(session)
    reg = await _pending(session, conf, 12)
    await reg_svc.decide(
        session, reg.id, approve=False, actor_telegram_id=2, conference_id=conf.id, reason="no", actor_name="Pavel"
    )
    with pytest.raises(WrongState) as err:
        await reg_svc.decide(session, reg.id, approve=True, actor_telegram_id=1, conference_id=conf.id)
    assert (err.value.params["status"], err.value.params["by"]) == ("rejected", "Pavel")
    with pytest.raises(WrongState) as err:  # the reject flow's first step refuses as well
        await reg_svc.decidable(session, reg.id, conference_id=conf.id)
    assert err.value.code == "already_decided"
    assert await _decisions(session) == ["registration.reject"]


async def test_two_officers_at_once_one_decision(session_factory) -> None:  # type: ignore[no-untyped-def]
    async with unit_of_work(session_factory) as s:
        conf = await make_conference(s)
        regs = [await _pending(s, conf, 100 + i, f"Person {chr(65 + i)}") for i in range(10)]
        conf_id = conf.id

    async def officer(reg_id: int, approve: bool) -> str:
        try:
            async with unit_of_work(session_factory) as s:
                await reg_svc.decide(
                    s, reg_id, approve=approve, actor_telegram_id=1, conference_id=conf_id, reason="no"
                )
            return "done"
        except WrongState as exc:
            return exc.code

    for reg in regs:
        outcomes = await asyncio.gather(officer(reg.id, True), officer(reg.id, False))
        assert sorted(outcomes) == ["already_decided", "done"], outcomes
    async with session_factory() as s:
        assert len(await _decisions(s)) == len(regs)


async def test_a_registration_of_another_conference_is_not_found(session) -> None:  # type: ignore[no-untyped-def]
    here = await make_conference(session)
    there = await make_conference(session, slug="other", first_day=date(2023, 10, 1), last_day=date(2023, 10, 2))
    reg = await _pending(session, there, 13)
    for approve in (True, False):
        with pytest.raises(NotFound) as err:
            await reg_svc.decide(
                session, reg.id, approve=approve, actor_telegram_id=1, conference_id=here.id, reason="x"
            )
        assert err.value.code == "registration_not_found"
    with pytest.raises(NotFound):
        await reg_svc.decidable(session, reg.id, conference_id=here.id)
    row = (await session.execute(select(Registration).where(Registration.id == reg.id))).scalar_one()
    await session.refresh(row)
    assert row.status == RegistrationStatus.PENDING and await _decisions(session) == []
    # its own conference's officer may decide it
    done = await reg_svc.decide(session, reg.id, approve=True, actor_telegram_id=1, conference_id=there.id)
    assert done.registration.status == RegistrationStatus.APPROVED


async def test_the_cli_may_revise_a_decision_within_the_quota(session) -> None:  # type: ignore[no-untyped-def]
    conf = await make_conference(session)
    hu = await make_delegation(session, conf, "HU", quota=1)
    first = (
        await reg_svc.register(
            session, conf, PersonData("Anna Kovacs"), category=Category.DELEGATE, delegation_id=hu.id
        )
    ).registration
    await reg_svc.decide(session, first.id, approve=False, actor_telegram_id=None, conference_id=None, reason="no")
    second = (
        await reg_svc.register(session, conf, PersonData("Bela Nagy"), category=Category.DELEGATE, delegation_id=hu.id)
    ).registration  # took the seat the rejection freed
    with pytest.raises(WrongState):  # an officer's button cannot turn it around
        await reg_svc.decide(session, first.id, approve=True, actor_telegram_id=1, conference_id=conf.id)
    with pytest.raises(Exception) as err:  # the CLI can, but not past the quota
        await reg_svc.decide(session, first.id, approve=True, actor_telegram_id=None, conference_id=None, revise=True)
    assert getattr(err.value, "code", None) == "quota_exceeded"
    await reg_svc.withdraw(session, second.id, actor_telegram_id=None)
    done = await reg_svc.decide(
        session, first.id, approve=True, actor_telegram_id=None, conference_id=None, revise=True
    )
    assert done.registration.status == RegistrationStatus.APPROVED


async def test_an_invitation_of_another_conference_cannot_be_revoked(session) -> None:  # type: ignore[no-untyped-def]
    here = await make_conference(session)
    there = await make_conference(session, slug="other", first_day=date(2023, 10, 1), last_day=date(2023, 10, 2))
    invitation = await reg_svc.create_invitation(session, there.id, delegation_id=None, created_by=5)
    with pytest.raises(NotFound) as err:
        await reg_svc.revoke_invitation(
            session, invitation.id, actor_telegram_id=1, conference_id=here.id, is_admin=True
        )
    assert err.value.code == "invitation_invalid"
    row = (await session.execute(select(Invitation).where(Invitation.id == invitation.id))).scalar_one()
    await session.refresh(row)
    assert row.revoked_at is None
    done = await reg_svc.revoke_invitation(
        session, invitation.id, actor_telegram_id=1, conference_id=there.id, is_admin=True
    )
    assert done.revoked_at is not None
