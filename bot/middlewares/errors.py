"""Errors never reach a user as a traceback: domain errors are rendered from the locale
files, anything else is logged with the update's id and answered briefly. FSM state is
left as it was.

Two places catch them. `ErrorMiddleware` wraps our own middlewares and the handlers (it
sits inside aiogram's FSM middleware, so a handler's reply still goes out under the
user's isolation lock). `on_error`, registered on `dp.errors`, gets what fails before it:
aiogram runs its errors middleware outermost, so this covers the isolation lock and the
FSM state read (Redis down or saturated) too. Either way no update is acknowledged and
then dropped without a word: the user is told to try again, in their language (ours, once
known; else their Telegram app's)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, ErrorEvent, Message, TelegramObject, Update, User

from bot.i18n import Translator, choose_language, plain, translator
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


def error_translator(data: dict[str, Any], default_language: str) -> Translator:
    """The user's translator if our context was built, else one for their Telegram app's
    language (a failure may come before we read their stored choice)."""
    t: Translator | None = data.get("t")
    if t is not None:
        return t
    user: User | None = data.get("event_from_user")
    return translator(choose_language(None, user.language_code if user else None, default_language))


async def answer_failure(update: Update, exc: Exception, data: dict[str, Any], default_language: str) -> None:
    """Log an update's failure with its id (domain errors are answers, not failures) and
    tell its sender."""
    t = error_translator(data, default_language)
    if isinstance(exc, DomainError):
        text = render_error(t, exc)
    else:
        log.error("update %s failed", update.update_id, exc_info=exc)
        text = t("internal-error")
    try:
        await reply(update, text)
    except TelegramAPIError:
        log.warning("could not tell user %s about an error", update.update_id)


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
        except Exception as exc:
            if not isinstance(event, Update):
                raise
            await answer_failure(event, exc, data, self.default_language)
        return None


async def on_error(event: ErrorEvent, **data: Any) -> None:
    """`dp.errors` handler: failures outside `ErrorMiddleware` (see the module docstring)."""
    settings = data.get("settings")
    await answer_failure(event.update, event.exception, data, settings.default_language if settings else "en")
