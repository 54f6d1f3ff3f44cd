"""Delegations for pickers and heads of delegation: list by kind, search, who leads what."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.errors import NotFound
from core.models import (
    Category,
    Delegation,
    DelegationKind,
    Participant,
    Registration,
    RegistrationStatus,
    pick,
)


@dataclass(frozen=True)
class DelegationPage:
    items: list[Delegation]
    page: int
    pages: int


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Türkiye' and 'turkiye' meet."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


async def page_of_kind(
    session: AsyncSession, conference_id: int, kind: DelegationKind, page: int, *, size: int = 8, language: str = "en"
) -> DelegationPage:
    rows = (
        (
            await session.execute(
                select(Delegation).where(col(Delegation.conference_id) == conference_id, col(Delegation.kind) == kind)
            )
        )
        .scalars()
        .all()
    )  # type: ignore[arg-type]
    await session.commit()
    ordered = sorted(rows, key=lambda d: _fold(pick(d.name, language)))
    pages = max(1, -(-len(ordered) // size))
    page = min(max(page, 0), pages - 1)
    return DelegationPage(ordered[page * size : (page + 1) * size], page, pages)


async def search(session: AsyncSession, conference_id: int, query: str, *, limit: int = 8) -> list[Delegation]:
    """Delegations whose code or any-language name contains the query, best first."""
    needle = _fold(query.strip())
    rows = (
        (await session.execute(select(Delegation).where(col(Delegation.conference_id) == conference_id)))
        .scalars()
        .all()
    )
    await session.commit()
    if not needle:
        return []
    scored = []
    for d in rows:
        names = [_fold(n) for n in d.name.values()] + [_fold(d.code)]
        if any(n == needle for n in names):
            scored.append((0, d))
        elif any(n.startswith(needle) or f" {needle}" in n for n in names):
            scored.append((1, d))
        elif any(needle in n for n in names):
            scored.append((2, d))
    scored.sort(key=lambda pair: (pair[0], _fold(pick(pair[1].name, "en"))))
    return [d for _, d in scored[:limit]]


async def get(session: AsyncSession, conference_id: int, delegation_id: int | None) -> Delegation | None:
    if delegation_id is None:
        return None
    d = await session.get(Delegation, delegation_id)
    return d if d is not None and d.conference_id == conference_id else None


async def by_code(session: AsyncSession, conference_id: int, code: str) -> Delegation | None:
    found = (
        await session.execute(
            select(Delegation).where(
                col(Delegation.conference_id) == conference_id, func.upper(col(Delegation.code)) == code.upper()
            )
        )
    ).scalar_one_or_none()  # type: ignore[arg-type]
    await session.commit()
    return found


async def named(session: AsyncSession, conference_id: int, text: str) -> Delegation:
    """The delegation an organiser names on the command line: its code in any case, else its
    name in any language (folded). Unknown: NotFound listing the codes."""
    rows = list(
        (await session.execute(select(Delegation).where(col(Delegation.conference_id) == conference_id))).scalars()
    )
    wanted = text.strip()
    by_code = [d for d in rows if d.code.upper() == wanted.upper()]
    by_name = [d for d in rows if any(_fold(n) == _fold(wanted) for n in (d.name or {}).values())]
    found = by_code or by_name
    if len(found) != 1:
        codes = ", ".join(sorted(d.code for d in rows)) or "none"
        raise NotFound(
            f"no delegation '{wanted}' in this conference (codes: {codes})", code="delegation_not_found", name=wanted
        )
    return found[0]


async def led_by(session: AsyncSession, conference_id: int, telegram_id: int) -> Delegation | None:
    """The delegation this user heads: named as its head, or an approved head of delegation."""
    participant_id = select(col(Participant.id)).where(col(Participant.telegram_id) == telegram_id).scalar_subquery()
    named = select(Delegation).where(
        col(Delegation.conference_id) == conference_id, col(Delegation.head_participant_id) == participant_id
    )  # type: ignore[arg-type]
    by_category = (
        select(Delegation)
        .join(Registration, col(Registration.delegation_id) == col(Delegation.id))
        .where(  # type: ignore[arg-type]
            col(Registration.conference_id) == conference_id,
            col(Registration.participant_id) == participant_id,
            col(Registration.category) == Category.HEAD,
            col(Registration.status) == RegistrationStatus.APPROVED,
        )
    )
    found = (await session.execute(named.limit(1))).scalar_one_or_none() or (
        await session.execute(by_category.limit(1))
    ).scalar_one_or_none()
    await session.commit()
    return found


def selectable_categories(has_delegation: bool) -> list[Category]:
    """What a person may pick for themselves; staff is assigned by the organisers."""
    if has_delegation:
        return [Category.HEAD, Category.DELEGATE, Category.SPEAKER, Category.EXPERT, Category.OBSERVER]
    return [Category.EXPERT, Category.SPEAKER, Category.PRESS, Category.OBSERVER]
