"""Text as people type it and as the product compares it: one home for each rule.

- `visible`, `one_line`: what is kept of typed text that is stored or shown again (no
  controls, no bidi overrides, no zero-width tricks; letters of every script stay).
- `fold`: the one comparison form for search and matching (case- and accent-insensitive):
  delegation names, imported headers and names, /find and the organisers' inline search.
- `name_key`: a person's names folded into one line, the text /find looks words up in.
- `fold_words`: `fold`, with punctuation as spaces, for what is written by hand in many ways
  ('E-mail', 'e_mail', 'EMAIL '): spreadsheet headers, categories, delegation codes, the key
  of an imported name.
- `column_letter`: a spreadsheet column's letters, as Excel names them (the import's messages
  and the XLSX writer's cell references).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

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


@lru_cache(maxsize=262_144)
def fold(text: str) -> str:
    """Lower case without accents, for comparing: 'Péter SZIJJÁRTÓ' -> 'peter szijjarto',
    'Türkiye' and 'turkiye' meet, 'Ёлкин' -> 'елкин'."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_key(full_name: str | None, native_name: str | None, username: str | None) -> str:
    """The folded names /find matches every word of a query against, joined by spaces:
    `fold(full_name)`, `fold(native_name)` if any, the Telegram username in lower case if any
    (stored as participant.search_name, so a search reads only the rows that can match)."""
    names = [fold(full_name or "")]
    if native_name:
        names.append(fold(native_name))
    if username:
        names.append(username.lower())
    return " ".join(names)


def fold_words(text: str) -> str:
    """`fold`'s words, with every character that is not a letter or digit as a space:
    'E-mail' -> 'e mail', 'Эл. почта' -> 'эл почта', '№ п/п' -> 'no п п'."""
    folded = fold(text).casefold()  # casefold again: '№' folds to 'No'
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def column_letter(index: int) -> str:
    """A spreadsheet column's letters from its 0-based index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
