"""Where door staff can stand: the venue entrance or an agenda item's hall."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.models import AgendaItem, AgendaKind

MAX_HALLS = 40


async def hall_items(session: AsyncSession, conference_id: int) -> list[AgendaItem]:
    """Items people are scanned into (not breaks, not cancelled), in programme order."""
    rows = await session.execute(
        select(AgendaItem)
        .where(
            col(AgendaItem.conference_id) == conference_id,
            col(AgendaItem.kind) != AgendaKind.BREAK,
            col(AgendaItem.cancelled_at).is_(None),
        )
        .order_by(col(AgendaItem.starts_at), col(AgendaItem.id))
        .limit(MAX_HALLS)  # type: ignore[arg-type]
    )
    items = list(rows.scalars())
    await session.commit()
    return items


async def item(session: AsyncSession, conference_id: int, item_id: int) -> AgendaItem | None:
    found = await session.get(AgendaItem, item_id)
    await session.commit()
    return found if found is not None and found.conference_id == conference_id else None
