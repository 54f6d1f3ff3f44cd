"""Staff open the Mini App (bot/webapp): /scanner for door staff, /board for organisers.
With WEBAPP_URL set, each also puts the app on the chat's menu button; without it they say
the app is not set up. What they say: bot/texts/webapp.py; buttons: bot/keyboards/webapp.py."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.context import Ctx
from bot.keyboards import webapp as kb
from bot.middlewares.preconditions import needs
from bot.texts import webapp as texts
from bot.webapp.links import app_url, board_link
from core.models import Conference, StaffRoleName

DOOR = needs(StaffRoleName.DOOR)
ORGANISERS = needs(StaffRoleName.ACCREDITATION)  # admins hold it too


async def scanner(message: Message, ctx: Ctx, bot: Bot) -> None:
    if not ctx.settings.webapp_url:
        await message.answer(texts.not_configured(ctx.t))
        return
    url = app_url(ctx.settings, "scanner")
    await bot.set_chat_menu_button(chat_id=message.chat.id, menu_button=kb.menu(ctx.t, url))
    await message.answer(texts.scanner_offer(ctx.t), reply_markup=kb.scanner(ctx.t, url))


async def board(message: Message, ctx: Ctx, bot: Bot, conference: Conference, conference_id: int) -> None:
    if not ctx.settings.webapp_url:
        await message.answer(texts.not_configured(ctx.t))
        return
    url = app_url(ctx.settings, "board")
    link, until = board_link(ctx.settings, conference_id, ctx.language)
    await bot.set_chat_menu_button(chat_id=message.chat.id, menu_button=kb.menu(ctx.t, url))
    await message.answer(
        texts.board_offer(ctx.t, link, until, conference.timezone), reply_markup=kb.board(ctx.t, url, link)
    )


def build() -> Router:
    router = Router(name="miniapp")
    router.message.register(scanner, Command("scanner"), flags=DOOR)
    router.message.register(board, Command("board"), flags=ORGANISERS)
    return router
