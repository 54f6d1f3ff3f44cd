"""Texts that break careless HTML, and one check over everything the bot sent in a test.

The emulator parses parse_mode HTML as Telegram does and answers 400 "can't parse entities"
to invalid markup, so an unescaped name shows up as a failed call. Escaping twice shows up
as ``&amp;`` in the text a user reads; escaping where nothing is parsed (buttons, answers to
button presses, inline result titles) shows up the same way.
"""

from __future__ import annotations

import re
from typing import Any

from bot.emulator import BotAPIEmulator
from bot.emulator.entities import parse_text

CONFERENCE = 'Security & Co-operation <Minsk> "2024"'
CONFERENCE_RU = 'Безопасность & сотрудничество <Минск> "2024"'
CITY = "Minsk <BY> & region"
DELEGATION = "Serbia & Montenegro <SCG>"
DELEGATION_RU = "Сербия & Черногория <SCG>"
PERSON = 'Tom "T" <b>Jones</b>'
NATIVE = "<i>Том</i> & Co"
POSITION = 'Head of R&D <Ops> "Alpha"'
ORGANISATION = "Ministry of Foreign Affairs & Trade <MFAT>"
TITLE = 'Q&A: <Security> & "Trust"'
HALL = "Hall <A> & B"
DESCRIPTION = 'Bring <ID> & "passport"'
OTHER_TITLE = "Tom & Jerry <Live>"
OTHER_HALL = "Room <1> & 2"
REASON = 'Missing <passport> & "visa" scan'
GATE = "Gate <N> & 1"

# What a user should never read: an entity the bot escaped twice (or where nothing is parsed).
ESCAPED = re.compile(r"&(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);")
# Characters that hide or reorder text (see core.text.visible).
INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb]"
)


def problems_in(text: str | None, where: str) -> list[str]:
    if not text:
        return []
    found = []
    if ESCAPED.search(text):
        found.append(f"{where}: escaped entity shown to the user: {text!r}")
    if INVISIBLE.search(text):
        found.append(f"{where}: invisible/bidi control character: {text!r}")
    return found


def assert_clean(emulator: BotAPIEmulator) -> None:
    """Every request succeeded (no 400 "can't parse entities"), and nothing a user sees
    shows escapes or invisible characters: messages and edits, captions, buttons, answers to
    button presses, inline results."""
    failed = [f"{c.method} -> {c.status} {c.description}" for c in emulator.calls if not c.ok]
    assert not failed, "the bot made failing requests:\n" + "\n".join(failed)
    problems: list[str] = []
    for chat in emulator.chats.values():
        for event in chat.events:
            message = event.message
            where = f"chat {chat.id} {event.kind} #{message.message_id}"
            problems += problems_in(message.content, where)
            for button in message.inline_buttons:
                problems += problems_in(button["text"], f"{where} button")
            for label in message.buttons:
                problems += problems_in(label, f"{where} button")
    for answer in emulator.callback_answers.values():
        problems += problems_in(answer.text, f"callback answer {answer.data}")
    for inline in emulator.inline_answers.values():
        for result in inline.results or []:
            problems += _inline_problems(result, f"inline result {inline.query!r}")
    assert not problems, "\n".join(problems)


def _inline_problems(result: dict[str, Any], where: str) -> list[str]:
    found = problems_in(result.get("title"), f"{where} title") + problems_in(
        result.get("description"), f"{where} description"
    )
    content = result.get("input_message_content") or {}
    if "message_text" in content:
        text, _ = parse_text(content["message_text"], content.get("parse_mode"), content.get("entities"))
        found += problems_in(text, f"{where} message")
    return found
