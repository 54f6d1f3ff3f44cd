"""core.people.erasure: what /forget leaves (anonymous counts, a pseudonymous audit
trail) and what it must not (any identifier, in any table)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.accreditation import registration as reg_svc
from core.accreditation.registration import PersonData, TelegramAccount
from core.clock import utc_now
from core.messaging import broadcasts, outbox
from core.messaging.broadcasts import Audience, AudienceKind
from core.models import (
    AgendaSpeaker,
    AuditLog,
    Category,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Registration,
    RegistrationStatus,
    StaffRole,
    StaffRoleName,
)
from core.people import erasure, staff
from tests.factories import make_conference, make_item
from tests.traces import traces_in_database

ANNA, OLGA, BORIS = 7_100_000_001, 7_100_000_002, 7_100_000_003


async def _registered(session, conf, tg: int, name: str, **kw):  # type: ignore[no-untyped-def]
    person = PersonData(name, native_name=kw.pop("native", None), email=kw.pop("email", None))
    v = await reg_svc.register(
        session, conf, person, category=Category.EXPERT, account=TelegramAccount(tg, kw.pop("username", None))
    )
    return v


async def test_a_participant_is_gone_from_every_table_and_counts_stay(session) -> None:  # type: ignore[no-untyped-def]
    conf = await make_conference(session)
    anna = await _registered(
        session, conf, ANNA, "Anna Zelenova", native="Анна Зеленова", email="anna.z@example.org", username="annaz"
    )
    boris = await _registered(session, conf, BORIS, "Boris Other")
    item = await make_item(session, conf)
    session.add(AgendaSpeaker(agenda_item_id=item.id, participant_id=anna.participant.id))
    await reg_svc.decide(
        session, anna.registration.id, approve=True, actor_telegram_id=OLGA, conference_id=conf.id, actor_name="@olga"
    )
    await reg_svc.decide(
        session,
        boris.registration.id,
        approve=False,
        actor_telegram_id=OLGA,
        conference_id=conf.id,
        reason="Duplicate of Anna Zelenova (annaz)",
    )
    sent = await broadcasts.start(session, conf, Audience(AudienceKind.APPROVED), text="Hi", actor_telegram_id=OLGA)
    for claimed in await outbox.claim(session, "w1"):
        await outbox.mark_sent(session, claimed.id, claimed.token)
    before = await broadcasts.progress(session, sent.broadcast_id)

    done = await erasure.forget(session, ANNA, username="annaz", names=("Anna Z",))
    assert done.held and done.participant_id == anna.participant.id

    needles = [str(ANNA), "annaz", "Anna Zelenova", "Анна Зеленова", "anna.z@example.org", "Anna Z"]
    assert await traces_in_database(session, needles) == []
    # counts: the registration is there, cancelled; the broadcast still counts one sent copy
    reg = await session.get(Registration, anna.registration.id, populate_existing=True)
    assert reg.status == RegistrationStatus.CANCELLED and reg.decision_reason is None
    assert (await session.execute(select(func.count()).select_from(Registration))).scalar_one() == 2
    assert (await session.execute(select(AgendaSpeaker))).first() is None  # no blank speaker left
    after = await broadcasts.progress(session, sent.broadcast_id)
    assert (after.total, after.sent) == (before.total, before.sent) == (1, 1)
    boris_reg = await session.get(Registration, boris.registration.id, populate_existing=True)
    assert boris_reg.decision_reason == "Duplicate of [forgotten] ([forgotten])"
    # Olga's decision about her stays Olga's
    decision = (await session.execute(select(AuditLog).where(AuditLog.action == "registration.approve"))).scalar_one()
    assert (decision.actor, decision.details["officer"]) == (f"tg:{OLGA}", "@olga")


async def test_an_officer_becomes_one_pseudonym_that_does_not_hold_the_id(session) -> None:  # type: ignore[no-untyped-def]
    conf = await make_conference(session)
    await staff.add_role(session, conf.id, OLGA, StaffRoleName.ACCREDITATION, actor="cli:root")
    await staff.add_role(session, conf.id, BORIS, StaffRoleName.DOOR, actor="", actor_telegram_id=OLGA)
    anna = await _registered(session, conf, ANNA, "Anna Zelenova")
    await reg_svc.decide(
        session, anna.registration.id, approve=True, actor_telegram_id=OLGA, conference_id=conf.id, actor_name="@olga_a"
    )
    await broadcasts.start(
        session, conf, Audience(AudienceKind.APPROVED), text="Hi", actor_telegram_id=OLGA, report_chat_id=OLGA
    )
    await outbox.enqueue(
        session, kind="broadcast_report", chat_id=OLGA, dedup_key="broadcast_report:1", due_at=utc_now()
    )
    await session.commit()

    done = await erasure.forget(session, OLGA, username="olga_a", names=("Olga Officer",))
    assert done.held and done.participant_id is None  # staff need not be participants
    assert await traces_in_database(session, [str(OLGA), "olga_a", "Olga Officer"]) == []
    assert done.pseudonym.startswith("anon:") and str(OLGA) not in done.pseudonym
    rows = (await session.execute(select(AuditLog).where(AuditLog.actor == done.pseudonym))).scalars().all()
    assert {r.action for r in rows} == {"staff.add", "registration.approve", "broadcast.send", "participant.forget"}
    granted = (await session.execute(select(AuditLog).where(AuditLog.actor == "cli:root"))).scalar_one()
    assert granted.details["telegram_id"] == done.pseudonym  # who was given the role: the same pseudonym
    assert (await session.execute(select(StaffRole.telegram_id))).scalars().all() == [BORIS]
    # the decision stays, its decider is the pseudonym: a later officer is told that
    late = await erasure.forget(session, 7_100_000_999)
    assert not late.held and late.pseudonym != done.pseudonym
    reg = await session.get(Registration, anna.registration.id, populate_existing=True)
    assert reg.status == RegistrationStatus.APPROVED and reg.decided_by is None


async def test_pending_messages_are_cancelled_and_a_sender_holding_one_cannot_mark_it_sent(session) -> None:  # type: ignore[no-untyped-def]
    conf = await make_conference(session)
    await _registered(session, conf, ANNA, "Anna Zelenova")
    await outbox.enqueue(session, kind="reminder", chat_id=ANNA, dedup_key=f"rem:1:{ANNA}:a", due_at=utc_now())
    await outbox.enqueue(
        session, kind="reminder", chat_id=ANNA, dedup_key="rem:2:7:b", due_at=utc_now() + timedelta(hours=1)
    )
    await session.commit()
    held = await outbox.claim(session, "w1", limit=1)  # a sender is sending the first one right now
    assert len(held) == 1

    await erasure.forget(session, ANNA)
    assert not await outbox.mark_sent(session, held[0].id, held[0].token)  # its send ends after the erasure
    rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    assert [(r.status, r.chat_id) for r in rows] == [(OutboxStatus.CANCELLED, 0)] * 2
    assert rows[0].dedup_key.startswith("rem:1:anon-") and str(ANNA) not in rows[0].dedup_key
    assert rows[1].dedup_key == "rem:2:7:b"  # no id in it: kept, so it still blocks a second copy
    assert await outbox.claim(session, "w2") == []


async def test_nothing_held_is_said_and_leaves_no_audit_row(session) -> None:  # type: ignore[no-untyped-def]
    conf = await make_conference(session)
    await _registered(session, conf, ANNA, "Anna Zelenova")
    assert (await erasure.forget(session, ANNA)).held
    again = await erasure.forget(session, ANNA)
    assert not again.held and again.participant_id is None
    forgets = (await session.execute(select(AuditLog).where(AuditLog.action == "participant.forget"))).scalars().all()
    assert len(forgets) == 1
    assert (await session.execute(select(Participant.full_name))).scalars().all() == [""]
