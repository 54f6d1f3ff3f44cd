"""The delegation seat quota: the one rule, used by sign-up, decisions, edits, imports and
the demo.

A registration is active while it is pending or approved (`ACTIVE`), and an active
registration holds a seat of its delegation; a delegation with a quota has no seat left once that many hold one.
Whoever takes a seat locks the delegation row first (`core.accreditation.delegations.locked`
or `core.conferences.get_locked`), so two people taking the last seat at once get one seat
and one `quota_exceeded`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import QuotaExceeded
from core.models import Delegation, Registration, RegistrationStatus

ACTIVE = (RegistrationStatus.PENDING, RegistrationStatus.APPROVED)


def no_seats_left(delegation: Delegation) -> QuotaExceeded:
    """The error (and its text, which the import lists per row) for a full delegation."""
    quota = delegation.quota
    return QuotaExceeded(
        f"delegation {delegation.code} has no seats left ({quota} of {quota} taken)",
        code="quota_exceeded",
        quota=quota,
        delegation=delegation.code,
    )


async def seats_taken(
    session: AsyncSession,
    *,
    conference_id: int | None = None,
    delegation_ids: Iterable[int | None] | None = None,
    except_registration: int | None = None,
) -> dict[int, int]:
    """Seats held per delegation (delegations with none are left out): of one conference's
    delegations, or of those named; not counting `except_registration`."""
    query = (
        select(col(Registration.delegation_id), func.count())
        .where(col(Registration.delegation_id).is_not(None), col(Registration.status).in_(ACTIVE))
        .group_by(col(Registration.delegation_id))
    )
    if conference_id is not None:
        query = query.where(col(Registration.conference_id) == conference_id)
    if delegation_ids is not None:
        query = query.where(col(Registration.delegation_id).in_(list(delegation_ids)))
    if except_registration is not None:
        query = query.where(col(Registration.id) != except_registration)
    return {int(d): int(n) for d, n in (await session.execute(query)).all() if d is not None}


async def seats_left(session: AsyncSession, delegation: Delegation) -> int | None:
    """Free seats of a delegation; None when it has no quota."""
    if delegation.quota is None:
        return None
    taken = (await seats_taken(session, delegation_ids=[delegation.id])).get(delegation.id or 0, 0)
    return max(0, delegation.quota - taken)


async def check_seat(session: AsyncSession, delegation: Delegation, *, except_registration: int | None = None) -> None:
    """`quota_exceeded` unless one more registration (besides `except_registration`, the one
    moving in) fits the delegation's quota."""
    if delegation.quota is None:
        return
    taken = await seats_taken(session, delegation_ids=[delegation.id], except_registration=except_registration)
    if taken.get(delegation.id or 0, 0) >= delegation.quota:
        raise no_seats_left(delegation)


async def check_all(session: AsyncSession, delegations: Iterable[Delegation]) -> None:
    """`quota_exceeded` if any of these delegations holds more than its quota (a check after
    bulk writes)."""
    limited = [d for d in delegations if d.quota is not None]
    if not limited:
        return
    taken = await seats_taken(session, delegation_ids=[d.id for d in limited])
    for d in limited:
        assert d.quota is not None
        if taken.get(d.id or 0, 0) > d.quota:
            raise no_seats_left(d)


class SeatLedger:
    """Seats followed in memory while many registrations are planned at once (an import),
    starting from what the database holds for the delegations with a quota."""

    def __init__(self, delegations: Iterable[Delegation], taken: dict[int, int]) -> None:
        self.limited = {d.id: d for d in delegations if d.quota is not None and d.id is not None}
        self.taken = {d_id: taken.get(d_id, 0) for d_id in self.limited}

    @classmethod
    async def load(cls, session: AsyncSession, delegations: Iterable[Delegation]) -> SeatLedger:
        delegations = list(delegations)
        ledger = cls(delegations, {})
        if ledger.limited:
            ledger.taken.update(await seats_taken(session, delegation_ids=list(ledger.limited)))
        return ledger

    def move(self, held: int | None, wanted: int | None) -> Delegation | None:
        """One registration goes from holding a seat of delegation `held` to one of `wanted`
        (None: no seat). Returns the delegation that has no seat left for it, if any."""
        if held == wanted:
            return None
        if held is not None and held in self.taken:
            self.taken[held] -= 1
        if wanted is None or wanted not in self.limited:
            return None
        delegation = self.limited[wanted]
        assert delegation.quota is not None
        if self.taken[wanted] >= delegation.quota:
            return delegation
        self.taken[wanted] += 1
        return None
