"""Delegations for pickers and heads of delegation: list by kind, search, who leads what;
which delegation a typed code or name means (`DelegationIndex`, `named`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.conferences import get_locked
from core.errors import InvalidInput, NotFound
from core.joins import DELEGATION_OF_REGISTRATION
from core.models import (
    Category,
    Delegation,
    DelegationKind,
    Participant,
    Registration,
    RegistrationStatus,
    pick,
)
from core.text import fold, fold_words


@dataclass(frozen=True)
class DelegationPage:
    items: list[Delegation]
    page: int
    pages: int


class DelegationIndex:
    """A conference's delegations by what people write for them: the code, or a name in
    any language, compared by `fold_words` (case, accents, punctuation); a name that two
    delegations share finds neither."""

    def __init__(self, delegations: Iterable[Delegation]) -> None:
        self.all = list(delegations)
        self.by_code = {fold_words(d.code): d for d in self.all}
        names: dict[str, list[Delegation]] = {}
        for d in self.all:
            for text in (d.name or {}).values():
                if text:
                    names.setdefault(fold_words(text), []).append(d)
        self.by_name = {k: v[0] for k, v in names.items() if len({d.id for d in v}) == 1}

    @classmethod
    async def of_conference(cls, session: AsyncSession, conference_id: int | None) -> DelegationIndex:
        query = select(Delegation).where(col(Delegation.conference_id) == conference_id)
        return cls((await session.execute(query)).scalars())

    def find(self, text: str) -> Delegation | None:
        key = fold_words(text)
        return self.by_code.get(key) or self.by_name.get(key)

    def examples(self) -> str:
        codes = [d.code for d in self.all][:8]
        return ", ".join(codes) + (", …" if len(self.all) > 8 else "")


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
    ordered = sorted(rows, key=lambda d: fold(pick(d.name, language)))
    pages = max(1, -(-len(ordered) // size))
    page = min(max(page, 0), pages - 1)
    return DelegationPage(ordered[page * size : (page + 1) * size], page, pages)


async def search(session: AsyncSession, conference_id: int, query: str, *, limit: int = 8) -> list[Delegation]:
    """Delegations whose code or any-language name contains the query, best first."""
    needle = fold(query.strip())
    rows = (
        (await session.execute(select(Delegation).where(col(Delegation.conference_id) == conference_id)))
        .scalars()
        .all()
    )
    if not needle:
        return []
    scored = []
    for d in rows:
        names = [fold(n) for n in d.name.values()] + [fold(d.code)]
        if any(n == needle for n in names):
            scored.append((0, d))
        elif any(n.startswith(needle) or f" {needle}" in n for n in names):
            scored.append((1, d))
        elif any(needle in n for n in names):
            scored.append((2, d))
    scored.sort(key=lambda pair: (pair[0], fold(pick(pair[1].name, "en"))))
    return [d for _, d in scored[:limit]]


async def get(session: AsyncSession, conference_id: int, delegation_id: int | None) -> Delegation | None:
    if delegation_id is None:
        return None
    d = await session.get(Delegation, delegation_id)
    return d if d is not None and d.conference_id == conference_id else None


async def locked(session: AsyncSession, conference_id: int, delegation_id: int | None) -> Delegation | None:
    """The delegation, its row locked (a seat is about to be taken); `wrong_conference` if it
    is another conference's."""
    if delegation_id is None:
        return None
    delegation = await get_locked(session, Delegation, delegation_id)
    if delegation.conference_id != conference_id:
        raise InvalidInput("that delegation belongs to another conference", code="wrong_conference")
    return delegation


async def by_code(session: AsyncSession, conference_id: int, code: str) -> Delegation | None:
    found = (
        await session.execute(
            select(Delegation).where(
                col(Delegation.conference_id) == conference_id, func.upper(col(Delegation.code)) == code.upper()
            )
        )
    ).scalar_one_or_none()  # type: ignore[arg-type]
    return found


async def named(session: AsyncSession, conference_id: int, text: str) -> Delegation:
    """The delegation an organiser names on the command line: its code, else its name in any
    language (`DelegationIndex`). Unknown: NotFound listing the codes."""
    index = await DelegationIndex.of_conference(session, conference_id)
    wanted = text.strip()
    found = index.find(wanted)
    if found is None:
        codes = ", ".join(sorted(d.code for d in index.all)) or "none"
        raise NotFound(
            f"no delegation '{wanted}' in this conference (codes: {codes})", code="delegation_not_found", name=wanted
        )
    return found


async def led_by(session: AsyncSession, conference_id: int, telegram_id: int) -> Delegation | None:
    """The delegation this user heads: named as its head, or an approved head of delegation."""
    participant_id = select(col(Participant.id)).where(col(Participant.telegram_id) == telegram_id).scalar_subquery()
    named = select(Delegation).where(
        col(Delegation.conference_id) == conference_id, col(Delegation.head_participant_id) == participant_id
    )  # type: ignore[arg-type]
    by_category = (
        select(Delegation)
        .join(Registration, DELEGATION_OF_REGISTRATION)
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
    return found


def selectable_categories(has_delegation: bool) -> list[Category]:
    """What a person may pick for themselves; staff is assigned by the organisers."""
    if has_delegation:
        return [Category.HEAD, Category.DELEGATE, Category.SPEAKER, Category.EXPERT, Category.OBSERVER]
    return [Category.EXPERT, Category.SPEAKER, Category.PRESS, Category.OBSERVER]
