"""What an import would change, row by row, before anything is written: the person's
fields, the registration's delegation, category and status, and the seats it takes.

Updating
  A blank person cell (native_name, position, organisation, email, telegram_*) keeps what
  we hold, so a Telegram account bound meanwhile is never dropped; a blank delegation
  cell means "no delegation". `status: approved` approves (decided_by None, reason
  "import"); `pending` or blank leaves an officer's approval alone unless the badge's
  facts change (name, native name, delegation, category), which sends it back to pending
  as an edit through the bot does. A rejected or withdrawn registration keeps its status
  (a warning says so). Seats are counted row by row against the delegations' quotas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.accreditation import quota
from core.accreditation.importing.matching import Match, in_chunks, match_people
from core.accreditation.importing.rows import ImportRow
from core.accreditation.registration import approved_on_arrival
from core.models import Conference, Delegation, Participant, Registration, RegistrationStatus


@dataclass
class RowPlan:
    row: ImportRow
    participant: Participant | None  # an existing one, else a new one is created
    matched_by: str | None
    ref: str | None  # the ref to give the participant (None: leave / none)
    registration: Registration | None = None  # an existing one in this conference
    person: dict[str, object] = field(default_factory=dict)  # participant fields to set
    reg: dict[str, object] = field(default_factory=dict)  # registration fields to set
    approve: str | None = None  # "import" or "auto": becomes approved now
    to_pending: bool = False
    is_new: bool = False  # the registration is created (the participant may exist)

    @classmethod
    def of(cls, match: Match) -> RowPlan:
        return cls(match.row, match.participant, match.matched_by, match.ref)

    @property
    def changed(self) -> list[str]:
        names = [k for k in self.person if k != "ref"] + ["delegation" if k == "delegation_id" else k for k in self.reg]
        if (self.approve and not self.is_new) or self.to_pending:
            names.append("status")
        return list(dict.fromkeys(names))

    @property
    def final_status(self) -> RegistrationStatus:
        if self.approve:
            return RegistrationStatus.APPROVED
        if self.to_pending or self.registration is None:
            return RegistrationStatus.PENDING
        return self.registration.status


async def _registrations(session: AsyncSession, conference_id: int, plans: list[RowPlan]) -> dict[int, Registration]:
    """The registrations in this conference of the plans' existing participants."""
    ids = [p.participant.id for p in plans if p.participant is not None and p.participant.id is not None]
    found: dict[int, Registration] = {}
    for chunk in in_chunks(ids):
        query = (
            select(Registration)
            .where(col(Registration.conference_id) == conference_id, col(Registration.participant_id).in_(chunk))
            .execution_options(populate_existing=True)
        )
        for reg in (await session.execute(query)).scalars():
            found[reg.participant_id] = reg
    return found


def _plan_person(plan: RowPlan) -> None:
    """The participant's fields that change; a blank cell keeps what we hold."""
    r, p = plan.row, plan.participant
    wanted: dict[str, object] = {
        "full_name": r.person.full_name,
        "native_name": r.person.native_name,
        "position": r.person.position,
        "organisation": r.person.organisation,
        "email": r.person.email,
        "telegram_id": r.telegram_id,
        "telegram_username": r.telegram_username,
    }
    for name, value in wanted.items():
        if value is not None and (p is None or getattr(p, name) != value):
            plan.person[name] = value
    if plan.ref is not None:
        plan.person["ref"] = plan.ref


def _plan_registration(plan: RowPlan, conference: Conference, warnings: list[str]) -> None:
    """The registration's fields and status that change."""
    r, reg = plan.row, plan.registration
    if reg is None:
        if approved_on_arrival(conference, r.delegation, r.category) and not r.approve:
            plan.approve = "auto"
        elif r.approve:
            plan.approve = "import"
        return
    delegation_id = r.delegation.id if r.delegation else None
    if reg.delegation_id != delegation_id:
        plan.reg["delegation_id"] = delegation_id
    if reg.category != r.category:
        plan.reg["category"] = r.category
    if reg.status in quota.ACTIVE:
        badge_changes = {"full_name", "native_name"} & set(plan.person) or plan.reg
        if r.approve and reg.status != RegistrationStatus.APPROVED:
            plan.approve = "import"
        elif reg.status == RegistrationStatus.APPROVED and badge_changes and not r.approve:
            plan.to_pending = True
    elif r.approve or plan.person or plan.reg:
        warnings.append(
            f"row {r.row}: registration #{reg.id} of {r.person.full_name} is "
            f"{reg.status.value}; its status was left as is"
        )


def _seat_move(plan: RowPlan) -> tuple[int | None, int | None]:
    """The delegation whose seat the registration holds now, and the one it will hold
    (None: no seat). A rejected or withdrawn registration holds none and keeps so."""
    reg = plan.registration
    active_now = reg is not None and reg.status in quota.ACTIVE
    active_then = reg is None or reg.status in quota.ACTIVE
    held = reg.delegation_id if reg is not None and active_now else None
    wanted = plan.row.delegation.id if plan.row.delegation and active_then else None
    return held, wanted


async def plan_import(
    session: AsyncSession, conference: Conference, rows: list[ImportRow], delegations: list[Delegation]
) -> tuple[list[RowPlan], list[tuple[int, str]], list[str]]:
    """Each row's plan; problems (row number, text) and warnings."""
    assert conference.id is not None
    matches, problems, warnings = await match_people(session, rows)
    plans = [RowPlan.of(match) for match in matches]
    registrations = await _registrations(session, conference.id, plans)
    seats = await quota.SeatLedger.load(session, delegations)
    for plan in plans:
        p = plan.participant
        plan.registration = registrations.get(p.id) if p is not None and p.id is not None else None
        plan.is_new = plan.registration is None
        _plan_person(plan)
        _plan_registration(plan, conference, warnings)
        full = seats.move(*_seat_move(plan))
        if full is not None:
            problems.append((plan.row.row, quota.no_seats_left(full).message))
    return plans, problems, warnings
