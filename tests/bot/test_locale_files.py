"""Locale files are split by feature; every folder is one Fluent bundle, so a message id
defined in two files would silently shadow the other."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bot.i18n import LOCALES_DIR

ID = re.compile(r"^([a-zA-Z][\w-]*)\s*=", re.M)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_no_message_id_is_defined_twice(language: str) -> None:
    ids = Counter()
    for path in sorted((LOCALES_DIR / language).glob("*.ftl")):
        ids.update(ID.findall(path.read_text(encoding="utf-8")))
    assert [k for k, n in ids.items() if n > 1] == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_head_registering_a_member_is_asked_about_the_member(language: str) -> None:
    from bot.i18n import translator
    from bot.states import SignupDraft
    from bot.texts.signup import question

    t = translator(language)
    for key in ("ask-full-name", "ask-native-name", "ask-position", "ask-organisation", "ask-consent"):
        own, member = question(t, SignupDraft(), key), question(t, SignupDraft(mode="behalf"), key)
        assert t.has(f"{key}-behalf") and member != own
