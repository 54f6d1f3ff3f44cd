"""Message entities: ``bot_command`` for user commands and HTML ``parse_mode`` for bot texts.

Telegram stores the text *after* parsing plus a list of entities whose offsets count UTF-16
code units.  Doing the same lets tests assert on what a user actually reads, and rejects the
markup Telegram rejects (an unescaped ``<name>`` in a user-supplied string is a classic bug).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_OTHER_TAGS = {"a", "span", "tg-emoji"}
_MERGED = "merged-into-pre"


class EntityParseError(ValueError):
    """Raised with Telegram's wording after "Bad Request: can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entity Telegram attaches to a message starting with a command."""
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Turn Telegram-flavoured HTML into plain text and entities, or raise EntityParseError."""
    parser = _TelegramHTML()
    parser.feed(source)
    parser.close()
    if parser.stack:
        tag = parser.stack[-1][0]
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """Text and entities as Telegram would store them for a sendMessage-like call.

    Explicit ``entities`` win over ``parse_mode`` (as in the Bot API).  Markdown modes are
    stored verbatim: the emulator does not parse them.
    """
    if entities:
        return text, entities
    if parse_mode and parse_mode.lower() == "html":
        return parse_html(text)
    return text, []


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0  # UTF-16 units emitted so far
        self.stack: list[tuple[str, int, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag not in _SIMPLE_TAGS and tag not in _OTHER_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}"')
        entity: dict[str, Any]
        if tag == "a":
            href = attributes.get("href", "")
            user = re.fullmatch(r"tg://user\?id=(\d+)", href)
            if user:
                entity = {"type": "text_mention", "user": _mention_user(int(user.group(1)))}
            else:
                entity = {"type": "text_link", "url": href}
        elif tag == "span":
            if attributes.get("class") != "tg-spoiler":
                raise EntityParseError('Tag "span" must have class "tg-spoiler"')
            entity = {"type": "spoiler"}
        elif tag == "tg-emoji":
            entity = {"type": "custom_emoji", "custom_emoji_id": attributes.get("emoji-id", "")}
        elif tag == "blockquote" and "expandable" in attributes:
            entity = {"type": "expandable_blockquote"}
        else:
            entity = {"type": _SIMPLE_TAGS[tag]}
            language = attributes.get("class", "")
            pre = self._open("pre")
            if tag == "code" and language.startswith("language-") and pre is not None:
                # <pre><code class="language-x"> is one pre entity carrying the language
                pre["language"] = language.removeprefix("language-")
                entity = {"type": _MERGED}
        self.stack.append((tag, self.length, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise EntityParseError(f'Unexpected end tag "{tag}"')
        open_tag, start, entity = self.stack.pop()
        if open_tag != tag:
            raise EntityParseError(f'Unmatched end tag "{tag}", expected "</{open_tag}>"')
        if self.length > start and entity["type"] != _MERGED:
            self.entities.append({**entity, "offset": start, "length": self.length - start})

    def _open(self, tag: str) -> dict[str, Any] | None:
        for open_tag, _, entity in self.stack:
            if open_tag == tag:
                return entity
        return None


def _mention_user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": str(user_id)}
