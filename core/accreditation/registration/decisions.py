"""Deciding: an accreditation officer (or the CLI) approves or rejects a pending
registration, compare-and-set, so of two officers deciding one card exactly one changes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.accreditation import quota
from core.accreditation.registration import audit_trail
from core.accreditation.registration.queries import view_query
from core.accreditation.registration.values import RegistrationView
from core.clock import Clock, utc_now
from core.conferences import get_locked
from core.errors import DomainError, InvalidInput, NotFound, WrongState
from core.models import AuditLog, Delegation, Registration, RegistrationStatus

DECISIONS = ("registration.approve", "registration.reject")


async def _decided_by(session: AsyncSession, registration_id: int) -> str | None:
    """Who took the last decision on a registration, by its audit row (None: the system)."""
    row = (
        await session.execute(
            select(AuditLog)
            .where(
                col(AuditLog.entity) == "registration",
                col(AuditLog.entity_id) == registration_id,
                col(AuditLog.action).in_(DECISIONS),
            )
            .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    by = str((row.details or {}).get("officer") or row.actor)
    return None if by == "system" else by


async def _decision_conflict(session: AsyncSession, registration_id: int, conference_id: int | None) -> DomainError:
    """Why a decision on `registration_id` cannot be taken by an officer of `conference_id`
    (None: the CLI, any conference): it does not exist for them, it was withdrawn, or someone
    decided it already (who, by the decision's audit row, and when)."""
    reg = (
        await session.execute(
            select(Registration)
            .where(col(Registration.id) == registration_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if reg is None or (conference_id is not None and reg.conference_id != conference_id):
        # Another conference's registration is as unknown to this officer as a missing one.
        return NotFound(f"registration {registration_id} not found", code="registration_not_found", id=registration_id)
    if reg.status == RegistrationStatus.CANCELLED:
        return WrongState("the participant withdrew this registration", code="registration_cancelled")
    if reg.status == RegistrationStatus.PENDING:  # decided and sent back to pending meanwhile
        return WrongState("the registration changed meanwhile: try again", code="registration_changed")
    by = await _decided_by(session, registration_id)
    return WrongState(
        f"already {reg.status.value} by {by or 'the system'}"
        + (f" at {reg.decided_at:%Y-%m-%d %H:%M} UTC" if reg.decided_at else ""),
        code="already_decided",
        id=registration_id,
        status=reg.status.value,
        by=by,
        at=reg.decided_at,
    )


async def decidable(session: AsyncSession, registration_id: int, *, conference_id: int) -> RegistrationView:
    """The registration an officer of `conference_id` is about to decide (the reject flow
    asks for a reason first): raises as `decide` would if it is not pending any more."""
    row = (await session.execute(view_query(registration_id))).one_or_none()
    if row is None or row[0].conference_id != conference_id or row[0].status != RegistrationStatus.PENDING:
        raise await _decision_conflict(session, registration_id, conference_id)
    return RegistrationView(row[0], row[1], row[2])


async def _check_seat_for_revision(session: AsyncSession, registration_id: int, approve: bool) -> None:
    """Approving an earlier rejection takes a seat again (a rejection freed it; pending and
    approved registrations hold theirs)."""
    reg = await get_locked(session, Registration, registration_id)
    if approve and reg.status == RegistrationStatus.REJECTED and reg.delegation_id is not None:
        delegation = await get_locked(session, Delegation, reg.delegation_id)
        await quota.check_seat(session, delegation, except_registration=reg.id)


async def _compare_and_set(
    session: AsyncSession,
    registration_id: int,
    *,
    expected: list[RegistrationStatus],
    conference_id: int | None,
    values: dict[str, object],
) -> bool:
    """Set `values` if the registration is still in one of the `expected` states (and of
    `conference_id`); whether it was."""
    guard = [col(Registration.id) == registration_id, col(Registration.status).in_(expected)]
    if conference_id is not None:
        guard.append(col(Registration.conference_id) == conference_id)
    changed = await session.execute(
        update(Registration).where(*guard).values(**values).execution_options(synchronize_session=False)
    )
    return bool(changed.rowcount == 1)  # type: ignore[attr-defined]


async def decide(
    session: AsyncSession,
    registration_id: int,
    *,
    approve: bool,
    actor_telegram_id: int | None,
    conference_id: int | None,
    reason: str | None = None,
    actor: str | None = None,
    actor_name: str | None = None,
    revise: bool = False,
    clock: Clock = utc_now,
) -> RegistrationView:
    """Approve or reject a pending registration: compare-and-set, so of two officers
    deciding the same card (the same way or not, at once or one after the other) exactly
    one changes it; the other gets `already_decided` with who decided and when.

    `conference_id` is the deciding officer's conference: a registration of another one is
    `registration_not_found` (None only for the CLI, which acts on the whole database).
    `actor_name` (e.g. "@olga") is kept in the audit row to tell later deciders who it was.
    `revise` (the CLI's explicit command) may also turn an earlier decision around."""
    now = clock()
    if not approve and not (reason and reason.strip()):
        raise InvalidInput("a rejection needs a reason", code="reason_required")
    target = RegistrationStatus.APPROVED if approve else RegistrationStatus.REJECTED
    decision_reason = reason.strip()[:500] if reason else None
    expected = [RegistrationStatus.PENDING]
    if revise:
        expected.append(RegistrationStatus.REJECTED if approve else RegistrationStatus.APPROVED)
        await _check_seat_for_revision(session, registration_id, approve)
    values: dict[str, object] = {
        "status": target,
        "decided_by": actor_telegram_id,
        "decided_at": now,
        "decision_reason": decision_reason,
        "updated_at": now,
    }
    if not await _compare_and_set(
        session, registration_id, expected=expected, conference_id=conference_id, values=values
    ):
        raise await _decision_conflict(session, registration_id, conference_id)
    row = (await session.execute(view_query(registration_id).execution_options(populate_existing=True))).one()
    result = RegistrationView(row[0], row[1], row[2])
    _record_decision(session, result, approve, now, actor_telegram_id, actor, actor_name, decision_reason)
    await session.flush()
    return result


def _record_decision(
    session: AsyncSession,
    decided: RegistrationView,
    approve: bool,
    now: datetime,
    actor_telegram_id: int | None,
    actor: str | None,
    actor_name: str | None,
    reason: str | None,
) -> None:
    details: dict[str, object] = {"reason": reason}
    if actor_name:
        details["officer"] = actor_name[:64]
    action = DECISIONS[0] if approve else DECISIONS[1]
    audit_trail.record(
        session, action, decided.registration, now, actor_telegram_id=actor_telegram_id, actor=actor, **details
    )
