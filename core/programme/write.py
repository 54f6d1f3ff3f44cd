"""The writes of a programme load: a `ProgrammePlan` (core.programme.plan) applied to the
database, with its consequences: freed seats go to those waiting, people signed up for a
changed item are told, an audit row records the load. No commit: the caller's unit of work
ends the transaction (and rolls everything back on an error).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.audit import record
from core.models import AgendaItem, AgendaSpeaker, Conference, Delegation, Participant, Registration, RegistrationStatus
from core.programme.file_spec import ProgrammeDocument
from core.programme.plan import ItemPlan, PersonPlan, ProgrammePlan
from core.programme.reminders import ItemChange, enqueue_change_notices
from core.programme.signups import fill_free_seats
from core.programme.stored import PROGRAMME_SOURCE

DECIDED_BY_FILE = "programme file"
GONE_FROM_FILE = "removed from the programme file"


async def write_plan(
    session: AsyncSession, plan: ProgrammePlan, doc: ProgrammeDocument, *, actor: str, now: datetime
) -> None:
    conference_id = await _write_conference(session, plan, doc, now)
    delegations = await _write_delegations(session, plan, conference_id)
    people = await _write_people(session, plan.people, conference_id, delegations, now)
    for registration in plan.cancelled_registrations:
        registration.status = RegistrationStatus.CANCELLED
        registration.updated_at = registration.decided_at = now
        registration.decision_reason = GONE_FROM_FILE
    for code, head in plan.heads.items():
        delegations[code].head_participant_id = people[head] if head else None
    for code in plan.touched_delegations:
        delegations[code].updated_at = now
    items, changes = await _write_items(session, plan.items, conference_id, now)
    await _write_speakers(session, plan.items, items, people)
    for row in plan.dropped_items:
        await session.delete(row)
    for row in plan.cancelled_items:
        changes.append(ItemChange(row, ("cancelled",), row.starts_at, row.ends_at, dict(row.hall)))
        row.cancelled_at = row.updated_at = now
    await enqueue_change_notices(session, changes, now)
    await session.flush()
    for delegation in plan.dropped_delegations:
        await session.delete(delegation)
    record(
        session,
        action="programme.load",
        entity="conference",
        entity_id=conference_id,
        at=now,
        conference_id=conference_id,
        actor=actor,
        file=doc.source,
        **plan.diff.summary(),  # type: ignore[arg-type]  # created, added, changed, removed, cancelled
    )
    await session.flush()


def _set(row: object, values: dict[str, object]) -> None:
    for attr, value in values.items():
        setattr(row, attr, value)


async def _write_conference(session: AsyncSession, plan: ProgrammePlan, doc: ProgrammeDocument, now: datetime) -> int:
    conference = plan.conference.stored
    if conference is None:
        conference = Conference(slug=doc.conference.slug, **plan.conference.values)  # type: ignore[arg-type]
        session.add(conference)
        await session.flush()
    elif plan.conference.values:
        _set(conference, plan.conference.values)
        conference.updated_at = now
    assert conference.id is not None
    return conference.id


async def _write_delegations(session: AsyncSession, plan: ProgrammePlan, conference_id: int) -> dict[str, Delegation]:
    """The file's delegations by code, created or updated (heads come once people exist)."""
    rows: dict[str, Delegation] = {}
    for code, upsert in plan.delegations.items():
        row = upsert.stored
        if row is None:
            row = Delegation(conference_id=conference_id, code=code, **upsert.values)  # type: ignore[arg-type]
            session.add(row)
        else:
            _set(row, upsert.values)
        rows[code] = row
    await session.flush()
    return rows


async def _write_people(
    session: AsyncSession,
    people: list[PersonPlan],
    conference_id: int,
    delegations: dict[str, Delegation],
    now: datetime,
) -> dict[str, int]:
    """Participants and their registrations; returns participant ids by file key."""
    participants: dict[str, Participant] = {}
    for person in people:
        row = person.participant.stored
        if row is None:
            row = Participant(ref=person.spec.key, **person.participant.values)  # type: ignore[arg-type]
            session.add(row)
        elif person.participant.values:
            _set(row, person.participant.values)
            row.updated_at = now
        participants[person.spec.key] = row
    await session.flush()
    ids = {key: row.id for key, row in participants.items() if row.id is not None}
    for person in people:
        values = dict(person.registration.values)
        if "delegation" in values:
            code = values.pop("delegation")
            values["delegation_id"] = delegations[str(code)].id if code else None
        registration = person.registration.stored
        if registration is None:
            registration = Registration(
                conference_id=conference_id,
                participant_id=ids[person.spec.key],
                source=PROGRAMME_SOURCE,
                decided_at=now,
                decision_reason=DECIDED_BY_FILE,
                **values,  # type: ignore[arg-type]
            )
            session.add(registration)
            continue
        _set(registration, values)
        if "status" in values:
            registration.decided_at, registration.decided_by, registration.decision_reason = now, None, DECIDED_BY_FILE
        if values:
            registration.updated_at = now
    return ids


async def _write_items(
    session: AsyncSession, items: list[ItemPlan], conference_id: int, now: datetime
) -> tuple[list[AgendaItem], list[ItemChange]]:
    """The file's items, created or updated, in file order; and what their people are told.
    Seats freed by a larger capacity (or a reopened item) go to the waiting list."""
    rows: list[AgendaItem] = []
    changes: list[ItemChange] = []
    for plan in items:
        row = plan.row.stored
        if row is None:
            cancelled_at = now if plan.cancelled else None
            row = AgendaItem(
                conference_id=conference_id,
                code=plan.resolved.spec.code,
                cancelled_at=cancelled_at,
                **plan.row.values,  # type: ignore[arg-type]
            )
            session.add(row)
        else:
            before = (row.starts_at, row.ends_at, dict(row.hall))
            _set(row, plan.row.values)
            if plan.cancelled is not None:
                row.cancelled_at = now if plan.cancelled else None
            if plan.touched:
                row.updated_at = now
            if plan.notice:
                changes.append(ItemChange(row, plan.notice, *before))
        rows.append(row)
    await session.flush()
    for plan, row in zip(items, rows, strict=True):
        if plan.reseat:
            await fill_free_seats(session, row.id or 0, now)
    return rows, changes


async def _write_speakers(
    session: AsyncSession, items: list[ItemPlan], rows: list[AgendaItem], people: dict[str, int]
) -> None:
    for plan, row in zip(items, rows, strict=True):
        if plan.speakers is None:
            continue
        if plan.row.stored is not None:
            await session.execute(delete(AgendaSpeaker).where(col(AgendaSpeaker.agenda_item_id) == row.id))
        if plan.speakers:
            await session.execute(
                insert(AgendaSpeaker),
                [
                    {"agenda_item_id": row.id, "participant_id": people[key], "role": role, "position": n}
                    for key, role, n in plan.speakers
                ],
            )
