"""Sign-ups for agenda items and their waiting lists: who may sign up (`refusal`, the one
rule), capacity, clashes, cancelling, promotion from the waiting list.

The agenda item's row is locked before seats are counted, so concurrent sign-ups are
served in arrival order: exactly `capacity` confirmed, the rest waitlisted in order.
A place on the waiting list is never stored: it is counted from the tickets still waiting
(`place_in_line`), so it moves up as people ahead are promoted or leave the line.
Promotions are told through the outbox (`core.programme.messages`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from core.clock import Clock, utc_now
from core.conferences import get_locked
from core.errors import CapacityFull, Conflict, DomainError, NotAllowed, WrongState
from core.joins import PERSON_OF_REGISTRATION
from core.messaging import outbox
from core.models import (
    AgendaItem,
    AgendaSignup,
    Participant,
    Registration,
    RegistrationStatus,
    SignupStatus,
)
from core.programme.messages import PROMOTED, promotion_key, reminder_prefix, stamp


@dataclass
class SignupResult:
    signup: AgendaSignup
    item: AgendaItem
    clashes: list[AgendaItem] = field(default_factory=list)
    promoted: list[int] = field(default_factory=list)  # registration ids moved off the waiting list
    position: int | None = None  # the place on the waiting list, when waitlisted


class Clash(Conflict):
    """Signing up would overlap with items already chosen, and the caller asked to be
    warned first (`sign_up(..., clashes_ok=False)`): nothing was changed."""

    code = "clash"

    def __init__(self, clashes: list[AgendaItem]) -> None:
        super().__init__("this overlaps with items already chosen", count=len(clashes))
        self.clashes = clashes


def may_attend(item: AgendaItem, registration: Registration) -> bool:
    return not item.allowed_categories or registration.category.value in item.allowed_categories


def refusal(item: AgendaItem, registration: Registration | None) -> DomainError | None:
    """Why `registration` may not sign up for `item` (None: it may). The one rule: `sign_up`
    raises it, and the views carry its code, so that nothing is offered that will be refused."""
    if registration is None or registration.conference_id != item.conference_id:
        return NotAllowed("not registered for this conference", code="not_registered")
    if registration.status != RegistrationStatus.APPROVED:
        return NotAllowed("only approved participants can sign up", code="not_approved")
    if item.cancelled_at is not None:
        return WrongState("this item was cancelled", code="item_cancelled")
    if not item.signup_open:
        return NotAllowed("this item needs no sign-up", code="signup_closed")
    if not may_attend(item, registration):
        return NotAllowed(
            "your category is not admitted to this item",
            code="category_not_allowed",
            category=registration.category.value,
        )
    return None


def place_in_line() -> ColumnElement[int]:
    """The place in line of the `AgendaSignup` row of the enclosing query: 1 + the number of
    people waiting for the same item with an earlier ticket (0 when not waitlisted)."""
    ahead = aliased(AgendaSignup)
    return (
        select(func.count())
        .select_from(ahead)
        .where(
            col(ahead.agenda_item_id) == col(AgendaSignup.agenda_item_id),
            col(ahead.status) == SignupStatus.WAITLISTED,
            col(ahead.waitlist_ticket) <= col(AgendaSignup.waitlist_ticket),
        )
        .correlate(AgendaSignup)  # type: ignore[arg-type]
        .scalar_subquery()
    )


async def waitlist_place(session: AsyncSession, signup_id: int) -> int | None:
    """The place in line of one sign-up (None when it is not on the waiting list)."""
    place = (
        await session.execute(
            select(place_in_line()).where(
                col(AgendaSignup.id) == signup_id, col(AgendaSignup.status) == SignupStatus.WAITLISTED
            )
        )
    ).scalar_one_or_none()
    return int(place) if place else None


async def confirmed_count(session: AsyncSession, item_id: int) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(AgendaSignup)
                .where(col(AgendaSignup.agenda_item_id) == item_id, col(AgendaSignup.status) == SignupStatus.CONFIRMED)
            )
        ).scalar_one()
    )  # type: ignore[arg-type]


async def _clashes(session: AsyncSession, registration_id: int, item: AgendaItem) -> list[AgendaItem]:
    rows = await session.execute(
        select(AgendaItem)
        .join(AgendaSignup, col(AgendaSignup.agenda_item_id) == col(AgendaItem.id))
        .where(  # type: ignore[arg-type]
            col(AgendaSignup.registration_id) == registration_id,
            col(AgendaSignup.status) != SignupStatus.CANCELLED,
            col(AgendaItem.id) != item.id,
            col(AgendaItem.starts_at) < item.ends_at,
            col(AgendaItem.ends_at) > item.starts_at,
            col(AgendaItem.cancelled_at).is_(None),
        )
    )
    return list(rows.scalars())


async def signup_of(
    session: AsyncSession, registration_id: int, item_id: int, *, lock: bool = False
) -> AgendaSignup | None:
    """The registration's sign-up for the item, whatever its status (`lock`: FOR UPDATE)."""
    query = select(AgendaSignup).where(
        col(AgendaSignup.registration_id) == registration_id, col(AgendaSignup.agenda_item_id) == item_id
    )
    return (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()


async def _next_ticket(session: AsyncSession, item_id: int) -> int:
    """One more than the highest ticket still waiting for the item (only those waiting hold one)."""
    query = select(func.max(col(AgendaSignup.waitlist_ticket))).where(col(AgendaSignup.agenda_item_id) == item_id)
    return int((await session.execute(query)).scalar_one() or 0) + 1


async def sign_up(
    session: AsyncSession,
    registration_id: int,
    item_id: int,
    *,
    waitlist: bool = True,
    clashes_ok: bool = True,
    clock: Clock = utc_now,
) -> SignupResult:
    """Take a seat, or a place on the waiting list when the item is full (`waitlist=False`
    raises `capacity_full` instead). Signing up twice is `already_signed_up`. An overlap
    with items already chosen is allowed and returned in `clashes`; with `clashes_ok=False`
    it raises `Clash` instead and changes nothing (to ask the person first)."""
    now = clock()
    item = await get_locked(session, AgendaItem, item_id)
    registration = await session.get(Registration, registration_id)
    refused = refusal(item, registration)
    if refused is not None:
        raise refused
    signup = await signup_of(session, registration_id, item_id)
    if signup is not None and signup.status != SignupStatus.CANCELLED:
        raise Conflict("already signed up", code="already_signed_up", status=signup.status.value)
    full = item.capacity is not None and await confirmed_count(session, item_id) >= item.capacity
    if full and not waitlist:
        raise CapacityFull("no seats left", code="capacity_full")
    clashes = await _clashes(session, registration_id, item)
    if clashes and not clashes_ok:
        raise Clash(clashes)
    if signup is None:
        signup = AgendaSignup(
            registration_id=registration_id, agenda_item_id=item_id, status=SignupStatus.CONFIRMED, created_at=now
        )
        session.add(signup)
    if full:
        signup.status, signup.waitlist_ticket = SignupStatus.WAITLISTED, await _next_ticket(session, item_id)
    else:
        signup.status, signup.waitlist_ticket = SignupStatus.CONFIRMED, None
    signup.updated_at = now
    await session.flush()
    position = await waitlist_place(session, signup.id) if full and signup.id is not None else None
    return SignupResult(signup, item, clashes, position=position)


async def _promote(session: AsyncSession, item: AgendaItem, now: datetime) -> list[int]:
    """Fill free seats from the head of the waiting list; return promoted registration ids."""
    if item.capacity is None:
        free = None
    else:
        free = item.capacity - await confirmed_count(session, item.id)  # type: ignore[arg-type]
    promoted: list[int] = []
    query = (
        select(AgendaSignup)
        .where(
            col(AgendaSignup.agenda_item_id) == item.id,
            col(AgendaSignup.status) == SignupStatus.WAITLISTED,
        )
        .order_by(col(AgendaSignup.waitlist_ticket))
    )  # type: ignore[arg-type]
    if free is not None:
        if free <= 0:
            return promoted
        query = query.limit(free)
    moved = list((await session.execute(query)).scalars())
    for waiting in moved:
        waiting.status, waiting.waitlist_ticket = SignupStatus.CONFIRMED, None
        waiting.promoted_at = waiting.updated_at = now
        promoted.append(waiting.registration_id)
    if moved:
        await session.flush()  # the next count in this unit of work sees them seated
        await _tell_promoted(session, item, moved, now)
    return promoted


async def _tell_promoted(session: AsyncSession, item: AgendaItem, moved: list[AgendaSignup], now: datetime) -> None:
    """Queue "you got a seat" for each promoted person with a Telegram account."""
    rows = await session.execute(
        select(col(Registration.id), col(Participant.telegram_id))
        .join(Participant, PERSON_OF_REGISTRATION)
        .where(col(Registration.id).in_([s.registration_id for s in moved]))
    )
    chats: dict[int, int | None] = {int(reg_id): chat for reg_id, chat in rows.all() if reg_id is not None}
    for signup in moved:
        chat = chats.get(signup.registration_id)
        if chat is None:
            continue
        await outbox.enqueue(
            session,
            kind=PROMOTED,
            chat_id=chat,
            due_at=now,
            conference_id=item.conference_id,
            dedup_key=promotion_key(signup.id, now),
            payload={
                "item_id": item.id,
                "registration_id": signup.registration_id,
                "signup_id": signup.id,
                "at": stamp(now),
            },
        )


async def _release(session: AsyncSession, signup: AgendaSignup, now: datetime) -> list[int]:
    item = await get_locked(session, AgendaItem, signup.agenda_item_id)
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    signup.status, signup.waitlist_ticket, signup.updated_at = SignupStatus.CANCELLED, None, now
    await outbox.cancel_where(session, dedup_prefix=reminder_prefix(signup.agenda_item_id, signup.registration_id))
    await session.flush()
    return await _promote(session, item, now) if was_confirmed and item.cancelled_at is None else []


async def cancel(session: AsyncSession, registration_id: int, item_id: int, *, clock: Clock = utc_now) -> SignupResult:
    """Give a seat (or a place in line) back; the first in line is promoted."""
    now = clock()
    signup = await signup_of(session, registration_id, item_id, lock=True)
    if signup is None or signup.status == SignupStatus.CANCELLED:
        raise WrongState("not signed up", code="not_signed_up")
    promoted = await _release(session, signup, now)
    item = await session.get(AgendaItem, item_id)
    assert item is not None
    return SignupResult(signup, item, promoted=promoted)


async def fill_free_seats(session: AsyncSession, item_id: int, now: datetime) -> list[int]:
    """For a programme load that raised an item's capacity: move people from the waiting
    list into the seats now free, told as on any promotion.
    Without it the card would offer the new seats to newcomers ahead of those waiting."""
    item = await get_locked(session, AgendaItem, item_id)
    if item.cancelled_at is not None or not item.signup_open:
        return []
    return await _promote(session, item, now)


async def release_all(session: AsyncSession, registration_id: int, now: datetime) -> list[int]:
    """For a withdrawal or an erasure: free every seat of the registration, promote."""
    signups = (
        (
            await session.execute(
                select(AgendaSignup).where(
                    col(AgendaSignup.registration_id) == registration_id,
                    col(AgendaSignup.status) != SignupStatus.CANCELLED,
                )
            )
        )
        .scalars()
        .all()
    )
    promoted: list[int] = []
    for signup in signups:
        promoted += await _release(session, signup, now)
    return promoted


# ---------------------------------------------------------------------------------------
# Acting as a Telegram account (the bot)
# ---------------------------------------------------------------------------------------


async def registration_for(session: AsyncSession, conference_id: int, telegram_id: int) -> Registration | None:
    return (
        await session.execute(
            select(Registration)
            .join(Participant, PERSON_OF_REGISTRATION)
            .where(col(Registration.conference_id) == conference_id, col(Participant.telegram_id) == telegram_id)
        )
    ).scalar_one_or_none()


async def _registration_id(session: AsyncSession, conference_id: int, telegram_id: int) -> int:
    registration = await registration_for(session, conference_id, telegram_id)
    if registration is None or registration.id is None:
        raise NotAllowed("not registered for this conference", code="not_registered")
    return registration.id


async def sign_up_as(
    session: AsyncSession,
    conference_id: int,
    telegram_id: int,
    item_id: int,
    *,
    waitlist: bool,
    clashes_ok: bool = True,
    clock: Clock = utc_now,
) -> SignupResult:
    """`sign_up` for the registration of a Telegram account in a conference."""
    return await sign_up(
        session,
        await _registration_id(session, conference_id, telegram_id),
        item_id,
        waitlist=waitlist,
        clashes_ok=clashes_ok,
        clock=clock,
    )


async def cancel_as(
    session: AsyncSession, conference_id: int, telegram_id: int, item_id: int, *, clock: Clock = utc_now
) -> SignupResult:
    """`cancel` for the registration of a Telegram account in a conference."""
    return await cancel(session, await _registration_id(session, conference_id, telegram_id), item_id, clock=clock)
