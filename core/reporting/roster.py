"""Who is registered where: small read-only lookups over a conference's people, used by
the offline demo and the kiosk-style tools."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import badges
from core.models import (
    AgendaItem,
    AgendaSignup,
    Category,
    Conference,
    Delegation,
    Participant,
    Registration,
    RegistrationStatus,
    Scan,
    SignupStatus,
)


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
    conf = (await session.execute(select(Conference).where(col(Conference.slug) == slug))).scalar_one()
    delegations = (await session.execute(select(Delegation).where(col(Delegation.conference_id) == conf.id))).scalars()
    items = (await session.execute(select(AgendaItem).where(col(AgendaItem.conference_id) == conf.id))).scalars()
    result = Contents(conf, list(delegations), list(items))
    await session.commit()
    return result


async def pending_count(session: AsyncSession, conference_id: int) -> int:
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
    await session.commit()
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
    codes = {
        int(tg): BadgeCode(int(reg), Category(cat), badges.make_token(secret, int(reg), int(version)))
        for tg, reg, version, cat in rows.all()
        if tg is not None and reg is not None
    }
    await session.commit()
    return codes


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
    reg = Registration.__table__  # type: ignore[attr-defined]
    part = Participant.__table__  # type: ignore[attr-defined]
    signup = AgendaSignup.__table__  # type: ignore[attr-defined]
    scan = Scan.__table__  # type: ignore[attr-defined]
    mine = reg.c.conference_id == conference_id
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(reg.c.status == RegistrationStatus.APPROVED.value),
                func.count().filter(reg.c.source == "programme"),
                func.count().filter(reg.c.badge_print_count > 0),
            )
            .select_from(reg.join(part, part.c.id == reg.c.participant_id))
            .where(mine)
        )
    ).one()
    signups: dict[str, int] = {
        str(getattr(k, "value", k)): int(n)
        for k, n in (
            await session.execute(
                select(signup.c.status, func.count())
                .select_from(signup.join(reg, reg.c.id == signup.c.registration_id))
                .where(mine)
                .group_by(signup.c.status)
            )
        ).all()
    }
    scans: dict[str, int] = {
        str(getattr(k, "value", k)): int(n)
        for k, n in (
            await session.execute(
                select(scan.c.result, func.count()).where(scan.c.conference_id == conference_id).group_by(scan.c.result)
            )
        ).all()
    }
    await session.commit()
    return Tally(
        registered=int(row[0]),
        approved=int(row[1]),
        from_programme=int(row[2]),
        confirmed_signups=signups.get(SignupStatus.CONFIRMED.value, 0),
        waitlisted=signups.get(SignupStatus.WAITLISTED.value, 0),
        badges_printed=int(row[3]),
        scans=scans,
    )
