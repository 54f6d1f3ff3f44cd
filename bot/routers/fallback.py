"""Last router: whatever nobody else took gets a hint, never silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.context import Ctx
from bot.filters import is_command, no_text


async def unknown_command(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("unknown-command"))


async def unsupported(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("unsupported-content"))


async def unknown_text(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("unknown-text"))


async def stale_button(query: CallbackQuery, ctx: Ctx) -> None:
    await query.answer(ctx.t.plain("button-expired"), show_alert=True)


def build() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_command, is_command)
    router.message.register(unsupported, no_text)
    router.message.register(unknown_text)
    router.callback_query.register(stale_button)
    return router
