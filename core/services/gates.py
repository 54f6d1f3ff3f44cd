"""Where door staff can stand: the venue entrance or an agenda item's hall."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import AgendaItem, AgendaKind

MAX_HALLS = 40


async def hall_items(session: AsyncSession, conference_id: int) -> list[AgendaItem]:
    """Items people are scanned into (not breaks, not cancelled), in programme order."""
    rows = await session.execute(
        select(AgendaItem).where(
            AgendaItem.conference_id == conference_id,  # type: ignore[arg-type]
            AgendaItem.kind != AgendaKind.BREAK,  # type: ignore[arg-type]
            AgendaItem.cancelled_at.is_(None),  # type: ignore[union-attr]
        ).order_by(AgendaItem.starts_at, AgendaItem.id).limit(MAX_HALLS)  # type: ignore[arg-type]
    )
    items = list(rows.scalars())
    await session.commit()
    return items


async def item(session: AsyncSession, conference_id: int, item_id: int) -> AgendaItem | None:
    found = await session.get(AgendaItem, item_id)
    await session.commit()
    return found if found is not None and found.conference_id == conference_id else None
