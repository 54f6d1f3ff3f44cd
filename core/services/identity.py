"""Who is writing to the bot: their conference, language and staff roles, in one call."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Conference, StaffRoleName
from core.services import people, staff
from core.services.conferences import current_conference


@dataclass
class Identity:
    telegram_id: int
    conference: Conference | None
    language: str | None  # the stored choice, if any
    roles: set[StaffRoleName] = field(default_factory=set)
    known: bool = False  # whether the account's language was ever recorded


async def identify(
    session: AsyncSession, telegram_id: int, *, conference_slug: str | None, admin_ids: Iterable[int]
) -> Identity:
    try:
        conference: Conference | None = await current_conference(session, conference_slug)
    except NotFound:
        conference = None
    language, known = await people.language_of(session, telegram_id)
    roles = await staff.roles_of(session, conference.id, telegram_id, admin_ids) if conference and conference.id else (
        {StaffRoleName.ADMIN, StaffRoleName.ACCREDITATION, StaffRoleName.DOOR} if telegram_id in set(admin_ids) else set())
    await session.commit()
    return Identity(telegram_id, conference, language, roles, known)
