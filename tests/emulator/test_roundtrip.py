"""Round trips through the real aiogram polling loop: what a user does, what the bot answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.emulator import BotAPIEmulator
from tests.emulator.bots import make_dispatcher, png


@pytest.fixture
async def polling(emulator: BotAPIEmulator, emulator_bot: Bot) -> AsyncIterator[None]:
    """The real polling loop of a small bot (tests/emulator/bots.py) for the test's duration."""
    async with emulator.polling(make_dispatcher(), emulator_bot):
        yield


@pytest.mark.usefixtures("polling")
async def test_echo_and_commands(emulator: BotAPIEmulator) -> None:
    anna = emulator.user(1001, "Anna")
    sent = await anna.send("hello there")
    reply = await anna.reply()
    assert reply.text == "echo: hello there"
    assert reply.message_id > sent.message_id
    assert reply.payload["from"]["id"] == emulator.bot_id

    await anna.start("ticket-42")
    assert (await anna.reply()).text == "Welcome! payload=ticket-42"
    assert anna.chat.messages[sent.message_id + 2].entities == [{"type": "bot_command", "offset": 0, "length": 6}]
    await anna.start()
    assert (await anna.reply()).text == "Welcome! payload=None"
    await anna.wait_idle()
    assert [m.text for m in anna.messages][-1] == "Welcome! payload=None"
    assert anna.pending == []


@pytest.mark.usefixtures("polling")
async def test_inline_keyboard_press_edits_and_answers(emulator: BotAPIEmulator) -> None:
    bob = emulator.user(1002, "Bob", username="bob")
    await bob.send("/menu")
    menu = await bob.reply()
    assert menu.text == "Choose a track:"  # HTML parsed like Telegram does
    assert menu.entities == [{"type": "bold", "offset": 9, "length": 5}]
    assert menu.buttons == ["Python", "Rust"]

    await bob.press("Rus")  # a unique substring is enough
    edited = await bob.edited()
    assert edited.is_edit and edited.message_id == menu.message_id
    assert edited.text == "Track: Rust"
    assert edited.buttons == []  # editMessageText without reply_markup drops the keyboard
    answer = await bob.answered()
    assert (answer.text, answer.show_alert) == ("Saved Rust", True)
    assert emulator.message(bob.id, menu.message_id).text == "Track: Rust"  # live record
    assert menu.text == "Choose a track:"  # the snapshot keeps what was sent

    with pytest.raises(AssertionError, match="no bot message with an inline keyboard"):
        await bob.press("Python")
    await bob.send("/menu")
    fresh = await bob.change()  # a new message or an edit, whichever comes first
    assert not fresh.is_edit and fresh.buttons == ["Python", "Rust"]
    with pytest.raises(AssertionError, match=r"buttons: \['Python', 'Rust'\]"):
        await bob.press("Go", message=fresh)


@pytest.mark.usefixtures("polling")
async def test_photo_upload_resend_by_file_id_and_download(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    carol = emulator.user(1003, "Carol")
    await carol.send("/badge")
    first = await carol.reply()
    assert first.caption == "Your badge"
    assert first.photo is not None and first.photo.startswith(b"\x89PNG")
    size = first.payload["photo"][-1]
    assert (size["width"], size["height"]) == (8, 5)

    await carol.send("/badge")
    again = await carol.reply()
    assert again.caption == "Your badge again"
    assert again.payload["photo"][-1]["file_unique_id"] == size["file_unique_id"]
    assert again.photo == first.photo

    downloaded = await emulator_bot.download(size["file_id"])
    assert downloaded is not None and downloaded.read() == first.photo


@pytest.mark.usefixtures("polling")
async def test_user_media_reaches_the_bot(emulator: BotAPIEmulator) -> None:
    dan = emulator.user(1004, "Dan", language_code="ru")
    await dan.send_photo(png(6, 7), caption="me")
    assert (await dan.reply()).text == "Photo 6x7 caption=me"
    await dan.send_document(b"hello", "notes.txt")
    assert (await dan.reply()).text == "Got notes.txt: hello"
    await dan.send_sticker()
    assert (await dan.reply()).text == "sticker"
    await dan.send_voice()
    assert (await dan.reply()).text == "voice"
    await dan.send_contact()
    assert (await dan.reply()).text == "Phone +10000000000 own=True"

    await dan.send("/report")
    report = await dan.reply()
    assert report.document == b"name;checked_in\nAnna;yes\n"
    assert report.document_name == "report.csv"
    assert report.payload["document"]["mime_type"] == "text/csv"


@pytest.mark.usefixtures("polling")
async def test_inline_query(emulator: BotAPIEmulator) -> None:
    eve = emulator.user(1005, "Eve")
    await eve.inline_query("keynote")
    results = await eve.inline_results()
    assert results.results is not None
    assert results.results[0]["title"] == "Talk: keynote"
    assert results.params == {"cache_time": 1}


@pytest.mark.usefixtures("polling")
async def test_expect_and_failures_explain_what_the_bot_did(emulator: BotAPIEmulator) -> None:
    fay = emulator.user(1006, "Fay")
    await fay.send("one")
    await fay.send("two")
    found = await fay.expect(re.compile(r"echo: t\w+"))
    assert found.text == "echo: two"
    await fay.wait_idle()
    with pytest.raises(AssertionError) as failure:
        await fay.expect("three", timeout=0.2)
    assert "matching 'three'" in str(failure.value)
    assert "echo: two" in str(failure.value)  # shows what the bot did send


async def test_updates_outside_allowed_updates_are_dropped(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    from aiogram import Dispatcher
    from aiogram.types import CallbackQuery

    dp = Dispatcher()

    @dp.callback_query()
    async def only_callbacks(callback: CallbackQuery) -> None:  # pragma: no cover
        await callback.answer()

    async with emulator.polling(dp, emulator_bot):  # allowed_updates=["callback_query"]
        user = emulator.user(1007, "Gus")
        await user.send("hi")
        await emulator.wait_idle()
        with pytest.raises(AssertionError, match=r"dropped by allowed_updates: \['message'\]"):
            await user.reply(timeout=0.1)
    assert [u["message"]["text"] for u in emulator.updates.dropped] == ["hi"]


async def test_reply_parameters_quote_the_message(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.types import ReplyParameters

    user = emulator.user(1009, "Ida")
    question = await user.send("When is the keynote?")
    await emulator_bot.send_message(
        user.id, "At 10:00", reply_parameters=ReplyParameters(message_id=question.message_id)
    )
    answer = await user.reply()
    assert answer.payload["reply_to_message"]["text"] == "When is the keynote?"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await emulator_bot.send_message(user.id, "x", reply_parameters=ReplyParameters(message_id=999))


async def test_blocked_user(emulator: BotAPIEmulator, emulator_bot: Bot) -> None:
    from aiogram.exceptions import TelegramForbiddenError

    hal = emulator.user(1008, "Hal")
    hal.block()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await emulator_bot.send_message(hal.id, "news")
    assert emulator.updates.pending[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    hal.unblock()
    await emulator_bot.send_message(hal.id, "news")
    assert (await hal.reply()).text == "news"
