"""Telegram's limits and refusals, seen through aiogram's exceptions as production sees them."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.emulator import BotAPIEmulator
from bot.emulator.ratelimit import RateLimitConfig, RateLimiter
from tests.emulator.bots import keyboard, png


async def test_text_caption_and_entity_limits(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    user = emulator.user(3001, "Lea")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await emulator_bot.send_message(user.id, "x" * 4097)
    await emulator_bot.send_message(user.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        photo = BufferedInputFile(png(), filename="p.png")
        await emulator_bot.send_photo(user.id, photo, caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match='can\'t parse entities: Unsupported start tag "anna"'):
        await emulator_bot.send_message(user.id, "Hi <Anna>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await emulator_bot.send_message(user.id, " ")
    assert [len(m.text or "") for m in user.messages] == [4096]


async def test_keyboard_limits(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    user = emulator.user(3002, "Max")
    long_data = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="é" * 33)]]  # 66 bytes
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await emulator_bot.send_message(user.id, "pick", reply_markup=long_data)
    too_many = keyboard(*[str(i) for i in range(101)])
    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await emulator_bot.send_message(user.id, "pick", reply_markup=too_many)
    text_only = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A")]])
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await emulator_bot.send_message(user.id, "pick", reply_markup=text_only)
    ok = await emulator_bot.send_message(user.id, "pick", reply_markup=keyboard(*"0123456789"))
    assert len(user.last.buttons if user.last else []) == 10
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await emulator_bot.edit_message_text(
            "pick", chat_id=user.id, message_id=ok.message_id, reply_markup=keyboard(*"0123456789")
        )
    emulator.assert_no_violations()


async def test_callback_answers_once(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    user = emulator.user(3003, "Ned")
    await emulator_bot.send_message(user.id, "pick", reply_markup=keyboard("Yes"))
    query_id = await user.press("Yes")
    assert await emulator_bot.answer_callback_query(query_id, text="done")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await emulator_bot.answer_callback_query(query_id)
    assert [(a.text, a.answered) for a in user.answers] == [("done", True)]


async def test_file_ids_keep_their_kind(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    user = emulator.user(3004, "Ola")
    sent = await emulator_bot.send_photo(user.id, BufferedInputFile(png(), filename="p.png"))
    assert sent.photo is not None
    with pytest.raises(TelegramBadRequest, match="can't use file of type Photo as Document"):
        await emulator_bot.send_document(user.id, sent.photo[-1].file_id)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await emulator_bot.send_photo(user.id, "AgACAgIAAxkBAAIBNOPE")


async def test_commands_roundtrip(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    commands = [BotCommand(command="start", description="Begin"), BotCommand(command="badge", description="My badge")]
    scope = BotCommandScopeChat(chat_id=42)
    assert await emulator_bot.set_my_commands(commands, scope=scope, language_code="en")
    got = await emulator_bot.get_my_commands(scope=scope, language_code="en")
    assert [(c.command, c.description) for c in got] == [("start", "Begin"), ("badge", "My badge")]
    assert await emulator_bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await emulator_bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])
    assert await emulator_bot.delete_my_commands(scope=scope, language_code="en")
    assert await emulator_bot.get_my_commands(scope=scope, language_code="en") == []


async def test_flood_limits(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    anna, bob = emulator.user(3005, "Anna"), emulator.user(3006, "Bob")
    emulator.set_rate_limits(per_chat_burst=3, per_chat_rate=1, global_burst=5, global_rate=1)
    for n in range(3):
        await emulator_bot.send_message(anna.id, f"news {n}")
    with pytest.raises(TelegramRetryAfter) as per_chat:
        await emulator_bot.send_message(anna.id, "news 3")
    assert per_chat.value.retry_after == 1
    assert "Too Many Requests: retry after 1" in per_chat.value.message
    await emulator_bot.send_message(bob.id, "news 0")  # other chats are not affected...
    await emulator_bot.send_message(bob.id, "news 1")
    with pytest.raises(TelegramRetryAfter):  # ...until the overall limit is hit
        await emulator_bot.send_message(bob.id, "news 2")
    assert [c.status for c in emulator.calls if c.method == "sendMessage"][-2:] == [200, 429]
    assert len(anna.messages) == 3

    emulator.set_rate_limits(enabled=False)
    emulator.fail_next_sends(2, retry_after=7)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as injected:
            await emulator_bot.send_message(anna.id, "retry me")
        assert injected.value.retry_after == 7
    await emulator_bot.send_message(anna.id, "retry me")
    assert anna.messages[-1].text == "retry me"


def test_token_bucket_refills() -> None:
    now = [100.0]
    limiter = RateLimiter(RateLimitConfig(enabled=True, per_chat_burst=2, per_chat_rate=1), clock=lambda: now[0])
    assert [limiter.acquire(1), limiter.acquire(1)] == [None, None]
    assert limiter.acquire(1) == 1
    now[0] += 0.5
    assert limiter.acquire(1) == 1  # half a token is not enough
    now[0] += 0.5
    assert limiter.acquire(1) is None
    assert limiter.acquire(2) is None  # chats have their own buckets
