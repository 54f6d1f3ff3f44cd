"""What goes on a badge (`BadgeInfo`, `ConferenceInfo`) and the queries that load it: one
badge (the chat's PNG), the badges a print run selects, counted and read in batches, and
the print counted on each (`confdesk badges print`, core/badges/pdf.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import uow
from core.clock import utc_now
from core.conferences import current_conference
from core.errors import DomainError, NotFound
from core.models import Category, Delegation, Participant, Registration, RegistrationStatus


@dataclass(frozen=True, slots=True)
class ConferenceInfo:
    id: int
    slug: str
    name: dict[str, str]
    first_day: date
    last_day: date


@dataclass(frozen=True, slots=True)
class BadgeInfo:
    registration_id: int
    badge_version: int
    print_count: int
    full_name: str
    native_name: str | None
    position: str | None
    organisation: str | None
    delegation_code: str | None
    delegation_name: dict[str, str] | None
    category: Category


async def conference_info(session: AsyncSession, slug: str | None = None) -> ConferenceInfo:
    """What badges show of the conference: by slug, else the current one (see
    conferences.current_conference)."""
    conf = await current_conference(session, slug)
    assert conf.id is not None
    return ConferenceInfo(conf.id, conf.slug, dict(conf.name), conf.first_day, conf.last_day)


def _badge_query(conference_id: int):  # type: ignore[no-untyped-def]
    return (
        select(
            col(Registration.id),
            col(Registration.badge_version),
            col(Registration.badge_print_count),
            col(Participant.full_name),
            col(Participant.native_name),
            col(Participant.position),
            col(Participant.organisation),
            col(Delegation.code),
            col(Delegation.name),
            col(Registration.category),
        )
        .join(Participant, col(Participant.id) == col(Registration.participant_id))
        .outerjoin(Delegation, col(Delegation.id) == col(Registration.delegation_id))
        .where(
            col(Registration.conference_id) == conference_id,
            col(Registration.status) == RegistrationStatus.APPROVED,
        )
    )


def _info(row: tuple) -> BadgeInfo:  # type: ignore[type-arg]
    return BadgeInfo(
        registration_id=row[0],
        badge_version=row[1],
        print_count=row[2],
        full_name=row[3],
        native_name=row[4],
        position=row[5],
        organisation=row[6],
        delegation_code=row[7],
        delegation_name=dict(row[8]) if row[8] else None,
        category=Category(row[9]),
    )


async def load_badge(session: AsyncSession, registration_id: int) -> BadgeInfo:
    reg = await session.get(Registration, registration_id)
    if reg is None:
        raise NotFound(f"registration {registration_id} not found", id=registration_id)
    row = (
        await session.execute(_badge_query(reg.conference_id).where(col(Registration.id) == registration_id))
    ).first()
    if row is None:
        raise DomainError(
            f"registration {registration_id} is not approved: no badge",
            code="not_approved",
            id=registration_id,
        )
    return _info(tuple(row))


def _filtered(
    conference_id: int,
    delegation: str | None,
    category: Category | None,
    only_new: bool,
    only: Sequence[int] | None = None,
):  # type: ignore[no-untyped-def]
    stmt = _badge_query(conference_id)
    if only is not None:
        stmt = stmt.where(col(Registration.id).in_(list(only)))
    if delegation:
        stmt = stmt.where(func.upper(col(Delegation.code)) == delegation.upper())
    if category:
        stmt = stmt.where(col(Registration.category) == category)
    if only_new:
        stmt = stmt.where(col(Registration.badge_print_count) == 0)
    return stmt


async def count_badges(
    session: AsyncSession,
    conference_id: int,
    *,
    delegation: str | None = None,
    category: Category | None = None,
    only_new: bool = False,
    only: Sequence[int] | None = None,
) -> int:
    sub = _filtered(conference_id, delegation, category, only_new, only).subquery()
    return int((await session.execute(select(func.count()).select_from(sub))).scalar_one())


async def iter_badges(
    session: AsyncSession,
    conference_id: int,
    *,
    delegation: str | None = None,
    category: Category | None = None,
    only_new: bool = False,
    only: Sequence[int] | None = None,
    batch: int = 200,
) -> AsyncIterator[list[BadgeInfo]]:
    """Approved registrations in id order, `batch` at a time (keyset pagination: each batch
    is one short query, memory stays flat whatever the count). `only`: these registrations.
    After each batch is read the unit of work is checkpointed (core.uow.checkpoint): while
    the caller draws a batch, no transaction (and no SQLite write lock) is held."""
    base = _filtered(conference_id, delegation, category, only_new, only)
    last = 0
    while True:
        stmt = base.where(col(Registration.id) > last).order_by(col(Registration.id)).limit(batch)
        rows = (await session.execute(stmt)).all()
        if not rows:
            return
        await uow.checkpoint(session)  # never hold the SQLite writer while the batch is drawn
        infos = [_info(tuple(r)) for r in rows]
        last = infos[-1].registration_id
        yield infos
        if len(rows) < batch:
            return


async def mark_printed(session: AsyncSession, registration_ids: list[int], *, at: datetime | None = None) -> None:
    """badge_print_count += 1 and badge_printed_at = at for each id."""
    at = at or utc_now()
    for start in range(0, len(registration_ids), 500):
        chunk = registration_ids[start : start + 500]
        await session.execute(
            update(Registration)
            .where(col(Registration.id).in_(chunk))
            .values(badge_print_count=col(Registration.badge_print_count) + 1, badge_printed_at=at)
        )
