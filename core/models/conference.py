from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from core.clock import utc_now
from core.models.types import JSON, I18n, UTCDateTime


class Conference(SQLModel, table=True):
    """One edition of a conference; several live side by side in one database."""

    __tablename__ = "conference"
    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="days_ordered"),
        CheckConstraint("edition >= 1", name="edition_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    edition: int
    name: I18n = Field(sa_type=JSON)
    venue: I18n = Field(default_factory=dict, sa_type=JSON)
    city: I18n = Field(default_factory=dict, sa_type=JSON)
    timezone: str = Field(max_length=64)
    first_day: date
    last_day: date
    # Categories whose registrations are approved without an officer (e.g. ["press"]).
    auto_approve_categories: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AppSetting(SQLModel, table=True):
    """Small facts the app learns at run time: the bot's username, a generated badge secret."""

    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=512)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
