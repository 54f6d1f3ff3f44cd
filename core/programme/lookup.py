"""Finding a conference's agenda items: all of them in programme order; one named the way
people do (by its code from the programme file, or by its number: the CLI's `--session`);
one by id (the item a door is set to); the halls door staff can stand at. Read-only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import NotFound
from core.models import AgendaItem, AgendaKind, Conference
from core.text import fold

MAX_LISTED = 20  # codes named in the "not found" message
MAX_HALLS = 40  # items offered to door staff


async def agenda_items(session: AsyncSession, conference_id: int) -> list[AgendaItem]:
    """The conference's items in programme order (start, end, code), cancelled ones too."""
    rows = await session.execute(
        select(AgendaItem)
        .where(col(AgendaItem.conference_id) == conference_id)
        .order_by(col(AgendaItem.starts_at), col(AgendaItem.ends_at), col(AgendaItem.code))
    )
    return list(rows.scalars())


async def find_agenda_item(session: AsyncSession, conference: Conference, ref: str | int) -> AgendaItem:
    """The item of `conference` whose code is `ref` (exact, else the only one equal ignoring
    case and accents), else whose id is `ref` (a number, `#12` too). Raises `NotFound` (code
    `agenda_item_not_found`) listing the valid codes."""
    assert conference.id is not None
    text = str(ref).strip()
    items = list(
        (
            await session.execute(
                select(AgendaItem)
                .where(col(AgendaItem.conference_id) == conference.id)
                .order_by(col(AgendaItem.starts_at), col(AgendaItem.code))
            )
        ).scalars()
    )
    exact = [i for i in items if i.code == text]
    folded = [i for i in items if fold(i.code) == fold(text)]
    number = text.removeprefix("#")
    by_id = [i for i in items if number.isdigit() and i.id == int(number)]
    found = exact or (folded if len(folded) == 1 else []) or by_id
    if found:
        return found[0]
    codes = [i.code for i in items]
    listed = ", ".join(codes[:MAX_LISTED]) + (f", … ({len(codes)} in all)" if len(codes) > MAX_LISTED else "")
    hint = f"; codes: {listed}" if codes else "; it has no agenda items yet"
    raise NotFound(
        f"no agenda item '{text}' in {conference.slug}{hint}",
        code="agenda_item_not_found",
        ref=text,
        conference=conference.slug,
        codes=", ".join(codes),
    )


async def agenda_item_by_id(session: AsyncSession, conference_id: int, item_id: int) -> AgendaItem | None:
    """Item `item_id` if it is one of the conference's (None otherwise): a door's choice."""
    found = await session.get(AgendaItem, item_id)
    return found if found is not None and found.conference_id == conference_id else None


async def hall_items(session: AsyncSession, conference_id: int) -> list[AgendaItem]:
    """Where door staff can stand besides the venue entrance: the items people are scanned
    into (not breaks, not cancelled), in programme order, at most `MAX_HALLS`."""
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
    return list(rows.scalars())
