"""What a handler needs before it may run, declared on the handler and checked here once.

    router.message.register(pending, Command("pending"), flags=needs(StaffRoleName.ACCREDITATION))

- `role`: any of these staff roles; anyone else gets a polite refusal and no data.
- `conference`: a programme is loaded. The handler then takes `conference: Conference`
  and `conference_id: int`, never None. Without one, staff are told to load a programme and everyone else that
  registration is not open yet; no handler checks (or asserts) it again.

Registered once on the dispatcher (`bot.app.build_dispatcher`) as an inner middleware, so
it sees each handler's flags and applies to every router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, InlineQuery, Message, TelegramObject, User

from bot.context import Ctx
from bot.i18n import Translator, choose_language, plain, translator
from core.models import StaffRoleName


def needs(*roles: StaffRoleName, conference: bool = True) -> dict[str, Any]:
    """The flags of a handler: the roles that may use it (none: anyone) and whether it needs
    the conference."""
    return {"role": roles, "conference": conference}


class Preconditions(BaseMiddleware):
    def __init__(self, default_language: str) -> None:
        self.default_language = default_language

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        ctx: Ctx | None = data.get("ctx")
        roles: tuple[StaffRoleName, ...] = tuple(get_flag(data, "role") or ())
        if roles and not (ctx is not None and any(ctx.has(role) for role in roles)):
            return await self._refuse(event, data, "not-allowed-command")
        if get_flag(data, "conference"):
            if ctx is None or ctx.conference is None or ctx.conference.id is None:
                staff = ctx is not None and bool(ctx.roles)
                return await self._refuse(event, data, "no-conference-staff" if staff else "no-conference")
            data["conference"], data["conference_id"] = ctx.conference, ctx.conference.id
        return await handler(event, data)

    async def _refuse(self, event: TelegramObject, data: dict[str, Any], key: str) -> None:
        text = self._translator(data)(key)
        if isinstance(event, CallbackQuery):
            await event.answer(plain(text), show_alert=True)  # alerts are plain text
        elif isinstance(event, Message):
            await event.answer(text)
        elif isinstance(event, InlineQuery):
            await event.answer([], cache_time=1, is_personal=True)

    def _translator(self, data: dict[str, Any]) -> Translator:
        ctx: Ctx | None = data.get("ctx")
        if ctx is not None:
            return ctx.t
        user: User | None = data.get("event_from_user")
        code = user.language_code if user is not None else None
        return translator(choose_language(None, code, self.default_language))
