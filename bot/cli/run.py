"""`confdesk run` and `confdesk webhook …`: the bot itself (aiogram is imported lazily,
only by these commands)."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import typer

from bot.cli.common import console, fail, run, settings
from core.config import Settings

webhook_app = typer.Typer(no_args_is_help=True)


def _checked(need_webhook: bool = False) -> Settings:
    cfg = settings()
    if cfg.bot_token is None:
        fail("BOT_TOKEN is not set: get one from @BotFather and put it in .env (see .env.example)")
    if need_webhook and not (cfg.webhook_url and cfg.webhook_url.startswith("https://")):
        fail("WEBHOOK_URL must be the public https:// URL Telegram will call (see .env.example)")
    if need_webhook and cfg.webhook_secret is None:
        fail("WEBHOOK_SECRET is not set: webhook mode refuses to run without a secret token")
    return cfg


def _telegram(coro: Coroutine[Any, Any, Any], cfg: Settings) -> Any:
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError

    try:
        return run(coro)
    except TelegramUnauthorizedError:
        fail("Telegram rejected BOT_TOKEN (unauthorized): check the token from @BotFather")
    except TelegramNetworkError as exc:
        fail(f"cannot reach the Bot API at {cfg.telegram_api_url}: {exc}")
    except TelegramAPIError as exc:
        fail(f"the Bot API refused: {exc.message}")


def run_command(
    webhook: bool = typer.Option(False, "--webhook", help="Receive updates by webhook instead of long polling."),
    host: str = typer.Option("0.0.0.0", help="Webhook mode: address to listen on."),
    port: int = typer.Option(8080, help="Webhook mode: port to listen on."),
) -> None:
    """Start the Telegram bot: long polling, or a webhook server (needs BOT_TOKEN)."""
    cfg = _checked(need_webhook=webhook)
    from bot.logs import setup_logging

    setup_logging(cfg.log_level)
    from bot.runner import run_polling, run_webhook

    _telegram(run_webhook(cfg, host, port) if webhook else run_polling(cfg), cfg)


async def _webhook(cfg: Settings, action: str) -> dict[str, Any]:
    from bot.app import make_bot

    bot = make_bot(cfg)
    try:
        if action == "set":
            assert cfg.webhook_url and cfg.webhook_secret
            await bot.set_webhook(
                cfg.webhook_url, secret_token=cfg.webhook_secret.get_secret_value(), drop_pending_updates=False
            )
        elif action == "delete":
            await bot.delete_webhook()
        info = await bot.get_webhook_info()
        return {
            "url": info.url,
            "pending_update_count": info.pending_update_count,
            "last_error_message": info.last_error_message,
        }
    finally:
        await bot.session.close()


@webhook_app.command("set")
def webhook_set() -> None:
    """Tell Telegram to send updates to WEBHOOK_URL with WEBHOOK_SECRET."""
    cfg = _checked(need_webhook=True)
    console.print(_telegram(_webhook(cfg, "set"), cfg))


@webhook_app.command("delete")
def webhook_delete() -> None:
    """Stop webhook delivery (long polling works again)."""
    cfg = _checked()
    console.print(_telegram(_webhook(cfg, "delete"), cfg))


@webhook_app.command("info")
def webhook_info() -> None:
    """What Telegram has as our webhook."""
    cfg = _checked()
    console.print(_telegram(_webhook(cfg, "info"), cfg))
