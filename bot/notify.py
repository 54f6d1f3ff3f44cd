"""Messages the bot sends to someone other than the sender: officers learn of a new
registration, participants of the decision, each in their own language. Part of the
update's unit of work: each message is a Bot API request, before which it is checkpointed."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.i18n import choose_language, translator
from bot.keyboards import common as kb
from bot.texts.registration import decision_text, officer_new_text
from core.accreditation.registration import RegistrationView
from core.models import Conference, StaffRoleName
from core.people import staff

log = logging.getLogger("confdesk.notify")


async def _send(bot: Bot, chat_id: int, text: str, **kw: object) -> bool:
    try:
        await bot.send_message(chat_id, text, **kw)  # type: ignore[arg-type]
        return True
    except TelegramAPIError as exc:  # blocked the bot, never started it, …
        log.warning("could not notify %s: %s", chat_id, type(exc).__name__)
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
    for officer, language in told if told is not None else await officers(session, ctx, conference_id):
        t = translator(language)
        await _send(bot, officer, officer_new_text(t, view), reply_markup=kb.decision(t, view.registration.id or 0))


async def participant_of_decision(bot: Bot, ctx: Ctx, conference: Conference, view: RegistrationView) -> None:
    chat = view.participant.telegram_id
    if chat is None:
        return
    t = translator(choose_language(view.participant.language, None, ctx.settings.default_language))
    await _send(bot, chat, decision_text(t, conference, view))
