"""Who is writing to the bot: their stored language and staff roles, in one statement.

This runs for every update, so it is one round trip, and the statement is built once with
bind parameters (building it per update cost more than running it on SQLite)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select
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


def _statement() -> Select[Any]:
    tg: BindParameter[int] = bindparam("tg")
    participant = col(Participant.telegram_id) == tg
    pref = col(UserPref.telegram_id) == tg
    return select(
        select(col(Participant.language)).where(participant).scalar_subquery(),
        select(col(UserPref.language)).where(pref).scalar_subquery(),
        select(col(UserPref.chosen)).where(pref).scalar_subquery(),
        select(col(Participant.blocked_bot_at).is_not(None)).where(participant).scalar_subquery(),
        select(func.aggregate_strings(col(StaffRole.role), ","))
        .where(col(StaffRole.conference_id) == bindparam("conference"), col(StaffRole.telegram_id) == tg)
        .scalar_subquery(),
    )


WHO = _statement()


async def identify(
    session: AsyncSession, telegram_id: int, *, conference: Conference | None, admin_ids: Iterable[int]
) -> Identity:
    """Does not commit: the caller's unit of work continues (the bot commits right after)."""
    conference_id = conference.id if conference is not None else None
    row = (await session.execute(WHO, {"tg": telegram_id, "conference": conference_id})).one()
    participant_language, pref_language, chosen, blocked, role_names = row
    granted = {StaffRoleName(r) for r in (role_names or "").split(",") if r}
    if telegram_id in set(admin_ids):
        granted.add(StaffRoleName.ADMIN)
    roles: set[StaffRoleName] = set()
    for role in granted:
        roles |= IMPLIES[role]
    language = pref_language if chosen else (participant_language or pref_language)
    return Identity(telegram_id, conference, language, roles, known=pref_language is not None, blocked=bool(blocked))
