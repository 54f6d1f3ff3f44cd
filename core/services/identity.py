"""Who is writing to the bot: their stored language and staff roles, in one statement
(this runs for every update, so it is one round trip, not four)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.models import Conference, Participant, StaffRole, StaffRoleName, UserPref
from core.services.staff import IMPLIES


@dataclass
class Identity:
    telegram_id: int
    conference: Conference | None
    language: str | None  # the stored choice, if any
    roles: set[StaffRoleName] = field(default_factory=set)
    known: bool = False  # whether the account's language was ever recorded
    blocked: bool = False  # marked as having blocked the bot (they are writing again now)


async def identify(
    session: AsyncSession, telegram_id: int, *, conference: Conference | None, admin_ids: Iterable[int]
) -> Identity:
    """Does not commit: the caller's unit of work continues (the bot commits right after)."""
    p_lang = select(col(Participant.language)).where(col(Participant.telegram_id) == telegram_id).scalar_subquery()
    pref_lang = select(col(UserPref.language)).where(col(UserPref.telegram_id) == telegram_id).scalar_subquery()
    pref_chosen = select(col(UserPref.chosen)).where(col(UserPref.telegram_id) == telegram_id).scalar_subquery()
    roles_col = (
        select(func.aggregate_strings(col(StaffRole.role), ","))
        .where(col(StaffRole.conference_id) == conference.id, col(StaffRole.telegram_id) == telegram_id)
        .scalar_subquery()
        if conference is not None
        else None
    )
    p_blocked = (
        select(col(Participant.blocked_bot_at).is_not(None))
        .where(col(Participant.telegram_id) == telegram_id)
        .scalar_subquery()
    )
    columns = [p_lang, pref_lang, pref_chosen, p_blocked] + ([roles_col] if roles_col is not None else [])
    row = (await session.execute(select(*columns))).one()
    participant_language, pref_language, chosen = row[0], row[1], row[2]
    granted = {StaffRoleName(r) for r in (row[4] or "").split(",") if r} if conference is not None else set()
    if telegram_id in set(admin_ids):
        granted.add(StaffRoleName.ADMIN)
    roles: set[StaffRoleName] = set()
    for role in granted:
        roles |= IMPLIES[role]
    language = pref_language if chosen else (participant_language or pref_language)
    return Identity(telegram_id, conference, language, roles, known=pref_language is not None, blocked=bool(row[3]))
