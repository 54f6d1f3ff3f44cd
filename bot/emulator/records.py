"""What the emulator remembers: chats, messages (with edits applied), files, calls, answers.

Tests read these records to assert on behaviour by content, so they expose convenient views
(``text``, ``buttons``, ``photo`` bytes) over the raw Bot API JSON the bot received.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.emulator.updates import Signal


@dataclass
class StoredFile:
    """A file known to the emulator, addressable by ``file_id`` like on Telegram's servers."""

    file_id: str
    file_unique_id: str
    kind: str  # photo, document, sticker, voice
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    def as_file(self) -> dict[str, Any]:
        """The ``File`` object returned by getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class BotMessage:
    """A message in a chat.  Records in ``Chat.messages`` are live (edits are applied);
    the objects returned by the waiting helpers are snapshots taken when the change happened.
    """

    chat_id: int
    message_id: int
    payload: dict[str, Any]  # the Message object as the Bot API returned/delivered it
    from_bot: bool
    markup: dict[str, Any] | None = None  # reply_markup as sent, of any kind
    file: StoredFile | None = None
    edit_count: int = 0
    deleted: bool = False
    is_edit: bool = False  # this snapshot was produced by an edit

    @property
    def text(self) -> str | None:
        return self.payload.get("text")

    @property
    def caption(self) -> str | None:
        return self.payload.get("caption")

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has (empty string if neither)."""
        return self.text or self.caption or ""

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.payload.get("entities") or self.payload.get("caption_entities") or [])

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return self.markup

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        return list((self.markup or {}).get("inline_keyboard") or [])

    @property
    def inline_buttons(self) -> list[dict[str, Any]]:
        return [button for row in self.inline_keyboard for button in row]

    @property
    def buttons(self) -> list[str]:
        """Texts of the inline keyboard, or else of the reply keyboard, row by row."""
        rows = self.inline_keyboard or (self.markup or {}).get("keyboard") or []
        return [b if isinstance(b, str) else b["text"] for row in rows for b in row]

    @property
    def photo(self) -> bytes | None:
        return self.file.data if self.file and "photo" in self.payload else None

    @property
    def document(self) -> bytes | None:
        return self.file.data if self.file and "document" in self.payload else None

    @property
    def document_name(self) -> str | None:
        return self.payload.get("document", {}).get("file_name")

    def find_button(self, label: str) -> dict[str, Any]:
        """The inline button whose text is ``label``, or contains it when that is unique."""
        buttons = self.inline_buttons
        exact = [b for b in buttons if b["text"] == label]
        if len(exact) == 1:
            return exact[0]
        partial = [b for b in buttons if label in b["text"]]
        if not exact and len(partial) == 1:
            return partial[0]
        found = "several" if (exact or partial) else "no"
        raise AssertionError(
            f"{found} inline buttons match {label!r} on message {self.message_id} "
            f"({self.content[:60]!r}); buttons: {[b['text'] for b in buttons]}"
        )

    def matches(self, pattern: str | re.Pattern[str]) -> bool:
        if isinstance(pattern, str):
            return pattern in self.content
        return pattern.search(self.content) is not None

    def snapshot(self, *, is_edit: bool = False) -> BotMessage:
        return dataclasses.replace(
            self,
            payload=copy.deepcopy(self.payload),
            markup=copy.deepcopy(self.markup),
            is_edit=is_edit,
        )

    def describe(self) -> str:
        kind = "edit" if self.is_edit else "deleted" if self.deleted else "message"
        extra = f" buttons={self.buttons}" if self.buttons else ""
        return f"<{kind} #{self.message_id} {self.content[:80]!r}{extra}>"


@dataclass
class ChatEvent:
    """A change the bot made to a chat, in order: consumed by FakeUser's waiting helpers."""

    kind: Literal["message", "edit", "delete"]
    message: BotMessage  # snapshot right after the change


@dataclass
class Chat:
    """A private chat with one fake user (chat id = user id)."""

    id: int
    user: dict[str, Any]  # the User object of the fake user
    messages: dict[int, BotMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    next_message_id: int = 1
    blocked: bool = False
    # Wakes only this chat's waiters: one global signal woke every waiting user on every
    # change, which made a crowd of N users cost O(N^2) wake-ups (the demo's 600).
    changed: Signal = field(default_factory=Signal, repr=False, compare=False)

    def as_chat(self) -> dict[str, Any]:
        chat = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        for key in ("last_name", "username"):
            if self.user.get(key):
                chat[key] = self.user[key]
        return chat

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class CallbackAnswer:
    """What the bot answered to one callback query (answerCallbackQuery)."""

    query_id: str
    data: str | None
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    answered: bool = False


@dataclass
class InlineAnswer:
    """The results the bot gave to one inline query (answerInlineQuery)."""

    query_id: str
    query: str
    results: list[dict[str, Any]] | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApiCall:
    """One request the bot made, with its decoded parameters and the outcome."""

    method: str
    params: dict[str, Any]
    status: int = 200
    description: str | None = None
    chat_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Violation:
    """A request the real Bot API would not understand (unknown method or parameter, bad type)."""

    method: str
    errors: list[str]
    params: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method}: {'; '.join(self.errors)}"
