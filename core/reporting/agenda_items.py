"""Agenda items against the door: who signed up for each session and who was actually
scanned in there (no-shows, walk-ins), and the names of one item's no-shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import AgendaKind, Conference, SignupStatus, pick
from core.reporting.days import day_bounds
from core.reporting.sql import DELEG, ITEM, PART, REG, SCAN, SIGNUP, came_to, enum_text, item_entries, rows

CONFIRMED, WAITLISTED = SignupStatus.CONFIRMED.value, SignupStatus.WAITLISTED.value


@dataclass(frozen=True)
class ItemLine:
    item_id: int
    code: str
    title: dict[str, str]
    kind: str
    starts_at: datetime
    capacity: int | None
    signed_up: int = 0  # confirmed sign-ups
    waitlisted: int = 0
    scanned: int = 0  # distinct people with an ok entry scan at the item
    signed_and_scanned: int = 0

    @property
    def no_shows(self) -> int:
        return self.signed_up - self.signed_and_scanned

    @property
    def walk_ins(self) -> int:
        return self.scanned - self.signed_and_scanned

    def label(self, language: str) -> str:
        return pick(self.title, language) or self.code

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["starts_at"] = self.starts_at.isoformat()
        data["no_shows"], data["walk_ins"] = self.no_shows, self.walk_ins
        return data


async def _counts(session: AsyncSession, ids: list[int]) -> dict[int, dict[str, int]]:
    """Per item: confirmed and waiting sign-ups, people scanned in, signed up and scanned in."""
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    if not ids:
        return counts
    signups = await rows(
        session,
        select(SIGNUP.c.agenda_item_id, SIGNUP.c.status, func.count())
        .where(SIGNUP.c.agenda_item_id.in_(ids))
        .group_by(SIGNUP.c.agenda_item_id, SIGNUP.c.status),
    )
    scanned = await rows(
        session,
        select(SCAN.c.agenda_item_id, func.count(distinct(SCAN.c.registration_id)))
        .where(*item_entries(), SCAN.c.agenda_item_id.in_(ids))
        .group_by(SCAN.c.agenda_item_id),
    )
    both = await rows(
        session,
        select(SIGNUP.c.agenda_item_id, func.count())
        .where(SIGNUP.c.agenda_item_id.in_(ids), SIGNUP.c.status == CONFIRMED, came_to(SIGNUP.c.agenda_item_id, ids))
        .group_by(SIGNUP.c.agenda_item_id),
    )
    for item_id, status, n in signups:
        if enum_text(status) == CONFIRMED:
            counts[item_id]["signed_up"] = int(n)
        elif enum_text(status) == WAITLISTED:
            counts[item_id]["waitlisted"] = int(n)
    for item_id, n in scanned:
        counts[item_id]["scanned"] = int(n)
    for item_id, n in both:
        counts[item_id]["signed_and_scanned"] = int(n)
    return counts


async def by_item(
    session: AsyncSession, conference: Conference, *, day: date | None = None, item_id: int | None = None
) -> list[ItemLine]:
    """Agenda items (of `day`, else all; only `item_id` if given; breaks and cancelled items
    left out): signed up vs actually scanned in."""
    assert conference.id is not None
    where = [
        ITEM.c.conference_id == conference.id,
        ITEM.c.kind != AgendaKind.BREAK.value,
        ITEM.c.cancelled_at.is_(None),
    ]
    if day is not None:
        start, end = day_bounds(conference, day)
        where += [ITEM.c.starts_at >= start, ITEM.c.starts_at < end]
    if item_id is not None:
        where.append(ITEM.c.id == item_id)
    items = await rows(
        session,
        select(ITEM.c.id, ITEM.c.code, ITEM.c.title, ITEM.c.kind, ITEM.c.starts_at, ITEM.c.capacity)
        .where(*where)
        .order_by(ITEM.c.starts_at, ITEM.c.id),
    )
    counts = await _counts(session, [r.id for r in items])
    return [
        ItemLine(r.id, r.code, dict(r.title or {}), enum_text(r.kind), r.starts_at, r.capacity, **counts[r.id])
        for r in items
    ]


@dataclass(frozen=True)
class PersonLine:
    registration_id: int
    full_name: str
    native_name: str | None
    delegation: dict[str, str] | None


async def no_shows(
    session: AsyncSession, conference: Conference, item_id: int, *, limit: int = 50
) -> tuple[ItemLine, list[PersonLine]]:
    """One item's line and who signed up but was not scanned in there (first `limit`)."""
    lines = await by_item(session, conference, item_id=item_id)
    if not lines:
        raise NotFound(f"agenda item {item_id} not found", code="not_found", id=item_id)
    found = await rows(
        session,
        select(REG.c.id, PART.c.full_name, PART.c.native_name, DELEG.c.name)
        .select_from(
            SIGNUP.join(REG, REG.c.id == SIGNUP.c.registration_id)
            .join(PART, PART.c.id == REG.c.participant_id)
            .outerjoin(DELEG, DELEG.c.id == REG.c.delegation_id)
        )
        .where(SIGNUP.c.agenda_item_id == item_id, SIGNUP.c.status == CONFIRMED, ~came_to(item_id))
        .order_by(PART.c.full_name)
        .limit(limit),
    )
    return lines[0], [PersonLine(r[0], r[1], r[2], dict(r[3]) if r[3] else None) for r in found]
