"""Messages the bot sends to someone other than the sender: officers learn of a new
registration, participants of the decision, each in their own language.

Sent inline, right after the handler's work (the participant's reply goes first): an
officer sees the card at once. Each send is a Bot API request, before which the update's
unit of work is checkpointed, so the registration or decision is committed first. A send
that fails for a reason that passes (a flood limit longer than the request middleware
waits out, bot/api_requests.py; a network or server error) is not dropped: it is queued in
the outbox (core.accreditation.notices) in the update's unit of work (committed when the
handler returns, or at the checkpoint before its next request: these sends are a handler's
last steps, and every Telegram error is caught here), and the sender (bot/sender.py)
delivers it, paced per chat, rendered then in the recipient's language from the
registration as it is then (bot/outbox_texts.py; a card for a registration decided or
erased meanwhile is dropped). A send that cannot succeed (the
person blocked the bot or never started it, the chat is gone) is logged and not retried.

A network error leaves the outcome unknown (Telegram may have the message): the queued copy
may then arrive twice, as any outbox message may (at least once). What this does not cover:
a process killed between the commit of the registration (or decision) and the send's
outcome; the registration then waits without a card (it is on /pending). Queueing every
message first and marking it sent after the send would cover that too, at the price of one
more write transaction per update on the fast path, taken here only when a send fails."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.i18n import choose_language, translator
from bot.keyboards import common as kb
from bot.texts.registration import decision_text, officer_new_text
from core.accreditation import notices
from core.accreditation.registration import RegistrationView
from core.clock import utc_now
from core.models import Conference, StaffRoleName
from core.people import staff

log = logging.getLogger("confdesk.notify")

Queue = Callable[[datetime], Awaitable[bool]]  # queue the message for the sender, due then


async def _send(bot: Bot, session: AsyncSession, chat_id: int, text: str, queue: Queue, **kw: object) -> bool:
    """Send now; if that fails for a reason that passes, queue it for the sender, in the
    update's unit of work. Whether it was sent now."""
    try:
        await bot.send_message(chat_id, text, **kw)  # type: ignore[arg-type]
        return True
    except TelegramEntityTooLarge as exc:  # a network error by class, but no retry helps
        log.warning("could not notify %s: %s", chat_id, type(exc).__name__)
        return False
    except TelegramRetryAfter as exc:  # longer than the request middleware waits in a handler
        due, why = utc_now() + timedelta(seconds=exc.retry_after), f"flood limit, retry after {exc.retry_after} s"
    except (TelegramNetworkError, TelegramServerError) as exc:
        due, why = utc_now(), type(exc).__name__
    except TelegramAPIError as exc:  # blocked the bot, never started it, chat not found, …
        log.warning("could not notify %s: %s", chat_id, type(exc).__name__)
        return False
    await queue(due)  # committed with the update (its end, or the checkpoint before the next send)
    log.warning("could not notify %s now (%s): queued for the sender", chat_id, why)
    return False


async def officers(session: AsyncSession, ctx: Ctx, conference_id: int) -> list[tuple[int, str]]:
    """Who is told of a new registration (accreditation officers and admins), each with
    their language. Read before the registration's reply goes out, so the lookup shares the
    registration's transaction instead of opening one more after the reply."""
    found = await staff.holders_with_languages(
        session, conference_id, StaffRoleName.ACCREDITATION, ctx.settings.admin_ids
    )
    return [(tg, choose_language(language, None, ctx.settings.default_language)) for tg, language in found]


async def officers_of_new(
    bot: Bot,
    session: AsyncSession,
    ctx: Ctx,
    conference_id: int,
    view: RegistrationView,
    told: list[tuple[int, str]] | None = None,
) -> None:
    """Each officer (`told`, from `officers()`, or looked up now) gets the new registration."""
    reg_id = view.registration.id or 0
    for officer, language in told if told is not None else await officers(session, ctx, conference_id):
        t = translator(language)

        def queue(due: datetime, officer: int = officer) -> Awaitable[bool]:
            return notices.queue_card(
                session, officer=officer, registration_id=reg_id, conference_id=conference_id, due_at=due
            )

        await _send(bot, session, officer, officer_new_text(t, view), queue, reply_markup=kb.decision(t, reg_id))


async def participant_of_decision(
    bot: Bot, session: AsyncSession, ctx: Ctx, conference: Conference, view: RegistrationView
) -> None:
    chat = view.participant.telegram_id
    if chat is None:
        return
    t = translator(choose_language(view.participant.language, None, ctx.settings.default_language))

    def queue(due: datetime) -> Awaitable[bool]:
        return notices.queue_decision(session, view=view, due_at=due)

    await _send(bot, session, chat, decision_text(t, conference, view), queue)
