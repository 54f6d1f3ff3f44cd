"""Bench data written with bulk Core inserts (the ORM would dominate the set-up time): a
one-day conference and approved registrations with their badges' tokens. Used by the benches
that always run against this checkout (checkin, webapp, door); reports.py and badges.py keep
their own, since they also run against older checkouts that lack this module."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from core.badges import make_token
from core.models import Conference, Participant, Registration
from core.text import name_key


async def conference(conn: AsyncConnection, slug: str = "bench") -> int:
    """A conference held today (Europe/Minsk); its id."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "slug": slug,
        "edition": 1,
        "name": {"en": "Bench"},
        "timezone": "Europe/Minsk",
        "first_day": date.today(),
        "last_day": date.today(),
        "auto_approve_categories": [],
        "venue": {},
        "city": {},
        "created_at": now,
        "updated_at": now,
    }
    inserted = await conn.execute(insert(Conference).values(values).returning(col(Conference.id)))
    return cast(int, inserted.scalar_one())


async def approved(
    conn: AsyncConnection, conference_id: int, n: int, secret: bytes, *, first: int = 0
) -> list[tuple[int, str]]:
    """`n` people ("Person {first + i}") approved as delegates, badge version 1: each
    registration's id and its badge's token, in order."""
    now = datetime.now(UTC)
    names = [f"Person {first + i}" for i in range(n)]
    people = [  # search_name as the ORM sets it on every write (core/models/participant.py)
        {"full_name": name, "search_name": name_key(name, None, None), "ref": f"b{first + i}"}
        | {"created_at": now, "updated_at": now}
        for i, name in enumerate(names)
    ]
    pids = (await conn.execute(insert(Participant).returning(col(Participant.id)), people)).scalars().all()
    regs = [
        {
            "conference_id": conference_id,
            "participant_id": pid,
            "category": "delegate",
            "status": "approved",
            "source": "import",
            "badge_version": 1,
            "badge_print_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        for pid in pids
    ]
    rids = (await conn.execute(insert(Registration).returning(col(Registration.id)), regs)).scalars().all()
    return [(rid, make_token(secret, rid, 1)) for rid in rids if rid is not None]
