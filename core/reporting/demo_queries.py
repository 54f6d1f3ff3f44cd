"""The offline demo's read-only queries (bot/demo.py): what a loaded conference holds, how
many registrations wait for a decision, each Telegram account's badge code (the demo's
door staff scan them), and the closing tally of everything the demo did."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import badges
from core.joins import registrations_with_people
from core.models import (
    AgendaItem,
    Category,
    Conference,
    Delegation,
    Participant,
    Registration,
    RegistrationStatus,
    SignupStatus,
)
from core.reporting.sql import REG, SCAN, SIGNUP, enum_text


@dataclass(frozen=True)
class Contents:
    conference: Conference
    delegations: list[Delegation]
    items: list[AgendaItem]


@dataclass(frozen=True)
class BadgeCode:
    registration_id: int
    category: Category
    token: str


async def contents(session: AsyncSession, slug: str) -> Contents:
    """The conference `slug` with its delegations and agenda items."""
    conf = (await session.execute(select(Conference).where(col(Conference.slug) == slug))).scalar_one()
    delegations = (await session.execute(select(Delegation).where(col(Delegation.conference_id) == conf.id))).scalars()
    items = (await session.execute(select(AgendaItem).where(col(AgendaItem.conference_id) == conf.id))).scalars()
    return Contents(conf, list(delegations), list(items))


async def pending_count(session: AsyncSession, conference_id: int) -> int:
    """Registrations waiting for an officer's decision."""
    n = (
        await session.execute(
            select(func.count())
            .select_from(Registration)
            .where(
                col(Registration.conference_id) == conference_id,
                col(Registration.status) == RegistrationStatus.PENDING,
            )
        )
    ).scalar_one()
    return int(n)


async def badge_codes(session: AsyncSession, conference_id: int, secret: bytes) -> dict[int, BadgeCode]:
    """Each Telegram account's current badge code in this conference."""
    rows = await session.execute(
        select(
            col(Participant.telegram_id),
            col(Registration.id),
            col(Registration.badge_version),
            col(Registration.category),
        )
        .join(Registration, col(Registration.participant_id) == col(Participant.id))
        .where(col(Registration.conference_id) == conference_id, col(Participant.telegram_id).is_not(None))
    )
    return {
        int(tg): BadgeCode(int(reg), Category(cat), badges.make_token(secret, int(reg), int(version)))
        for tg, reg, version, cat in rows.all()
        if tg is not None and reg is not None
    }


@dataclass(frozen=True)
class Tally:
    """What a conference holds, counted from the database (the demo's closing summary)."""

    registered: int
    approved: int
    from_programme: int  # people the programme file named (heads, speakers)
    confirmed_signups: int
    waitlisted: int
    badges_printed: int
    scans: dict[str, int]  # result -> count


async def tally(session: AsyncSession, conference_id: int) -> Tally:
    mine = REG.c.conference_id == conference_id
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(REG.c.status == RegistrationStatus.APPROVED.value),
                func.count().filter(REG.c.source == "programme"),
                func.count().filter(REG.c.badge_print_count > 0),
            )
            .select_from(registrations_with_people())
            .where(mine)
        )
    ).one()
    signups: dict[str, int] = {
        enum_text(k): int(n)
        for k, n in (
            await session.execute(
                select(SIGNUP.c.status, func.count())
                .select_from(SIGNUP.join(REG, REG.c.id == SIGNUP.c.registration_id))
                .where(mine)
                .group_by(SIGNUP.c.status)
            )
        ).all()
    }
    scans: dict[str, int] = {
        enum_text(k): int(n)
        for k, n in (
            await session.execute(
                select(SCAN.c.result, func.count()).where(SCAN.c.conference_id == conference_id).group_by(SCAN.c.result)
            )
        ).all()
    }
    return Tally(
        registered=int(row[0]),
        approved=int(row[1]),
        from_programme=int(row[2]),
        confirmed_signups=signups.get(SignupStatus.CONFIRMED.value, 0),
        waitlisted=signups.get(SignupStatus.WAITLISTED.value, 0),
        badges_printed=int(row[3]),
        scans=scans,
    )
