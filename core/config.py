"""Settings from the environment and `.env` (pydantic-settings).

A missing or malformed value becomes a one-line `ConfigError` that names the variable and
what it expects; secrets are `SecretStr` and never appear in logs or error text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///confdesk.db"
_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{1,128}")  # what Telegram issues (aiogram checks the same shape)
LANGUAGES = ("en", "ru")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is safe to print (no values)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    bot_token: SecretStr | None = Field(
        default=None, description="the token from @BotFather: the bot's number, a colon, then letters, digits, _ or -"
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///file.db or postgresql+asyncpg://…",
    )
    redis_url: str | None = Field(default=None, description="redis://host:port/db")
    max_updates_in_flight: int = Field(default=100, ge=1, le=1000, description="updates handled at once, 1-1000")
    redis_max_connections: int | None = Field(
        default=None, ge=1, le=10_000, description="connections to Redis, 1-10000 (default: MAX_UPDATES_IN_FLIGHT + 10)"
    )
    telegram_api_url: str = Field(default="https://api.telegram.org", description="base URL of the Bot API server")
    badge_secret: SecretStr | None = Field(default=None, description="at least 32 characters of random text")
    bot_username: str | None = Field(default=None, description="bot username without @")
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="comma-separated Telegram user ids"
    )
    default_language: Literal["en", "ru"] = Field(default="en", description="en or ru")
    conference: str | None = Field(default=None, description="slug of the current conference (default: the latest)")
    webhook_url: str | None = Field(default=None, description="public https URL for webhooks")
    webhook_secret: SecretStr | None = Field(default=None, description="1-256 chars A-Za-z0-9_-")
    webapp_url: str | None = Field(
        default=None, description="the Mini App's public https:// address, e.g. https://confdesk.example/app/"
    )
    web_host: str | None = Field(default=None, description="address the Mini App server listens on in polling mode")
    web_port: int | None = Field(default=None, ge=0, le=65535, description="port 0-65535 for the Mini App server")
    board_link_hours: int = Field(default=12, ge=1, le=24 * 7, description="hours 1-168 a /board link stays valid")
    reminder_minutes: int = Field(default=15, ge=0, le=24 * 60, description="minutes 0-1440")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING or ERROR"
    )

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return [int(p) for p in parts if p]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected sqlite+aiosqlite:///… or postgresql+asyncpg://…")
        return value

    @field_validator("bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("malformed")
        return value

    @field_validator("badge_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("expected at least 32 characters")
        return value

    @field_validator("webapp_url")
    @classmethod
    def _check_webapp_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("expected an https:// address without query or fragment (Telegram opens only https)")
        return value

    @field_validator("bot_username")
    @classmethod
    def _strip_at(cls, value: str | None) -> str | None:
        return value.lstrip("@") if value else value

    @property
    def redis_pool_size(self) -> int:
        """An update in flight runs one Redis command at a time (isolation lock, FSM state,
        seen-update key): a pool as large as the updates in flight never makes one wait;
        the few spare ones serve the health check."""
        return self.redis_max_connections or self.max_updates_in_flight + 10

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _describe(error: ValidationError) -> str:
    """One line per bad variable, naming it and what it expects, never its value."""
    fields = Settings.model_fields
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "?"
        expected = fields[name].description if name in fields else None
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] in ("int_parsing", "literal_error", "value_error") and expected:
            reason = f"expected {expected}"
        lines.append(f"{name.upper()}: {reason}")
    return "; ".join(dict.fromkeys(lines))


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"invalid setting: {_describe(exc)}") from None
    except ValueError as exc:  # a list/JSON env var that does not parse
        raise ConfigError(f"invalid setting: {exc}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
