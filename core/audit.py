"""Audit trail: services add a row in the same transaction as the change they record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import AuditLog


def actor_label(telegram_id: int | None, actor: str | None = None) -> str:
    if actor:
        return actor
    return f"tg:{telegram_id}" if telegram_id is not None else "system"


def _row(  # the row's columns, in order
    action: str,
    entity: str,
    entity_id: int | None,
    at: datetime,
    conference_id: int | None,
    actor_telegram_id: int | None,
    actor: str | None,
    details: dict[str, object],
) -> dict[str, Any]:
    return {
        "at": at,
        "conference_id": conference_id,
        "actor_telegram_id": actor_telegram_id,
        "actor": actor_label(actor_telegram_id, actor),
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "details": details,
    }


def record(
    session: AsyncSession,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    at: datetime,
    conference_id: int | None = None,
    actor_telegram_id: int | None = None,
    actor: str | None = None,
    **details: object,
) -> AuditLog:
    """Add the row (no flush, no commit); returned for callers that need its id later."""
    row = AuditLog(**_row(action, entity, entity_id, at, conference_id, actor_telegram_id, actor, details))
    session.add(row)
    return row


# On the table, not the ORM class: an INSERT on the class is run as an ORM bulk insert,
# whose bookkeeping cost as much CPU as the statement itself.
_INSERT = insert(AuditLog.__table__)  # type: ignore[attr-defined]


async def write(
    session: AsyncSession,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    at: datetime,
    conference_id: int | None = None,
    actor_telegram_id: int | None = None,
    actor: str | None = None,
    **details: object,
) -> None:
    """The same row as `record`, inserted now with one prebuilt statement (no ORM object
    and no flush of its own: about half the CPU), for hot paths that need no row back."""
    values = _row(action, entity, entity_id, at, conference_id, actor_telegram_id, actor, details)
    await session.execute(_INSERT, values)
