"""Free-text rules for what people type (names, positions), shared by bot and imports."""

from __future__ import annotations

import re
import unicodedata

from core.errors import InvalidInput

_LATIN_NAME = re.compile(r"^[A-Za-z\u00C0-\u024F\u1E00-\u1EFF][A-Za-z\u00C0-\u024F\u1E00-\u1EFF .'\-‘’]*$")


def _clean(text: str, field: str, *, min_len: int, max_len: int) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in text):
        raise InvalidInput(f"{field}: control characters are not allowed", code="control_chars", field=field)
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if len(text) < min_len:
        raise InvalidInput(f"{field}: too short (at least {min_len})", code="too_short", field=field, min=min_len)
    if len(text) > max_len:
        raise InvalidInput(f"{field}: too long (at most {max_len})", code="too_long", field=field, max=max_len)
    return text


def latin_name(text: str) -> str:
    """Full name in Latin script (letters with diacritics, spaces, hyphens, apostrophes)."""
    text = _clean(text, "name", min_len=3, max_len=120)
    if not _LATIN_NAME.match(text) or not any(ch.isalpha() for ch in text):
        raise InvalidInput("name: use Latin letters as in the passport", code="not_latin", field="name")
    if " " not in text:
        raise InvalidInput("name: give first and last name", code="one_word", field="name")
    return text


def native_name(text: str) -> str:
    """Name in any script: letters of any alphabet, marks, spaces and name punctuation."""
    text = _clean(text, "native_name", min_len=2, max_len=120)
    for ch in text:
        cat = unicodedata.category(ch)
        if not (cat.startswith("L") or cat.startswith("M") or ch in " .'-‘’ʼ"):
            raise InvalidInput("native_name: letters only", code="not_letters", field="native_name")
    return text


def free_text(text: str, field: str, *, max_len: int = 200) -> str:
    """A position or organisation: any printable text with at least one letter."""
    text = _clean(text, field, min_len=2, max_len=max_len)
    if not any(ch.isalpha() for ch in text):
        raise InvalidInput(f"{field}: must contain letters", code="not_letters", field=field)
    return text
