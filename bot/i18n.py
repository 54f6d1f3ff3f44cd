"""Locale files (Fluent, `bot/locales/<lang>/*.ftl`) and the translator handlers get as `t`,
and the one way text gets into a message the bot sends with parse_mode HTML.

Every string a user reads comes from these files. The translator returns `Html`; arguments
that are plain `str` (names, delegations, titles, halls, reasons, queries: anything from
people or files) are escaped, and lose invisible and bidi control characters, on the way
in, so a name like `Serbia & Montenegro <SCG>` can never break a message's markup. An `Html`
argument (another translation) goes in as it is: nothing is escaped twice.

Messages made of several pieces are put together with `join`, never with f-strings or
`str.join` over raw values; a long one is shortened with `fit`. Where Telegram parses no
HTML (answers to button presses, inline result titles, command descriptions, files) use
`t.plain(...)`, or `plain(html)`.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from fluent.runtime import FluentBundle, FluentResource

from core.config import LANGUAGES
from core.text import visible

log = logging.getLogger(__name__)
LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK = "en"
# Telegram language codes whose speakers we serve in Russian.
RUSSIAN_SPEAKING = {"ru", "be", "uk", "kk", "ky", "tg"}

Arg = str | int | float | Decimal | date | datetime | None


def choose_language(stored: str | None, telegram_code: str | None, default: str) -> str:
    """The participant's own choice, else their Telegram app's language, else the default."""
    if stored in LANGUAGES:
        return stored  # type: ignore[return-value]
    code = (telegram_code or "").split("-")[0].lower()
    if code in LANGUAGES:
        return code
    if code in RUSSIAN_SPEAKING:
        return "ru"
    return default


@cache
def _bundle(language: str) -> FluentBundle:
    bundle = FluentBundle([language], use_isolating=False)
    folder = LOCALES_DIR / language
    for path in sorted(folder.glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


class Html(str):
    """Text that is Telegram HTML already: the translator's output, an escaped value, or
    HTML that Telegram itself produced (aiogram's `Message.html_text`)."""

    __slots__ = ()


def escape(value: str) -> Html:
    """`value` as HTML text (an `Html` value is returned as it is): invisible and bidi
    control characters dropped (newlines kept), `&`, `<` and `>` escaped."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(visible(value, newlines=True), quote=False))


def join(parts: Iterable[str], sep: str = "\n") -> Html:
    """Pieces of a message, one after the other; plain `str` pieces are escaped."""
    return Html(escape(sep).join(escape(part) for part in parts))


_TAG = re.compile(r"<[^>]*>")
_PIECE = re.compile(r"<(/?)([a-z-]+)[^>]*>|&[^;\s]*;|.", re.DOTALL)


def plain(text: str) -> str:
    """What a user reads of HTML `text` (tags dropped, entities decoded), for the places
    where Telegram parses nothing."""
    return html.unescape(_TAG.sub("", text))


def fit(text: Html, limit: int) -> Html:
    """`text` cut to at most `limit` characters of HTML, ending in "…", and still valid:
    never inside a tag or an entity, every open tag closed."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    opened: list[str] = []
    size = 0
    for match in _PIECE.finditer(text):
        piece, closing, tag = match.group(0), match.group(1), match.group(2)
        reserve = 1 + sum(len(name) + 3 for name in opened)  # "…" and the end tags
        if tag and closing:
            reserve -= len(tag) + 3
        elif tag:
            reserve += len(tag) + 3
        if size + len(piece) + reserve > limit:
            break
        kept.append(piece)
        size += len(piece)
        if tag and closing and opened:
            opened.pop()
        elif tag:
            opened.append(tag)
    return Html("".join(kept).rstrip() + "…" + "".join(f"</{name}>" for name in reversed(opened)))


class Translator:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else FALLBACK
        self._bundles = [_bundle(self.language)] + ([_bundle(FALLBACK)] if self.language != FALLBACK else [])

    def __call__(self, key: str, /, **args: Arg) -> Html:
        """The message `key` as HTML, its text arguments escaped (see `escape`)."""
        safe = {k: escape(v) if isinstance(v, str) else ("" if v is None else v) for k, v in args.items()}
        return Html(self._format(key, safe))

    def plain(self, key: str, /, **args: Arg) -> str:
        """The message `key` as plain text, for places where Telegram parses no HTML."""
        return plain(self(key, **args))

    def _format(self, key: str, args: Mapping[str, Arg]) -> str:
        for bundle in self._bundles:
            if bundle.has_message(key):
                message = bundle.get_message(key)
                if message.value is None:
                    continue
                text, errors = bundle.format_pattern(message.value, dict(args))
                if errors:
                    log.warning("locale %s, key %s: %s", bundle.locales[0], key, errors[0])
                return str(text)
        log.error("missing locale key %s", key)
        return key

    def moment(self, at: datetime, zone: str | ZoneInfo, *, day: bool = True) -> str:
        """A moment in the reader's language and the conference's time zone: "31 Oct, 10:05"
        / "31 окт., 10:05" (or just "10:05" with `day=False`). Every date or time shown in
        the bot goes through here (or a locale text), never through strftime."""
        tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        local = at.astimezone(tz)
        if not day:
            return format_time(local, "HH:mm", locale=self.locale)
        when = format_time(local, "HH:mm", locale=self.locale)
        return f"{format_skeleton('MMMd', local, locale=self.locale)}, {when}"

    @property
    def locale(self) -> str:
        """The babel locale: day-month order in English as well (en_GB), as Europeans read it."""
        return "en_GB" if self.language == "en" else self.language

    def has(self, key: str) -> bool:
        return any(bundle.has_message(key) for bundle in self._bundles)


@cache
def translator(language: str) -> Translator:
    return Translator(language)


def keys(language: str) -> set[str]:
    """All message ids of one language (the tests compare en and ru)."""
    return set(_bundle(language)._messages)
