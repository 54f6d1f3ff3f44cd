"""Telegram's content limits, which the schema cannot express (lengths, keyboard rules)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bot.emulator.errors import (
    BUTTON_DATA_INVALID,
    BUTTON_URL_INVALID,
    CAPTION_TOO_LONG,
    MARKUP_TOO_LONG,
    MESSAGE_TOO_LONG,
    TEXT_BUTTONS_UNALLOWED,
    TEXT_EMPTY,
    bad_request,
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
INLINE_BUTTONS_LIMIT = 100
_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def check_text(text: str) -> None:
    if not text.strip():
        raise bad_request(TEXT_EMPTY)
    if len(text) > TEXT_LIMIT:
        raise bad_request(MESSAGE_TOO_LONG)


def check_caption(caption: str | None) -> None:
    if caption is not None and len(caption) > CAPTION_LIMIT:
        raise bad_request(CAPTION_TOO_LONG)


def check_markup(markup: dict[str, Any] | None) -> None:
    """Reject keyboards Telegram rejects; the schema already checked their shape."""
    if not markup or "inline_keyboard" not in markup:
        return
    buttons = [button for row in markup["inline_keyboard"] for button in row]
    if len(buttons) > INLINE_BUTTONS_LIMIT:
        raise bad_request(MARKUP_TOO_LONG)
    for button in buttons:
        if not any(action in button for action in _ACTIONS):
            raise bad_request(TEXT_BUTTONS_UNALLOWED)
        data = button.get("callback_data")
        if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request(BUTTON_DATA_INVALID)
        url = button.get("url")
        if url is not None and (urlsplit(url).scheme not in ("http", "https", "tg") or not urlsplit(url).netloc):
            raise bad_request(BUTTON_URL_INVALID)
        web_app = button.get("web_app")
        if web_app is not None and not str(web_app.get("url", "")).startswith("https://"):
            raise bad_request(BUTTON_URL_INVALID)  # Mini Apps open only over HTTPS
