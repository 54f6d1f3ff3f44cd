"""Addresses of the Mini App that the bot hands out (pure: settings in, URLs out)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bot.webapp.auth import sign_board
from core.config import Settings


def app_url(settings: Settings, view: str) -> str:
    """The Mini App at WEBAPP_URL, opening `view` (scanner or board)."""
    assert settings.webapp_url
    return f"{settings.webapp_url.rstrip('/')}/?view={view}"


def board_link(
    settings: Settings, conference_id: int, language: str, *, now: float | None = None
) -> tuple[str, datetime]:
    """A signed link to the board for an ordinary browser, and when it stops working."""
    assert settings.webapp_url and settings.bot_token
    expires = int(time.time() if now is None else now) + 3600 * settings.board_link_hours
    token = sign_board(conference_id, expires, settings.bot_token.get_secret_value())
    url = f"{settings.webapp_url.rstrip('/')}/board?k={token}&lang={language}"
    return url, datetime.fromtimestamp(expires, UTC)
