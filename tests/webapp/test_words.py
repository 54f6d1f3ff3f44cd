"""Every word the Mini App's pages and verdicts use exists in English and Russian."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from bot.webapp import views


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_word_exists_in_both_languages(language: str) -> None:
    t = translator(language)
    keys = [f"webapp-ui-{k}" for k in views.UI_KEYS] + [f"webapp-why-{r}" for r in views.REASONS]
    keys += ["webapp-why-already", "cmd-scanner", "cmd-board", "webapp-menu-button"]
    assert [k for k in keys if not t.has(k)] == []
    words = views.strings(language)
    assert all(words.values()) and not any(v.startswith("webapp-") for v in words.values())
