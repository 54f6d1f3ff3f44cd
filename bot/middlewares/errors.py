"""Errors never reach a user as a traceback: domain errors are rendered from the locale
files, anything else is logged and answered briefly. FSM state is left as it was."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.i18n import Translator, plain, translator
from core.errors import DomainError

log = logging.getLogger("confdesk.bot")


def render_error(t: Translator, exc: DomainError) -> str:
    key = f"error-{exc.code}"
    if t.has(key):
        params = {
            k: (v if isinstance(v, int | float) else str(v) if v is not None else None) for k, v in exc.params.items()
        }
        return t(key, **params)  # type: ignore[arg-type]
    return t("error-generic", message=exc.message)


async def reply(update: Update, text: str) -> None:
    """Answer where the update came from: a message, or a button press (as an alert; in
    the chat when the handler had already answered the press before failing)."""
    if isinstance(update.callback_query, CallbackQuery):
        query = update.callback_query
        try:
            await query.answer(plain(text)[:200], show_alert=True)  # alerts are plain text
        except TelegramBadRequest:
            if not isinstance(query.message, Message):
                raise
            await query.message.answer(text)
    elif isinstance(update.message, Message):
        await update.message.answer(text)


class ErrorMiddleware(BaseMiddleware):
    def __init__(self, default_language: str) -> None:
        self.default_language = default_language

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except DomainError as exc:
            t = data.get("t") or translator(self.default_language)
            await self._safe_reply(event, render_error(t, exc))
        except Exception:
            update_id = event.update_id if isinstance(event, Update) else None
            log.exception("update %s failed", update_id)
            t = data.get("t") or translator(self.default_language)
            await self._safe_reply(event, t("internal-error"))
        return None

    async def _safe_reply(self, event: TelegramObject, text: str) -> None:
        if not isinstance(event, Update):
            return
        try:
            await reply(event, text)
        except TelegramAPIError:
            log.warning("could not tell user %s about an error", event.update_id)
