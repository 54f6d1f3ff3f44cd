"""/badge: the participant's badge as an image, cached by Telegram file id."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Ctx
from bot.middlewares.preconditions import needs
from core.badges import chat as badge_chat
from core.models import Conference


async def badge(message: Message, ctx: Ctx, session: AsyncSession, bot: Bot, conference: Conference) -> None:
    username = ctx.settings.bot_username or (await bot.me()).username or ""
    found = await badge_chat.chat_badge(session, conference, ctx.telegram_id, ctx.settings, username)
    caption = ctx.t("badge-caption", conference=ctx.conference_name)
    if found.file_id:
        await message.answer_photo(found.file_id, caption=caption)
        return
    assert found.png is not None
    sent = await message.answer_photo(
        BufferedInputFile(found.png, f"badge-{found.registration_id}.png"), caption=caption
    )
    if sent.photo:
        await badge_chat.remember_file(session, found.registration_id, found.version, sent.photo[-1].file_id)


def build() -> Router:
    router = Router(name="badge")
    router.message.register(badge, Command("badge"), flags=needs())
    return router
