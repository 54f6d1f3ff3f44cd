from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utc_now
from core.models.enums import AgendaKind, SignupStatus, SpeakerRole
from core.models.types import JSON, I18n, UTCDateTime, enum_type


class AgendaItem(SQLModel, table=True):
    """One item of the programme (a "session"; the table is not called Session)."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("conference_id", "code"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_non_negative"),
        Index("ix_agenda_item_conference_start", "conference_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conference_id: int = Field(foreign_key="conference.id", ondelete="CASCADE")
    code: str = Field(max_length=64)  # stable key within the conference file
    kind: AgendaKind = Field(sa_type=enum_type(AgendaKind, "agenda_kind"))
    title: I18n = Field(sa_type=JSON)
    description: I18n = Field(default_factory=dict, sa_type=JSON)
    hall: I18n = Field(default_factory=dict, sa_type=JSON)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    capacity: int | None = None  # None = unlimited
    # Category values admitted; empty = every approved participant.
    allowed_categories: list[str] = Field(default_factory=list, sa_type=JSON)
    # Whether participants sign up for it (thematic discussions) or just attend.
    signup_open: bool = False
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AgendaSpeaker(SQLModel, table=True):
    """A participant speaking at or moderating an item."""

    __tablename__ = "agenda_speaker"

    agenda_item_id: int = Field(foreign_key="agenda_item.id", primary_key=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", primary_key=True, ondelete="CASCADE")
    role: SpeakerRole = Field(default=SpeakerRole.SPEAKER, sa_type=enum_type(SpeakerRole, "speaker_role"))
    position: int = 0  # speaking order


class AgendaSignup(SQLModel, table=True):
    """A registration's seat (or place in line) at an agenda item. One row per pair:
    cancelling and signing up again reuse it.

    The waiting list is ordered by `waitlist_ticket`: a number drawn when joining the line
    (one more than the item's highest ticket still waiting, under the item's lock). It is
    not the place in line: the place is computed from the tickets still waiting
    (`core.programme.signups`), so it moves up as people ahead are promoted or leave."""

    __tablename__ = "agenda_signup"
    __table_args__ = (
        UniqueConstraint("registration_id", "agenda_item_id"),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlist_ticket IS NOT NULL)",
            name="waitlist_ticket_iff_waitlisted",
        ),
        # The waiting list in ticket order; an item's confirmed sign-ups in registration order
        # from the index alone (the by-session report's "signed up and scanned in").
        Index("ix_agenda_signup_item_status", "agenda_item_id", "status", "waitlist_ticket", "registration_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", ondelete="CASCADE")
    agenda_item_id: int = Field(foreign_key="agenda_item.id", ondelete="CASCADE")
    status: SignupStatus = Field(sa_type=enum_type(SignupStatus, "signup_status"))
    waitlist_ticket: int | None = None  # order in the waiting list (not the place: see above)
    promoted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
