"""Reading registrations: one with its person and delegation (`RegistrationView`), someone's
own, those waiting for a decision, a delegation's members, a conference's list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.accreditation.delegations import DelegationIndex
from core.accreditation.registration.values import RegistrationView
from core.errors import NotFound
from core.joins import DELEGATION_OF_REGISTRATION, PERSON_OF_REGISTRATION
from core.models import (
    Conference,
    Delegation,
    Participant,
    Registration,
    RegistrationStatus,
)


def with_person_and_delegation() -> Any:
    """SELECT registration, participant, delegation (None without one)."""
    return (
        select(Registration, Participant, Delegation)
        .join(Participant, PERSON_OF_REGISTRATION)
        .outerjoin(Delegation, DELEGATION_OF_REGISTRATION)
    )


def view_query(registration_id: int) -> Any:
    return with_person_and_delegation().where(col(Registration.id) == registration_id)


async def view(session: AsyncSession, registration_id: int) -> RegistrationView:
    row = (await session.execute(view_query(registration_id))).one_or_none()
    if row is None:
        raise NotFound(f"registration {registration_id} not found", code="registration_not_found")
    return RegistrationView(row[0], row[1], row[2])


async def my_registration(session: AsyncSession, conference_id: int, telegram_id: int) -> RegistrationView | None:
    """Someone's own registration in a conference, by their Telegram id (/me and friends)."""
    reg_id = (
        await session.execute(
            select(col(Registration.id))
            .join(Participant, PERSON_OF_REGISTRATION)
            .where(col(Registration.conference_id) == conference_id, col(Participant.telegram_id) == telegram_id)
        )
    ).scalar_one_or_none()
    return await view(session, reg_id) if reg_id is not None else None


async def _views(session: AsyncSession, ids: Any) -> list[RegistrationView]:
    return [await view(session, i) for i in ids if i is not None]


async def pending(
    session: AsyncSession, conference_id: int, *, limit: int = 20, offset: int = 0
) -> tuple[list[RegistrationView], int]:
    """Registrations waiting for a decision, oldest first, and how many there are."""
    base = select(col(Registration.id)).where(
        col(Registration.conference_id) == conference_id,
        col(Registration.status) == RegistrationStatus.PENDING,
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    page = base.order_by(col(Registration.created_at), col(Registration.id)).limit(limit).offset(offset)
    return await _views(session, (await session.execute(page)).scalars().all()), int(total)


async def delegation_members(session: AsyncSession, delegation_id: int) -> list[RegistrationView]:
    ids = (
        await session.execute(
            select(col(Registration.id))
            .where(col(Registration.delegation_id) == delegation_id)
            .order_by(col(Registration.created_at), col(Registration.id))
        )
    ).scalars()
    return await _views(session, ids.all())


async def list_registrations(
    session: AsyncSession,
    conference: Conference,
    *,
    status: RegistrationStatus | None = None,
    delegation: str | None = None,
) -> list[RegistrationView]:
    """A conference's registrations by delegation and name (for `participants list`);
    `delegation` is a code or a name."""
    query = (
        with_person_and_delegation()
        .where(col(Registration.conference_id) == conference.id)
        .order_by(col(Delegation.code).nulls_last(), col(Participant.full_name), col(Registration.id))
    )
    if status is not None:
        query = query.where(col(Registration.status) == status)
    if delegation:
        found = (await DelegationIndex.of_conference(session, conference.id)).find(delegation)
        if found is None:
            raise NotFound(f"no delegation '{delegation}' in {conference.slug}", code="delegation_not_found")
        query = query.where(col(Registration.delegation_id) == found.id)
    return [RegistrationView(reg, person, d) for reg, person, d in (await session.execute(query)).all()]
