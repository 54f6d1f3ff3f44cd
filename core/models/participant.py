from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, event
from sqlmodel import Field, SQLModel

from core.clock import utc_now
from core.models.types import UTCDateTime
from core.text import name_key


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
    # `core.text.name_key` of the names and username, set on every ORM insert and update
    # (below): /find filters on it in SQL (core/reporting/search.py). Code that writes the
    # names with a Core statement must set it too.
    search_name: str = Field(default="", sa_type=sa.Text, sa_column_kwargs={"server_default": ""})


@event.listens_for(Participant, "before_insert")
@event.listens_for(Participant, "before_update")
def _keep_search_name(_mapper: Any, _connection: Any, target: Participant) -> None:
    target.search_name = name_key(target.full_name, target.native_name, target.telegram_username)


class UserPref(SQLModel, table=True):
    """Per Telegram account, registered or not (officers, door staff): the language to
    write to them in, from their app on first contact or chosen with /language."""

    __tablename__ = "user_pref"

    telegram_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    language: str = Field(max_length=8)
    chosen: bool = False  # True once set with /language; never overwritten by the app's language
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
