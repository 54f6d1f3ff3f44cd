"""The JSON Bot API session (bot/api_session.py): what it puts in a request body, and that
answers come back as aiogram's types and exceptions."""

from __future__ import annotations

import json

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message

from bot.api_session import JsonSession


@pytest.fixture
def bot() -> Bot:
    return Bot(
        "123:abc",
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview=LinkPreviewOptions(is_disabled=True)),
    )


def test_body_is_one_json_document_with_defaults_resolved(bot: Bot) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Approve", callback_data="d:1")]])
    body = JsonSession().json_body(bot, SendMessage(chat_id=5, text="<b>Анна</b>", reply_markup=markup))
    assert body is not None
    assert json.loads(body) == {
        "chat_id": 5,
        "text": "<b>Анна</b>",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {"inline_keyboard": [[{"text": "Approve", "callback_data": "d:1"}]]},
    }


def test_uploads_are_left_to_multipart(bot: Bot) -> None:
    method = SendDocument(chat_id=5, document=BufferedInputFile(b"%PDF", filename="badge.pdf"))
    assert JsonSession().json_body(bot, method) is None


def test_answers_become_types_and_errors(bot: Bot) -> None:
    session, method = JsonSession(), SendMessage(chat_id=5, text="hi")
    ok = {"message_id": 7, "date": 1700000000, "chat": {"id": 5, "type": "private"}, "text": "hi"}
    message = session.answer(bot, method, 200, json.dumps({"ok": True, "result": ok}).encode())
    assert isinstance(message, Message) and message.message_id == 7 and message.bot is bot
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        session.answer(bot, method, 400, b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}')
    flood = b'{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":3}}'
    with pytest.raises(TelegramRetryAfter):
        session.answer(bot, method, 429, flood)
