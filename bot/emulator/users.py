"""FakeUser: the human side of a private chat, as tests drive it.

Actions (``send``, ``start``, ``press``...) queue the update Telegram would deliver and return
at once.  Waiting helpers consume the bot's changes to the chat in order: each FakeUser keeps
a cursor into its chat's event log, so ``reply()`` returns the *next* message after the last
one a test looked at, never an older one.  (They take ``timeout=`` rather than relying on
``asyncio.timeout`` because a failed wait must report what the bot did send instead.)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.emulator.entities import command_entities
from bot.emulator.records import BotMessage, CallbackAnswer, Chat, ChatEvent, InlineAnswer
from bot.emulator.updates import WAIT_TIMEOUT, Signal

if TYPE_CHECKING:
    from bot.emulator.emulator import BotAPIEmulator

# Media bodies for fake uploads: nobody decodes voice notes or stickers in tests.
_VOICE = b"OggS\x00\x02" + bytes(20)
_STICKER = b"RIFF\x0c\x00\x00\x00WEBPVP8 "  # header only; stickers are never decoded


class FakeUser:
    def __init__(self, emulator: BotAPIEmulator, profile: dict[str, Any]) -> None:
        self.emulator = emulator
        self.profile = profile  # the User object the bot sees
        self.id: int = profile["id"]
        self._cursor = 0  # index of the first unconsumed event in chat.events
        self._last_query: str | None = None
        self._last_inline: str | None = None
        self._queries: set[str] = set()

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.profile['first_name']!r})"

    @property
    def chat(self) -> Chat:
        return self.emulator.chats[self.id]

    # -- what the bot sent ----------------------------------------------------------------

    @property
    def messages(self) -> list[BotMessage]:
        """Live records of everything the bot sent here (edits applied, deleted flagged)."""
        return [m for m in self.chat.messages.values() if m.from_bot]

    @property
    def last(self) -> BotMessage | None:
        """The bot's latest message here that still exists."""
        alive = [m for m in self.messages if not m.deleted]
        return alive[-1] if alive else None

    @property
    def answers(self) -> list[CallbackAnswer]:
        """Callback queries this user made, with the bot's answer (``answered`` if any)."""
        return [a for qid, a in self.emulator.callback_answers.items() if qid in self._queries]

    @property
    def pending(self) -> list[ChatEvent]:
        """Changes the bot made that no waiting helper consumed yet."""
        return self.chat.events[self._cursor :]

    def skip(self) -> None:
        """Consider everything so far as seen (e.g. after a setup conversation)."""
        self._cursor = len(self.chat.events)

    # -- actions --------------------------------------------------------------------------

    async def send(self, text: str) -> BotMessage:
        """Send a text message; a leading /command gets its bot_command entity."""
        content: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        return self._receive(content)

    async def start(self, payload: str | None = None) -> BotMessage:
        """What opening t.me/<bot>?start=<payload> sends."""
        return await self.send(f"/start {payload}" if payload else "/start")

    async def press(self, button_text: str, message: BotMessage | None = None) -> str:
        """Press an inline button (exact text, or a unique substring); returns the query id."""
        target = self._keyboard_message(message)
        button = target.find_button(button_text)
        if "callback_data" not in button:
            raise AssertionError(f"button {button['text']!r} sends no callback: {button}")
        query_id = self.emulator.next_query_id()
        self.emulator.callback_answers[query_id] = CallbackAnswer(query_id, button["callback_data"])
        self._queries.add(query_id)
        self._last_query = query_id
        self.emulator.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.profile,
                    "message": target.payload,
                    "chat_instance": f"ci{self.id}",
                    "data": button["callback_data"],
                }
            }
        )
        return query_id

    async def send_photo(self, image: bytes, caption: str | None = None) -> BotMessage:
        stored = self.emulator.files.add(image, "photo")
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(image),
            "width": stored.width,
            "height": stored.height,
        }
        return self._receive({"photo": [size], **_caption(caption)})

    async def send_document(
        self,
        data: bytes,
        filename: str,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> BotMessage:
        stored = self.emulator.files.add(data, "document", file_name=filename, mime_type=mime_type)
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "file_size": len(data),
        }
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return self._receive({"document": document, **_caption(caption)})

    async def send_sticker(self, emoji: str = "👍") -> BotMessage:
        stored = self.emulator.files.add(_STICKER, "sticker")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._receive({"sticker": sticker})

    async def send_voice(self, data: bytes = _VOICE, duration: int = 1) -> BotMessage:
        stored = self.emulator.files.add(data, "voice")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self._receive({"voice": voice})

    async def send_contact(self, phone_number: str = "+10000000000", first_name: str | None = None) -> BotMessage:
        """Share a contact; without ``first_name`` it is the user's own (request_contact)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.profile["first_name"],
        }
        if first_name is None:
            contact["user_id"] = self.id
        return self._receive({"contact": contact})

    async def send_location(self, latitude: float, longitude: float) -> BotMessage:
        return self._receive({"location": {"latitude": latitude, "longitude": longitude}})

    async def inline_query(self, query: str, offset: str = "") -> str:
        """Type ``@bot query``; returns the query id (see ``inline_results``)."""
        query_id = self.emulator.next_query_id()
        self.emulator.inline_answers[query_id] = InlineAnswer(query_id, query)
        self._last_inline = query_id
        body = {"id": query_id, "from": self.profile, "query": query, "offset": offset}
        self.emulator.push_update({"inline_query": {**body, "chat_type": "sender"}})
        return query_id

    def block(self) -> None:
        """Block the bot: sends then fail with 403 and the bot gets a my_chat_member update."""
        self.chat.blocked = True
        self._member_update("member", "kicked")

    def unblock(self) -> None:
        self.chat.blocked = False
        self._member_update("kicked", "member")

    # -- waiting for the bot --------------------------------------------------------------

    async def reply(self, timeout: float = WAIT_TIMEOUT) -> BotMessage:  # noqa: ASYNC109
        """The next new message the bot sends here (edits and deletions are skipped)."""
        return await self._next(lambda e: e.kind == "message", timeout, "a new message")

    async def edited(
        self,
        timeout: float = WAIT_TIMEOUT,  # noqa: ASYNC109
        message: BotMessage | None = None,
    ) -> BotMessage:
        """The next edit the bot makes here (of ``message`` if given)."""

        def wanted(event: ChatEvent) -> bool:
            same = message is None or event.message.message_id == message.message_id
            return event.kind == "edit" and same

        return await self._next(wanted, timeout, "an edit")

    async def change(self, timeout: float = WAIT_TIMEOUT) -> BotMessage:  # noqa: ASYNC109
        """The next new message *or* edit: for flows that may do either (``.is_edit`` tells)."""
        return await self._next(lambda e: e.kind != "delete", timeout, "a message or an edit")

    async def expect(
        self,
        pattern: str | re.Pattern[str],
        timeout: float = WAIT_TIMEOUT,  # noqa: ASYNC109
        *,
        edits: bool = True,
    ) -> BotMessage:
        """The next message (or edit, unless ``edits=False``) whose text or caption contains
        ``pattern`` (a substring, or a compiled regex searched for)."""

        def wanted(event: ChatEvent) -> bool:
            kinds = ("message", "edit") if edits else ("message",)
            return event.kind in kinds and event.message.matches(pattern)

        shown = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
        return await self._next(wanted, timeout, f"a message matching {shown!r}")

    async def answered(self, timeout: float = WAIT_TIMEOUT) -> CallbackAnswer:  # noqa: ASYNC109
        """The bot's answerCallbackQuery for this user's latest ``press``."""
        if self._last_query is None:
            raise AssertionError("press() a button before waiting for its answer")
        answer = self.emulator.callback_answers[self._last_query]
        await self._until(lambda: answer.answered, timeout, "an answer to the callback query")
        return answer

    async def inline_results(self, timeout: float = WAIT_TIMEOUT) -> InlineAnswer:  # noqa: ASYNC109
        """The bot's answerInlineQuery for this user's latest ``inline_query``."""
        if self._last_inline is None:
            raise AssertionError("send an inline_query() before waiting for its results")
        answer = self.emulator.inline_answers[self._last_inline]
        await self._until(lambda: answer.results is not None, timeout, "inline query results")
        return answer

    async def wait_idle(self, quiet: float = 0.0, timeout: float = WAIT_TIMEOUT) -> None:  # noqa: ASYNC109
        """See `BotAPIEmulator.wait_idle`."""
        await self.emulator.wait_idle(quiet=quiet, timeout=timeout)

    # -- internals ------------------------------------------------------------------------

    def _receive(self, content: dict[str, Any]) -> BotMessage:
        if self.chat.blocked:
            raise AssertionError(f"{self!r} blocked the bot; unblock() before writing to it")
        return self.emulator.receive(self.chat, content)

    def _keyboard_message(self, message: BotMessage | None) -> BotMessage:
        if message is not None:
            live = self.chat.messages[message.message_id]
            if live.deleted:
                raise AssertionError(f"message {live.message_id} was deleted by the bot")
            return live
        for candidate in reversed(self.messages):
            if not candidate.deleted and candidate.inline_buttons:
                return candidate
        raise AssertionError(
            f"no bot message with an inline keyboard in chat {self.id}; bot sent: "
            f"{[m.describe() for m in self.messages[-5:]]}"
        )

    def _member_update(self, old: str, new: str) -> None:
        bot = self.emulator.bot_user
        old_member: dict[str, Any] = {"status": old, "user": bot}
        new_member: dict[str, Any] = {"status": new, "user": bot}
        for member in (old_member, new_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        update = {
            "chat": self.chat.as_chat(),
            "from": self.profile,
            "date": self.emulator.now(),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        self.emulator.push_update({"my_chat_member": update})

    async def _next(self, wanted: Callable[[ChatEvent], bool], seconds: float, what: str) -> BotMessage:
        found: list[BotMessage] = []

        def scan() -> bool:
            events = self.chat.events
            for index in range(self._cursor, len(events)):
                if wanted(events[index]):
                    self._cursor = index + 1
                    found.append(events[index].message)
                    return True
            return False

        await self._until(scan, seconds, what, self.chat.changed)
        return found[0]

    async def _until(self, ready: Callable[[], bool], seconds: float, what: str, signal: Signal | None = None) -> None:
        """Wait until `ready()`, woken by `signal` (this chat's, for messages) or by any change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not ready():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self._timeout_report(what, seconds))
            await (signal or self.emulator.changed).wait(remaining)

    def _timeout_report(self, what: str, timeout: float) -> str:
        emu = self.emulator
        unseen = [e.message.describe() for e in self.pending]
        recent = [m.describe() for m in self.messages[-5:]]
        failed = [
            f"{c.method} -> {c.status} {c.description}" for c in emu.calls if not c.ok and c.chat_id in (self.id, None)
        ][-5:]
        lines = [
            f"waited {timeout}s for {what} from the bot in chat {self.id}",
            f"  unconsumed changes: {unseen or 'none'}",
            f"  bot's latest messages here: {recent or 'none'}",
        ]
        if failed:
            lines.append(f"  failed bot requests: {failed}")
        if emu.violations:
            lines.append(f"  schema violations: {[str(v) for v in emu.violations[-5:]]}")
        if emu.internal_errors:
            lines.append(f"  emulator errors: {emu.internal_errors[-3:]}")
        if emu.updates.undelivered:
            lines.append(f"  {emu.updates.undelivered} updates never fetched: is the bot polling?")
        if emu.updates.dropped:
            kinds = sorted({next(k for k in u if k != "update_id") for u in emu.updates.dropped})
            lines.append(f"  updates dropped by allowed_updates: {kinds}")
        return "\n".join(lines)


def _caption(caption: str | None) -> dict[str, Any]:
    return {"caption": caption} if caption else {}
