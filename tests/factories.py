"""Small builders for tests: each adds rows, flushes, and returns the model."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import (
    AgendaItem,
    AgendaKind,
    Category,
    Conference,
    Delegation,
    DelegationKind,
    Participant,
    Registration,
    RegistrationStatus,
)

_seq = itertools.count(1)


async def make_conference(session: AsyncSession, slug: str = "minsk-2024", **kw: object) -> Conference:
    conf = Conference(
        slug=slug,
        edition=kw.pop("edition", 2),  # type: ignore[arg-type]
        name=kw.pop(
            "name",
            {"en": "Minsk Conference on Eurasian Security", "ru": "Минская конференция по евразийской безопасности"},
        ),  # type: ignore[arg-type]
        city={"en": "Minsk", "ru": "Минск"},
        timezone="Europe/Minsk",
        first_day=kw.pop("first_day", date(2024, 10, 31)),  # type: ignore[arg-type]
        last_day=kw.pop("last_day", date(2024, 11, 1)),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    session.add(conf)
    await session.flush()
    return conf


async def make_delegation(session: AsyncSession, conference: Conference, code: str = "BY", **kw: object) -> Delegation:
    kind = kw.pop("kind", DelegationKind.STATE)
    d = Delegation(
        conference_id=conference.id,  # type: ignore[arg-type]
        code=code,
        kind=kind,  # type: ignore[arg-type]
        name=kw.pop("name", {"en": f"Delegation {code}", "ru": f"Делегация {code}"}),  # type: ignore[arg-type]
        country=kw.pop("country", code[:2].upper() if kind == DelegationKind.STATE else None),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    session.add(d)
    await session.flush()
    return d


async def make_participant(session: AsyncSession, **kw: object) -> Participant:
    n = next(_seq)
    p = Participant(
        telegram_id=kw.pop("telegram_id", 10_000 + n),  # type: ignore[arg-type]
        full_name=kw.pop("full_name", f"Participant {n}"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    session.add(p)
    await session.flush()
    return p


async def make_registration(
    session: AsyncSession,
    conference: Conference,
    participant: Participant | None = None,
    *,
    delegation: Delegation | None = None,
    category: Category = Category.DELEGATE,
    status: RegistrationStatus = RegistrationStatus.APPROVED,
) -> Registration:
    participant = participant or await make_participant(session)
    r = Registration(
        conference_id=conference.id,  # type: ignore[arg-type]
        participant_id=participant.id,  # type: ignore[arg-type]
        delegation_id=delegation.id if delegation else None,
        category=category,
        status=status,
    )
    session.add(r)
    await session.flush()
    return r


async def make_item(
    session: AsyncSession,
    conference: Conference,
    code: str = "item",
    *,
    kind: AgendaKind = AgendaKind.THEMATIC,
    start: datetime | None = None,
    minutes: int = 90,
    capacity: int | None = None,
    allowed: list[str] | None = None,
    signup_open: bool = True,
) -> AgendaItem:
    start = start or datetime(2024, 10, 31, 10, 0, tzinfo=UTC)
    item = AgendaItem(
        conference_id=conference.id,  # type: ignore[arg-type]
        code=code,
        kind=kind,
        title={"en": f"Item {code}", "ru": f"Пункт {code}"},
        hall={"en": "Hall A", "ru": "Зал А"},
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        capacity=capacity,
        allowed_categories=allowed or [],
        signup_open=signup_open,
    )
    session.add(item)
    await session.flush()
    return item


def programme_file(agenda: str) -> str:
    """The text of a programme file: the Minsk conference (31 October - 1 November 2024,
    Europe/Minsk) with `agenda` (the entries under `agenda:`, YAML lines indented by 2)."""
    return PROGRAMME_HEADER + agenda


PROGRAMME_HEADER = """\
conference:
  slug: minsk-2024
  edition: 2
  name: {en: Minsk Conference, ru: Минская конференция}
  city: {en: Minsk, ru: Минск}
  timezone: Europe/Minsk
  first_day: 2024-10-31
  last_day: 2024-11-01
agenda:
"""
