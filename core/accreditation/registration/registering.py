"""Registering: a person (through the bot, an invitation or their head of delegation) gets a
registration, pending unless the conference or the delegation approves it on arrival."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.accreditation import delegations, quota
from core.accreditation.registration import audit_trail
from core.accreditation.registration.invitations import usable_invitation
from core.accreditation.registration.personal_links import new_bind_token
from core.accreditation.registration.values import PersonData, RegistrationView, TelegramAccount
from core.clock import Clock, utc_now
from core.errors import Conflict
from core.models import Category, Conference, Delegation, Invitation, Participant, Registration, RegistrationStatus
from core.text import name_key


def approved_on_arrival(conference: Conference, delegation: Delegation | None, category: Category) -> bool:
    """A new registration needs no officer when the conference approves its category
    automatically, or its delegation approves all its members."""
    return category.value in (conference.auto_approve_categories or []) or bool(delegation and delegation.auto_approve)


# Built once (a statement built per call cost more CPU than running it on SQLite).
_PARTICIPANT_OF = select(Participant).where(col(Participant.telegram_id) == bindparam("telegram_id"))
_REGISTRATION_OF = select(Registration).where(
    col(Registration.conference_id) == bindparam("conference_id"),
    col(Registration.participant_id) == bindparam("participant_id"),
)

# A new participant or registration: one INSERT ... RETURNING whose row the ORM loads as a
# stored object (as a query would), instead of an object built (SQLModel's constructor:
# ~0.15 ms each), added and flushed (~0.3 ms each: the unit of work's bookkeeping).
_PARTICIPANTS = Participant.__table__  # type: ignore[attr-defined]
_REGISTRATIONS = Registration.__table__  # type: ignore[attr-defined]
_NEW_PARTICIPANT = select(Participant).from_statement(insert(_PARTICIPANTS).returning(*_PARTICIPANTS.c))
_NEW_REGISTRATION = select(Registration).from_statement(insert(_REGISTRATIONS).returning(*_REGISTRATIONS.c))


async def _participant_of(session: AsyncSession, account: TelegramAccount | None) -> Participant | None:
    if account is None:
        return None
    return (await session.execute(_PARTICIPANT_OF, {"telegram_id": account.telegram_id})).scalar_one_or_none()


async def _registration_of(
    session: AsyncSession, conference_id: int, participant: Participant | None
) -> Registration | None:
    if participant is None:
        return None
    found = await session.execute(_REGISTRATION_OF, {"conference_id": conference_id, "participant_id": participant.id})
    return found.scalar_one_or_none()


async def _save_person(
    session: AsyncSession,
    participant: Participant | None,
    account: TelegramAccount | None,
    person: PersonData,
    now: datetime,
) -> Participant:
    """The account's participant updated with `person`, or a new one (stored: it has an id)."""
    if participant is None:
        username = account.username if account else None
        values = {
            "full_name": person.full_name,
            "native_name": person.native_name,
            "position": person.position,
            "organisation": person.organisation,
            "email": person.email,
            "language": person.language,
            "telegram_id": account.telegram_id if account else None,
            "telegram_username": username,
            "created_at": now,
            "updated_at": now,
            "search_name": name_key(person.full_name, person.native_name, username),  # as the ORM's hook does
        }
        return (await session.scalars(_NEW_PARTICIPANT, values)).one()
    participant.full_name = person.full_name
    participant.native_name = person.native_name
    participant.position = person.position
    participant.organisation = person.organisation
    participant.email = person.email or participant.email
    participant.language = person.language or participant.language
    if account is not None:
        participant.telegram_id = account.telegram_id
        participant.telegram_username = account.username
    participant.updated_at = now
    await session.flush()
    return participant


async def _check_may_register(
    session: AsyncSession, existing: Registration | None, delegation: Delegation | None
) -> None:
    """Not registered already (a withdrawn or rejected registration may be used again), and
    a seat left in the delegation."""
    if existing is not None and existing.status in quota.ACTIVE:
        raise Conflict(
            "already registered for this conference", code="already_registered", status=existing.status.value
        )
    if delegation is not None:
        await quota.check_seat(session, delegation, except_registration=existing.id if existing else None)


def approve_without_officer(reg: Registration, now: datetime, reason: str) -> None:
    """Approved by the system: `reason` "auto" (approved on arrival) or "import"."""
    reg.status, reg.decided_at, reg.decided_by, reg.decision_reason = RegistrationStatus.APPROVED, now, None, reason


def back_to_pending(reg: Registration) -> None:
    """Waiting for an officer again: the earlier decision is dropped."""
    reg.status, reg.decided_at, reg.decided_by, reg.decision_reason = RegistrationStatus.PENDING, None, None, None


async def _store_registration(
    session: AsyncSession,
    conference: Conference,
    participant: Participant,
    existing: Registration | None,
    *,
    category: Category,
    delegation: Delegation | None,
    invitation: Invitation | None,
    source: str,
    bind_token: str | None,
    now: datetime,
) -> Registration:
    """The new registration (or the withdrawn or rejected one used again), decided on
    arrival or pending, stored."""
    assert conference.id is not None and participant.id is not None
    approved = approved_on_arrival(conference, delegation, category)
    if existing is None:
        values = {
            "conference_id": conference.id,
            "participant_id": participant.id,
            "category": category,
            "delegation_id": delegation.id if delegation else None,
            "invitation_id": invitation.id if invitation else None,
            "source": source,
            "bind_token": bind_token,
            "created_at": now,
            "updated_at": now,
            # as approve_without_officer / back_to_pending below
            "status": RegistrationStatus.APPROVED if approved else RegistrationStatus.PENDING,
            "decided_at": now if approved else None,
            "decided_by": None,
            "decision_reason": "auto" if approved else None,
        }
        return (await session.scalars(_NEW_REGISTRATION, values)).one()
    reg = existing
    reg.category = category
    reg.delegation_id = delegation.id if delegation else None
    reg.invitation_id = invitation.id if invitation else None
    reg.source, reg.updated_at = source, now
    reg.bind_token = bind_token or reg.bind_token
    if approved:
        approve_without_officer(reg, now, "auto")
    else:
        back_to_pending(reg)
    await session.flush()
    return reg


async def register(
    session: AsyncSession,
    conference: Conference,
    person: PersonData,
    *,
    category: Category,
    delegation_id: int | None = None,
    account: TelegramAccount | None = None,
    invitation_token: str | None = None,
    registered_by: int | None = None,
    personal_link: bool = False,
    clock: Clock = utc_now,
) -> RegistrationView:
    """A new registration, pending unless auto-approval applies. `registered_by` is the
    head of delegation registering a member on their behalf; `personal_link` gives the
    registration a bind token so its owner can connect their Telegram account later.
    Every rule is checked before anything is written."""
    now = clock()
    assert conference.id is not None
    invitation = None
    if invitation_token:
        invitation = await usable_invitation(session, conference.id, invitation_token, now, lock=True)
        delegation_id = invitation.delegation_id
        category = invitation.category or category
    delegation = await delegations.locked(session, conference.id, delegation_id)
    participant = await _participant_of(session, account)
    existing = await _registration_of(session, conference.id, participant)
    await _check_may_register(session, existing, delegation)
    if invitation is not None:
        invitation.uses += 1
    participant = await _save_person(session, participant, account, person, now)
    source = "invitation" if invitation else ("delegation" if registered_by else "bot")
    reg = await _store_registration(
        session,
        conference,
        participant,
        existing,
        category=category,
        delegation=delegation,
        invitation=invitation,
        source=source,
        bind_token=new_bind_token() if personal_link and account is None else None,
        now=now,
    )
    await audit_trail.write(
        session,
        "registration.create",
        reg,
        now,
        actor_telegram_id=registered_by or (account.telegram_id if account else None),
        category=category.value,
        delegation=delegation.code if delegation else None,
        status=reg.status.value,
    )
    return RegistrationView(reg, participant, delegation)
