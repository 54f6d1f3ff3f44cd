"""Changing a registration after the fact: the person's data (a change of what the badge
prints sends it back for approval), or withdrawing it (forgetting: core.people.erasure)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.accreditation import delegations, quota
from core.accreditation.registration import audit_trail
from core.accreditation.registration.queries import view
from core.accreditation.registration.registering import back_to_pending
from core.accreditation.registration.values import PersonData, RegistrationView
from core.clock import Clock, utc_now
from core.conferences import get_locked
from core.errors import WrongState
from core.models import Category, Participant, Registration, RegistrationStatus

# What is printed on the badge: changing it sends a registration back for approval.
REVIEWED_FIELDS = frozenset({"full_name", "native_name", "delegation", "category"})


def _changed_fields(
    participant: Participant, reg: Registration, person: PersonData, delegation_id: int | None, category: Category
) -> list[str]:
    return [
        name
        for name, old, new in (
            ("full_name", participant.full_name, person.full_name),
            ("native_name", participant.native_name, person.native_name),
            ("position", participant.position, person.position),
            ("organisation", participant.organisation, person.organisation),
            ("delegation", reg.delegation_id, delegation_id),
            ("category", reg.category, category),
        )
        if old != new
    ]


async def update_person(
    session: AsyncSession,
    registration_id: int,
    person: PersonData,
    *,
    delegation_id: int | None,
    category: Category | None = None,
    actor_telegram_id: int | None = None,
    clock: Clock = utc_now,
) -> RegistrationView:
    """Change a participant's data. An approved registration whose name or delegation
    changes goes back to pending (its badge would be wrong)."""
    now = clock()
    # NO KEY: a category or delegation changed waits for a fold of the attendance summary in
    # progress (migration 0013's trigger), which may itself be waiting to write this
    # registration's row (its foreign key check): FOR UPDATE would deadlock the two
    reg = await get_locked(session, Registration, registration_id, no_key=True)
    if reg.status not in quota.ACTIVE:
        raise WrongState("this registration is no longer active", code="registration_inactive", status=reg.status.value)
    participant = await session.get(Participant, reg.participant_id)
    assert participant is not None
    category = category or reg.category
    changed = _changed_fields(participant, reg, person, delegation_id, category)
    if delegation_id != reg.delegation_id:
        delegation = await delegations.locked(session, reg.conference_id, delegation_id)
        if delegation is not None:
            await quota.check_seat(session, delegation, except_registration=reg.id)
    participant.full_name, participant.native_name = person.full_name, person.native_name
    participant.position, participant.organisation = person.position, person.organisation
    participant.updated_at = now
    reg.delegation_id, reg.category = delegation_id, category
    needs_review = bool(REVIEWED_FIELDS & set(changed))
    if reg.status == RegistrationStatus.APPROVED and needs_review:
        back_to_pending(reg)
    reg.updated_at = now
    if changed:
        reg.badge_file_id = None  # the chat badge shows these: render it anew
        audit_trail.record(session, "registration.edit", reg, now, actor_telegram_id=actor_telegram_id, fields=changed)
    await session.flush()
    result = await view(session, registration_id)
    result.changed, result.needs_review = changed, needs_review
    return result


async def withdraw(
    session: AsyncSession, registration_id: int, *, actor_telegram_id: int | None, clock: Clock = utc_now
) -> RegistrationView:
    """Cancel a registration: frees its delegation seat and its agenda seats."""
    from core.programme.signups import release_all  # agenda promotes the waiting list

    now = clock()
    reg = await get_locked(session, Registration, registration_id)
    if reg.status == RegistrationStatus.CANCELLED:
        raise WrongState("already withdrawn", code="already_withdrawn")
    reg.status, reg.updated_at = RegistrationStatus.CANCELLED, now
    await release_all(session, reg.id, now)  # type: ignore[arg-type]
    audit_trail.record(session, "registration.withdraw", reg, now, actor_telegram_id=actor_telegram_id)
    await session.flush()
    return await view(session, registration_id)
