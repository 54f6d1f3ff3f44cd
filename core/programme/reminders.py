"""Reminders before agenda items, and notices when an item one signed up for changes.

Both go through the outbox, so they survive restarts and go out once whatever the number of
bot processes (dedup keys: `core.programme.messages`). `schedule_reminders` is idempotent
(the key names the item, the registration, the item's start and the seat's "since" stamp)
and is run periodically (`run_scheduler`, beside the sender: each round one unit of work).
Whether a message still makes sense is checked again when it is rendered (`still_due`): a
left seat, a cancelled or moved item drop it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from core.clock import Clock, utc_now
from core.joins import PERSON_OF_REGISTRATION
from core.messaging import outbox
from core.models import (
    AgendaItem,
    AgendaKind,
    AgendaSignup,
    Conference,
    I18n,
    OutboxMessage,
    Participant,
    Registration,
    RegistrationStatus,
    SignupStatus,
)
from core.programme.messages import (
    NOTICE,
    PROMOTED,
    REMINDER,
    everyone_prefix,
    everyone_reminder_key,
    notice_key,
    reminder_prefix,
    seat_reminder_key,
    stamp,
)
from core.programme.signups import may_attend, signup_of
from core.uow import unit_of_work

log = logging.getLogger("confdesk.reminders")

DEFAULT_HORIZON = timedelta(hours=1)
STALE_AFTER = timedelta(days=1)  # how far back started items are swept for unsent reminders


def _id(value: int | None) -> int:
    assert value is not None  # the queries select non-null ids only
    return value


async def _queued(session: AsyncSession, prefix: str) -> set[str]:
    """Dedup keys already in the outbox under `prefix` (any status): a repeated run inserts nothing."""
    key = OutboxMessage.__table__.c.dedup_key  # type: ignore[attr-defined]
    return set((await session.execute(select(key).where(key.startswith(prefix, autoescape=True)))).scalars())


async def _cancel_reminders(session: AsyncSession, item_id: int) -> int:
    return await outbox.cancel_where(session, dedup_prefix=reminder_prefix(item_id)) + await outbox.cancel_where(
        session, dedup_prefix=everyone_prefix(item_id)
    )


Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


def _told(query: Q, item_id: int, *statuses: SignupStatus) -> Q:
    """`query` (over sign-ups) narrowed to the item's approved people with a Telegram account
    whose sign-up has one of `statuses` (none: any but cancelled)."""
    status = col(AgendaSignup.status)
    return (
        query.join(Registration, col(Registration.id) == col(AgendaSignup.registration_id))
        .join(Participant, PERSON_OF_REGISTRATION)
        .where(
            col(AgendaSignup.agenda_item_id) == item_id,
            status.in_(statuses) if statuses else status != SignupStatus.CANCELLED,
            col(Registration.status) == RegistrationStatus.APPROVED,
            col(Participant.telegram_id).is_not(None),
        )
    )


async def schedule_reminders(
    session: AsyncSession,
    *,
    now: datetime,
    minutes: int,
    horizon: timedelta = DEFAULT_HORIZON,
    conference_id: int | None = None,
) -> int:
    """Queue a reminder `minutes` before each item starting after `now` whose reminder falls
    due within `horizon`: to every confirmed seat, and for the high-level session to every
    approved participant who may attend it. Reminders for items that already started and
    were never sent are cancelled. Idempotent; returns how many were added."""
    lead = timedelta(minutes=minutes)
    query = select(AgendaItem).where(
        col(AgendaItem.cancelled_at).is_(None),
        col(AgendaItem.starts_at) > now,
        col(AgendaItem.starts_at) <= now + horizon + lead,
    )
    if conference_id is not None:
        query = query.where(col(AgendaItem.conference_id) == conference_id)
    added = 0
    for item in (await session.execute(query)).scalars().all():
        due = max(item.starts_at - lead, now)
        if item.kind == AgendaKind.HIGH_LEVEL:
            added += await _remind_everyone(session, item, due)
        else:
            added += await _remind_seats(session, item, due)
    await _drop_reminders_of_started(session, now, conference_id)
    return added


async def _remind_everyone(session: AsyncSession, item: AgendaItem, due: datetime) -> int:
    """The high-level session: every approved participant who may attend it is reminded."""
    assert item.id is not None
    queued = await _queued(session, everyone_prefix(item.id))
    rows = await session.execute(
        select(Registration, col(Participant.telegram_id))
        .join(Participant, PERSON_OF_REGISTRATION)
        .where(
            col(Registration.conference_id) == item.conference_id,
            col(Registration.status) == RegistrationStatus.APPROVED,
            col(Participant.telegram_id).is_not(None),
        )
    )
    added = 0
    for registration, chat in rows.all():
        key = everyone_reminder_key(item.id, _id(registration.id), item.starts_at)
        if key in queued or not may_attend(item, registration):
            continue
        added += await _remind(session, item, due, chat, key, _id(registration.id), everyone=True)
    return added


async def _remind_seats(session: AsyncSession, item: AgendaItem, due: datetime) -> int:
    """Every confirmed seat of the item is reminded."""
    assert item.id is not None
    queued = await _queued(session, reminder_prefix(item.id))
    query = select(col(AgendaSignup.registration_id), col(AgendaSignup.updated_at), col(Participant.telegram_id))
    seats = await session.execute(_told(query, item.id, SignupStatus.CONFIRMED))
    added = 0
    for registration_id, since, chat in seats.all():
        key = seat_reminder_key(item.id, registration_id, item.starts_at, since)
        if key in queued:
            continue
        added += await _remind(session, item, due, chat, key, registration_id, since=stamp(since))
    return added


async def _remind(
    session: AsyncSession,
    item: AgendaItem,
    due: datetime,
    chat: int | None,
    key: str,
    registration_id: int,
    **payload: object,
) -> int:
    return await outbox.enqueue(
        session,
        kind=REMINDER,
        chat_id=_id(chat),
        due_at=due,
        conference_id=item.conference_id,
        dedup_key=key,
        payload={"item_id": item.id, "registration_id": registration_id, "starts_at": stamp(item.starts_at), **payload},
    )


async def _drop_reminders_of_started(session: AsyncSession, now: datetime, conference_id: int | None) -> None:
    """Reminders never sent for items that started (the bot was down) are cancelled."""
    started = select(col(AgendaItem.id)).where(
        col(AgendaItem.starts_at) <= now, col(AgendaItem.starts_at) > now - STALE_AFTER
    )
    if conference_id is not None:
        started = started.where(col(AgendaItem.conference_id) == conference_id)
    for item_id in (await session.execute(started)).scalars().all():
        await _cancel_reminders(session, _id(item_id))


async def run_scheduler(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    minutes: int,
    every: float = 60.0,
    horizon: timedelta = DEFAULT_HORIZON,
    clock: Clock = utc_now,
) -> None:
    """Run `schedule_reminders` every `every` seconds, for ever (a task beside the sender),
    each round in its own unit of work: a failed round is rolled back, logged, and the next
    one tries again. The horizon must exceed `every`, or reminders would be queued after
    they fall due."""
    horizon = max(horizon, timedelta(seconds=every * 2))
    while True:
        try:
            async with unit_of_work(session_factory) as session:
                await schedule_reminders(session, now=clock(), minutes=minutes, horizon=horizon)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduling reminders failed")
        await asyncio.sleep(every)


# ---------------------------------------------------------------------------------------
# Change notices (from the programme loader)
# ---------------------------------------------------------------------------------------

NOTICE_FIELDS = ("time", "hall", "cancelled", "restored")


@dataclass(frozen=True)
class ItemChange:
    """An existing item as it was before a programme load; `fields` ⊆ NOTICE_FIELDS."""

    item: AgendaItem  # as it is now
    fields: tuple[str, ...]
    old_starts_at: datetime
    old_ends_at: datetime
    old_hall: I18n


async def enqueue_change_notices(session: AsyncSession, changes: list[ItemChange], now: datetime) -> int:
    """Tell the people signed up for (or waiting for) each changed item what changed; cancel
    reminders of moved or cancelled items (the scheduler queues new ones). Returns how many
    notices were queued."""
    added = 0
    for change in changes:
        item = change.item
        if not change.fields or item.id is None:
            continue
        if {"time", "cancelled"} & set(change.fields):
            await _cancel_reminders(session, item.id)
        query = select(col(AgendaSignup.registration_id), col(Participant.telegram_id))
        rows = await session.execute(_told(query, item.id))
        payload: dict[str, Any] = {
            "item_id": item.id,
            "fields": list(change.fields),
            "title": item.title,
            "old_starts_at": change.old_starts_at.isoformat(),
            "old_ends_at": change.old_ends_at.isoformat(),
            "starts_at": item.starts_at.isoformat(),
            "ends_at": item.ends_at.isoformat(),
            "old_hall": change.old_hall,
            "hall": item.hall,
        }
        for registration_id, chat in rows.all():
            added += await outbox.enqueue(
                session,
                kind=NOTICE,
                chat_id=_id(chat),
                due_at=now,
                conference_id=item.conference_id,
                dedup_key=notice_key(item.id, registration_id, now),
                payload={**payload, "registration_id": registration_id},
            )
    return added


# ---------------------------------------------------------------------------------------
# At send time
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    item: AgendaItem
    conference: Conference


async def still_due(session: AsyncSession, kind: str, payload: dict[str, Any]) -> Due | None:
    """The item and conference of a queued reminder, promotion or notice, or None when it no
    longer makes sense (the seat was left, the item cancelled or moved). Read-only."""
    item = await session.get(AgendaItem, int(payload.get("item_id") or 0))
    registration = await session.get(Registration, int(payload.get("registration_id") or 0))
    if item is None or registration is None or registration.status != RegistrationStatus.APPROVED:
        return None
    assert item.id is not None and registration.id is not None
    conference = await session.get(Conference, item.conference_id)
    assert conference is not None
    signup = await signup_of(session, registration.id, item.id)
    if kind == NOTICE:
        active = signup is not None and signup.status != SignupStatus.CANCELLED
        return Due(item, conference) if active else None
    if item.cancelled_at is not None:
        return None
    if kind == PROMOTED:
        ok = (
            signup is not None
            and signup.status == SignupStatus.CONFIRMED
            and signup.promoted_at is not None
            and stamp(signup.promoted_at) == payload.get("at")
        )
        return Due(item, conference) if ok else None
    if kind == REMINDER and stamp(item.starts_at) == payload.get("starts_at"):
        if payload.get("everyone"):
            return Due(item, conference) if may_attend(item, registration) else None
        ok = (
            signup is not None
            and signup.status == SignupStatus.CONFIRMED
            and stamp(signup.updated_at) == payload.get("since")
        )
        return Due(item, conference) if ok else None
    return None
