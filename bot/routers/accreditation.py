"""Accreditation officers: /pending, Approve / Reject (with a reason)."""

from __future__ import annotations

from aiogram import Bot, F, Router
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
from bot.middlewares.preconditions import needs
from bot.states import Officer, RejectDraft, load, save
from bot.texts.registration import already_decided_text, pending_text
from core.accreditation import registration
from core.errors import DomainError, WrongState
from core.models import Conference, StaffRoleName
from core.text import visible

OFFICER = needs(StaffRoleName.ACCREDITATION)
PAGE = 10


def _officer_name(query: CallbackQuery | Message) -> str:
    user = query.from_user
    if user is None:
        return "?"
    return f"@{user.username}" if user.username else user.full_name


async def pending(message: Message, ctx: Ctx, session: AsyncSession, conference_id: int) -> None:
    views, total = await registration.pending(session, conference_id, limit=PAGE)
    if not views:
        await message.answer(ctx.t("pending-none"))
        return
    rows = [(v.registration.id or 0, v.participant.full_name) for v in views]
    await message.answer(pending_text(ctx.t, views, total), reply_markup=kb.pending(ctx.t, rows))


async def approved(
    query: CallbackQuery,
    callback_data: DecisionCB,
    ctx: Ctx,
    session: AsyncSession,
    bot: Bot,
    conference: Conference,
    conference_id: int,
) -> None:
    message: Message = query.message  # type: ignore[assignment]
    try:
        v = await registration.decide(
            session,
            callback_data.id,
            approve=True,
            actor_telegram_id=ctx.telegram_id,
            conference_id=conference_id,
            actor_name=_officer_name(query),
        )
    except WrongState as exc:
        await _decided_before(query, ctx, conference, exc)
        return
    note = ctx.t("officer-approved", officer=_officer_name(query))
    if _is_list(message):  # a /pending list: keep the other rows' buttons
        await query.answer(f"#{callback_data.id}: {plain(note)}")  # answers are plain text
    else:
        await query.answer()
        await _mark(message, note)
    await notify.participant_of_decision(bot, session, ctx, conference, v)


async def rejecting(
    query: CallbackQuery,
    callback_data: DecisionCB,
    state: FSMContext,
    ctx: Ctx,
    session: AsyncSession,
    conference: Conference,
    conference_id: int,
) -> None:
    """Reject: the reason comes next, and the registration is decided only then."""
    message: Message = query.message  # type: ignore[assignment]
    try:
        v = await registration.decidable(session, callback_data.id, conference_id=conference_id)
    except WrongState as exc:
        await _decided_before(query, ctx, conference, exc)
        return
    await state.set_state(Officer.reject_reason)
    draft = RejectDraft(registration_id=callback_data.id, officer_message_id=message.message_id)
    await save(state, draft, key="reject")
    await query.answer()
    await message.answer(ctx.t("ask-reject-reason", id=callback_data.id, name=v.participant.full_name))


async def _decided_before(query: CallbackQuery, ctx: Ctx, conference: Conference, exc: WrongState) -> None:
    """Someone else decided first: say who and when; a stale card shows the outcome."""
    if exc.code != "already_decided":
        raise exc
    note = already_decided_text(ctx.t, conference, exc)
    await query.answer(plain(note)[:200], show_alert=True)  # answers are plain text
    message: Message = query.message  # type: ignore[assignment]
    if not _is_list(message):
        await _mark(message, note)  # this copy of the card is stale: show the outcome


async def reject_reason(
    message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession, bot: Bot, conference: Conference
) -> None:
    draft = await load(state, RejectDraft, key="reject")
    reason = visible(message.text or "", newlines=True).strip()[:500]
    try:
        v = await registration.decide(
            session,
            draft.registration_id,
            approve=False,
            actor_telegram_id=ctx.telegram_id,
            conference_id=conference.id,
            reason=reason,
            actor_name=_officer_name(message),
        )
    except DomainError as exc:
        if exc.code == "reason_required":
            raise  # still asking
        await state.clear()  # decided by someone else (or withdrawn) while the reason was typed
        if exc.code != "already_decided":
            raise
        await message.answer(already_decided_text(ctx.t, conference, exc))
        return
    await state.clear()
    await message.answer(ctx.t("officer-rejected", officer=_officer_name(message), reason=reason))
    await notify.participant_of_decision(bot, session, ctx, conference, v)


def _is_list(message: Message) -> bool:
    return bool(message.reply_markup and len(message.reply_markup.inline_keyboard) > 1)


async def _mark(message: Message, note: Html) -> None:
    """Append the decision to the officer's card and drop its buttons (the card as HTML
    again: aiogram rebuilds it from the text and entities Telegram stored)."""
    await message.edit_text(join([Html(message.html_text), note], "\n\n"), reply_markup=None)


def build() -> Router:
    router = Router(name="accreditation")
    router.message.register(pending, Command("pending"), flags=OFFICER)
    router.callback_query.register(rejecting, DecisionCB.filter(F.action == "reject"), flags=OFFICER)
    router.callback_query.register(approved, DecisionCB.filter(), flags=OFFICER)
    router.message.register(reject_reason, StateFilter(Officer.reject_reason), has_text, flags=OFFICER)
    return router
