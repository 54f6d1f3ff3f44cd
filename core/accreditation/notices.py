"""Accreditation messages the outbox delivers when the bot could not send them at once: an
officer's card for a registration to decide (`CARD`), a participant's decision (`DECISION`).

The bot sends both inline, right after the handler's work (bot/notify.py); only a send that
failed for a reason that passes (Telegram's flood limit beyond what the request middleware
waits out, a network error, a server error) is queued here, in the handler's unit of work,
and the sender (bot/sender.py) delivers it later, paced per chat. The payload holds ids
only (no names: /forget leaves nothing to scrub there); what a message says is rendered at
send time from the registration as it is then (bot/outbox_texts.py), and a message that no
longer makes sense is dropped (`card_still_due`, `decision_still_due`): an officer never
gets a card with buttons for a registration decided, withdrawn or erased meanwhile, nor a
participant a decision taken back. Nothing here commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.accreditation.registration.queries import view_query
from core.accreditation.registration.values import RegistrationView
from core.messaging import outbox
from core.models import Conference, RegistrationStatus

CARD = "registration_card"  # to an officer: a registration to decide
DECISION = "registration_decision"  # to the participant: approved or rejected


def stamp(moment: datetime) -> str:
    """A datetime as an exact key and payload fragment."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")


async def queue_card(
    session: AsyncSession, *, officer: int, registration_id: int, conference_id: int, due_at: datetime
) -> bool:
    """Queue an officer's card that could not be sent now (one key per attempt: a card queued
    for an earlier review of the same registration is a message of its own)."""
    return await outbox.enqueue(
        session,
        kind=CARD,
        chat_id=officer,
        dedup_key=f"{CARD}:{registration_id}:{officer}:{uuid.uuid4().hex[:16]}",
        due_at=due_at,
        payload={"registration_id": registration_id},
        conference_id=conference_id,
    )


async def queue_decision(session: AsyncSession, *, view: RegistrationView, due_at: datetime) -> bool:
    """Queue a participant's decision notice that could not be sent now: one per decision
    (the key holds when it was taken)."""
    reg = view.registration
    chat = view.participant.telegram_id
    assert reg.id is not None and reg.decided_at is not None and chat is not None
    return await outbox.enqueue(
        session,
        kind=DECISION,
        chat_id=chat,
        dedup_key=f"{DECISION}:{reg.id}:{stamp(reg.decided_at)}",
        due_at=due_at,
        payload={"registration_id": reg.id, "status": reg.status.value, "decided_at": stamp(reg.decided_at)},
        conference_id=reg.conference_id,
    )


async def _view(session: AsyncSession, payload: dict[str, Any]) -> RegistrationView | None:
    row = (await session.execute(view_query(int(payload.get("registration_id") or 0)))).one_or_none()
    return RegistrationView(row[0], row[1], row[2]) if row is not None else None


async def card_still_due(session: AsyncSession, payload: dict[str, Any]) -> RegistrationView | None:
    """The registration a queued card is about, as it is now, or None when there is nothing
    left to decide (decided, withdrawn, erased by /forget, deleted). Read-only."""
    view = await _view(session, payload)
    if view is None or view.registration.status != RegistrationStatus.PENDING:
        return None
    return view


async def decision_still_due(
    session: AsyncSession, payload: dict[str, Any]
) -> tuple[RegistrationView, Conference] | None:
    """The registration and conference of a queued decision notice, or None when that
    decision no longer stands (decided again, sent back for review, withdrawn, erased): the
    participant hears of the later state its own way. Read-only."""
    view = await _view(session, payload)
    if view is None or view.participant.telegram_id is None:
        return None
    reg = view.registration
    if reg.status.value != payload.get("status") or reg.decided_at is None:
        return None
    if stamp(reg.decided_at) != payload.get("decided_at"):
        return None
    conference = await session.get(Conference, reg.conference_id)
    return (view, conference) if conference is not None else None
