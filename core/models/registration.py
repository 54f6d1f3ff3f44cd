from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utc_now
from core.models.enums import Category, RegistrationStatus
from core.models.types import UTCDateTime, enum_type


class Registration(SQLModel, table=True):
    """A participant's accreditation for one conference."""

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("conference_id", "participant_id"),
        CheckConstraint("badge_version >= 1", name="badge_version_positive"),
        CheckConstraint("badge_print_count >= 0", name="print_count_non_negative"),
        Index("ix_registration_conference_status", "conference_id", "status"),
        Index("ix_registration_delegation_status", "delegation_id", "status"),
        # Reports (core/reporting/attendance.py), index-only: counts by delegation, category, status.
        Index("ix_registration_report", "conference_id", "delegation_id", "category", "status"),
        # /stats, index-only: registrations by category and status, in that order (no sort).
        Index("ix_registration_category_status", "conference_id", "category", "status"),
        # Who is inside now: a conference's registrations in id order, so that SQLite's look-ups
        # of their presence rows (keyed by registration id) step from one to the next.
        Index("ix_registration_id_report", "conference_id", "id", "delegation_id", "category"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conference_id: int = Field(foreign_key="conference.id", ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE")
    delegation_id: int | None = Field(default=None, foreign_key="delegation.id", ondelete="SET NULL")
    category: Category = Field(sa_type=enum_type(Category, "category"))
    status: RegistrationStatus = Field(
        default=RegistrationStatus.PENDING,
        sa_type=enum_type(RegistrationStatus, "registration_status"),
    )
    decided_by: int | None = Field(default=None, sa_type=BigInteger)  # Telegram id, or None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_reason: str | None = Field(default=None, max_length=500)
    source: str = Field(default="bot", max_length=16)  # bot, import, programme, invitation
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id", ondelete="SET NULL")
    # A personal deep-link token that binds a Telegram account to an imported registration.
    bind_token: str | None = Field(default=None, max_length=32, unique=True)
    badge_version: int = 1
    badge_print_count: int = 0
    badge_printed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    badge_file_id: str | None = Field(default=None, max_length=200)  # Telegram cache
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """A deep link `?start=inv_<token>` that pre-fills the delegation (and category)."""

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint("max_uses IS NULL OR max_uses >= 1", name="max_uses_positive"),
        CheckConstraint("uses >= 0", name="uses_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conference_id: int = Field(foreign_key="conference.id", ondelete="CASCADE", index=True)
    token: str = Field(max_length=32, unique=True)
    delegation_id: int | None = Field(default=None, foreign_key="delegation.id", ondelete="CASCADE")
    category: Category | None = Field(default=None, sa_type=enum_type(Category, "invitation_category"))
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    max_uses: int | None = None
    uses: int = 0
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
