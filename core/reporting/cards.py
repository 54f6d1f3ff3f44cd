"""What an organiser sees about one registration (a /find result, the inline query's
answer): the person, badge status, where they are now and their last scans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.joins import registrations_with_people_and_delegations
from core.reporting.sql import DELEG, ITEM, PART, PRESENCE, REG, SCAN, enum_text


@dataclass(frozen=True)
class ScanLine:
    at: datetime
    direction: str
    result: str
    gate: str
    place: dict[str, str] | None  # the agenda item's title; None = venue entrance


@dataclass(frozen=True)
class RegistrationCard:
    """What an organiser sees about one registration."""

    registration_id: int
    full_name: str
    native_name: str | None
    delegation: dict[str, str] | None
    category: str
    status: str
    position: str | None
    organisation: str | None
    telegram_username: str | None
    badge_version: int
    badge_print_count: int
    badge_printed_at: datetime | None
    inside: bool
    inside_since: datetime | None
    inside_place: dict[str, str] | None
    scans: list[ScanLine] = field(default_factory=list)


async def _person(session: AsyncSession, conference_id: int, registration_id: int) -> Any:
    place = ITEM.alias("place")
    stmt = (
        select(
            REG.c.id,
            PART.c.full_name,
            PART.c.native_name,
            DELEG.c.name,
            REG.c.category,
            REG.c.status,
            PART.c.position,
            PART.c.organisation,
            PART.c.telegram_username,
            REG.c.badge_version,
            REG.c.badge_print_count,
            REG.c.badge_printed_at,
            PRESENCE.c.inside,
            PRESENCE.c.since,
            place.c.title,
        )
        .select_from(
            registrations_with_people_and_delegations()
            .outerjoin(PRESENCE, PRESENCE.c.registration_id == REG.c.id)
            .outerjoin(place, place.c.id == PRESENCE.c.agenda_item_id)
        )
        .where(REG.c.id == registration_id, REG.c.conference_id == conference_id)
    )
    return (await (await session.connection()).execute(stmt)).first()


async def _last_scans(session: AsyncSession, registration_id: int, n: int) -> list[ScanLine]:
    stmt = (
        select(SCAN.c.scanned_at, SCAN.c.direction, SCAN.c.result, SCAN.c.gate, ITEM.c.title)
        .select_from(SCAN.outerjoin(ITEM, ITEM.c.id == SCAN.c.agenda_item_id))
        .where(SCAN.c.registration_id == registration_id)
        .order_by(SCAN.c.scanned_at.desc(), SCAN.c.id.desc())
        .limit(n)
    )
    found = (await (await session.connection()).execute(stmt)).all()
    return [ScanLine(s[0], enum_text(s[1]), enum_text(s[2]), s[3] or "", dict(s[4]) if s[4] else None) for s in found]


async def registration_card(
    session: AsyncSession, conference_id: int, registration_id: int, *, scans: int = 5
) -> RegistrationCard:
    """One registration with its badge status and its last `scans` scans."""
    row = await _person(session, conference_id, registration_id)
    if row is None:
        raise NotFound(f"registration {registration_id} not found", code="registration_not_found", id=registration_id)
    inside = bool(row[12])
    return RegistrationCard(
        registration_id=int(row[0]),
        full_name=row[1],
        native_name=row[2],
        delegation=dict(row[3]) if row[3] else None,
        category=enum_text(row[4]),
        status=enum_text(row[5]),
        position=row[6],
        organisation=row[7],
        telegram_username=row[8],
        badge_version=int(row[9]),
        badge_print_count=int(row[10]),
        badge_printed_at=row[11],
        inside=inside,
        inside_since=row[13] if inside else None,
        inside_place=dict(row[14]) if inside and row[14] else None,
        scans=await _last_scans(session, registration_id, scans),
    )
