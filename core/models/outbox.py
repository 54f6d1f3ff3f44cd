from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from core.clock import utc_now
from core.models.enums import OutboxStatus
from core.models.types import JSON, UTCDateTime, enum_type


class OutboxMessage(SQLModel, table=True):
    """A message to send later (reminder, broadcast, notice), claimed with row locks so
    each goes out once whatever the number of bot processes."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    conference_id: int | None = Field(default=None, foreign_key="conference.id", ondelete="CASCADE")
    kind: str = Field(max_length=32)  # reminder, broadcast, notice
    chat_id: int = Field(sa_type=BigInteger)
    payload: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
    dedup_key: str = Field(max_length=128, unique=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=enum_type(OutboxStatus, "outbox_status"))
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Fencing token of the current claim (new at every claim): a holder writes only while it
    # is still the row's token, so a worker that lost its claim can neither send nor record.
    claim_token: str | None = Field(default=None, max_length=32)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram updates already handled (at-least-once delivery), by bot and update id:
    update ids are a bot's own sequence, so two bots (or tokens) on one database may share
    them. Pruned after a day. `bot_id` 0: recorded before bot ids were kept (see
    core.seen_updates.adopt_unattributed)."""

    __tablename__ = "processed_update"

    bot_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    update_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    seen_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, index=True)
