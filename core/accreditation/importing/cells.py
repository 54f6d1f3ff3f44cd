"""One cell of a row, checked and read: a category or status in English or Russian, a
Telegram id or username (or either, in a `telegram` column), an email, a name, a text.

Each reader raises `InvalidInput` whose message names the column."""

from __future__ import annotations

import re

from core.accreditation.validation import free_text, latin_name
from core.errors import InvalidInput
from core.models import Category
from core.text import fold_words

TELEGRAM_ID_MAX = 2**63 - 1

_CATEGORY_LABELS: dict[Category, tuple[str, ...]] = {
    Category.HEAD: (
        "head of delegation",
        "head",
        "глава делегации",
        "руководитель делегации",
        "глава",
    ),
    Category.DELEGATE: ("delegate", "member of delegation", "делегат", "член делегации"),
    Category.SPEAKER: ("speaker", "спикер", "докладчик", "выступающий"),
    Category.EXPERT: ("expert", "эксперт"),
    Category.PRESS: ("press", "media", "journalist", "пресса", "сми", "журналист"),
    Category.OBSERVER: ("observer", "наблюдатель"),
    Category.STAFF: ("staff", "персонал", "сотрудник"),
}
_APPROVED = ("approved", "approve", "одобрено", "одобрен", "одобрена", "утверждено")
_PENDING = ("pending", "ожидает", "на рассмотрении")


CATEGORY_OF_LABEL: dict[str, Category] = {
    fold_words(label): category
    for category, labels in _CATEGORY_LABELS.items()
    for label in (category.value, category.name, *labels)
}
APPROVE_OF_STATUS = {**{fold_words(s): True for s in _APPROVED}, **{fold_words(s): False for s in _PENDING}}

_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+$")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{5,32}$")


def telegram_id(text: str) -> int:
    value = text.strip().replace(" ", "")
    if not re.fullmatch(r"[+-]?\d+", value):
        raise InvalidInput("telegram_id: not a number", code="not_a_number", field="telegram_id")
    number = int(value)
    if number <= 0:
        raise InvalidInput("telegram_id: must be positive", code="not_positive", field="telegram_id")
    if number > TELEGRAM_ID_MAX:
        raise InvalidInput("telegram_id: too large", code="too_large", field="telegram_id")
    return number


def telegram_username(text: str) -> str:
    value = text.strip()
    for prefix in ("https://t.me/", "http://t.me/", "t.me/", "@"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    if not _USERNAME.match(value):
        raise InvalidInput(
            "telegram_username: expected 5-32 Latin letters, digits or _ (the @ is optional)",
            code="bad_username",
            field="telegram_username",
        )
    return value


def telegram_account(text: str) -> int | str:
    """A 'Telegram' column holds either: digits are the numeric id, anything else the
    username or t.me link. A phone number is refused, not taken for an id."""
    value = text.strip()
    if re.fullmatch(r"\d+", value):
        return telegram_id(value)
    if re.fullmatch(r"[+\d][\d\s()\-.]*", value):
        raise InvalidInput(
            "telegram: looks like a phone number; give the @username or the numeric Telegram id",
            code="phone_not_telegram",
            field="telegram",
        )
    try:
        return telegram_username(value)
    except InvalidInput:
        raise InvalidInput(
            "telegram: expected a @username (5-32 Latin letters, digits or _), a t.me link or the numeric id",
            code="bad_username",
            field="telegram",
        ) from None


def latin_name_cell(text: str) -> str:
    try:
        return latin_name(text)
    except InvalidInput as exc:
        if exc.code == "not_latin" and not text.isascii():
            exc.message += " (a name in its own script goes in a native_name column, e.g. 'ФИО в оригинале')"
        raise


def email(text: str) -> str:
    value = text.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput("email: not an email address", code="bad_email", field="email")
    return value


def long_text(text: str, field: str) -> str:
    return free_text(text, field, max_len=300)
