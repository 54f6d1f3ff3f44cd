"""The live board: "who is here now?" on one screen, for the organisers' office.

One call, `board()`, gathers what the Mini App's board (and its browser link) shows for the
report day (today during the conference, as `confdesk report attendance` shows):
  - inside now, per place: the venue (no hall) and each hall, from Presence as the reports
    count "inside now" (entered today);
  - arrivals: registrations checked in that day, by delegation and by category, beside the
    accredited (approved) figures;
  - each of the day's sessions: scanned in against confirmed sign-ups (and inside now);
  - arrivals per 10 minutes: ok entry scans at the venue entrance, in SQL buckets.

The figures come from the report functions in `core.reporting` (attendance, agenda_items) (so the board and
`confdesk report attendance --json` agree by construction); only the per-hall presence and
the 10-minute buckets are queried here. Nothing personal: counts, delegation names, titles.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.clock import Clock, utc_now
from core.models import Conference
from core.reporting import agenda_items, attendance, days, sql

_scan, _reg, _item, _presence = sql.SCAN, sql.REG, sql.ITEM, sql.PRESENCE

BUCKET = 600  # seconds: arrivals per 10 minutes
DAY_VIEW = (7, 20)  # local hours the chart always spans (07:00-20:00), wider if scans fall outside


@dataclass(frozen=True)
class Place:
    item_id: int | None  # None: the venue, in no hall
    code: str | None
    title: dict[str, str]
    hall: dict[str, str]
    inside: int


@dataclass(frozen=True)
class Session:
    item_id: int
    code: str
    title: dict[str, str]
    hall: dict[str, str]
    kind: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    signed_up: int
    waitlisted: int
    scanned: int
    signed_and_scanned: int
    inside: int


@dataclass(frozen=True)
class Bucket:
    at: datetime  # conference-local start of the 10 minutes
    entries: int


@dataclass(frozen=True)
class Board:
    conference: str
    name: dict[str, str]
    timezone: str
    day: date
    generated_at: datetime
    approved: int
    checked_in: int
    inside: int
    places: list[Place] = field(default_factory=list)
    delegations: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    arrivals: list[Bucket] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["generated_at"] = self.generated_at.isoformat()
        for s in data["sessions"]:
            s["starts_at"], s["ends_at"] = s["starts_at"].isoformat(), s["ends_at"].isoformat()
        for b in data["arrivals"]:
            b["at"] = b["at"].isoformat()
        return data


async def board(session: AsyncSession, conference: Conference, *, clock: Clock = utc_now) -> Board:
    """Everything the live board shows, for the report day. Reads only."""
    assert conference.id is not None
    day = days.report_day(conference, clock)
    stats = await attendance.stats(session, conference, day=day, clock=clock)
    by_delegation = await attendance.by_delegation(session, conference, day=day, clock=clock)
    items = await agenda_items.by_item(session, conference, day=day, clock=clock)
    inside = await _inside_by_place(session, conference, clock)
    places = await _places(session, conference.id, inside)
    halls = {p.item_id: p for p in places}
    extra = await _item_details(session, [i.item_id for i in items])
    sessions = [
        Session(
            item_id=i.item_id,
            code=i.code,
            title=i.title,
            hall=extra[i.item_id][0],
            kind=i.kind,
            starts_at=i.starts_at,
            ends_at=extra[i.item_id][1],
            capacity=i.capacity,
            signed_up=i.signed_up,
            waitlisted=i.waitlisted,
            scanned=i.scanned,
            signed_and_scanned=i.signed_and_scanned,
            inside=halls[i.item_id].inside if i.item_id in halls else 0,
        )
        for i in items
    ]
    delegations = [
        {"code": d.code, "name": d.name, "accredited": d.accredited, "present": d.present, "inside": d.inside}
        for d in by_delegation.lines
        if d.accredited or d.present
    ]
    categories = [
        {"category": c.category, "approved": c.approved, "checked_in": c.checked_in, "inside": c.inside}
        for c in stats.by_category
        if c.approved or c.checked_in
    ]
    return Board(
        conference=conference.slug,
        name=dict(conference.name or {}),
        timezone=conference.timezone,
        day=day,
        generated_at=clock(),
        approved=stats.approved,
        checked_in=stats.checked_in,
        inside=stats.inside,
        places=places,
        delegations=delegations,
        categories=categories,
        sessions=sessions,
        arrivals=await arrivals(session, conference, day=day),
    )


async def _inside_by_place(session: AsyncSession, conference: Conference, clock: Clock) -> dict[int | None, int]:
    """Inside now (entered today, as the reports count it) per hall; None: the venue only."""
    assert conference.id is not None
    today_start = days.today_start(conference, clock)
    conn = await session.connection()
    rows = await conn.execute(
        select(_presence.c.agenda_item_id, func.count())
        .select_from(_presence.join(_reg, _reg.c.id == _presence.c.registration_id))
        .where(*sql.inside_now(conference.id, today_start))
        .group_by(_presence.c.agenda_item_id)
    )
    return {item_id: int(n) for item_id, n in rows}


async def _places(session: AsyncSession, conference_id: int, inside: dict[int | None, int]) -> list[Place]:
    """The venue, then every hall someone is inside now, in programme order."""
    places = [Place(None, None, {}, {}, inside.get(None, 0))]
    ids = [i for i in inside if i is not None]
    if ids:
        conn = await session.connection()
        rows = await conn.execute(
            select(_item.c.id, _item.c.code, _item.c.title, _item.c.hall)
            .where(_item.c.conference_id == conference_id, _item.c.id.in_(ids))
            .order_by(_item.c.starts_at, _item.c.id)
        )
        places += [Place(r.id, r.code, dict(r.title or {}), dict(r.hall or {}), inside[r.id]) for r in rows]
    return places


async def _item_details(session: AsyncSession, ids: list[int]) -> dict[int, tuple[dict[str, str], datetime]]:
    """Hall and end time of agenda items (what the report's lines do not carry)."""
    if not ids:
        return {}
    conn = await session.connection()
    rows = await conn.execute(select(_item.c.id, _item.c.hall, _item.c.ends_at).where(_item.c.id.in_(ids)))
    return {r.id: (dict(r.hall or {}), r.ends_at) for r in rows}


def _bucket_index(dialect: str, start: datetime) -> ColumnElement[Any]:
    """Whole BUCKETs between `start` and scanned_at, computed in SQL."""
    epoch = int(start.timestamp())
    if dialect == "postgresql":
        return cast(func.floor((func.extract("epoch", _scan.c.scanned_at) - epoch) / BUCKET), Integer)
    seconds = cast(func.strftime("%s", _scan.c.scanned_at), Integer) - literal(epoch)
    return cast(seconds / BUCKET, Integer)


async def arrivals(session: AsyncSession, conference: Conference, *, day: date) -> list[Bucket]:
    """OK entry scans at the venue entrance per 10 minutes of the local `day`: every bucket
    from 07:00 to 20:00, widened to the first and last scan when they fall outside."""
    assert conference.id is not None
    start, end = days.day_bounds(conference, day)
    conn = await session.connection()
    where = [*sql.entry_conditions(conference.id, start, end), _scan.c.agenda_item_id.is_(None)]
    index = _bucket_index(conn.dialect.name, start).label("b")
    found = {int(b): int(n) for b, n in await conn.execute(select(index, func.count()).where(*where).group_by(index))}
    tz = days.zone(conference)
    local_start = start.astimezone(tz)
    first_view = int((local_start.replace(hour=DAY_VIEW[0]) - local_start).total_seconds() // BUCKET)
    last_view = int((local_start.replace(hour=DAY_VIEW[1]) - local_start).total_seconds() // BUCKET)
    first = min([first_view, *found])
    last = max([last_view - 1, *found])
    return [
        Bucket((start + timedelta(seconds=b * BUCKET)).astimezone(tz), found.get(b, 0)) for b in range(first, last + 1)
    ]
