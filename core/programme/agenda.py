"""Sign-ups for agenda items: who may attend, capacity, waiting list, promotion, clashes.

The agenda item's row is locked before seats are counted, so concurrent sign-ups are
served in arrival order: exactly `capacity` confirmed, the rest waitlisted in order.
A place on the waiting list is never stored: it is counted from the tickets still waiting
(`waitlist_place`), so it moves up as people ahead are promoted or leave the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from core.clock import Clock, utc_now
from core.conferences import get_locked
from core.errors import CapacityFull, Conflict, DomainError, NotAllowed, NotFound, WrongState
from core.messaging import outbox
from core.models import (
    AgendaItem,
    AgendaSignup,
    AgendaSpeaker,
    Conference,
    Participant,
    Registration,
    RegistrationStatus,
    SignupStatus,
    SpeakerRole,
)

# Outbox kinds this feature enqueues (renderers live in bot/routers/agenda.py).
REMINDER = "reminder"  # before an item starts
PROMOTED = "promoted"  # moved off the waiting list
NOTICE = "notice"  # an item one signed up for changed (time, hall, cancelled)


def stamp(moment: datetime) -> str:
    """A datetime as a compact, exact key fragment (outbox keys, payloads)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")


def reminder_prefix(item_id: int, registration_id: int | None = None) -> str:
    """Dedup-key prefix of the reminders for an item (and one registration)."""
    return f"rem:{item_id}:" + (f"{registration_id}:" if registration_id is not None else "")


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


def _place() -> ColumnElement[int]:
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
            select(_place()).where(
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
    signup = (
        await session.execute(
            select(AgendaSignup).where(
                col(AgendaSignup.registration_id) == registration_id, col(AgendaSignup.agenda_item_id) == item_id
            )
        )
    ).scalar_one_or_none()  # type: ignore[arg-type]
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
        last = (
            await session.execute(
                select(func.max(col(AgendaSignup.waitlist_ticket))).where(col(AgendaSignup.agenda_item_id) == item_id)
            )
        ).scalar_one()  # type: ignore[arg-type]
        signup.status, signup.waitlist_ticket = SignupStatus.WAITLISTED, (last or 0) + 1
    else:
        signup.status, signup.waitlist_ticket = SignupStatus.CONFIRMED, None
    signup.updated_at = now
    await session.flush()
    position = await waitlist_place(session, signup.id) if full and signup.id is not None else None
    await session.commit()
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
        await _tell_promoted(session, item, moved, now)
    return promoted


async def _tell_promoted(session: AsyncSession, item: AgendaItem, moved: list[AgendaSignup], now: datetime) -> None:
    """Queue "you got a seat" for each promoted person with a Telegram account (no commit)."""
    rows = await session.execute(
        select(col(Registration.id), col(Participant.telegram_id))
        .join(Participant, col(Participant.id) == col(Registration.participant_id))
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
            dedup_key=f"promo:{signup.id}:{stamp(now)}",
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
    signup = (
        await session.execute(
            select(AgendaSignup)
            .where(col(AgendaSignup.registration_id) == registration_id, col(AgendaSignup.agenda_item_id) == item_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if signup is None or signup.status == SignupStatus.CANCELLED:
        raise WrongState("not signed up", code="not_signed_up")
    promoted = await _release(session, signup, now)
    item = await session.get(AgendaItem, item_id)
    assert item is not None
    await session.commit()
    return SignupResult(signup, item, promoted=promoted)


async def fill_free_seats(session: AsyncSession, item_id: int, now: datetime) -> list[int]:
    """Inside another unit of work (a programme load that raised an item's capacity): move
    people from the waiting list into the seats now free, told as on any promotion; no commit.
    Without it the card would offer the new seats to newcomers ahead of those waiting."""
    item = await get_locked(session, AgendaItem, item_id)
    if item.cancelled_at is not None or not item.signup_open:
        return []
    return await _promote(session, item, now)


async def release_all(session: AsyncSession, registration_id: int, now: datetime) -> list[int]:
    """Inside another unit of work (withdraw, forget): free every seat, promote, no commit."""
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
# Acting as a Telegram account (the bot), and reading the programme for participants
# ---------------------------------------------------------------------------------------


async def registration_for(session: AsyncSession, conference_id: int, telegram_id: int) -> Registration | None:
    return (
        await session.execute(
            select(Registration)
            .join(Participant, col(Participant.id) == col(Registration.participant_id))
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


@dataclass(frozen=True)
class ItemView:
    """An item as a participant sees it: people, seats, and their own place."""

    item: AgendaItem
    speakers: tuple[str, ...] = ()
    moderators: tuple[str, ...] = ()
    confirmed: int = 0
    waitlisted: int = 0
    my_status: SignupStatus | None = None  # None: never signed up, or cancelled
    my_position: int | None = None  # place on the waiting list, counted now (1 = next in line)
    # Why the viewer may not sign up (an error code of `refusal`), None when they may or
    # when nobody is viewing; and the viewer's category, to say why an item is closed.
    refusal: str | None = None
    my_category: str | None = None

    @property
    def seats_left(self) -> int | None:
        """Free seats, counted from sign-ups. None when unlimited, and when nobody signs up
        for the item: its capacity is then the hall's, and no count of it is kept."""
        if self.item.capacity is None or not self.item.signup_open:
            return None
        return max(0, self.item.capacity - self.confirmed)

    @property
    def full(self) -> bool:
        return self.seats_left == 0

    @property
    def cancelled(self) -> bool:
        return self.item.cancelled_at is not None


@dataclass(frozen=True)
class DayView:
    days: list[date]  # conference-local days that have items
    day: date
    items: list[ItemView]


def local_day(item: AgendaItem, tz: ZoneInfo) -> date:
    return item.starts_at.astimezone(tz).date()


async def _views(
    session: AsyncSession,
    items: list[AgendaItem],
    registration: Registration | None,
    *,
    viewer: bool = True,
    people: bool = False,
) -> list[ItemView]:
    """Views of `items` as `registration` sees them (`viewer=False`: as nobody in particular)."""
    registration_id = registration.id if registration is not None else None
    ids = [i.id for i in items if i.id is not None]
    if not ids:
        return []
    counts: dict[tuple[int, SignupStatus], int] = {
        (item_id, status): int(n)
        for item_id, status, n in (
            await session.execute(
                select(col(AgendaSignup.agenda_item_id), col(AgendaSignup.status), func.count())
                .where(col(AgendaSignup.agenda_item_id).in_(ids), col(AgendaSignup.status) != SignupStatus.CANCELLED)
                .group_by(col(AgendaSignup.agenda_item_id), col(AgendaSignup.status))
            )
        ).all()
    }
    mine: dict[int, tuple[AgendaSignup, int]] = {}  # item id: (my sign-up, my place in line)
    if registration_id is not None:
        mine = {
            s.agenda_item_id: (s, int(place or 0))
            for s, place in (
                await session.execute(
                    select(AgendaSignup, _place()).where(
                        col(AgendaSignup.registration_id) == registration_id,
                        col(AgendaSignup.agenda_item_id).in_(ids),
                        col(AgendaSignup.status) != SignupStatus.CANCELLED,
                    )
                )
            ).all()
        }  # type: ignore[arg-type]
    names: dict[int, dict[SpeakerRole, list[str]]] = {}
    if people:
        rows = await session.execute(
            select(col(AgendaSpeaker.agenda_item_id), col(AgendaSpeaker.role), col(Participant.full_name))
            .join(Participant, col(Participant.id) == col(AgendaSpeaker.participant_id))
            .where(col(AgendaSpeaker.agenda_item_id).in_(ids))
            .order_by(col(AgendaSpeaker.position))
        )
        for item_id, role, name in rows.all():
            if name:  # a forgotten person has no name
                names.setdefault(item_id, {}).setdefault(role, []).append(name)
    views = []
    for item in items:
        assert item.id is not None
        signup, place = mine.get(item.id, (None, 0))
        by_role = names.get(item.id, {})
        refused = refusal(item, registration) if viewer else None
        views.append(
            ItemView(
                item,
                tuple(by_role.get(SpeakerRole.SPEAKER, ())),
                tuple(by_role.get(SpeakerRole.MODERATOR, ())),
                counts.get((item.id, SignupStatus.CONFIRMED), 0),
                counts.get((item.id, SignupStatus.WAITLISTED), 0),
                signup.status if signup else None,
                place if signup and signup.status == SignupStatus.WAITLISTED else None,
                refused.code if refused is not None else None,
                registration.category.value if registration is not None else None,
            )
        )
    return views


async def day_view(
    session: AsyncSession,
    conference: Conference,
    day: date | None,
    *,
    telegram_id: int | None = None,
    clock: Clock = utc_now,
) -> DayView:
    """The items of one conference-local day in time order. Without `day` (or with a day
    that has no items): today during the conference, else its first day."""
    assert conference.id is not None
    tz = ZoneInfo(conference.timezone)
    items = list(
        (
            await session.execute(
                select(AgendaItem)
                .where(col(AgendaItem.conference_id) == conference.id)
                .order_by(col(AgendaItem.starts_at), col(AgendaItem.ends_at), col(AgendaItem.code))
            )
        ).scalars()
    )  # type: ignore[arg-type]
    days = sorted({local_day(i, tz) for i in items})
    if day not in days:
        today = clock().astimezone(tz).date()
        day = today if today in days else (days[0] if days else conference.first_day)
    registration = await registration_for(session, conference.id, telegram_id) if telegram_id is not None else None
    of_day = [i for i in items if local_day(i, tz) == day]
    views = await _views(session, of_day, registration, viewer=telegram_id is not None)
    await session.commit()
    return DayView(days, day, views)


async def item_view(
    session: AsyncSession, conference_id: int, item_id: int, *, telegram_id: int | None = None
) -> ItemView:
    """One item of the conference with its speakers, seats and the account's place."""
    item = await session.get(AgendaItem, item_id)
    if item is None or item.conference_id != conference_id:
        raise NotFound("no such agenda item", code="item_not_found")
    registration = await registration_for(session, conference_id, telegram_id) if telegram_id is not None else None
    [view] = await _views(session, [item], registration, viewer=telegram_id is not None, people=True)
    await session.commit()
    return view


async def my_agenda(session: AsyncSession, conference_id: int, telegram_id: int) -> list[ItemView]:
    """The account's seats and places in line, in time order (cancelled items included,
    marked by `cancelled`)."""
    registration = await registration_for(session, conference_id, telegram_id)
    if registration is None:
        await session.commit()
        raise NotAllowed("not registered for this conference", code="not_registered")
    items = list(
        (
            await session.execute(
                select(AgendaItem)
                .join(AgendaSignup, col(AgendaSignup.agenda_item_id) == col(AgendaItem.id))
                .where(  # type: ignore[arg-type]
                    col(AgendaSignup.registration_id) == registration.id,
                    col(AgendaSignup.status) != SignupStatus.CANCELLED,
                )  # type: ignore[arg-type]
                .order_by(col(AgendaItem.starts_at), col(AgendaItem.ends_at), col(AgendaItem.code))
            )
        ).scalars()
    )  # type: ignore[arg-type]
    views = await _views(session, items, registration, people=True)
    await session.commit()
    return views
