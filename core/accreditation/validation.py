"""Free-text rules for what people type (names, positions), shared by bot and imports.

Names are kept whole, in the order they are printed (given names first, as on the badge):
confdesk never splits a name into first and last. So a person with one name ("Sukarno")
or with no family name at all ("Aung San Suu Kyi") is stored, printed and searched as
written. A comma marks the inverted order of protocol lists, "Surname, Given names", and
is turned around once on input ("Kuznetsov, Anatoly" -> "Anatoly Kuznetsov"); a trailing
generational suffix stays last ("King, Martin Luther, Jr." -> "Martin Luther King Jr.").
Letter case is kept as written.
"""

from __future__ import annotations

import re
import unicodedata

from core.errors import InvalidInput
from core.text import JOINERS

_LATIN_NAME = re.compile(r"^[A-Za-z\u00C0-\u024F\u1E00-\u1EFF][A-Za-z\u00C0-\u024F\u1E00-\u1EFF .'\-‘’]*$")


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") and ch not in JOINERS


def _clean(text: str, field: str, *, min_len: int, max_len: int) -> str:
    if any(_unsafe(ch) for ch in text):
        raise InvalidInput(f"{field}: control characters are not allowed", code="control_chars", field=field)
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if len(text) < min_len:
        raise InvalidInput(f"{field}: too short (at least {min_len})", code="too_short", field=field, min=min_len)
    if len(text) > max_len:
        raise InvalidInput(f"{field}: too long (at most {max_len})", code="too_long", field=field, max=max_len)
    return text


_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _printed_order(text: str, field: str, min_len: int) -> str:
    """'Surname, Given names' -> 'Given names Surname'; text without a comma is unchanged."""
    if "," not in text:
        return text
    parts = [part.strip() for part in text.split(",")]
    parts = [part for part in parts if part]
    suffix = parts.pop() if len(parts) > 1 and parts[-1].rstrip(".").casefold() in _SUFFIXES else None
    if len(parts) > 2:
        raise InvalidInput(f"{field}: at most one comma, as in 'Surname, Given names'", code="name_commas", field=field)
    name = " ".join([*reversed(parts), *([suffix] if suffix else [])])
    if len(name) < min_len:
        raise InvalidInput(f"{field}: too short (at least {min_len})", code="too_short", field=field, min=min_len)
    return name


def latin_name(text: str) -> str:
    """Name in Latin script (letters with diacritics, spaces, hyphens, apostrophes): one name
    or several; 'Surname, Given names' is turned into printed order."""
    text = _printed_order(_clean(text, "name", min_len=3, max_len=120), "name", 3)
    if not _LATIN_NAME.match(text) or not any(ch.isalpha() for ch in text):
        raise InvalidInput("name: use Latin letters as in the passport", code="not_latin", field="name")
    return text


def native_name(text: str) -> str:
    """Name in any script: letters of any alphabet, marks, spaces and name punctuation; the
    same comma rule as `latin_name`."""
    text = _printed_order(_clean(text, "native_name", min_len=2, max_len=120), "native_name", 2)
    for ch in text:
        cat = unicodedata.category(ch)
        if not (cat.startswith("L") or cat.startswith("M") or ch in " .'-‘’ʼ" or ch in JOINERS):
            raise InvalidInput("native_name: letters only", code="not_letters", field="native_name")
    return text


def free_text(text: str, field: str, *, max_len: int = 200) -> str:
    """A position or organisation: any printable text with at least one letter."""
    text = _clean(text, field, min_len=2, max_len=max_len)
    if not any(ch.isalpha() for ch in text):
        raise InvalidInput(f"{field}: must contain letters", code="not_letters", field=field)
    return text
