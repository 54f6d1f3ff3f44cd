"""What each kind of outbox message says, in its recipient's language: `RENDERERS` maps a
message kind (`core.messaging.outbox`) to the function that renders a claimed message, and
the sender (`bot/sender.py`) looks each message up there. A kind queued by core needs a
renderer here, or the sender marks its messages failed ("nothing to send").

A renderer gets the sender's session, the claimed message and the recipient's language,
and returns what to send, or None to drop the message (the item is gone, the person
blocked the bot meanwhile...). The wording lives in `bot/texts/`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import translator
from bot.keyboards import agenda as agenda_kb
from bot.keyboards import common as common_kb
from bot.texts import agenda as agenda_texts
from bot.texts import broadcast as broadcast_texts
from bot.texts.registration import decision_text, officer_new_text
from core.accreditation import notices
from core.messaging import broadcasts
from core.messaging.outbox import Claimed
from core.programme import messages, reminders


@dataclass(frozen=True)
class Rendered:
    text: str
    markup: InlineKeyboardMarkup | None = None


# (session, message, language) -> what to send, or None to drop it (e.g. the item is gone).
Renderer = Callable[[AsyncSession, Claimed, str], Awaitable[Rendered | None]]


# -- the programme: reminders, a seat from the waiting list, changes -----------------------------


async def reminder(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    due = await reminders.still_due(session, messages.REMINDER, message.payload)
    if due is None:
        return None
    return Rendered(agenda_texts.upcoming_text(language, due.item, ZoneInfo(due.conference.timezone)))


async def promoted(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    due = await reminders.still_due(session, messages.PROMOTED, message.payload)
    if due is None:
        return None
    text = agenda_texts.upcoming_text(language, due.item, ZoneInfo(due.conference.timezone), promoted=True)
    return Rendered(text, agenda_kb.give_back(translator(language), due.item.id or 0))


async def notice(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    due = await reminders.still_due(session, messages.NOTICE, message.payload)
    if due is None:
        return None
    tz = ZoneInfo(due.conference.timezone)
    return Rendered(agenda_texts.notice_text(language, due.item, tz, message.payload))


# -- broadcasts: the admin's message, and the delivery report to the admin -------------------------


async def broadcast(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    if not await broadcasts.reachable(session, message.chat_id):
        return None  # blocked the bot or was forgotten since the broadcast was queued
    text = str(message.payload.get("text") or "")
    return Rendered(text) if text else None


async def broadcast_report(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    return Rendered(broadcast_texts.report_text(language, message.payload))


# -- accreditation: what bot/notify.py could not send at once ------------------------------------


async def registration_card(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    """An officer's card as the registration is now; dropped once there is nothing to decide
    (decided by another officer, withdrawn, erased): no buttons for a settled question."""
    view = await notices.card_still_due(session, message.payload)
    if view is None:
        return None
    t = translator(language)
    return Rendered(officer_new_text(t, view), common_kb.decision(t, view.registration.id or 0))


async def registration_decision(session: AsyncSession, message: Claimed, language: str) -> Rendered | None:
    """The participant's decision, unless it was taken back meanwhile."""
    due = await notices.decision_still_due(session, message.payload)
    if due is None:
        return None
    view, conference = due
    return Rendered(decision_text(translator(language), conference, view))


RENDERERS: dict[str, Renderer] = {
    messages.REMINDER: reminder,
    messages.PROMOTED: promoted,
    messages.NOTICE: notice,
    broadcasts.KIND: broadcast,
    broadcasts.REPORT_KIND: broadcast_report,
    notices.CARD: registration_card,
    notices.DECISION: registration_decision,
}
