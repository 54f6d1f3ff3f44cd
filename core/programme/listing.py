"""The programme as the organisers' commands list it: `confdesk program show` (the agenda
with its speakers and moderators) and `confdesk program list` (the conferences with counts).
Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.models import AgendaItem, AgendaSpeaker, Conference, Delegation, Participant, Registration, SpeakerRole
from core.programme.lookup import agenda_items


@dataclass(frozen=True)
class AgendaEntry:
    item: AgendaItem
    speakers: tuple[Participant, ...]
    moderators: tuple[Participant, ...]


async def agenda_of(session: AsyncSession, conference_id: int) -> list[AgendaEntry]:
    items = await agenda_items(session, conference_id)
    rows = await session.execute(
        select(AgendaSpeaker, Participant)
        .join(Participant, col(Participant.id) == col(AgendaSpeaker.participant_id))
        .join(AgendaItem, col(AgendaItem.id) == col(AgendaSpeaker.agenda_item_id))
        .where(col(AgendaItem.conference_id) == conference_id)
        .order_by(col(AgendaSpeaker.position))
    )
    by_item: dict[int, list[tuple[AgendaSpeaker, Participant]]] = {}
    for speaker, person in rows.all():
        by_item.setdefault(speaker.agenda_item_id, []).append((speaker, person))
    return [
        AgendaEntry(
            item,
            tuple(p for s, p in by_item.get(item.id or 0, []) if s.role == SpeakerRole.SPEAKER),
            tuple(p for s, p in by_item.get(item.id or 0, []) if s.role == SpeakerRole.MODERATOR),
        )
        for item in items
    ]


@dataclass(frozen=True)
class ConferenceSummary:
    conference: Conference
    delegations: int
    items: int
    registrations: int


async def list_conferences(session: AsyncSession) -> list[ConferenceSummary]:
    def count(column: Any, table: Any) -> Any:
        return select(func.count()).select_from(table).where(column == col(Conference.id)).scalar_subquery()

    rows = await session.execute(
        select(
            Conference,
            count(col(Delegation.conference_id), Delegation),
            count(col(AgendaItem.conference_id), AgendaItem),
            count(col(Registration.conference_id), Registration),
        ).order_by(col(Conference.first_day), col(Conference.id))
    )
    return [ConferenceSummary(c, d, i, r) for c, d, i, r in rows.all()]
