"""A small aiogram bot used to exercise the emulator the way confdesk's routers will."""

from __future__ import annotations

import io

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
)
from PIL import Image


def png(width: int = 4, height: int = 3, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=f"pick:{label}")] for label in labels]
    )


def make_dispatcher() -> Dispatcher:
    """Fresh routers each time: aiogram refuses to attach one router to two dispatchers."""
    router = Router()
    photo_ids: dict[str, str] = {}

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"Welcome! payload={command.args}")

    @router.message(Command("menu"))
    async def menu(message: Message) -> None:
        await message.answer("Choose a <b>track</b>:", parse_mode="HTML", reply_markup=keyboard("Python", "Rust"))

    @router.callback_query(F.data.startswith("pick:"))
    async def picked(callback: CallbackQuery) -> None:
        assert isinstance(callback.message, Message)
        track = (callback.data or "").removeprefix("pick:")
        await callback.message.edit_text(f"Track: {track}")  # keyboard dropped on purpose
        await callback.answer(f"Saved {track}", show_alert=track == "Rust")

    @router.message(Command("badge"))
    async def badge(message: Message, bot: Bot) -> None:
        # confdesk caches uploaded badges by file_id and resends them
        if "badge" in photo_ids:
            await message.answer_photo(photo_ids["badge"], caption="Your badge again")
            return
        sent = await message.answer_photo(
            BufferedInputFile(png(8, 5, "blue"), filename="badge.png"), caption="Your badge"
        )
        assert sent.photo is not None
        photo_ids["badge"] = sent.photo[-1].file_id

    @router.message(Command("report"))
    async def report(message: Message) -> None:
        data = b"name;checked_in\nAnna;yes\n"
        await message.answer_document(BufferedInputFile(data, filename="report.csv"))

    @router.message(F.photo)
    async def photo(message: Message, bot: Bot) -> None:
        assert message.photo is not None
        downloaded = await bot.download(message.photo[-1])
        assert downloaded is not None
        size = Image.open(downloaded).size
        await message.answer(f"Photo {size[0]}x{size[1]} caption={message.caption}")

    @router.message(F.document)
    async def document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        downloaded = await bot.download(message.document)
        assert downloaded is not None
        await message.answer(f"Got {message.document.file_name}: {downloaded.read().decode()}")

    @router.message(F.sticker | F.voice)
    async def media(message: Message) -> None:
        await message.answer("sticker" if message.sticker else "voice")

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None
        own = message.contact.user_id == message.chat.id
        await message.answer(f"Phone {message.contact.phone_number} own={own}")

    @router.inline_query()
    async def inline(query: InlineQuery) -> None:
        article = InlineQueryResultArticle(
            id="1",
            title=f"Talk: {query.query}",
            input_message_content=InputTextMessageContent(message_text=query.query),
        )
        await query.answer([article], cache_time=1)

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    dp = Dispatcher()
    dp.include_router(router)
    return dp
