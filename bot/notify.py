"""Messages the bot sends to someone other than the sender: officers learn of a new
registration, participants of the decision, each in their own language."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.i18n import choose_language, translator
from bot.keyboards import common as kb
from bot.render import view_args
from core.accreditation.registration import RegistrationView
from core.models import Conference, RegistrationStatus, StaffRoleName, pick
from core.people import people, staff

log = logging.getLogger("confdesk.notify")


async def _send(bot: Bot, chat_id: int, text: str, **kw: object) -> bool:
    try:
        await bot.send_message(chat_id, text, **kw)  # type: ignore[arg-type]
        return True
    except TelegramAPIError as exc:  # blocked the bot, never started it, …
        log.warning("could not notify %s: %s", chat_id, type(exc).__name__)
        return False


async def officers_of_new(
    bot: Bot, session: AsyncSession, ctx: Ctx, conference_id: int, view: RegistrationView
) -> None:
    officers = await staff.staff_ids(session, conference_id, StaffRoleName.ACCREDITATION, ctx.settings.admin_ids)
    langs = await people.languages(session, officers) if officers else {}
    await session.commit()
    for officer in officers:
        t = translator(choose_language(langs.get(officer), None, ctx.settings.default_language))
        args = view_args(t, view)
        text = t("officer-new", id=view.registration.id or 0, **args)
        await _send(bot, officer, text, reply_markup=kb.decision(t, view.registration.id or 0))


async def participant_of_decision(bot: Bot, ctx: Ctx, conference: Conference, view: RegistrationView) -> None:
    chat = view.participant.telegram_id
    if chat is None:
        return
    t = translator(choose_language(view.participant.language, None, ctx.settings.default_language))
    name = pick(conference.name, t.language)
    if view.registration.status == RegistrationStatus.APPROVED:
        await _send(bot, chat, t("participant-approved", conference=name))
    else:
        await _send(bot, chat, t("participant-rejected", conference=name, reason=view.registration.decision_reason))
