"""Values a deployment keeps in the database (table app_setting) rather than in its
environment: the key badges are signed with, and the bot's username (learnt from getMe at
start, for the CLI to print links).

Both are written inside the caller's unit of work (no commit); a race with another process
storing the same key at once is settled in a savepoint: the first value stays.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.clock import utc_now
from core.config import Settings
from core.errors import DomainError, NotFound
from core.models import AppSetting

SECRET_KEY = "badge_secret"
USERNAME_KEY = "bot_username"
_USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")


async def _get_setting(session: AsyncSession, key: str) -> str | None:
    return (await session.execute(select(col(AppSetting.value)).where(col(AppSetting.key) == key))).scalar_one_or_none()


async def ensure_badge_secret(session: AsyncSession, settings: Settings) -> tuple[bytes, str]:
    """The key badges are signed with, and where it came from.

    BADGE_SECRET wins; otherwise a secret generated on first use and kept in the database
    (table app_setting, key "badge_secret"), stored in the caller's unit of work; two
    processes racing to create it end up with the same (first) value.
    """
    if settings.badge_secret is not None:
        return settings.badge_secret.get_secret_value().encode(), "BADGE_SECRET environment variable"
    where = f"database (app_setting key {SECRET_KEY!r})"
    stored = await _get_setting(session, SECRET_KEY)
    if stored:
        return stored.encode(), where
    try:
        async with session.begin_nested():  # written at once: a racing process's row wins
            session.add(AppSetting(key=SECRET_KEY, value=secrets.token_urlsafe(48), updated_at=utc_now()))
    except IntegrityError:
        pass
    stored = await _get_setting(session, SECRET_KEY)
    if not stored:  # pragma: no cover - defensive
        raise DomainError("could not store the badge secret", code="badge_secret_unavailable")
    return stored.encode(), f"generated, stored in the {where}"


async def remember_bot_username(session: AsyncSession, username: str) -> None:
    """Keep the bot's username (from getMe at start) so the CLI can print links."""
    username = username.lstrip("@")
    if not _USERNAME_RE.fullmatch(username):
        raise DomainError(f"not a bot username: {username!r}", code="invalid_input")
    try:
        async with session.begin_nested():
            row = await session.get(AppSetting, USERNAME_KEY)
            if row is None:
                session.add(AppSetting(key=USERNAME_KEY, value=username, updated_at=utc_now()))
            elif row.value != username:
                row.value = username
                row.updated_at = utc_now()
    except IntegrityError:  # another process stored it at the same moment: update that row
        await remember_bot_username(session, username)


async def resolve_bot_username(session: AsyncSession, configured: str | None) -> str:
    """BOT_USERNAME (`configured`) if set, else what the bot stored from getMe on start."""
    name = (configured or "").strip().lstrip("@") or (await _get_setting(session, USERNAME_KEY) or "").strip()
    if not name:
        raise NotFound(
            "the bot's username is not known: run the bot once or set BOT_USERNAME", code="bot_username_unknown"
        )
    return name
