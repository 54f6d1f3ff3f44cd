"""Message entities: ``bot_command`` for user commands and HTML ``parse_mode`` for bot texts.

Telegram stores the text *after* parsing plus a list of entities whose offsets count UTF-16
code units.  Doing the same lets tests assert on what a user actually reads, and rejects the
markup Telegram rejects (an unescaped ``<name>`` in a user-supplied string is a classic bug).

The HTML parser follows Telegram's own (``parse_html`` in tdlib, which the Bot API server
runs) and answers with its wording, ``can't parse entities: Unsupported start tag "scg" at
byte offset 22``: only the documented tags, attributes as tdlib reads them, every start tag
closed by its own end tag in order (``</>`` closes the innermost one, as on Telegram), the
entities ``&lt; &gt; &amp; &quot;`` and numeric ones.  Where the Bot API documentation says
a character *must* be escaped but the server lets it through, the emulator holds the bot to
the documentation: a ``&`` that does not start one of those entities (ending in ``;``) and a
bare ``>`` in text are refused too ("Unescaped ... at byte offset N").  A bot that passes here
therefore never relies on the server's leniency; one that fails has an escaping bug.
Attribute values keep the server's leniency (``href="https://x.org/?a=1&b=2"`` passes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "tg-emoji", "pre", "code"}
    | {"blockquote"}
)
_SIMPLE = {
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
    "span": "spoiler",
}
_SPACE = frozenset(" \t\r\n\v\f\0")  # tdlib's is_space
_SPECIAL = re.compile(r"[&<>]")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z]+));")
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_USER_LINK = re.compile(r"tg://user\?id=(\d+)")
_LINK = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*://)?[^\s/?#]+\.[^\s/?#]+|tg://\S+|[A-Za-z][A-Za-z0-9+.\-]*://\S+")


class EntityParseError(ValueError):
    """Raised with Telegram's wording after "Bad Request: can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entity Telegram attaches to a message starting with a command."""
    match = _COMMAND.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Turn Telegram-flavoured HTML into plain text and entities, or raise EntityParseError."""
    return _Parser(source).run()


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


@dataclass
class _Open:
    tag: str
    argument: str  # href, the code's language, the emoji id
    offset: int  # UTF-16 offset in the parsed text where the tag's content starts
    start: int  # the same in characters (for a link without href: its text is the URL)
    expandable: bool = False


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.parts: list[str] = []
        self.length = 0  # UTF-16 units emitted so far
        self.chars = 0  # characters emitted so far
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        src, i = self.src, 0
        while True:
            special = _SPECIAL.search(src, i)
            end = special.start() if special else len(src)
            if end > i:
                self._emit(src[i:end])
            if special is None:
                break
            i = end
            char = src[i]
            if char == "&":
                i = self._entity(i)
            elif char == ">":
                raise EntityParseError(f'Unescaped ">" at byte offset {self._byte(i)}: write it as "&gt;"')
            elif i + 1 < len(src) and src[i + 1] == "/":
                i = self._end_tag(i)
            else:
                i = self._start_tag(i)
        if self.stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"')
        for entity in self.entities:  # a language only counts on a <code> that makes up its <pre>
            if entity["type"] == "code":
                entity.pop("language", None)
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities

    # -- pieces ------------------------------------------------------------------------------

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)
        self.chars += len(text)

    def _byte(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8", "surrogatepass"))

    def _at(self, index: int) -> str:
        return self.src[index] if index < len(self.src) else "\0"

    def _skip_spaces(self, index: int) -> int:
        while index < len(self.src) and self.src[index] in _SPACE:
            index += 1
        return index

    def _entity(self, i: int) -> int:
        char, end = decode_entity(self.src, i)
        if char is None:
            named = _ENTITY.match(self.src, i)
            if named and named.group(3):
                raise EntityParseError(
                    f'Unsupported HTML entity "{named.group(0)}" at byte offset {self._byte(i)}: '
                    "only &lt; &gt; &amp; &quot; and numeric ones"
                )
            raise EntityParseError(f'Unescaped "&" at byte offset {self._byte(i)}: write it as "&amp;"')
        self._emit(char)
        return end

    def _start_tag(self, begin: int) -> int:
        src, j = self.src, begin + 1
        while j < len(src) and src[j] not in _SPACE and src[j] != ">":
            j += 1
        if j >= len(src):
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte(begin)}")
        tag = src[begin + 1 : j].lower()
        if tag not in _TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte(begin)}')
        argument, expandable = "", False
        while self._at(j) != ">":
            j = self._skip_spaces(j)
            if self._at(j) == ">":
                break
            name_begin = j
            while j < len(src) and src[j] not in _SPACE and src[j] not in "=>":
                j += 1
            name = src[name_begin:j].lower()
            if not name:
                raise EntityParseError(f'Empty attribute name in the tag "{tag}" at byte offset {self._byte(begin)}')
            j = self._skip_spaces(j)
            if self._at(j) != "=":
                if tag == "blockquote" and name == "expandable":
                    expandable = True
                    continue
                raise EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {self._byte(begin)}"
                )
            j = self._skip_spaces(j + 1)
            if j >= len(src):
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {self._byte(begin)}')
            value, j = self._attribute_value(j)
            if j >= len(src):
                raise EntityParseError(f"Unclosed start tag at byte offset {self._byte(begin)}")
            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value.removeprefix("language-")
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value.removeprefix("tg-")
            elif tag == "tg-emoji" and name == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte(begin)}')
        self.stack.append(_Open(tag, argument, self.length, self.chars, expandable))
        return j + 1

    def _attribute_value(self, j: int) -> tuple[str, int]:
        src = self.src
        quote = src[j]
        if quote not in "'\"":
            token = _NAME_TOKEN.match(src, j)
            end = token.end() if token else j
            if end < len(src) and src[end] not in _SPACE and src[end] != ">":
                raise EntityParseError(f"Unexpected end of name token at byte offset {self._byte(j)}")
            return src[j:end].lower(), end
        value: list[str] = []
        j += 1
        while j < len(src) and src[j] != quote:
            if src[j] == "&":
                char, end = decode_entity(src, j)
                if char is not None:
                    value.append(char)
                    j = end
                    continue
            value.append(src[j])
            j += 1
        return "".join(value), j + 1 if j < len(src) else j

    def _end_tag(self, begin: int) -> int:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte(begin)}")
        src, j = self.src, begin + 2
        while j < len(src) and src[j] not in _SPACE and src[j] != ">":
            j += 1
        name = src[begin + 2 : j].lower()
        j = self._skip_spaces(j)
        if self._at(j) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self._byte(begin)}")
        opened = self.stack[-1]
        if name and name != opened.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {self._byte(begin)}, expected "</{opened.tag}>", found "</{name}>"'
            )
        self.stack.pop()
        self._close(opened)
        return j + 1

    def _close(self, opened: _Open) -> None:
        offset, length = opened.offset, self.length - opened.offset
        if length <= 0:
            return
        entity: dict[str, Any]
        tag = opened.tag
        if tag in _SIMPLE:
            entity = {"type": _SIMPLE[tag]}
        elif tag == "a":
            url = opened.argument or "".join(self.parts)[opened.start :]
            user = _USER_LINK.fullmatch(url)
            if user:
                entity = {"type": "text_mention", "user": _mention_user(int(user.group(1)))}
            elif _LINK.match(url):
                entity = {"type": "text_link", "url": url}
            else:
                return  # Telegram drops a link it cannot use, without an error
        elif tag == "tg-emoji":
            if not opened.argument.isdigit() or int(opened.argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity = {"type": "custom_emoji", "custom_emoji_id": opened.argument}
        elif tag == "code":
            # the language counts only for <pre><code class="language-x">: see "pre" below
            in_pre = bool(self.stack) and self.stack[-1].tag == "pre"
            entity = {"type": "code", **({"language": opened.argument} if in_pre and opened.argument else {})}
        elif tag == "pre":
            last = self.entities[-1] if self.entities else None
            if (
                last
                and last["type"] == "code"
                and "language" in last
                and (last["offset"], last["length"])
                == (
                    offset,
                    length,
                )
            ):
                self.entities.pop()
                entity = {"type": "pre", "language": last["language"]}
            else:
                entity = {"type": "pre"}
        else:  # blockquote
            entity = {"type": "expandable_blockquote" if opened.expandable else "blockquote"}
        self.entities.append({**entity, "offset": offset, "length": length})


def decode_entity(text: str, index: int) -> tuple[str | None, int]:
    """The character of the HTML entity at ``text[index]`` ("&...;") and the index after it,
    or (None, index) if none Telegram knows starts there."""
    match = _ENTITY.match(text, index)
    if match is None:
        return None, index
    hexadecimal, decimal, name = match.groups()
    if name is not None:
        char = _NAMED.get(name)
        return (char, match.end()) if char else (None, index)
    code = int(hexadecimal, 16) if hexadecimal is not None else int(decimal)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None, index
    return chr(code), match.end()


def _mention_user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": str(user_id)}
