"""Two officers, one card: the first decision stands, the second officer is told who decided
and when, the participant hears once. Decision and invitation buttons forged for another
conference's rows are refused and change nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.emulator.records import BotMessage, CallbackAnswer
from bot.emulator.users import FakeUser
from bot.i18n import translator
from core.accreditation import registration as reg_svc
from core.models import AuditLog, Invitation, Registration, RegistrationStatus
from core.uow import unit_of_work
from tests.bot.conftest import ADMIN, OFFICER, Harness, add_staff, registration_row, sign_up
from tests.factories import make_conference, make_participant, make_registration

WAIT = 30.0  # an upper bound for each expected reply, never a pause
APPROVED = "✅ Your accreditation for Minsk Conference on Eurasian Security is approved. Welcome!"


async def officers(h: Harness) -> tuple[FakeUser, FakeUser]:
    """Admin A (from ADMIN_IDS) and officer B, both known to the bot."""
    await add_staff(h, OFFICER)
    a = h.user(ADMIN, "Alex", username="alex_admin")
    b = h.user(OFFICER, "Boris", username="boris_off")
    for u in (a, b):
        await u.send("/help")
        await u.reply(WAIT)
    return a, b


async def cards(
    h: Harness, a: FakeUser, b: FakeUser, user_id: int, name: str
) -> tuple[FakeUser, BotMessage, BotMessage]:
    person = h.user(user_id, name.split()[0])
    await sign_up(person, name)
    return person, await a.expect(name, WAIT), await b.expect(name, WAIT)


async def decided_at(h: Harness, user_id: int) -> tuple[Registration, str]:
    reg, _ = await registration_row(h, user_id)
    assert reg.decided_at is not None
    return reg, translator("en").moment(reg.decided_at, h.conference.timezone)


def decisions_told(person: FakeUser) -> list[str]:
    return [m.text for m in person.messages if "Your accreditation" in (m.text or "")]


async def decision_rows(h: Harness, reg_id: int) -> list[str]:
    async with h.session_factory() as s:
        rows = await s.execute(
            select(AuditLog.action).where(AuditLog.entity_id == reg_id, AuditLog.action.in_(reg_svc.DECISIONS))
        )
        return list(rows.scalars())


async def test_b_rejects_on_a_stale_copy_after_a_approved(harness: Harness) -> None:
    h = harness
    a, b = await officers(h)
    anna, card_a, card_b = await cards(h, a, b, 1501, "Anna Petrova")
    await a.press("Approve", card_a)
    assert "Approved by @alex_admin" in (await a.edited(WAIT)).text
    await anna.expect("is approved", WAIT)
    reg, at = await decided_at(h, anna.id)

    await b.press("Reject", card_b)
    told = f"Registration #{reg.id} was already approved by @alex_admin at {at}. Nothing changed."
    answer = await b.answered(WAIT)
    assert answer.show_alert and answer.text == told
    stale = await b.edited(WAIT, message=card_b)  # B's copy now shows the outcome, without buttons
    assert told in stale.text and not stale.buttons
    assert not [m for m in b.messages if "Why is registration" in (m.text or "")]  # no reason asked
    assert (await registration_row(h, anna.id))[0].status == RegistrationStatus.APPROVED
    assert decisions_told(anna) == [APPROVED]
    assert await decision_rows(h, reg.id or 0) == ["registration.approve"]


async def test_a_approves_on_a_stale_copy_after_b_rejected(harness: Harness) -> None:
    h = harness
    a, b = await officers(h)
    ivan, card_a, card_b = await cards(h, a, b, 1502, "Ivan Sidorov")
    await b.press("Reject", card_b)
    await b.expect("Why is registration", WAIT)
    await b.send("No invitation")
    await b.expect("Rejected by @boris_off", WAIT)
    await ivan.expect("was not approved", WAIT)
    reg, at = await decided_at(h, ivan.id)

    await a.press("Approve", card_a)
    told = f"Registration #{reg.id} was already rejected by @boris_off at {at}. Nothing changed."
    assert (await a.answered(WAIT)).text == told
    assert told in (await a.edited(WAIT, message=card_a)).text
    assert (await registration_row(h, ivan.id))[0].status == RegistrationStatus.REJECTED
    assert len(decisions_told(ivan)) == 1 and "No invitation" in decisions_told(ivan)[0]
    assert await decision_rows(h, reg.id or 0) == ["registration.reject"]


async def test_approved_while_b_was_typing_the_reason(harness: Harness) -> None:
    h = harness
    a, b = await officers(h)
    olga, card_a, card_b = await cards(h, a, b, 1503, "Olga Smirnova")
    await b.press("Reject", card_b)
    await b.expect("Why is registration", WAIT)
    await a.press("Approve", card_a)
    await a.edited(WAIT)
    await olga.expect("is approved", WAIT)
    reg, at = await decided_at(h, olga.id)

    await b.send("Not on the list")
    told = await b.reply(WAIT)
    assert told.text == f"Registration #{reg.id} was already approved by @alex_admin at {at}. Nothing changed."
    await b.send("/pending")  # no longer asked for a reason: a command works again
    assert (await b.reply(WAIT)).text == "No registrations are waiting for approval."
    assert (await registration_row(h, olga.id))[0].status == RegistrationStatus.APPROVED
    assert decisions_told(olga) == [APPROVED]
    assert await decision_rows(h, reg.id or 0) == ["registration.approve"]


async def forge(user: FakeUser, data: str, message: BotMessage) -> CallbackAnswer:
    """Press a button that was never sent: callback data made up by a client."""
    emu = user.emulator
    query_id = emu.next_query_id()
    emu.callback_answers[query_id] = CallbackAnswer(query_id, data)
    user._queries.add(query_id)
    user._last_query = query_id
    emu.push_update(
        {
            "callback_query": {
                "id": query_id,
                "from": user.profile,
                "message": message.payload,
                "chat_instance": f"ci{user.id}",
                "data": data,
            }
        }
    )
    return await user.answered(WAIT)


async def test_callbacks_forged_for_another_conference_are_refused(harness: Harness) -> None:
    h = harness
    async with unit_of_work(h.session_factory) as s:  # an older edition in the same database
        other = await make_conference(s, slug="minsk-2023", first_day=date(2023, 10, 30), last_day=date(2023, 10, 31))
        person = await make_participant(s, full_name="Secret Person", telegram_id=1599)
        reg = await make_registration(s, other, person, status=RegistrationStatus.PENDING)
        invitation = await reg_svc.create_invitation(s, other.id or 0, delegation_id=None, created_by=1598)
    a, b = await officers(h)
    refusal = "There is no such registration in this conference."
    for user in (b, a):  # an officer, and an admin from ADMIN_IDS: both of this conference only
        for action in ("approve", "reject"):
            answer = await forge(user, f"dec:{action}:{reg.id}", user.messages[-1])
            assert answer.show_alert and answer.text == refusal
    answer = await forge(a, f"rvk:{invitation.id}", a.messages[-1])
    assert answer.show_alert and answer.text == "This invitation link is not valid."

    for user in (a, b):  # nothing was asked, nothing about the person was shown
        assert not [m for m in user.messages if "Secret Person" in (m.text or "") or "Why is" in (m.text or "")]
    async with h.session_factory() as s:
        row = await s.get(Registration, reg.id)
        assert row is not None and row.status == RegistrationStatus.PENDING and row.decided_by is None
        inv = await s.get(Invitation, invitation.id)
        assert inv is not None and inv.revoked_at is None
    assert await decision_rows(h, reg.id or 0) == []
