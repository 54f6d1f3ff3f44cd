from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from core.clock import utc_now
from core.models.enums import ScanDirection, ScanResult
from core.models.types import UTCDateTime, enum_type

# An accepted entry into a hall: what ix_scan_report_item holds.
ITEM_ENTRY = "result = 'ok' AND direction = 'in' AND agenda_item_id IS NOT NULL"


class Scan(SQLModel, table=True):
    """Every badge scan, failed ones too. `registration_id` is None for an unknown or
    forged code; `agenda_item_id` None means the venue entrance."""

    __tablename__ = "scan"
    __table_args__ = (
        Index("ix_scan_conference_at", "conference_id", "scanned_at"),
        Index("ix_scan_registration_at", "registration_id", "scanned_at"),
        Index("ix_scan_item_at", "agenda_item_id", "scanned_at"),
        # Reports (core/reporting/), index-only: who entered when; who came to which item.
        Index(
            "ix_scan_report_day",
            "conference_id",
            "result",
            "direction",
            "scanned_at",
            "registration_id",
            "agenda_item_id",
        ),
        # Accepted hall entries only (a partial index: ~30 % of scans, two columns): who came
        # to which item. Queries it serves spell result and direction as literals
        # (core.reporting.sql.item_entries): a bound parameter does not prove the predicate.
        Index(
            "ix_scan_report_item",
            "agenda_item_id",
            "registration_id",
            sqlite_where=sa.text(ITEM_ENTRY),
            postgresql_where=sa.text(ITEM_ENTRY),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    conference_id: int = Field(foreign_key="conference.id", ondelete="CASCADE")
    registration_id: int | None = Field(default=None, foreign_key="registration.id", ondelete="SET NULL")
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id", ondelete="SET NULL")
    direction: ScanDirection = Field(sa_type=enum_type(ScanDirection, "scan_direction"))
    result: ScanResult = Field(sa_type=enum_type(ScanResult, "scan_result"))
    scanned_at: datetime = Field(sa_type=UTCDateTime)
    staff_telegram_id: int | None = Field(default=None, sa_type=BigInteger)
    gate: str = Field(default="", max_length=64)
    badge_version: int | None = None
    raw: str = Field(default="", max_length=256)  # what was scanned, cut to 256
    nonce: str | None = Field(default=None, max_length=64, unique=True)
    # judged by a kiosk from its local copy while the central database was out of reach
    # (uploaded afterwards, see core/checkin/offline); `offline_conflict`: what the central
    # database knew at upload that the kiosk did not (a reissue, a withdrawal) for a badge it let in
    offline: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    offline_conflict: str | None = Field(default=None, max_length=32)


class Presence(SQLModel, table=True):
    """Where a registration is now: the state the check-in service moves and locks.
    `inside` with no item is the venue; with an item, that hall."""

    __tablename__ = "presence"
    __table_args__ = (Index("ix_presence_item_inside", "agenda_item_id", "inside"),)

    registration_id: int = Field(foreign_key="registration.id", primary_key=True, ondelete="CASCADE")
    inside: bool = False
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id", ondelete="SET NULL")
    since: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    last_scan_id: int | None = Field(default=None, foreign_key="scan.id", ondelete="SET NULL")
