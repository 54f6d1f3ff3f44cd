"""Agenda items against the door: who signed up for each session and who was actually
scanned in there (no-shows, walk-ins), and the names of one item's no-shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import distinct, exists, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.errors import NotFound
from core.models import AgendaKind, Conference, SignupStatus, pick
from core.reporting import summary
from core.reporting.days import day_bounds
from core.reporting.sql import DELEG, IN, ITEM, OK, PART, REG, SCAN, SIGNUP, came_to, enum_text, rows
from core.reporting.summary import FOLD, ITEM_PEOPLE, ITEM_PERSON

CONFIRMED, WAITLISTED = SignupStatus.CONFIRMED.value, SignupStatus.WAITLISTED.value
# scan ids above the attendance summary's watermark past which the report folds them first
# (read as they are up to then: ~1-3 ms on SQLite for a few thousand, a fold of as many more)
FOLD_AFTER = 5000


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


async def _people(session: AsyncSession, conference: Conference, ids: list[int], clock: Clock) -> Any:
    """Per item of `ids`, rows of people scanned in there (an item may have two rows, to be
    added): the count the attendance summary holds (attendance_item: the distinct people of
    the folded entries, core.reporting.summary) and, in the same statement (one snapshot on
    PostgreSQL: a fold committing meanwhile is in both parts or in neither), the people of
    the entries not folded yet (above the fold row's watermark, or pending) who are not among
    those folded. The report folds first only if more than FOLD_AFTER scan ids are above the
    watermark (or nothing was ever folded): usually it only reads, and what it reads of the
    scans themselves stays short."""
    assert conference.id is not None
    conn = await session.connection()
    by_conference = FOLD.c.conference_id == conference.id
    state = (await conn.execute(select(FOLD.c.scan_id, FOLD.c.pending).where(by_conference))).first()
    top = int((await conn.execute(select(func.max(SCAN.c.id)))).scalar() or 0)
    if state is None or top - state.scan_id > FOLD_AFTER:
        await summary.refresh(session, conference, clock=clock)
        state = (await conn.execute(select(FOLD.c.scan_id, FOLD.c.pending).where(by_conference))).one()
    unfolded = or_(SCAN.c.id > state.scan_id, *(SCAN.c.id.between(int(lo), int(hi)) for lo, hi, _ in state.pending))
    # the scans not folded yet, read by id alone (materialised on SQLite: otherwise it may
    # walk an index of the items', or of the conference's, entries for the grouping)
    recent = (
        select(SCAN.c.registration_id, SCAN.c.agenda_item_id, SCAN.c.conference_id, SCAN.c.result, SCAN.c.direction)
        .where(unfolded)
        .cte("recent")
        .prefix_with("MATERIALIZED", dialect="sqlite")
    )
    folded = exists().where(
        ITEM_PERSON.c.registration_id == recent.c.registration_id,
        ITEM_PERSON.c.agenda_item_id == recent.c.agenda_item_id,
    )
    new = (
        select(recent.c.agenda_item_id, func.count(distinct(recent.c.registration_id)))
        .where(
            recent.c.conference_id == conference.id,  # as the fold reads them
            recent.c.result == OK,
            recent.c.direction == IN,
            recent.c.agenda_item_id.in_(ids),
            ~folded,
        )
        .group_by(recent.c.agenda_item_id)
    )
    kept = select(ITEM_PEOPLE.c.agenda_item_id, ITEM_PEOPLE.c.people).where(ITEM_PEOPLE.c.agenda_item_id.in_(ids))
    return union_all(kept, new)


async def _counts(
    session: AsyncSession, conference: Conference, ids: list[int], clock: Clock
) -> dict[int, dict[str, int]]:
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
    scanned = await rows(session, await _people(session, conference, ids, clock))
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
        counts[item_id]["scanned"] = counts[item_id].get("scanned", 0) + int(n)
    for item_id, n in both:
        counts[item_id]["signed_and_scanned"] = int(n)
    return counts


async def by_item(
    session: AsyncSession,
    conference: Conference,
    *,
    day: date | None = None,
    item_id: int | None = None,
    clock: Clock = utc_now,
) -> list[ItemLine]:
    """Agenda items (of `day`, else all; only `item_id` if given; breaks and cancelled items
    left out): signed up vs actually scanned in. People scanned in come from the attendance
    summary (`_people`), which it may fold first: a writable unit of work."""
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
    counts = await _counts(session, conference, [r.id for r in items], clock)
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
    session: AsyncSession, conference: Conference, item_id: int, *, limit: int = 50, clock: Clock = utc_now
) -> tuple[ItemLine, list[PersonLine]]:
    """One item's line and who signed up but was not scanned in there (first `limit`)."""
    lines = await by_item(session, conference, item_id=item_id, clock=clock)
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
