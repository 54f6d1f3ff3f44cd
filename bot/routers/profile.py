"""/me, /edit, /withdraw and /forget: a participant's own registration."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ConfirmCB
from bot.context import Ctx
from bot.flows.signup import draft_to_edit, start_wizard
from bot.keyboards import common as kb
from bot.middlewares.preconditions import needs
from bot.states import DESTINIES
from bot.texts.registration import me_text
from core.accreditation import registration
from core.models import RegistrationStatus
from core.people import erasure


async def me(message: Message, ctx: Ctx, session: AsyncSession, conference_id: int) -> None:
    mine = await registration.my_registration(session, conference_id, ctx.telegram_id)
    if mine is None:
        await message.answer(ctx.t("not-registered"))
        return
    await message.answer(me_text(ctx.t, ctx.conference_name, mine))


async def edit(message: Message, state: FSMContext, ctx: Ctx, session: AsyncSession, conference_id: int) -> None:
    mine = await registration.my_registration(session, conference_id, ctx.telegram_id)
    if mine is None or mine.registration.status not in (RegistrationStatus.PENDING, RegistrationStatus.APPROVED):
        await message.answer(ctx.t("not-registered"))
        return
    await start_wizard(message, state, ctx, session, draft_to_edit(mine))


async def withdraw(message: Message, ctx: Ctx, session: AsyncSession, conference_id: int) -> None:
    mine = await registration.my_registration(session, conference_id, ctx.telegram_id)
    if mine is None or mine.registration.status == RegistrationStatus.CANCELLED:
        await message.answer(ctx.t("not-registered"))
        return
    await message.answer(
        ctx.t("withdraw-confirm", conference=ctx.conference_name),
        reply_markup=kb.confirm(ctx.t, "withdraw", "btn-yes-withdraw"),
    )


async def forget(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("forget-confirm"), reply_markup=kb.confirm(ctx.t, "forget", "btn-yes-forget"))


async def _answered(query: CallbackQuery, callback_data: ConfirmCB, ctx: Ctx) -> Message | None:
    """The confirmation's buttons go; the message, or None when the answer was "no"."""
    await query.answer()
    message: Message = query.message  # type: ignore[assignment]
    await message.edit_reply_markup(reply_markup=None)
    if not callback_data.yes:
        await message.answer(ctx.t("kept"))
        return None
    return message


async def withdraw_confirmed(
    query: CallbackQuery, callback_data: ConfirmCB, ctx: Ctx, session: AsyncSession, conference_id: int
) -> None:
    message = await _answered(query, callback_data, ctx)
    if message is None:
        return
    mine = await registration.my_registration(session, conference_id, ctx.telegram_id)
    if mine is None or mine.registration.id is None:
        await message.answer(ctx.t("not-registered"))
        return
    await registration.withdraw(session, mine.registration.id, actor_telegram_id=ctx.telegram_id)
    await message.answer(ctx.t("withdrawn"))


async def forget_confirmed(
    query: CallbackQuery,
    callback_data: ConfirmCB,
    ctx: Ctx,
    session: AsyncSession,
    bot: Bot,
    fsm_storage: BaseStorage,
) -> None:
    """/forget works with or without a conference: a person's data may span several."""
    message = await _answered(query, callback_data, ctx)
    if message is not None:
        user = query.from_user  # its names as Telegram shows them now, to find in free text
        done = await erasure.forget(session, ctx.telegram_id, username=user.username, names=(user.full_name,))
        await forget_state(fsm_storage, bot.id, ctx.telegram_id)
        await message.answer(ctx.t("forgotten" if done.held else "error-nothing_to_forget"))


async def forget_state(storage: BaseStorage, bot_id: int, user_id: int) -> None:
    """Drop every FSM namespace of the user's private chat (a wizard's draft, the gate)."""
    for destiny in DESTINIES:
        key = StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id, destiny=destiny)
        await storage.set_state(key, None)
        await storage.set_data(key, {})


def build() -> Router:
    router = Router(name="profile")
    router.message.register(me, Command("me"), flags=needs())
    router.message.register(edit, Command("edit"), flags=needs())
    router.message.register(withdraw, Command("withdraw"), flags=needs())
    router.message.register(forget, Command("forget"))
    router.callback_query.register(withdraw_confirmed, ConfirmCB.filter(F.action == "withdraw"), flags=needs())
    router.callback_query.register(forget_confirmed, ConfirmCB.filter(F.action == "forget"))
    return router
