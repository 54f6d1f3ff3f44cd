"""Column types shared by the models: aware UTC datetimes, JSON, non-native enums."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Text a participant reads, by language: {"en": "...", "ru": "..."}; English is the fallback.
I18n = dict[str, str]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A VARCHAR with a CHECK constraint (no native PostgreSQL enum to migrate)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def pick(text: I18n | None, language: str | None, fallback: str = "en") -> str:
    """The text in `language`, else English, else any language given, else ''."""
    if not text:
        return ""
    for key in (language, fallback):
        if key and text.get(key):
            return text[key]
    return next((v for v in text.values() if v), "")


JSON: Any = sa.JSON
