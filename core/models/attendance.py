from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from core.models.types import JSON, UTCDateTime


class AttendanceDay(SQLModel, table=True):
    """One registration checked in on one conference-local day: its first and last accepted
    entry ("in", result ok, at the venue or in any hall) of that day. A summary of `scan`
    that reports count instead of de-duplicating a day's entries; maintained only by
    core.reporting.summary (folded from the scans before a report reads it)."""

    __tablename__ = "attendance_day"
    __table_args__ = (Index("ix_attendance_day_registration", "registration_id", "day"),)

    conference_id: int = Field(foreign_key="conference.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", primary_key=True, ondelete="CASCADE")
    first_in: datetime = Field(sa_type=UTCDateTime)
    last_in: datetime = Field(sa_type=UTCDateTime)


class AttendanceFold(SQLModel, table=True):
    """How far `attendance_day` of a conference is folded: every scan with an id up to
    `scan_id` is in it, but those in `pending` (id ranges [lo, hi] not yet visible when
    folded, with when they were first missed: an insert not yet committed on PostgreSQL),
    with days in `timezone` (another time zone: rebuilt from scratch). Its row is the lock
    that serialises folds of the conference."""

    __tablename__ = "attendance_fold"

    conference_id: int = Field(foreign_key="conference.id", primary_key=True, ondelete="CASCADE")
    scan_id: int = 0
    timezone: str = Field(default="", max_length=64)
    pending: list[list[int | str]] = Field(default_factory=list, sa_type=JSON)
    folded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AttendanceTally(SQLModel, table=True):
    """A conference-local day's scan counts, for the day report: every scan, the accepted
    ones (ok, in or out), the accepted entries at the venue entrance (no agenda item).
    Maintained with `attendance_day` (core.reporting.summary)."""

    __tablename__ = "attendance_tally"

    conference_id: int = Field(foreign_key="conference.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    scans: int = 0
    accepted: int = 0
    entries: int = 0
