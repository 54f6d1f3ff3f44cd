"""Staff roles per conference; ADMIN_IDS count as admins of the current conference (the one
the bot serves: see core.people.identity), never of another."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import audit
from core.clock import Clock, utc_now
from core.errors import Conflict, NotFound, PermissionDenied
from core.models import StaffRole, StaffRoleName

# What each role may do beyond its name: an admin may do everything.
IMPLIES: dict[StaffRoleName, set[StaffRoleName]] = {
    StaffRoleName.ADMIN: set(StaffRoleName),
    StaffRoleName.ACCREDITATION: {StaffRoleName.ACCREDITATION},
    StaffRoleName.DOOR: {StaffRoleName.DOOR},
}


def effective(granted: Iterable[StaffRoleName]) -> set[StaffRoleName]:
    """The roles `granted` amount to (an admin holds every role)."""
    roles: set[StaffRoleName] = set()
    for role in granted:
        roles |= IMPLIES[role]
    return roles


def require(roles: set[StaffRoleName], needed: StaffRoleName) -> None:
    if needed not in roles:
        raise PermissionDenied(f"this needs the {needed.value} role", code="permission_denied", role=needed.value)


async def add_role(
    session: AsyncSession,
    conference_id: int,
    telegram_id: int,
    role: StaffRoleName,
    *,
    actor: str = "cli",
    actor_telegram_id: int | None = None,
    clock: Clock = utc_now,
) -> StaffRole:
    existing = (
        await session.execute(
            select(StaffRole).where(
                col(StaffRole.conference_id) == conference_id,
                col(StaffRole.telegram_id) == telegram_id,
                col(StaffRole.role) == role,
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(f"{telegram_id} already has the {role.value} role", code="role_exists")
    now = clock()
    row = StaffRole(
        conference_id=conference_id, telegram_id=telegram_id, role=role, added_by=actor_telegram_id, created_at=now
    )
    session.add(row)
    audit.record(
        session,
        action="staff.add",
        entity="staff_role",
        entity_id=None,
        at=now,
        conference_id=conference_id,
        actor_telegram_id=actor_telegram_id,
        actor=actor,
        telegram_id=telegram_id,
        role=role.value,
    )
    await session.flush()
    return row


async def remove_role(
    session: AsyncSession,
    conference_id: int,
    telegram_id: int,
    role: StaffRoleName | None = None,
    *,
    actor: str = "cli",
    actor_telegram_id: int | None = None,
    clock: Clock = utc_now,
) -> int:
    query = delete(StaffRole).where(
        col(StaffRole.conference_id) == conference_id,
        col(StaffRole.telegram_id) == telegram_id,
    )
    if role is not None:
        query = query.where(col(StaffRole.role) == role)
    removed = (await session.execute(query)).rowcount  # type: ignore[attr-defined]
    if not removed:
        raise NotFound(f"{telegram_id} has no such staff role", code="role_not_found")
    audit.record(
        session,
        action="staff.remove",
        entity="staff_role",
        entity_id=None,
        at=clock(),
        conference_id=conference_id,
        actor_telegram_id=actor_telegram_id,
        actor=actor,
        telegram_id=telegram_id,
        role=role.value if role else "all",
    )
    return int(removed)


async def list_roles(session: AsyncSession, conference_id: int) -> list[StaffRole]:
    rows = await session.execute(
        select(StaffRole)
        .where(col(StaffRole.conference_id) == conference_id)
        .order_by(col(StaffRole.telegram_id), col(StaffRole.role))
    )
    return list(rows.scalars())


async def staff_ids(
    session: AsyncSession, conference_id: int, role: StaffRoleName, admin_ids: Iterable[int] = ()
) -> list[int]:
    """Telegram ids holding `role` (admins hold every role), e.g. officers to notify."""
    rows = await session.execute(
        select(col(StaffRole.telegram_id)).where(
            col(StaffRole.conference_id) == conference_id,
            col(StaffRole.role).in_([role, StaffRoleName.ADMIN]),
        )
    )
    return sorted(set(rows.scalars()) | set(admin_ids))
