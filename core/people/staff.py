"""Staff roles per conference; ADMIN_IDS count as admins of the current conference (the one
the bot serves: see core.people.identity), never of another."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, CompoundSelect, String, any_, bindparam, delete, literal, or_, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import audit
from core.clock import Clock, utc_now
from core.errors import Conflict, NotFound, PermissionDenied
from core.models import Participant, StaffRole, StaffRoleName, UserPref

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


def _holders_statement(postgres: bool) -> CompoundSelect[Any]:
    """Rows of (kind, account, language): "r" an account holding the role (or admin) in the
    conference, "u" its language preference, "p" its participant's language; for ADMIN_IDS
    too (`admins`). Built once: one round trip, no statement built per call."""

    def admins(column: Any) -> Any:
        if postgres:  # one array, not an IN list: one prepared statement whatever the count
            return column == any_(bindparam("admins", type_=ARRAY(BigInteger)))
        return column.in_(bindparam("admins", expanding=True))

    holds = (
        col(StaffRole.conference_id) == bindparam("conference"),
        or_(col(StaffRole.role) == bindparam("role"), col(StaffRole.role) == StaffRoleName.ADMIN),
    )
    holding = select(col(StaffRole.telegram_id)).where(*holds).scalar_subquery()

    def among(column: Any) -> Any:
        return or_(column.in_(holding), admins(column))

    return union_all(
        select(literal("r"), col(StaffRole.telegram_id), literal(None, String)).where(*holds),
        select(literal("u"), col(UserPref.telegram_id), col(UserPref.language)).where(among(col(UserPref.telegram_id))),
        select(literal("p"), col(Participant.telegram_id), col(Participant.language)).where(
            among(col(Participant.telegram_id))
        ),
    )


HOLDERS = {"postgresql": _holders_statement(postgres=True), "sqlite": _holders_statement(postgres=False)}


async def holders_with_languages(
    session: AsyncSession, conference_id: int, role: StaffRoleName, admin_ids: Iterable[int] = ()
) -> list[tuple[int, str | None]]:
    """Telegram ids holding `role` (admins hold every role), e.g. officers to notify, in
    order, each with its stored language (a participant's over a preference's, as
    `core.people.preferences.languages`), in one statement."""
    admins = sorted(set(admin_ids))
    statement = HOLDERS["postgresql" if session.bind.dialect.name == "postgresql" else "sqlite"]  # type: ignore[union-attr]
    ids, pref, participant = set(admins), {}, {}
    rows = await session.execute(statement, {"conference": conference_id, "role": role, "admins": admins})
    for kind, tg, language in rows:
        if kind == "r":
            ids.add(tg)
        elif kind == "u":
            pref[tg] = language
        elif language:
            participant[tg] = language
    return [(tg, participant.get(tg) or pref.get(tg)) for tg in sorted(ids)]
