"""What the database holds for a programme file's conference: read once, before planning
(`core.programme.plan` compares the file with it; `core.programme.write` changes its rows).

The conference row is read `FOR UPDATE` (PostgreSQL): two loads of one conference run one
after the other. Reading writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from core.joins import PERSON_OF_REGISTRATION
from core.models import (
    AgendaItem,
    AgendaSignup,
    AgendaSpeaker,
    Conference,
    Delegation,
    Participant,
    Registration,
    RegistrationStatus,
    Scan,
    SignupStatus,
    SpeakerRole,
)
from core.programme.file_spec import ProgrammeDocument

PROGRAMME_SOURCE = "programme"  # Registration.source of people from the file

M = TypeVar("M", bound=SQLModel)

# A speaker row as stored: (participant id, role, position).
StoredSpeaker = tuple[int, SpeakerRole, int]


@dataclass
class StoredProgramme:
    conference: Conference | None  # None: the file's slug is a new conference
    people: dict[str, Participant]  # the file's people who exist, by key (`Participant.ref`)
    delegations: dict[str, Delegation] = field(default_factory=dict)  # by code
    registrations: dict[int, Registration] = field(default_factory=dict)  # by participant id
    # registrations the file made that are not cancelled, with their person's key
    from_file: list[tuple[Registration, str | None]] = field(default_factory=list)
    items: dict[str, AgendaItem] = field(default_factory=dict)  # by code
    speakers: dict[int, list[StoredSpeaker]] = field(default_factory=dict)  # by item id
    confirmed: dict[int, int] = field(default_factory=dict)  # confirmed sign-ups by item id
    used: set[int] = field(default_factory=set)  # items missing from the file with sign-ups or scans


async def read_stored(session: AsyncSession, doc: ProgrammeDocument) -> StoredProgramme:
    query = select(Conference).where(col(Conference.slug) == doc.conference.slug).with_for_update()
    conference = (await session.execute(query)).scalar_one_or_none()
    keys = [p.key for p in doc.people]
    found = await session.scalars(select(Participant).where(col(Participant.ref).in_(keys)))
    stored = StoredProgramme(conference, {p.ref: p for p in found if p.ref})
    if conference is None:
        return stored
    assert conference.id is not None
    conf_id = conference.id
    stored.delegations = {d.code: d for d in await _rows(session, Delegation, col(Delegation.conference_id) == conf_id)}
    registrations = await _rows(session, Registration, col(Registration.conference_id) == conf_id)
    stored.registrations = {r.participant_id: r for r in registrations}
    stored.from_file = await _registrations_from_file(session, conf_id)
    stored.items = {a.code: a for a in await _rows(session, AgendaItem, col(AgendaItem.conference_id) == conf_id)}
    if stored.items:
        stored.speakers = await _speakers(session, conf_id)
        stored.confirmed = await _confirmed(session, conf_id)
    in_file = {r.spec.code for r in doc.items}
    stored.used = await _used(session, [a.id for code, a in stored.items.items() if code not in in_file and a.id])
    return stored


async def _rows(session: AsyncSession, model: type[M], condition: Any) -> list[M]:
    """The rows of `model` meeting `condition`, in id order."""
    query = select(model).where(condition).order_by(model.id)  # type: ignore[attr-defined]
    return list(await session.scalars(query))


async def _registrations_from_file(session: AsyncSession, conf_id: int) -> list[tuple[Registration, str | None]]:
    rows = await session.execute(
        select(Registration, col(Participant.ref))
        .join(Participant, PERSON_OF_REGISTRATION)
        .where(
            col(Registration.conference_id) == conf_id,
            col(Registration.source) == PROGRAMME_SOURCE,
            col(Registration.status) != RegistrationStatus.CANCELLED,
        )
        .order_by(col(Registration.id))
    )
    return [(registration, ref) for registration, ref in rows.all()]


async def _speakers(session: AsyncSession, conf_id: int) -> dict[int, list[StoredSpeaker]]:
    rows = await session.execute(
        select(
            col(AgendaSpeaker.agenda_item_id),
            col(AgendaSpeaker.participant_id),
            col(AgendaSpeaker.role),
            col(AgendaSpeaker.position),
        )
        .join(AgendaItem, col(AgendaItem.id) == col(AgendaSpeaker.agenda_item_id))
        .where(col(AgendaItem.conference_id) == conf_id)
    )
    speakers: dict[int, list[StoredSpeaker]] = {}
    for item_id, participant_id, role, position in rows.all():
        speakers.setdefault(item_id, []).append((participant_id, role, position))
    return speakers


async def _confirmed(session: AsyncSession, conf_id: int) -> dict[int, int]:
    rows = await session.execute(
        select(col(AgendaSignup.agenda_item_id), func.count())
        .join(AgendaItem, col(AgendaItem.id) == col(AgendaSignup.agenda_item_id))
        .where(col(AgendaItem.conference_id) == conf_id, col(AgendaSignup.status) == SignupStatus.CONFIRMED)
        .group_by(col(AgendaSignup.agenda_item_id))
    )
    return {item_id: int(n) for item_id, n in rows.all()}


async def _used(session: AsyncSession, item_ids: Sequence[int]) -> set[int]:
    """Of `item_ids`, those that people signed up for (whatever became of it) or were scanned into."""
    if not item_ids:
        return set()
    signed = select(col(AgendaSignup.agenda_item_id)).where(col(AgendaSignup.agenda_item_id).in_(item_ids))
    scanned = select(col(Scan.agenda_item_id)).where(col(Scan.agenda_item_id).in_(item_ids))
    used = set((await session.execute(signed.distinct())).scalars())
    return used | {i for i in (await session.execute(scanned.distinct())).scalars() if i is not None}
