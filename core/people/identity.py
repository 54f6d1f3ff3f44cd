"""Who is writing to the bot: their stored language and staff roles.

This runs for every update, for a batch of updates at once (see bot.update_intake): one
statement, built once with bind parameters, answers for every account in the batch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, CompoundSelect, String, any_, bindparam, cast, literal, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.models import Conference, Participant, StaffRole, StaffRoleName, UserPref
from core.people.staff import effective


@dataclass
class Identity:
    telegram_id: int
    conference: Conference | None
    language: str | None  # the stored choice, if any
    roles: set[StaffRoleName] = field(default_factory=set)
    known: bool = False  # whether the account's language was ever recorded
    blocked: bool = False  # marked as having blocked the bot (they are writing again now)


def _statement(postgres: bool) -> CompoundSelect[Any]:
    """Rows of (kind, account, text, flag): "p" a participant (language, blocked), "u" a
    language preference (language, chosen), "r" a staff role in the conference.

    On PostgreSQL the ids go as one array (`= ANY(:ids)`): an IN list would make a new
    statement text, and a new server-side prepare, for every batch size."""

    def among(column: Any) -> Any:
        if postgres:
            return column == any_(bindparam("ids", type_=ARRAY(BigInteger)))
        return column.in_(bindparam("ids", expanding=True))

    return union_all(
        select(
            literal("p"),
            col(Participant.telegram_id),
            col(Participant.language),
            col(Participant.blocked_bot_at).is_not(None),
        ).where(among(col(Participant.telegram_id))),
        select(literal("u"), col(UserPref.telegram_id), col(UserPref.language), col(UserPref.chosen)).where(
            among(col(UserPref.telegram_id))
        ),
        select(literal("r"), col(StaffRole.telegram_id), cast(col(StaffRole.role), String), literal(False)).where(
            col(StaffRole.conference_id) == bindparam("conference"), among(col(StaffRole.telegram_id))
        ),
    )


WHO = {"postgresql": _statement(postgres=True), "sqlite": _statement(postgres=False)}


async def identify(
    session: AsyncSession, telegram_ids: Iterable[int], *, conference: Conference | None, admin_ids: Iterable[int]
) -> dict[int, Identity]:
    """Does not commit: the caller's unit of work continues."""
    ids = sorted(set(telegram_ids))
    if not ids:
        return {}
    conference_id = conference.id if conference is not None else None
    participant: dict[int, tuple[str | None, bool]] = {}
    pref: dict[int, tuple[str, bool]] = {}
    granted: dict[int, set[StaffRoleName]] = {i: set() for i in ids}
    who = WHO["postgresql" if session.bind.dialect.name == "postgresql" else "sqlite"]  # type: ignore[union-attr]
    for kind, tg, text, flag in await session.execute(who, {"ids": ids, "conference": conference_id}):
        if kind == "p":
            participant[tg] = (text, bool(flag))
        elif kind == "u":
            pref[tg] = (text, bool(flag))
        else:
            granted[tg].add(StaffRoleName(text))
    for admin in set(admin_ids) & granted.keys():
        granted[admin].add(StaffRoleName.ADMIN)
    found = {}
    for tg in ids:
        participant_language, blocked = participant.get(tg, (None, False))
        pref_language, chosen = pref.get(tg, (None, False))
        roles = effective(granted[tg])
        language = pref_language if chosen else (participant_language or pref_language)
        found[tg] = Identity(tg, conference, language, roles, known=pref_language is not None, blocked=blocked)
    return found
