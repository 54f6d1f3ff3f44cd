from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from core.clock import utc_now
from core.models.types import UTCDateTime


class Participant(SQLModel, table=True):
    """A person. Known by Telegram id once they use the bot; `ref` is an external key
    (programme file, protocol office import) for people registered on their behalf."""

    __tablename__ = "participant"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    telegram_username: str | None = Field(default=None, max_length=64)
    ref: str | None = Field(default=None, max_length=64, unique=True)
    full_name: str = Field(max_length=200)  # Latin script, as on the passport
    native_name: str | None = Field(default=None, max_length=200)  # any script
    position: str | None = Field(default=None, max_length=300)
    organisation: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=254)
    language: str | None = Field(default=None, max_length=8)
    blocked_bot_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    forgotten_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class UserPref(SQLModel, table=True):
    """Per Telegram account, registered or not (officers, door staff): the language to
    write to them in, from their app on first contact or chosen with /language."""

    __tablename__ = "user_pref"

    telegram_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    language: str = Field(max_length=8)
    chosen: bool = False  # True once set with /language; never overwritten by the app's language
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
