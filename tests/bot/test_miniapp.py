"""/scanner and /board: staff are offered the Mini App (a web_app button, the chat's menu
button), organisers a signed, expiring board link for a browser; nobody else is."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.webapp import auth
from core.models import StaffRoleName
from tests.bot.conftest import ADMIN, OFFICER, Harness, add_staff

DOOR = 9002
URL = "https://desk.example/app/"


async def test_without_webapp_url_the_app_is_not_offered(harness: Harness) -> None:
    await add_staff(harness, DOOR, StaffRoleName.DOOR)
    door = harness.user(DOOR)
    await door.send("/scanner")
    assert "not set up" in (await door.reply()).text
    assert harness.emulator.menu_buttons == {}


async def test_door_staff_get_the_scanner(harness: Harness) -> None:
    harness.settings.webapp_url = URL
    await add_staff(harness, DOOR, StaffRoleName.DOOR)
    door = harness.user(DOOR)
    await door.send("/scanner")
    offer = await door.reply()
    assert "Scan badges without leaving Telegram" in offer.text
    button = offer.markup["inline_keyboard"][0][0]
    assert button["web_app"] == {"url": URL + "?view=scanner"}
    menu = harness.emulator.menu_buttons[DOOR]
    assert menu["type"] == "web_app" and menu["web_app"]["url"].startswith(URL)
    await door.send("/board")  # the board is the organisers'
    assert "for the organisers only" in (await door.reply()).text


@pytest.mark.parametrize("who", [OFFICER, ADMIN])
async def test_organisers_get_the_board_and_a_signed_link(harness: Harness, who: int) -> None:
    harness.settings.webapp_url = URL
    if who == OFFICER:
        await add_staff(harness, OFFICER, StaffRoleName.ACCREDITATION)
    user = harness.user(who, language="ru")
    await user.send("/board")
    offer = await user.reply()
    assert "Табло" in offer.text
    rows = offer.markup["inline_keyboard"]
    assert rows[0][0]["web_app"] == {"url": URL + "?view=board"}
    link = rows[1][0]["url"]
    assert link in offer.text  # also as text, to copy to the office screen
    parts = urlsplit(link)
    assert parts.path == "/app/board" and parse_qs(parts.query)["lang"] == ["ru"]
    token = parse_qs(parts.query)["k"][0]
    token_bot = harness.settings.bot_token.get_secret_value()  # type: ignore[union-attr]
    assert auth.check_board(token, token_bot) == harness.conference.id
    later = time.time() + 3600 * harness.settings.board_link_hours + 1
    with pytest.raises(auth.AuthError):
        auth.check_board(token, token_bot, now=later)


async def test_participants_are_not_offered_anything(harness: Harness) -> None:
    harness.settings.webapp_url = URL
    anna = harness.user(4321)
    for command in ("/scanner", "/board"):
        await anna.send(command)
        assert "for the organisers only" in (await anna.reply()).text
    assert harness.emulator.menu_buttons == {}
