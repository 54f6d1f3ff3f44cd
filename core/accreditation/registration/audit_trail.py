"""The audit row of something done to a registration (`core.audit`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.models import Registration


def record(
    session: AsyncSession,
    action: str,
    reg: Registration,
    at: datetime,
    *,
    actor_telegram_id: int | None = None,
    actor: str | None = None,
    **details: object,
) -> None:
    audit.record(
        session,
        action=action,
        entity="registration",
        entity_id=reg.id,
        at=at,
        conference_id=reg.conference_id,
        actor_telegram_id=actor_telegram_id,
        actor=actor,
        **details,
    )


async def write(
    session: AsyncSession,
    action: str,
    reg: Registration,
    at: datetime,
    *,
    actor_telegram_id: int | None = None,
    actor: str | None = None,
    **details: object,
) -> None:
    """As `record`, the row inserted at once (`core.audit.write`): `reg` must have its id."""
    await audit.write(
        session,
        action=action,
        entity="registration",
        entity_id=reg.id,
        at=at,
        conference_id=reg.conference_id,
        actor_telegram_id=actor_telegram_id,
        actor=actor,
        **details,
    )
