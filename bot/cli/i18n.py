"""The command line's own words in English and Russian, for the commands that take `--lang`.

Fluent files in `bot/cli/locales/<lang>/*.ftl` (the bot's are in `bot/locales`). Unlike the
bot's translator, nothing is HTML-escaped: this is terminal text. Dates come from babel
with a pattern that is itself a message (`date-day`, `date-short`), so each language
chooses its own. Imports only fluent and babel, never aiogram.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_date
from fluent.runtime import FluentBundle, FluentResource

from core.config import LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"
FALLBACK = "en"


@cache
def _bundle(language: str) -> FluentBundle:
    bundle = FluentBundle([language], use_isolating=False)
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


class CliText:
    """`t("key", name=...)` in one language, English where a key is missing."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else FALLBACK
        self._bundles = [_bundle(self.language)]
        if self.language != FALLBACK:
            self._bundles.append(_bundle(FALLBACK))

    def __call__(self, key: str, /, **args: str | int) -> str:
        for bundle in self._bundles:
            message = bundle.get_message(key) if bundle.has_message(key) else None
            if message is not None and message.value is not None:
                text, errors = bundle.format_pattern(message.value, args)
                if errors:
                    raise ValueError(f"cli locale {bundle.locales[0]}, {key}: {errors[0]}")
                return str(text)
        raise KeyError(f"no CLI string '{key}'")

    def day(self, day: date) -> str:
        """A day's full name and date, e.g. "Thursday, 31 October 2024" / "Четверг, 31 октября 2024"."""
        text = format_date(day, self("date-day"), locale=self.language)
        return text[:1].upper() + text[1:]

    def date(self, day: date) -> str:
        return format_date(day, self("date-short"), locale=self.language)


@cache
def cli_text(language: str) -> CliText:
    return CliText(language)


def keys(language: str) -> set[str]:
    return set(_bundle(language)._messages)
