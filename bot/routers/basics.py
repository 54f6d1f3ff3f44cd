"""/help, /cancel and /language: available in every state."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import LanguageCB
from bot.context import Ctx
from bot.i18n import translator
from bot.keyboards import common as kb
from core.people import preferences


async def help_(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("help", conference=ctx.conference_name or "confdesk"))


async def cancel(message: Message, state: FSMContext, ctx: Ctx) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    await message.answer(ctx.t("cancelled" if had_state else "nothing-to-cancel"))


async def language(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("choose-language"), reply_markup=kb.languages())


async def language_chosen(query: CallbackQuery, callback_data: LanguageCB, session: AsyncSession, ctx: Ctx) -> None:
    await preferences.remember_language(session, ctx.telegram_id, callback_data.code, chosen=True)
    t = translator(callback_data.code)
    await query.answer()
    await query.message.answer(t("language-set"))  # type: ignore[union-attr]


def build() -> Router:
    router = Router(name="basics")
    router.message.register(help_, Command("help"))
    router.message.register(cancel, Command("cancel"))
    router.message.register(language, Command("language"))
    router.callback_query.register(language_chosen, LanguageCB.filter())
    return router
