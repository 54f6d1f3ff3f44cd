"""Methods that put messages into chats or change them: send, edit, delete, chat actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.emulator.api import Call, method
from bot.emulator.checks import check_caption, check_markup, check_text
from bot.emulator.entities import EntityParseError, parse_text
from bot.emulator.errors import NOT_MODIFIED, bad_request
from bot.emulator.files import image_size
from bot.emulator.records import BotMessage, StoredFile
from bot.emulator.schema import FilePart

if TYPE_CHECKING:
    from bot.emulator.emulator import BotAPIEmulator

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def parsed(text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None, key: str) -> dict[str, Any]:
    """``{"text": ..., "entities": [...]}`` (or caption keys) as Telegram stores them."""
    try:
        plain, found = parse_text(text, parse_mode, entities)
    except EntityParseError as error:
        raise bad_request(f"can't parse entities: {error}") from None
    content: dict[str, Any] = {key: plain}
    if found:
        content["entities" if key == "text" else "caption_entities"] = found
    return content


def caption_content(params: dict[str, Any]) -> dict[str, Any]:
    if params.get("caption") is None:
        return {}
    content = parsed(params["caption"], params.get("parse_mode"), params.get("caption_entities"), "caption")
    check_caption(content["caption"])
    return content


def reply_to(emu: BotAPIEmulator, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """``reply_to_message`` for a reply_parameters request, with Telegram's error if missing."""
    reply = params.get("reply_parameters")
    if not reply:
        return {}
    target = emu.chat_for(chat_id).messages.get(reply["message_id"])
    if target is None or target.deleted:
        if reply.get("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    quoted = {k: v for k, v in target.payload.items() if k != "reply_to_message"}
    return {"reply_to_message": quoted}


def upload(emu: BotAPIEmulator, value: FilePart | str, kind: str) -> StoredFile:
    """Store an uploaded file, or resolve a file_id the bot resends."""
    if isinstance(value, FilePart):
        if kind == "photo" and image_size(value.data) is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        mime = None if value.content_type == "application/octet-stream" else value.content_type
        return emu.files.add(value.data, kind, file_name=value.filename, mime_type=mime)
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")  # nothing is reachable from here
    return emu.files.get(value, kind)


def media_payload(stored: StoredFile) -> dict[str, Any]:
    common = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.kind == "photo":
        return {"photo": [{**common, "width": stored.width, "height": stored.height}]}
    document = dict(common)
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return {"document": document}


def sendable_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    check_markup(markup)
    return markup


@method("sendMessage", sends=True, returns="Message")
async def send_message(emu: BotAPIEmulator, call: Call) -> Any:
    p = call.params
    chat = emu.chat_for(p["chat_id"])
    content = parsed(p["text"], p.get("parse_mode"), p.get("entities"), "text")
    check_text(content["text"])
    content |= reply_to(emu, chat.id, p)
    return emu.post(chat, content, sendable_markup(p)).payload


@method("sendPhoto", sends=True, returns="Message")
async def send_photo(emu: BotAPIEmulator, call: Call) -> Any:
    p = call.params
    chat = emu.chat_for(p["chat_id"])
    content = caption_content(p) | reply_to(emu, chat.id, p)
    stored = upload(emu, p["photo"], "photo")
    content = media_payload(stored) | content
    return emu.post(chat, content, sendable_markup(p), stored).payload


@method("sendDocument", sends=True, returns="Message")
async def send_document(emu: BotAPIEmulator, call: Call) -> Any:
    p = call.params
    chat = emu.chat_for(p["chat_id"])
    content = caption_content(p) | reply_to(emu, chat.id, p)
    stored = upload(emu, p["document"], "document")
    content = media_payload(stored) | content
    return emu.post(chat, content, sendable_markup(p), stored).payload


def editable(emu: BotAPIEmulator, params: dict[str, Any]) -> BotMessage:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline-mode messages are not emulated
    if params.get("chat_id") is None or params.get("message_id") is None:
        raise bad_request("message identifier is not specified")
    chat = emu.chat_for(params["chat_id"])
    target = chat.messages.get(params["message_id"])
    if target is None or target.deleted:
        raise bad_request("message to edit not found")
    if not target.from_bot:
        raise bad_request("message can't be edited")
    return target


def apply_edit(
    emu: BotAPIEmulator,
    target: BotMessage,
    content: dict[str, Any],
    markup: dict[str, Any] | None,
    keys: tuple[str, ...],
) -> Any:
    """Replace ``keys`` of the message with ``content``; omitting reply_markup removes the
    inline keyboard, exactly as on Telegram (a common source of vanishing buttons)."""
    check_markup(markup)
    unchanged = all(target.payload.get(k) == content.get(k) for k in keys)
    if unchanged and markup == target.payload.get("reply_markup"):
        raise bad_request(NOT_MODIFIED)
    return emu.edit(target, content, markup, keys).payload


@method("editMessageText", returns="Message")
async def edit_message_text(emu: BotAPIEmulator, call: Call) -> Any:
    p = call.params
    target = editable(emu, p)
    if "text" not in target.payload:
        raise bad_request("there is no text in the message to edit")
    content = parsed(p["text"], p.get("parse_mode"), p.get("entities"), "text")
    check_text(content["text"])
    return apply_edit(emu, target, content, p.get("reply_markup"), ("text", "entities"))


@method("editMessageCaption", returns="Message")
async def edit_message_caption(emu: BotAPIEmulator, call: Call) -> Any:
    p = call.params
    target = editable(emu, p)
    if "text" in target.payload:
        raise bad_request("there is no caption in the message to edit")
    content = caption_content(p)
    keys = ("caption", "caption_entities")
    return apply_edit(emu, target, content, p.get("reply_markup"), keys)


@method("editMessageReplyMarkup", returns="Message")
async def edit_message_reply_markup(emu: BotAPIEmulator, call: Call) -> Any:
    target = editable(emu, call.params)
    return apply_edit(emu, target, {}, call.params.get("reply_markup"), ())


@method("deleteMessage")
async def delete_message(emu: BotAPIEmulator, call: Call) -> bool:
    chat = emu.chat_for(call.params["chat_id"])
    target = chat.messages.get(call.params["message_id"])
    if target is None or target.deleted:
        raise bad_request("message to delete not found")
    emu.delete(target)
    return True


@method("sendChatAction")
async def send_chat_action(emu: BotAPIEmulator, call: Call) -> bool:
    emu.chat_for(call.params["chat_id"])
    if call.params["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True
