"""A new code for a lost or compromised badge (`confdesk badges reissue`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import audit
from core.clock import utc_now
from core.errors import NotAllowed, NotFound
from core.models import Registration, RegistrationStatus


async def reissue_badge(
    session: AsyncSession,
    registration_id: int,
    *,
    actor_telegram_id: int | None = None,
    actor: str = "cli",
) -> Registration:
    """A new code for a lost or compromised badge: the old one scans as "revoked".

    Bumps badge_version, clears the cached Telegram file id and resets the print count (the
    new code has never been printed, so `badges print --only-new` picks it up; the old count
    is kept in the audit log).
    """
    stmt = select(Registration).where(col(Registration.id) == registration_id).with_for_update()
    reg = (await session.execute(stmt)).scalar_one_or_none()
    if reg is None:
        raise NotFound(f"registration {registration_id} not found", id=registration_id)
    if RegistrationStatus(reg.status) is not RegistrationStatus.APPROVED:
        raise NotAllowed(
            f"registration {registration_id} is {RegistrationStatus(reg.status).value}: it has no badge to reissue",
            code="badge_not_approved",
            id=registration_id,
        )
    old_version, old_prints = reg.badge_version, reg.badge_print_count
    now = utc_now()
    reg.badge_version = old_version + 1
    reg.badge_file_id = None
    reg.badge_print_count = 0
    reg.badge_printed_at = None
    reg.updated_at = now
    audit.record(
        session,
        action="badge.reissue",
        entity="registration",
        entity_id=reg.id,
        at=now,
        conference_id=reg.conference_id,
        actor_telegram_id=actor_telegram_id,
        actor=actor if actor_telegram_id is None else None,
        old_version=old_version,
        new_version=reg.badge_version,
        old_print_count=old_prints,
    )
    await session.flush()  # later reads in this unit of work see the new version
    return reg
