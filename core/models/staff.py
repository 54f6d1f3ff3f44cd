from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utc_now
from core.models.enums import StaffRoleName
from core.models.types import JSON, UTCDateTime, enum_type


class StaffRole(SQLModel, table=True):
    __tablename__ = "staff_role"
    __table_args__ = (UniqueConstraint("conference_id", "telegram_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    conference_id: int = Field(foreign_key="conference.id", ondelete="CASCADE")
    telegram_id: int = Field(sa_type=BigInteger, index=True)
    role: StaffRoleName = Field(sa_type=enum_type(StaffRoleName, "staff_role_name"))
    added_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AuditLog(SQLModel, table=True):
    """Who did what to which record, when. `actor_telegram_id` None = CLI or system."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_conference_at", "conference_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    conference_id: int | None = Field(default=None, foreign_key="conference.id", ondelete="CASCADE")
    actor_telegram_id: int | None = Field(default=None, sa_type=BigInteger)
    actor: str = Field(default="system", max_length=64)  # "tg:123", "cli:root", "system"
    action: str = Field(max_length=64)  # registration.approve, badge.reissue, …
    entity: str = Field(max_length=32)
    entity_id: int | None = None
    details: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
