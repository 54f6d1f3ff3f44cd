"""Invitations of a delegation (`/start inv_<token>`): made by its head or an admin, checked
when opened, used up by registering, revoked by who made them."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import audit
from core.accreditation import delegations
from core.clock import Clock, utc_now
from core.errors import InvalidInput, NotFound, PermissionDenied, WrongState
from core.models import Category, Invitation


async def create_invitation(
    session: AsyncSession,
    conference_id: int,
    *,
    delegation_id: int | None,
    category: Category | None = None,
    created_by: int | None,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
    clock: Clock = utc_now,
) -> Invitation:
    now = clock()
    if max_uses is not None and max_uses < 1:
        raise InvalidInput("max uses must be at least 1", code="bad_max_uses")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("the expiry is in the past", code="bad_expiry")
    if delegation_id is not None:
        await delegations.locked(session, conference_id, delegation_id)
    invitation = Invitation(
        conference_id=conference_id,
        token=secrets.token_urlsafe(12),
        delegation_id=delegation_id,
        category=category,
        created_by=created_by,
        expires_at=expires_at,
        max_uses=max_uses,
        created_at=now,
    )
    session.add(invitation)
    await session.flush()
    audit.record(
        session,
        action="invitation.create",
        entity="invitation",
        entity_id=invitation.id,
        at=now,
        conference_id=conference_id,
        actor_telegram_id=created_by,
        delegation_id=delegation_id,
        max_uses=max_uses,
    )
    return invitation


async def usable_invitation(
    session: AsyncSession, conference_id: int, token: str, now: datetime, *, lock: bool = False
) -> Invitation:
    """The invitation of `token` if it can still be used in this conference, else why not
    (invalid, revoked, expired, used up). `lock`: its row is locked, to be used."""
    query = select(Invitation).where(col(Invitation.token) == token)
    invitation = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if invitation is None or invitation.conference_id != conference_id:
        raise NotFound("this invitation link is not valid", code="invitation_invalid")
    if invitation.revoked_at is not None:
        raise WrongState("this invitation was revoked", code="invitation_revoked")
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise WrongState("this invitation has expired", code="invitation_expired")
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        raise WrongState("this invitation has been used up", code="invitation_used_up")
    return invitation


async def invitation_by_token(
    session: AsyncSession, conference_id: int, token: str, *, clock: Clock = utc_now
) -> Invitation:
    """Check an invitation without using it (the wizard uses it when it registers)."""
    return await usable_invitation(session, conference_id, token, clock())


async def revoke_invitation(
    session: AsyncSession,
    invitation_id: int,
    *,
    actor_telegram_id: int | None,
    conference_id: int | None,
    is_admin: bool = False,
    clock: Clock = utc_now,
) -> Invitation:
    """Only the creator or an admin of the invitation's conference may revoke (the CLI,
    `conference_id` None, acts as admin of every conference)."""
    now = clock()
    invitation = (
        await session.execute(select(Invitation).where(col(Invitation.id) == invitation_id).with_for_update())
    ).scalar_one_or_none()
    if invitation is None or (conference_id is not None and invitation.conference_id != conference_id):
        raise NotFound("this invitation link is not valid", code="invitation_invalid")
    if not is_admin and actor_telegram_id is not None and invitation.created_by != actor_telegram_id:
        raise PermissionDenied("only who created an invitation, or an admin, may revoke it", code="permission_denied")
    if invitation.revoked_at is None:
        invitation.revoked_at = now
        audit.record(
            session,
            action="invitation.revoke",
            entity="invitation",
            entity_id=invitation.id,
            at=now,
            conference_id=invitation.conference_id,
            actor_telegram_id=actor_telegram_id,
        )
    return invitation
