"""Methods about the bot itself: identity, updates, webhook, commands, files, query answers."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from bot.emulator.api import Call, method
from bot.emulator.checks import check_caption, check_text
from bot.emulator.errors import QUERY_INVALID, ApiError, bad_request
from bot.emulator.messaging import parsed

if TYPE_CHECKING:
    from bot.emulator.emulator import BotAPIEmulator

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
WEBHOOK_CONFLICT = ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
)


@method("getMe", returns="User")
async def get_me(emu: BotAPIEmulator, call: Call) -> Any:
    return {
        **emu.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("getUpdates")
async def get_updates(emu: BotAPIEmulator, call: Call) -> Any:
    if emu.webhook.get("url"):
        raise WEBHOOK_CONFLICT
    p = call.params
    return await emu.updates.get(
        offset=p.get("offset"),
        limit=p.get("limit", 100),
        wait=p.get("timeout", 0),
        allowed=p.get("allowed_updates"),
        alive=call.alive,
    )


@method("setWebhook")
async def set_webhook(emu: BotAPIEmulator, call: Call) -> bool:
    """Stored only: the emulator delivers updates through getUpdates, never by webhook."""
    url = call.params["url"]
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if call.params.get("drop_pending_updates"):
        emu.updates.drop_pending()
    emu.webhook = {k: v for k, v in call.params.items() if k != "certificate"}
    return True


@method("deleteWebhook")
async def delete_webhook(emu: BotAPIEmulator, call: Call) -> bool:
    if call.params.get("drop_pending_updates"):
        emu.updates.drop_pending()
    emu.webhook = {}
    return True


@method("getWebhookInfo", returns="WebhookInfo")
async def get_webhook_info(emu: BotAPIEmulator, call: Call) -> Any:
    info: dict[str, Any] = {
        "url": emu.webhook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(emu.updates.pending),
    }
    if emu.webhook.get("allowed_updates"):
        info["allowed_updates"] = emu.webhook["allowed_updates"]
    return info


def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), params.get("language_code") or ""


@method("setMyCommands")
async def set_my_commands(emu: BotAPIEmulator, call: Call) -> bool:
    commands = call.params["commands"]
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not _COMMAND.match(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"]) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    emu.commands[_commands_key(call.params)] = commands
    return True


@method("getMyCommands", returns="Array of BotCommand")
async def get_my_commands(emu: BotAPIEmulator, call: Call) -> Any:
    return emu.commands.get(_commands_key(call.params), [])


@method("deleteMyCommands")
async def delete_my_commands(emu: BotAPIEmulator, call: Call) -> bool:
    emu.commands.pop(_commands_key(call.params), None)
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(emu: BotAPIEmulator, call: Call) -> bool:
    button = call.params.get("menu_button") or {"type": "default"}
    if button.get("type") == "web_app":
        if not str(button["web_app"]["url"]).startswith("https://"):
            raise bad_request("BUTTON_URL_INVALID")  # Mini Apps open only over HTTPS
        if not 1 <= len(button.get("text") or "") <= 64:
            raise bad_request("BUTTON_TEXT_INVALID")
    chat_id = call.params.get("chat_id")
    emu.menu_buttons[int(chat_id) if chat_id is not None else None] = button
    emu.changed.notify()
    return True


@method("getChatMenuButton", returns="MenuButton")
async def get_chat_menu_button(emu: BotAPIEmulator, call: Call) -> Any:
    chat_id = call.params.get("chat_id")
    return emu.menu_buttons.get(int(chat_id) if chat_id is not None else None, {"type": "default"})


@method("getFile", returns="File")
async def get_file(emu: BotAPIEmulator, call: Call) -> Any:
    return emu.files.get(call.params["file_id"]).as_file()


@method("answerCallbackQuery")
async def answer_callback_query(emu: BotAPIEmulator, call: Call) -> bool:
    p = call.params
    answer = emu.callback_answers.get(p["callback_query_id"])
    if answer is None or answer.answered:
        raise bad_request(QUERY_INVALID)
    if len(p.get("text") or "") > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    answer.text = p.get("text")
    answer.show_alert = bool(p.get("show_alert"))
    answer.url = p.get("url")
    answer.answered = True
    emu.changed.notify()
    return True


@method("answerInlineQuery")
async def answer_inline_query(emu: BotAPIEmulator, call: Call) -> bool:
    p = call.params
    answer = emu.inline_answers.get(p["inline_query_id"])
    if answer is None or answer.results is not None:
        raise bad_request(QUERY_INVALID)
    results = p["results"]
    if len(results) > 50:
        raise bad_request("RESULTS_TOO_MUCH")
    if len({r["id"] for r in results}) != len(results):
        raise bad_request("RESULT_ID_DUPLICATE")
    for result in results:
        check_result_content(result)
    answer.results = results
    answer.params = {k: v for k, v in p.items() if k not in ("inline_query_id", "results")}
    emu.changed.notify()
    return True


def check_result_content(result: dict[str, Any]) -> None:
    """Telegram parses a result's message text and caption when the answer arrives, so bad
    markup fails answerInlineQuery itself (the results stay as the bot sent them)."""
    content = result.get("input_message_content") or {}
    if "message_text" in content:
        text = parsed(content["message_text"], content.get("parse_mode"), content.get("entities"), "text")
        check_text(text["text"])
    if result.get("caption") is not None:
        caption = parsed(result["caption"], result.get("parse_mode"), result.get("caption_entities"), "caption")
        check_caption(caption["caption"])
