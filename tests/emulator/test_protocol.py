"""The HTTP protocol itself, spoken with plain aiohttp: encodings, errors, long polling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.emulator import BotAPIEmulator

pytestmark = pytest.mark.emulator_violations_allowed


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, emu: BotAPIEmulator, method: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    token = kwargs.pop("token", emu.token)
    async with http.post(f"{emu.base_url}/bot{token}/{method}", **kwargs) as response:
        return response.status, await response.json()


async def test_json_urlencoded_multipart_and_query_string(
    emulator: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.user(2001, "Ivy")
    status, body = await call(http, emulator, "sendMessage", json={"chat_id": 2001, "text": "a"})
    assert (status, body["ok"], body["result"]["text"]) == (200, True, "a")
    markup = json.dumps({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]})
    form = {"chat_id": "2001", "text": "b", "reply_markup": markup}
    status, body = await call(http, emulator, "sendMessage", data=form)
    assert status == 200 and body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Go"
    multipart = aiohttp.FormData()
    multipart.add_field("chat_id", "2001")
    multipart.add_field("caption", "c")
    multipart.add_field("photo", b"not an image", filename="x.png")
    status, body = await call(http, emulator, "sendPhoto", data=multipart)
    assert (status, body["description"]) == (400, "Bad Request: IMAGE_PROCESS_FAILED")
    status, body = await call(http, emulator, "sendChatAction", params={"chat_id": "2001", "action": "typing"})
    assert (status, body) == (200, {"ok": True, "result": True})
    assert [m.text for m in user.messages] == ["a", "b"]
    assert emulator.violations == []


async def test_errors_like_telegram(emulator: BotAPIEmulator, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, emulator, "getMe", token="999:WRONG")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await call(http, emulator, "sendTelepathy", json={})
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await call(http, emulator, "sendMessage", json={"chat_id": 1, "text": "x"})
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    status, body = await call(http, emulator, "getme")  # method names are case-insensitive
    assert status == 200 and body["result"]["username"] == emulator.bot_username
    assert [v.method for v in emulator.violations] == ["sendTelepathy"]


async def test_schema_violations_are_rejected_and_recorded(
    emulator: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    emulator.user(2002, "Jo")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"chat_id": 2002, "text": "x", "colour": "red"}, 'unknown parameter "colour"'),
        ({"chat_id": 2002}, 'parameter "text" is required'),
        ({"chat_id": 2002, "text": "x", "disable_notification": "maybe"}, "must be Boolean"),
        ({"chat_id": [2002], "text": "x"}, "matches none of Integer, String"),
        (
            {"chat_id": 2002, "text": "x", "reply_markup": {"inline_keyboard": [[{"txt": "A"}]]}},
            "is not a field of InlineKeyboardButton",
        ),
    ]
    for params, expected in cases:
        status, body = await call(http, emulator, "sendMessage", json=params)
        assert status == 400, params
        assert body["description"].startswith("Bad Request: ")
        assert expected in body["description"]
    assert len(emulator.violations) == len(cases)
    assert all(v.method == "sendMessage" for v in emulator.violations)
    with pytest.raises(AssertionError, match="colour"):
        emulator.assert_no_violations()


async def test_long_polling_blocks_until_an_update_arrives(
    emulator: BotAPIEmulator, http: aiohttp.ClientSession
) -> None:
    user = emulator.user(2003, "Kai")
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(call(http, emulator, "getUpdates", json={"timeout": 60}))
    await emulator.wait_until(lambda: emulator.updates.waiting == 1, "the long poll to block")
    assert not poll.done()  # really waiting
    await user.send("wake up")
    status, body = await poll
    assert loop.time() - started < 30  # woken by the update, not by its 60 s timeout
    assert status == 200 and [u["message"]["text"] for u in body["result"]] == ["wake up"]
    first_id = body["result"][0]["update_id"]

    # unconfirmed updates come again; offset confirms them
    status, body = await call(http, emulator, "getUpdates", json={"timeout": 0})
    assert [u["update_id"] for u in body["result"]] == [first_id]
    await user.send("second")
    status, body = await call(http, emulator, "getUpdates", json={"offset": first_id + 1})
    assert [u["update_id"] for u in body["result"]] == [first_id + 1]

    started = loop.time()
    status, body = await call(http, emulator, "getUpdates", json={"offset": first_id + 2, "timeout": 1})
    assert body["result"] == [] and 0.9 < loop.time() - started < 30


async def test_second_poller_and_webhook_conflict(emulator: BotAPIEmulator, http: aiohttp.ClientSession) -> None:
    first = asyncio.create_task(call(http, emulator, "getUpdates", json={"timeout": 60}))
    await emulator.wait_until(lambda: emulator.updates.waiting == 1, "the first long poll to block")
    second = asyncio.create_task(call(http, emulator, "getUpdates", json={"timeout": 0}))
    status, body = await first
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    assert (await second)[0] == 200

    status, _ = await call(http, emulator, "setWebhook", json={"url": "https://example.org/hook"})
    assert status == 200
    status, body = await call(http, emulator, "getUpdates")
    assert status == 409 and "webhook is active" in body["description"]
    status, body = await call(http, emulator, "getWebhookInfo")
    assert body["result"]["url"] == "https://example.org/hook"
    await call(http, emulator, "deleteWebhook", json={"drop_pending_updates": True})
    assert (await call(http, emulator, "getUpdates"))[0] == 200


async def test_download_of_unknown_path_is_404(emulator: BotAPIEmulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{emulator.base_url}/file/bot{emulator.token}/photos/nope.jpg") as r:
        assert r.status == 404
