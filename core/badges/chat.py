"""The badge a participant gets in the chat (/badge): a PNG rendered once, then re-sent by
the Telegram file id we keep until the badge changes (reissue, a new name)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core import app_settings, uow
from core.accreditation.registration import my_registration
from core.badges.image import render_png
from core.badges.printing import conference_info, load_badge
from core.badges.tokens import badge_link, make_token
from core.config import Settings
from core.errors import NotFound, WrongState
from core.models import Conference, Registration, RegistrationStatus


@dataclass(frozen=True)
class ChatBadge:
    registration_id: int
    version: int
    file_id: str | None  # send this if set
    png: bytes | None  # else this, then remember the file id Telegram gives back


async def chat_badge(
    session: AsyncSession, conference: Conference, telegram_id: int, settings: Settings, bot_username: str
) -> ChatBadge:
    """The caller's badge, or why there is none (`badge_<status>` / `not_registered`)."""
    assert conference.id is not None
    mine = await my_registration(session, conference.id, telegram_id)
    if mine is None:
        raise NotFound("you are not registered", code="not_registered")
    reg = mine.registration
    if reg.status != RegistrationStatus.APPROVED:
        raise WrongState(
            f"no badge while the registration is {reg.status.value}",
            code=f"badge_{reg.status.value}",
            reason=reg.decision_reason,
        )
    assert reg.id is not None
    if reg.badge_file_id:
        return ChatBadge(reg.id, reg.badge_version, reg.badge_file_id, None)
    secret, _ = await app_settings.ensure_badge_secret(session, settings)
    info = await load_badge(session, reg.id)
    conf = await conference_info(session, conference.slug)
    await uow.checkpoint(session)  # the drawing below holds no transaction (nor SQLite's writer)
    link = badge_link(bot_username, make_token(secret, reg.id, reg.badge_version))
    png = await asyncio.to_thread(render_png, info, conf, link=link)  # ~CPU-bound; keep the loop free
    return ChatBadge(reg.id, reg.badge_version, None, png)


async def remember_file(session: AsyncSession, registration_id: int, version: int, file_id: str) -> None:
    """Keep Telegram's file id for this badge version (ignored if the badge changed since)."""
    await session.execute(
        update(Registration)
        .where(Registration.id == registration_id, Registration.badge_version == version)  # type: ignore[arg-type]
        .values(badge_file_id=file_id[:200])
    )
