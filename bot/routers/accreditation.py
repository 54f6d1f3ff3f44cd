"""Accreditation officers: /pending, Approve / Reject (with a reason)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import notify
from bot.callbacks import DecisionCB
from bot.context import Ctx
from bot.filters import has_text
from bot.i18n import Html, join, plain
from bot.keyboards import common as kb
from bot.middlewares.roles import RoleMiddleware
from bot.render import view_args
from bot.states import Officer, RejectDraft, load, save
from core.models import StaffRoleName
from core.services import registration, validation

OFFICER = {"role": StaffRoleName.ACCREDITATION}
PAGE = 10


def _officer_name(query: CallbackQuery | Message) -> str:
    user = query.from_user
    if user is None:
        return "?"
    return f"@{user.username}" if user.username else user.full_name


async def pending(message: Message, ctx: Ctx, session: AsyncSession) -> None:
    assert ctx.conference is not None and ctx.conference.id is not None
    views, total = await registration.pending(session, ctx.conference.id, limit=PAGE)
    if not views:
        await message.answer(ctx.t("pending-none"))
        return
    lines = [ctx.t("pending-list", total=total)]
    for v in views:
        lines.append(ctx.t("pending-item", id=v.registration.id or 0, **view_args(ctx.t, v)))
    if total > len(views):
        lines.append(ctx.t("pending-more", more=total - len(views)))
    rows = [(v.registration.id or 0, v.participant.full_name) for v in views]
    await message.answer(join(lines), reply_markup=kb.pending(ctx.t, rows))


async def decided(
    query: CallbackQuery, callback_data: DecisionCB, state: FSMContext, ctx: Ctx, session: AsyncSession, bot: Bot
) -> None:
    message: Message = query.message  # type: ignore[assignment]
    if callback_data.action == "reject":
        v = await registration.view(session, callback_data.id)
        await session.commit()
        await state.set_state(Officer.reject_reason)
        await save(
            state, RejectDraft(registration_id=callback_data.id, officer_message_id=message.message_id), key="reject"
        )
        await query.answer()
        await message.answer(ctx.t("ask-reject-reason", id=callback_data.id, name=v.participant.full_name))
        return
    v = await registration.decide(session, callback_data.id, approve=True, actor_telegram_id=ctx.telegram_id)
    note = ctx.t("officer-approved", officer=_officer_name(query))
    rows = message.reply_markup.inline_keyboard if message.reply_markup else []
    if len(rows) > 1:  # a /pending list: keep the other rows' buttons
        await query.answer(f"#{callback_data.id}: {plain(note)}")  # answers are plain text
    else:
        await query.answer()
        await _mark(message, note)
    await notify.participant_of_decision(bot, ctx, v)


async def reject_reason(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession, bot: Bot) -> None:
    draft = await load(state, RejectDraft, key="reject")
    reason = validation.visible(message.text or "", newlines=True).strip()[:500]
    v = await registration.decide(
        session, draft.registration_id, approve=False, actor_telegram_id=ctx.telegram_id, reason=reason
    )
    await state.clear()
    await message.answer(ctx.t("officer-rejected", officer=_officer_name(message), reason=reason))
    await notify.participant_of_decision(bot, ctx, v)


async def _mark(message: Message, note: Html) -> None:
    """Append the decision to the officer's card and drop its buttons (the card as HTML
    again: aiogram rebuilds it from the text and entities Telegram stored)."""
    await message.edit_text(join([Html(message.html_text), note], "\n\n"), reply_markup=None)


def build() -> Router:
    router = Router(name="accreditation")
    router.message.middleware(RoleMiddleware())
    router.callback_query.middleware(RoleMiddleware())
    router.message.register(pending, Command("pending"), flags=OFFICER)
    router.callback_query.register(decided, DecisionCB.filter(), flags=OFFICER)
    router.message.register(reject_reason, StateFilter(Officer.reject_reason), has_text, flags=OFFICER)
    return router
