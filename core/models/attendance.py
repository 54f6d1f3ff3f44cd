from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from core.models.enums import Category
from core.models.types import JSON, UTCDateTime, enum_type


class AttendanceDay(SQLModel, table=True):
    """One registration checked in on one conference-local day: its first and last accepted
    entry ("in", result ok, at the venue or in any hall) of that day. A summary of `scan`
    that reports count instead of de-duplicating a day's entries; maintained only by
    core.reporting.summary (folded from the scans before a report reads it).

    `category` and `delegation_id` are copies of the registration's: written with the row
    (read from registration in the same statement), rewritten by the database when the
    registration's category or delegation changes, by any writer (a trigger, migration 0013;
    a delegation deleted sets it NULL there and so here), so /stats and the delegation report
    count a day's people by category and delegation from an index of this table alone,
    instead of looking up every registration (issue 17)."""

    __tablename__ = "attendance_day"
    __table_args__ = (
        Index("ix_attendance_day_registration", "registration_id", "day"),
        # Reports (core/reporting/attendance.py), index-only: people checked in on a day by
        # delegation and category, in that order (GROUP BY without a sort).
        Index("ix_attendance_day_report", "conference_id", "day", "delegation_id", "category"),
    )

    conference_id: int = Field(foreign_key="conference.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", primary_key=True, ondelete="CASCADE")
    first_in: datetime = Field(sa_type=UTCDateTime)
    last_in: datetime = Field(sa_type=UTCDateTime)
    category: Category = Field(sa_type=enum_type(Category, "attendance_day_category"))
    delegation_id: int | None = None


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


class AttendanceItemPerson(SQLModel, table=True):
    """A registration scanned in at an agenda item (an accepted hall entry), once however
    often: the people of the by-session report, folded with `attendance_day` from the same
    scans (core.reporting.summary). No conference day in it: a change of time zone leaves
    it as it is. A registration deleted takes its rows (and, by a trigger, its count in
    `attendance_item`: migration 0015)."""

    __tablename__ = "attendance_item_person"

    registration_id: int = Field(foreign_key="registration.id", primary_key=True, ondelete="CASCADE")
    agenda_item_id: int = Field(primary_key=True)  # no foreign key: an item is deleted only while no scan names it


class AttendanceItem(SQLModel, table=True):
    """How many registrations `attendance_item_person` holds for an agenda item (written by
    the fold that adds them, lowered by migration 0015's trigger when one is deleted), so
    the by-session report reads its people per item instead of counting distinct people
    over the item's entries."""

    __tablename__ = "attendance_item"

    agenda_item_id: int = Field(primary_key=True)
    conference_id: int = Field(foreign_key="conference.id", ondelete="CASCADE")
    people: int = 0
