"""Locale files (Fluent, `bot/locales/<lang>/*.ftl`) and the translator handlers get as `t`.

Every string a user reads comes from these files. Arguments that are text are
HTML-escaped here, so a name like `<b>` can never break a message's markup.
"""

from __future__ import annotations

import html
import logging
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from fluent.runtime import FluentBundle, FluentResource

from core.config import LANGUAGES

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


class Translator:
    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else FALLBACK
        self._bundles = [_bundle(self.language)] + ([_bundle(FALLBACK)] if self.language != FALLBACK else [])

    def __call__(self, key: str, /, **args: Arg) -> str:
        safe = {
            k: html.escape(v, quote=False) if isinstance(v, str) else ("" if v is None else v) for k, v in args.items()
        }
        for bundle in self._bundles:
            if bundle.has_message(key):
                message = bundle.get_message(key)
                if message.value is None:
                    continue
                text, errors = bundle.format_pattern(message.value, safe)
                if errors:
                    log.warning("locale %s, key %s: %s", bundle.locales[0], key, errors[0])
                return str(text)
        log.error("missing locale key %s", key)
        return key

    def has(self, key: str) -> bool:
        return any(bundle.has_message(key) for bundle in self._bundles)


@cache
def translator(language: str) -> Translator:
    return Translator(language)


def keys(language: str) -> set[str]:
    """All message ids of one language (the tests compare en and ru)."""
    return set(_bundle(language)._messages)
