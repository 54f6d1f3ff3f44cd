"""Finding a participant by name for the organisers (/find, the inline query `@bot name`).

Matching is case- and accent-insensitive over the Latin name, the native-script name and
the Telegram username: every word of the query must occur in one of them ("szijj" finds
"Péter Szijjártó", "сийярто" finds "Сийярто Петер", "lavrov sergey" finds "Sergey Lavrov").
`#123` or a bare number finds registration 123.

How: a bounded scan. One Core query reads (id, names) of the conference's registrations
(an index range on `conference_id`), and names are folded in Python with a memo, because
neither SQLite nor PostgreSQL folds accents without extensions. Measured in
`bench/reports.py` on 50,000 registrations; the next step, if ever needed, is a normalised
search column filled on write.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import AgendaItem, Delegation, Participant, Presence, Registration, Scan

_reg = Registration.__table__  # type: ignore[attr-defined]
_part = Participant.__table__  # type: ignore[attr-defined]
_deleg = Delegation.__table__  # type: ignore[attr-defined]
_scan = Scan.__table__  # type: ignore[attr-defined]
_presence = Presence.__table__  # type: ignore[attr-defined]
_item = AgendaItem.__table__  # type: ignore[attr-defined]

_ID = re.compile(r"^#?(\d{1,9})$")


@lru_cache(maxsize=262_144)
def fold(text: str) -> str:
    """Lower case without accents: 'Péter SZIJJÁRTÓ' -> 'peter szijjarto', 'Ёлкин' -> 'елкин'."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


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


async def find(session: AsyncSession, conference_id: int, query: str, *, limit: int = 10) -> tuple[list[Hit], int]:
    """Registrations of the conference matching `query`, best first; and how many matched."""
    text = " ".join(query.split())
    conn = await session.connection()
    match = _ID.match(text)
    if match:
        ids = [int(match.group(1))]
        rows = (
            await conn.execute(select(_reg.c.id).where(_reg.c.conference_id == conference_id, _reg.c.id == ids[0]))
        ).all()
        found = [int(r[0]) for r in rows]
        total = len(found)
    else:
        words = fold(text).replace(",", " ").split()  # "Surname, Given" as in protocol lists
        if not words:
            await session.commit()
            return [], 0
        scored: list[tuple[int, str, int]] = []
        stmt = (
            select(_reg.c.id, _part.c.full_name, _part.c.native_name, _part.c.telegram_username)
            .select_from(_reg.join(_part, _part.c.id == _reg.c.participant_id))
            .where(_reg.c.conference_id == conference_id, _part.c.forgotten_at.is_(None))
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
        total = len(scored)
        found = [reg_id for _, _, reg_id in scored[:limit]]
    hits = await _hits(session, found)
    await session.commit()
    return hits, total


async def _hits(session: AsyncSession, ids: list[int]) -> list[Hit]:
    if not ids:
        return []
    conn = await session.connection()
    rows = (
        await conn.execute(
            select(_reg.c.id, _part.c.full_name, _part.c.native_name, _deleg.c.name, _reg.c.category, _reg.c.status)
            .select_from(
                _reg.join(_part, _part.c.id == _reg.c.participant_id).outerjoin(
                    _deleg, _deleg.c.id == _reg.c.delegation_id
                )
            )
            .where(_reg.c.id.in_(ids))
        )
    ).all()
    by_id = {
        int(r[0]): Hit(int(r[0]), r[1], r[2], dict(r[3]) if r[3] else None, _enum(r[4]), _enum(r[5])) for r in rows
    }
    return [by_id[i] for i in ids if i in by_id]


def _enum(value: Any) -> str:
    return str(getattr(value, "value", value))


@dataclass(frozen=True)
class ScanLine:
    at: datetime
    direction: str
    result: str
    gate: str
    place: dict[str, str] | None  # the agenda item's title; None = venue entrance


@dataclass(frozen=True)
class Card:
    """What an organiser sees about one registration."""

    registration_id: int
    full_name: str
    native_name: str | None
    delegation: dict[str, str] | None
    category: str
    status: str
    position: str | None
    organisation: str | None
    telegram_username: str | None
    badge_version: int
    badge_print_count: int
    badge_printed_at: datetime | None
    inside: bool
    inside_since: datetime | None
    inside_place: dict[str, str] | None
    scans: list[ScanLine] = field(default_factory=list)


async def card(session: AsyncSession, conference_id: int, registration_id: int, *, scans: int = 5) -> Card:
    """One registration with its badge status and its last `scans` scans."""
    conn = await session.connection()
    place = _item.alias("place")
    row = (
        await conn.execute(
            select(
                _reg.c.id,
                _part.c.full_name,
                _part.c.native_name,
                _deleg.c.name,
                _reg.c.category,
                _reg.c.status,
                _part.c.position,
                _part.c.organisation,
                _part.c.telegram_username,
                _reg.c.badge_version,
                _reg.c.badge_print_count,
                _reg.c.badge_printed_at,
                _presence.c.inside,
                _presence.c.since,
                place.c.title,
            )
            .select_from(
                _reg.join(_part, _part.c.id == _reg.c.participant_id)
                .outerjoin(_deleg, _deleg.c.id == _reg.c.delegation_id)
                .outerjoin(_presence, _presence.c.registration_id == _reg.c.id)
                .outerjoin(place, place.c.id == _presence.c.agenda_item_id)
            )
            .where(_reg.c.id == registration_id, _reg.c.conference_id == conference_id)
        )
    ).first()
    if row is None:
        await session.commit()
        raise NotFound(f"registration {registration_id} not found", code="registration_not_found", id=registration_id)
    recent = (
        await conn.execute(
            select(_scan.c.scanned_at, _scan.c.direction, _scan.c.result, _scan.c.gate, _item.c.title)
            .select_from(_scan.outerjoin(_item, _item.c.id == _scan.c.agenda_item_id))
            .where(_scan.c.registration_id == registration_id)
            .order_by(_scan.c.scanned_at.desc(), _scan.c.id.desc())
            .limit(scans)
        )
    ).all()
    await session.commit()
    inside = bool(row[12])
    return Card(
        registration_id=int(row[0]),
        full_name=row[1],
        native_name=row[2],
        delegation=dict(row[3]) if row[3] else None,
        category=_enum(row[4]),
        status=_enum(row[5]),
        position=row[6],
        organisation=row[7],
        telegram_username=row[8],
        badge_version=int(row[9]),
        badge_print_count=int(row[10]),
        badge_printed_at=row[11],
        inside=inside,
        inside_since=row[13] if inside else None,
        inside_place=dict(row[14]) if inside and row[14] else None,
        scans=[ScanLine(s[0], _enum(s[1]), _enum(s[2]), s[3] or "", dict(s[4]) if s[4] else None) for s in recent],
    )
