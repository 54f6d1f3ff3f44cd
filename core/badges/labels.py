"""Words printed on badges in the conference's languages: the category band and the dates.

The languages are those the conference is named in (`conference.name`), English first, at
most two, among the languages confdesk has texts for (core.config.LANGUAGES): the model
case, named in English and Russian, gets bilingual badges. Texts are Fluent messages in
core/badges/locales/<lang>/badges.ftl; dates are babel intervals in each language.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_interval, format_skeleton
from fluent.runtime import FluentBundle, FluentResource

from core.config import LANGUAGES
from core.models import Category

LOCALES_DIR = Path(__file__).parent / "locales"
MAX_LANGUAGES = 2


@cache
def _bundle(language: str) -> FluentBundle:
    bundle = FluentBundle([language], use_isolating=False)
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return bundle


def _message(language: str, key: str) -> str:
    bundle = _bundle(language)
    if not bundle.has_message(key):
        bundle = _bundle("en")
    pattern = bundle.get_message(key).value
    assert pattern is not None, key
    value, _errors = bundle.format_pattern(pattern, {})
    return str(value)


def badge_languages(name: dict[str, str] | None) -> tuple[str, ...]:
    """English first, then the other languages the conference is named in; at most two."""
    named = [lang for lang in (name or {}) if lang in LANGUAGES and (name or {}).get(lang)]
    ordered = sorted(set(named) | {"en"}, key=lambda lang: (lang != "en", named.index(lang) if lang in named else 0))
    return tuple(ordered[:MAX_LANGUAGES])


@cache
def category_labels(category: Category, languages: tuple[str, ...]) -> tuple[str, ...]:
    """The category's band text in each language (duplicates dropped)."""
    return tuple(dict.fromkeys(_message(lang, f"badge-category-{category.value}") for lang in languages))


@cache
def dates(first: date, last: date, languages: tuple[str, ...]) -> tuple[str, ...]:
    """The conference dates in each language, e.g. ('31 October – 1 November 2024',
    '31 октября – 1 ноября 2024 г.')."""
    out = []
    for lang in languages:
        locale = "en_GB" if lang == "en" else lang  # 31 October, as the badges always had it
        skeleton = _message(lang, "badge-dates-skeleton")
        if first == last:
            out.append(format_skeleton(skeleton, first, locale=locale))
        else:
            out.append(format_interval(first, last, skeleton, locale=locale))
    return tuple(dict.fromkeys(out))
