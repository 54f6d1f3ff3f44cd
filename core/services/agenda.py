"""Sign-ups for agenda items: who may attend, capacity, waiting list, promotion, clashes.

The agenda item's row is locked before seats are counted, so concurrent sign-ups are
served in arrival order: exactly `capacity` confirmed, the rest waitlisted in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import CapacityFull, Conflict, NotAllowed, WrongState
from core.models import AgendaItem, AgendaSignup, Registration, RegistrationStatus, SignupStatus
from core.services.clock import Clock, utc_now
from core.services.conferences import get_locked


@dataclass
class SignupResult:
    signup: AgendaSignup
    item: AgendaItem
    clashes: list[AgendaItem] = field(default_factory=list)
    promoted: list[int] = field(default_factory=list)  # registration ids moved off the waiting list


def may_attend(item: AgendaItem, registration: Registration) -> bool:
    return not item.allowed_categories or registration.category.value in item.allowed_categories


async def confirmed_count(session: AsyncSession, item_id: int) -> int:
    return int((await session.execute(select(func.count()).select_from(AgendaSignup).where(
        AgendaSignup.agenda_item_id == item_id, AgendaSignup.status == SignupStatus.CONFIRMED))).scalar_one())  # type: ignore[arg-type]


async def _clashes(session: AsyncSession, registration_id: int, item: AgendaItem) -> list[AgendaItem]:
    rows = await session.execute(
        select(AgendaItem).join(AgendaSignup, AgendaSignup.agenda_item_id == AgendaItem.id).where(  # type: ignore[arg-type]
            AgendaSignup.registration_id == registration_id,  # type: ignore[arg-type]
            AgendaSignup.status != SignupStatus.CANCELLED,  # type: ignore[arg-type]
            AgendaItem.id != item.id,  # type: ignore[arg-type]
            AgendaItem.starts_at < item.ends_at,  # type: ignore[arg-type]
            AgendaItem.ends_at > item.starts_at,  # type: ignore[arg-type]
            AgendaItem.cancelled_at.is_(None),  # type: ignore[union-attr]
        )
    )
    return list(rows.scalars())


async def sign_up(
    session: AsyncSession, registration_id: int, item_id: int, *, waitlist: bool = True, clock: Clock = utc_now
) -> SignupResult:
    """Take a seat, or a place on the waiting list when the item is full (`waitlist=False`
    raises `capacity_full` instead). Signing up twice is `already_signed_up`."""
    now = clock()
    item = await get_locked(session, AgendaItem, item_id)
    registration = await session.get(Registration, registration_id)
    if registration is None or registration.conference_id != item.conference_id:
        raise NotAllowed("not registered for this conference", code="not_registered")
    if registration.status != RegistrationStatus.APPROVED:
        raise NotAllowed("only approved participants can sign up", code="not_approved")
    if item.cancelled_at is not None:
        raise WrongState("this item was cancelled", code="item_cancelled")
    if not item.signup_open:
        raise NotAllowed("this item needs no sign-up", code="signup_closed")
    if not may_attend(item, registration):
        raise NotAllowed("your category is not admitted to this item", code="category_not_allowed",
                         category=registration.category.value)
    signup = (await session.execute(select(AgendaSignup).where(
        AgendaSignup.registration_id == registration_id, AgendaSignup.agenda_item_id == item_id))).scalar_one_or_none()  # type: ignore[arg-type]
    if signup is not None and signup.status != SignupStatus.CANCELLED:
        raise Conflict("already signed up", code="already_signed_up", status=signup.status.value)
    full = item.capacity is not None and await confirmed_count(session, item_id) >= item.capacity
    if full and not waitlist:
        raise CapacityFull("no seats left", code="capacity_full")
    if signup is None:
        signup = AgendaSignup(registration_id=registration_id, agenda_item_id=item_id,
                              status=SignupStatus.CONFIRMED, created_at=now)
        session.add(signup)
    if full:
        last = (await session.execute(select(func.max(AgendaSignup.waitlist_position)).where(
            AgendaSignup.agenda_item_id == item_id))).scalar_one()  # type: ignore[arg-type]
        signup.status, signup.waitlist_position = SignupStatus.WAITLISTED, (last or 0) + 1
    else:
        signup.status, signup.waitlist_position = SignupStatus.CONFIRMED, None
    signup.updated_at = now
    clashes = await _clashes(session, registration_id, item)
    await session.flush()
    await session.commit()
    return SignupResult(signup, item, clashes)


async def _promote(session: AsyncSession, item: AgendaItem, now: datetime) -> list[int]:
    """Fill free seats from the head of the waiting list; return promoted registration ids."""
    if item.capacity is None:
        free = None
    else:
        free = item.capacity - await confirmed_count(session, item.id)  # type: ignore[arg-type]
    promoted: list[int] = []
    query = select(AgendaSignup).where(
        AgendaSignup.agenda_item_id == item.id, AgendaSignup.status == SignupStatus.WAITLISTED  # type: ignore[arg-type]
    ).order_by(AgendaSignup.waitlist_position)  # type: ignore[arg-type]
    if free is not None:
        if free <= 0:
            return promoted
        query = query.limit(free)
    for waiting in (await session.execute(query)).scalars():
        waiting.status, waiting.waitlist_position = SignupStatus.CONFIRMED, None
        waiting.promoted_at = waiting.updated_at = now
        promoted.append(waiting.registration_id)
    return promoted


async def _release(session: AsyncSession, signup: AgendaSignup, now: datetime) -> list[int]:
    item = await get_locked(session, AgendaItem, signup.agenda_item_id)
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    signup.status, signup.waitlist_position, signup.updated_at = SignupStatus.CANCELLED, None, now
    await session.flush()
    return await _promote(session, item, now) if was_confirmed and item.cancelled_at is None else []


async def cancel(session: AsyncSession, registration_id: int, item_id: int, *, clock: Clock = utc_now) -> SignupResult:
    """Give a seat (or a place in line) back; the first in line is promoted."""
    now = clock()
    signup = (await session.execute(select(AgendaSignup).where(
        AgendaSignup.registration_id == registration_id, AgendaSignup.agenda_item_id == item_id
    ).with_for_update())).scalar_one_or_none()  # type: ignore[arg-type]
    if signup is None or signup.status == SignupStatus.CANCELLED:
        raise WrongState("not signed up", code="not_signed_up")
    promoted = await _release(session, signup, now)
    item = await session.get(AgendaItem, item_id)
    assert item is not None
    await session.commit()
    return SignupResult(signup, item, promoted=promoted)


async def release_all(session: AsyncSession, registration_id: int, now: datetime) -> list[int]:
    """Inside another unit of work (withdraw, forget): free every seat, promote, no commit."""
    signups = (await session.execute(select(AgendaSignup).where(
        AgendaSignup.registration_id == registration_id, AgendaSignup.status != SignupStatus.CANCELLED))).scalars().all()  # type: ignore[arg-type]
    promoted: list[int] = []
    for signup in signups:
        promoted += await _release(session, signup, now)
    return promoted
