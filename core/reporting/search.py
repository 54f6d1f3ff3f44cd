"""Finding a participant by name for the organisers (/find, the inline query `@bot name`).

Matching is case- and accent-insensitive over the Latin name, the native-script name and
the Telegram username (`core.text.fold`): every word of the query must occur in one of
them ("szijj" finds "Péter Szijjártó", "сийярто" finds "Сийярто Петер", "lavrov sergey"
finds "Sergey Lavrov"). `#123` or a bare number finds registration 123.

How: neither SQLite nor PostgreSQL folds accents without extensions, so the folded names
are stored, filled on write: participant.search_name (`core.text.name_key`). One Core query
reads the conference's registrations whose search_name contains every word (LIKE, a scan
of 50,000 short strings in SQL), and those few are scored in Python from their names.
Measured in `bench/reports.py` on 50,000 registrations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.joins import registrations_with_people, registrations_with_people_and_delegations
from core.reporting.sql import DELEG, PART, REG, enum_text
from core.text import fold

_ID = re.compile(r"^#?(\d{1,9})$")


@dataclass(frozen=True)
class Hit:
    registration_id: int
    full_name: str
    native_name: str | None
    delegation: dict[str, str] | None
    category: str
    status: str


def _score(words: list[str], names: list[str]) -> int | None:
    """0: a name starts with the query; 1: every word starts a word; 2: contained; None: no."""
    joined = " ".join(names)
    if not all(w in joined for w in words):
        return None
    phrase = " ".join(words)
    if any(n.startswith(phrase) for n in names):
        return 0
    starts = {part for n in names for part in n.split()}
    if all(any(s.startswith(w) for s in starts) for w in words):
        return 1
    return 2


async def _by_id(session: AsyncSession, conference_id: int, registration_id: int) -> list[int]:
    conn = await session.connection()
    stmt = select(REG.c.id).where(REG.c.conference_id == conference_id, REG.c.id == registration_id)
    return [int(r[0]) for r in (await conn.execute(stmt)).all()]


async def _by_name(session: AsyncSession, conference_id: int, words: list[str]) -> list[int]:
    """Ids of the registrations whose names hold every word, best first."""
    conn = await session.connection()
    scored: list[tuple[int, str, int]] = []
    stmt = (
        select(REG.c.id, PART.c.full_name, PART.c.native_name, PART.c.telegram_username)
        .select_from(registrations_with_people())
        .where(
            REG.c.conference_id == conference_id,
            PART.c.forgotten_at.is_(None),
            # what can match (SQLite's LIKE also ignores ASCII case: more rows, never fewer)
            *(PART.c.search_name.contains(w, autoescape=True) for w in words),
        )
    )
    for reg_id, full_name, native_name, username in (await conn.execute(stmt)).all():
        names = [fold(full_name or "")]
        if native_name:
            names.append(fold(native_name))
        if username:
            names.append(username.lower())
        score = _score(words, names)
        if score is not None:
            scored.append((score, names[0], int(reg_id)))
    scored.sort()
    return [reg_id for _, _, reg_id in scored]


async def find(session: AsyncSession, conference_id: int, query: str, *, limit: int = 10) -> tuple[list[Hit], int]:
    """Registrations of the conference matching `query`, best first; and how many matched."""
    text = " ".join(query.split())
    match = _ID.match(text)
    if match:
        found = await _by_id(session, conference_id, int(match.group(1)))
        return await _hits(session, found), len(found)
    words = fold(text).replace(",", " ").split()  # "Surname, Given" as in protocol lists
    if not words:
        return [], 0
    found = await _by_name(session, conference_id, words)
    return await _hits(session, found[:limit]), len(found)


async def _hits(session: AsyncSession, ids: list[int]) -> list[Hit]:
    if not ids:
        return []
    conn = await session.connection()
    found = (
        await conn.execute(
            select(REG.c.id, PART.c.full_name, PART.c.native_name, DELEG.c.name, REG.c.category, REG.c.status)
            .select_from(registrations_with_people_and_delegations())
            .where(REG.c.id.in_(ids))
        )
    ).all()
    by_id = {
        int(r[0]): Hit(int(r[0]), r[1], r[2], dict(r[3]) if r[3] else None, enum_text(r[4]), enum_text(r[5]))
        for r in found
    }
    return [by_id[i] for i in ids if i in by_id]
