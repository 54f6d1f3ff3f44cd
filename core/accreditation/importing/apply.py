"""Importing a table: every row read and planned first; then, if nothing is wrong, every
change written (participants, registrations, personal link tokens, audit rows).

All or nothing: any problem raises `ImportFailed` before anything is written. Delegation
rows are locked while the import plans seats, so quotas hold against people registering
through the bot meanwhile; the caller's unit of work commits the whole import at once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import audit
from core.accreditation import quota
from core.accreditation.importing.plan import RowPlan, plan_import
from core.accreditation.importing.read import Table, read_table
from core.accreditation.importing.results import ImportFailed, ImportResult, RowOutcome
from core.accreditation.importing.rows import parse_rows
from core.accreditation.registration import audit_trail
from core.accreditation.registration.personal_links import new_bind_token
from core.accreditation.registration.registering import approve_without_officer, back_to_pending
from core.clock import Clock, utc_now
from core.models import Conference, Delegation, Participant, Registration

IMPORT_SOURCE = "import"


async def _delegations(session: AsyncSession, conference: Conference, *, lock: bool) -> list[Delegation]:
    query = select(Delegation).where(col(Delegation.conference_id) == conference.id).order_by(col(Delegation.id))
    if lock:
        query = query.with_for_update()
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def _plans(
    session: AsyncSession, conference: Conference, table: Table, delegations: list[Delegation]
) -> tuple[list[RowPlan], list[str]]:
    """Every row's plan and the warnings; `ImportFailed` listing every problem."""
    rows, problems = parse_rows(table, delegations)
    plans, db_problems, warnings = await plan_import(session, conference, rows, delegations)
    problems.extend(db_problems)
    if problems:
        listed = [f"row {n}: {text}" if n > 0 else text for n, text in sorted(problems, key=lambda x: x[0])]
        raise ImportFailed(listed, table.where)
    return plans, warnings


async def _write_people(session: AsyncSession, plans: list[RowPlan], now: datetime) -> list[Participant]:
    """Each plan's participant, changed or new (flushed: the new ones get their ids)."""
    people: list[Participant] = []
    for plan in plans:
        person = plan.participant
        if person is None:
            person = Participant(full_name=plan.row.person.full_name, created_at=now)
            session.add(person)
        for name, value in plan.person.items():
            setattr(person, name, value)
        if plan.person:
            person.updated_at = now
        people.append(person)
    await session.flush()
    return people


def _write_registration(
    session: AsyncSession, conference_id: int, plan: RowPlan, person: Participant, now: datetime
) -> Registration:
    r, reg = plan.row, plan.registration
    assert person.id is not None
    if reg is None:
        reg = Registration(
            conference_id=conference_id,
            participant_id=person.id,
            category=r.category,
            delegation_id=r.delegation.id if r.delegation else None,
            source=IMPORT_SOURCE,
            created_at=now,
            updated_at=now,
        )
        session.add(reg)
        plan.registration = reg
    else:
        for name, value in plan.reg.items():
            setattr(reg, name, value)
    if plan.approve:
        approve_without_officer(reg, now, plan.approve)
    elif plan.to_pending:
        back_to_pending(reg)
    if plan.reg or plan.approve or plan.to_pending:
        reg.updated_at = now
    if person.telegram_id is None and reg.status in quota.ACTIVE and reg.bind_token is None:
        reg.bind_token = new_bind_token()
    elif person.telegram_id is not None and reg.bind_token is not None:
        reg.bind_token = None
    return reg


def _record_row(session: AsyncSession, plan: RowPlan, reg: Registration, now: datetime, actor: str) -> None:
    r = plan.row
    if plan.is_new:
        audit_trail.record(
            session,
            "registration.create",
            reg,
            now,
            actor=actor,
            source=IMPORT_SOURCE,
            row=r.row,
            category=r.category.value,
            delegation=r.delegation.code if r.delegation else None,
            status=reg.status.value,
        )
    elif plan.changed:
        audit_trail.record(
            session,
            "registration.edit",
            reg,
            now,
            actor=actor,
            source=IMPORT_SOURCE,
            row=r.row,
            fields=plan.changed,
            matched_by=plan.matched_by,
        )
    if plan.approve == "import":
        audit_trail.record(session, "registration.approve", reg, now, actor=actor, reason="import")


def _count(result: ImportResult, plan: RowPlan, registration_id: int | None) -> None:
    action = "created" if plan.is_new else ("updated" if plan.changed else "unchanged")
    setattr(result, action, getattr(result, action) + 1)
    result.rows.append(
        RowOutcome(
            row=plan.row.row,
            action=action,
            full_name=plan.row.person.full_name,
            delegation=plan.row.delegation.code if plan.row.delegation else None,
            registration_id=registration_id,
            matched_by=plan.matched_by,
            changed=plan.changed if action == "updated" else [],
            status=plan.final_status.value,
        )
    )


async def _write(
    session: AsyncSession, conference: Conference, plans: list[RowPlan], result: ImportResult, actor: str, now: datetime
) -> None:
    """Participants first (one flush gives the new ones their ids), then registrations, then
    what each row did in the audit log and the result."""
    assert conference.id is not None
    people = await _write_people(session, plans, now)
    regs = [
        _write_registration(session, conference.id, plan, person, now)
        for plan, person in zip(plans, people, strict=True)
    ]
    await session.flush()
    for plan, person, reg in zip(plans, people, regs, strict=True):
        assert reg.id is not None
        _record_row(session, plan, reg, now, actor)
        if person.telegram_id is None and reg.status in quota.ACTIVE:
            result.without_telegram += 1
        _count(result, plan, reg.id)


async def import_table(
    session: AsyncSession,
    conference: Conference,
    table: Table,
    *,
    dry_run: bool = False,
    actor: str = "cli",
    clock: Clock = utc_now,
) -> ImportResult:
    """Validate every row, then create or update registrations.

    Raises `ImportFailed` listing every problem (nothing written). A dry run plans and
    reports the same counts and writes nothing."""
    now = clock()
    assert conference.id is not None
    delegations = await _delegations(session, conference, lock=not dry_run)
    plans, warnings = await _plans(session, conference, table, delegations)
    notes = [*table.notes, *table.columns.notes]
    result = ImportResult(conference=conference.slug, dry_run=dry_run, warnings=[*notes, *warnings])
    if dry_run:
        for plan in plans:
            _count(result, plan, plan.registration.id if plan.registration else None)
        return result
    await _write(session, conference, plans, result, actor, now)
    await quota.check_all(session, delegations)  # belt and braces: the planned seats hold
    audit.record(
        session,
        action="participants.import",
        entity="conference",
        entity_id=conference.id,
        at=now,
        conference_id=conference.id,
        actor=actor,
        file=table.source,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    await session.flush()
    return result


async def import_file(
    session: AsyncSession,
    conference: Conference,
    path: Path,
    *,
    dry_run: bool = False,
    actor: str = "cli",
    clock: Clock = utc_now,
) -> ImportResult:
    return await import_table(session, conference, read_table(path), dry_run=dry_run, actor=actor, clock=clock)
