"""Personal links (`/start bind_<token>`): a registration made on someone's behalf (imported
from a protocol office's list, or by a head of delegation) carries a bind token until its
owner opens the link and so ties their Telegram account to it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.accreditation import quota
from core.accreditation.registration import audit_trail
from core.accreditation.registration.queries import view, with_person_and_delegation
from core.accreditation.registration.values import RegistrationView, TelegramAccount
from core.clock import Clock, utc_now
from core.errors import Conflict, NotFound
from core.links import bind_link
from core.models import Conference, Delegation, Participant, Registration


def new_bind_token() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class BindLink:
    registration_id: int
    full_name: str
    native_name: str | None
    delegation: str | None
    category: str
    status: str
    email: str | None
    url: str


async def bind_links(
    session: AsyncSession,
    conference: Conference,
    username: str,
    *,
    clock: Clock = utc_now,
) -> list[BindLink]:
    """Personal links for every active registration whose person has no Telegram id yet,
    giving a token to those without one."""
    now = clock()
    query = (
        with_person_and_delegation()
        .where(
            col(Registration.conference_id) == conference.id,
            col(Registration.status).in_(quota.ACTIVE),
            col(Participant.telegram_id).is_(None),
            col(Participant.forgotten_at).is_(None),
        )
        .order_by(col(Delegation.code).nulls_last(), col(Participant.full_name), col(Registration.id))
    )
    links: list[BindLink] = []
    for reg, person, delegation in (await session.execute(query)).all():
        if reg.bind_token is None:
            reg.bind_token, reg.updated_at = new_bind_token(), now
        assert reg.id is not None
        links.append(
            BindLink(
                registration_id=reg.id,
                full_name=person.full_name,
                native_name=person.native_name,
                delegation=delegation.code if delegation else None,
                category=reg.category.value,
                status=reg.status.value,
                email=person.email,
                url=bind_link(username, reg.bind_token),
            )
        )
    await session.flush()
    return links


async def bind_account(
    session: AsyncSession, bind_token: str, account: TelegramAccount, *, clock: Clock = utc_now
) -> RegistrationView:
    """Attach a Telegram account to a registration made on someone's behalf, through their
    personal deep link."""
    now = clock()
    reg = (
        await session.execute(select(Registration).where(col(Registration.bind_token) == bind_token).with_for_update())
    ).scalar_one_or_none()
    if reg is None:
        raise NotFound("this personal link is not valid or was already used", code="bind_invalid")
    participant = await session.get(Participant, reg.participant_id)
    assert participant is not None
    if participant.telegram_id not in (None, account.telegram_id):
        raise Conflict("this registration is already linked to another account", code="bind_taken")
    other = (
        await session.execute(select(Participant).where(col(Participant.telegram_id) == account.telegram_id))
    ).scalar_one_or_none()
    if other is not None and other.id != participant.id:
        raise Conflict("your Telegram account is already registered", code="bind_account_in_use")
    participant.telegram_id, participant.telegram_username = account.telegram_id, account.username
    participant.language = participant.language or account.language
    reg.bind_token, reg.updated_at = None, now
    audit_trail.record(session, "registration.bind", reg, now, actor_telegram_id=account.telegram_id)
    await session.flush()
    assert reg.id is not None
    return await view(session, reg.id)
