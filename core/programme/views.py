"""The agenda as a participant sees it: a day of items (`day_view`), one item's card
(`item_view`), one's own seats and places in line (`my_agenda`). Each item comes with its
people, its seats, the viewer's sign-up and place in line, and whether the viewer may sign
up (the code of `signups.refusal`, so nothing is offered that would be refused). Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import Clock, utc_now
from core.errors import NotAllowed, NotFound
from core.models import (
    AgendaItem,
    AgendaSignup,
    AgendaSpeaker,
    Conference,
    Participant,
    Registration,
    SignupStatus,
    SpeakerRole,
)
from core.programme.lookup import agenda_items
from core.programme.signups import place_in_line, refusal, registration_for


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
    ids = [i.id for i in items if i.id is not None]
    if not ids:
        return []
    counts = await _seat_counts(session, ids)
    mine = await _my_signups(session, registration.id, ids) if registration is not None and registration.id else {}
    names = await _people(session, ids) if people else {}
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


async def _seat_counts(session: AsyncSession, ids: list[int]) -> dict[tuple[int, SignupStatus], int]:
    """Sign-ups by item and status (cancelled ones left out)."""
    rows = await session.execute(
        select(col(AgendaSignup.agenda_item_id), col(AgendaSignup.status), func.count())
        .where(col(AgendaSignup.agenda_item_id).in_(ids), col(AgendaSignup.status) != SignupStatus.CANCELLED)
        .group_by(col(AgendaSignup.agenda_item_id), col(AgendaSignup.status))
    )
    return {(item_id, status): int(n) for item_id, status, n in rows.all()}


async def _my_signups(
    session: AsyncSession, registration_id: int, ids: list[int]
) -> dict[int, tuple[AgendaSignup, int]]:
    """By item id: the registration's sign-up and its place in line (0: not waiting)."""
    rows = await session.execute(
        select(AgendaSignup, place_in_line()).where(
            col(AgendaSignup.registration_id) == registration_id,
            col(AgendaSignup.agenda_item_id).in_(ids),
            col(AgendaSignup.status) != SignupStatus.CANCELLED,
        )
    )
    return {s.agenda_item_id: (s, int(place or 0)) for s, place in rows.all()}


async def _people(session: AsyncSession, ids: list[int]) -> dict[int, dict[SpeakerRole, list[str]]]:
    """By item id and role: the names of its speakers and moderators, in order."""
    rows = await session.execute(
        select(col(AgendaSpeaker.agenda_item_id), col(AgendaSpeaker.role), col(Participant.full_name))
        .join(Participant, col(Participant.id) == col(AgendaSpeaker.participant_id))
        .where(col(AgendaSpeaker.agenda_item_id).in_(ids))
        .order_by(col(AgendaSpeaker.position))
    )
    names: dict[int, dict[SpeakerRole, list[str]]] = {}
    for item_id, role, name in rows.all():
        if name:  # a forgotten person has no name
            names.setdefault(item_id, {}).setdefault(role, []).append(name)
    return names


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
    items = await agenda_items(session, conference.id)
    days = sorted({local_day(i, tz) for i in items})
    if day not in days:
        today = clock().astimezone(tz).date()
        day = today if today in days else (days[0] if days else conference.first_day)
    registration = await registration_for(session, conference.id, telegram_id) if telegram_id is not None else None
    of_day = [i for i in items if local_day(i, tz) == day]
    views = await _views(session, of_day, registration, viewer=telegram_id is not None)
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
    return view


async def my_agenda(session: AsyncSession, conference_id: int, telegram_id: int) -> list[ItemView]:
    """The account's seats and places in line, in time order (cancelled items included,
    marked by `cancelled`)."""
    registration = await registration_for(session, conference_id, telegram_id)
    if registration is None:
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
    return await _views(session, items, registration, people=True)
