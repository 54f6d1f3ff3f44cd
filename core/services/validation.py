"""Free-text rules for what people type (names, positions), shared by bot and imports."""

from __future__ import annotations

import re
import unicodedata

from core.errors import InvalidInput

_LATIN_NAME = re.compile(r"^[A-Za-z\u00C0-\u024F\u1E00-\u1EFF][A-Za-z\u00C0-\u024F\u1E00-\u1EFF .'\-‘’]*$")
# Zero-width non-joiner and joiner: Persian and Indic words and emoji sequences need them.
JOINERS = frozenset("\u200c\u200d")


def visible(text: str, *, newlines: bool = False) -> str:
    """`text` without the characters that hide or reorder what a reader sees: C0 and C1
    controls, bidi embeddings, overrides, isolates and marks (U+202A–E, U+2066–9, U+200E/F,
    U+061C), zero-width spaces, BOMs and every other format character (Unicode Cc, Cf, Cs).
    A newline stays when `newlines` (else it becomes a space), as do U+2028/9 as a newline;
    a tab becomes a space. Letters of every script stay, with ZWNJ and ZWJ.

    Used for what people type that is stored or shown again (searches, reasons, broadcasts),
    and by the bot on every value it puts into a message."""
    if text.isprintable():
        return text
    text = text.replace("\r\n", "\n")
    kept = []
    for ch in text:
        if ch.isprintable() or ch in JOINERS:
            kept.append(ch)
            continue
        category = unicodedata.category(ch)
        if ch in "\n\r" or category in ("Zl", "Zp"):
            kept.append("\n" if newlines else " ")
        elif ch == "\t":
            kept.append(" ")
        elif category not in ("Cc", "Cf", "Cs"):  # other spaces, private use, unassigned (newer emoji)
            kept.append(ch)
    return "".join(kept)


def one_line(text: str, max_len: int) -> str:
    """A search query or a command's arguments as typed: visible characters on one line,
    runs of spaces collapsed, at most `max_len` characters."""
    return " ".join(visible(text).split())[:max_len]


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
        if not (cat.startswith("L") or cat.startswith("M") or ch in " .'-‘’ʼ" or ch in JOINERS):
            raise InvalidInput("native_name: letters only", code="not_letters", field="native_name")
    return text


def free_text(text: str, field: str, *, max_len: int = 200) -> str:
    """A position or organisation: any printable text with at least one letter."""
    text = _clean(text, field, min_len=2, max_len=max_len)
    if not any(ch.isalpha() for ch in text):
        raise InvalidInput(f"{field}: must contain letters", code="not_letters", field=field)
    return text
