"""`confdesk run`: the bot itself (imports aiogram, so only here, lazily)."""

from __future__ import annotations

import logging

from bot.cli.common import fail, run, settings


def run_command() -> None:
    """Start the Telegram bot with long polling (needs BOT_TOKEN)."""
    cfg = settings()
    if cfg.bot_token is None:
        fail("BOT_TOKEN is not set: get one from @BotFather and put it in .env (see .env.example)")
    logging.basicConfig(level=cfg.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.runner import run_polling

    try:
        run(run_polling(cfg))
    except TelegramUnauthorizedError:
        fail("Telegram rejected BOT_TOKEN (unauthorized): check the token from @BotFather")
    except TelegramNetworkError as exc:
        fail(f"cannot reach the Bot API at {cfg.telegram_api_url}: {exc}")
