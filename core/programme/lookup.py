"""Naming things the way people do: an agenda item by its code (from the programme file)
or by its number, one rule for every entry point."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import NotFound
from core.models import AgendaItem, Conference

MAX_LISTED = 20  # codes named in the "not found" message


async def find_agenda_item(session: AsyncSession, conference: Conference, ref: str | int) -> AgendaItem:
    """The item of `conference` whose code is `ref` (exact, else the only one equal ignoring
    case), else whose id is `ref` (a number, `#12` too). Raises `NotFound` (code
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
    await session.commit()  # read-only: release the connection; the items stay usable
    exact = [i for i in items if i.code == text]
    folded = [i for i in items if i.code.casefold() == text.casefold()]
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
