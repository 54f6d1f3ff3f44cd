from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utc_now
from core.models.enums import DelegationKind
from core.models.types import JSON, I18n, UTCDateTime, enum_type


class Delegation(SQLModel, table=True):
    """A state, an international organisation or another group, per conference."""

    __tablename__ = "delegation"
    __table_args__ = (
        UniqueConstraint("conference_id", "code"),
        CheckConstraint("quota IS NULL OR quota >= 0", name="quota_non_negative"),
        CheckConstraint("kind != 'state' OR country IS NOT NULL", name="state_has_country"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conference_id: int = Field(foreign_key="conference.id", ondelete="CASCADE", index=True)
    code: str = Field(max_length=32)  # stable key within the conference: "BY", "OSCE"
    kind: DelegationKind = Field(sa_type=enum_type(DelegationKind, "delegation_kind"))
    name: I18n = Field(sa_type=JSON)
    country: str | None = Field(default=None, max_length=2)  # ISO 3166-1 alpha-2, states
    quota: int | None = None  # seats it may accredit; None = unlimited
    head_participant_id: int | None = Field(default=None, foreign_key="participant.id", ondelete="SET NULL")
    auto_approve: bool = False
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
