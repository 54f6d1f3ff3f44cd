"""Organiser handlers carry `flags={"role": ROLE}` or `{"role": (ROLE, ROLE, ...)}` (any of
them will do); everyone else gets a polite refusal and no data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.context import Ctx
from bot.i18n import plain
from core.models import StaffRoleName


class RoleMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        needed: StaffRoleName | tuple[StaffRoleName, ...] | None = get_flag(data, "role")
        ctx: Ctx | None = data.get("ctx")
        wanted = (needed,) if isinstance(needed, StaffRoleName) else needed
        if wanted is None or (ctx is not None and any(ctx.has(role) for role in wanted)):
            return await handler(event, data)
        text = ctx.t("not-allowed-command") if ctx else "Not allowed."
        if isinstance(event, CallbackQuery):
            await event.answer(plain(text), show_alert=True)  # alerts are plain text
        elif isinstance(event, Message):
            await event.answer(text)
        return None
