"""Attendance reports: "who is here?" in numbers, for the bot, the CLI and the charts.

Every figure is one indexed query with GROUP BY in SQL (SQLAlchemy Core on the session's
connection); Python only merges a few dozen grouped rows (delegations, categories, items).

Definitions (the same everywhere):
  day            a conference-local calendar day (the conference's time zone); "today" is the
                 local day of the injectable clock.
  checked in     a registration with at least one `ok` entry scan ("in") that day, at the
                 venue or in any hall.
  inside now     Presence.inside, entered today (presence since an earlier day is stale:
                 exits are often not scanned, and the check-in service treats such a badge
                 as outside too).
  high-level     agenda items of kind `high_level`; a delegation is present there when at
                 least one member has an `ok` entry scan at one of them.
  no-show        a confirmed sign-up for an item without an `ok` entry scan at that item.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, cast, distinct, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.clock import Clock, utc_now
from core.errors import NotFound
from core.models import (
    AgendaItem,
    AgendaKind,
    AgendaSignup,
    AuditLog,
    Category,
    Conference,
    Delegation,
    Participant,
    Presence,
    Registration,
    RegistrationStatus,
    Scan,
    ScanDirection,
    ScanResult,
    SignupStatus,
    pick,
)

_scan = Scan.__table__  # type: ignore[attr-defined]
_reg = Registration.__table__  # type: ignore[attr-defined]
_part = Participant.__table__  # type: ignore[attr-defined]
_deleg = Delegation.__table__  # type: ignore[attr-defined]
_item = AgendaItem.__table__  # type: ignore[attr-defined]
_signup = AgendaSignup.__table__  # type: ignore[attr-defined]
_presence = Presence.__table__  # type: ignore[attr-defined]
_audit = AuditLog.__table__  # type: ignore[attr-defined]

OK, IN = ScanResult.OK.value, ScanDirection.IN.value
APPROVED = RegistrationStatus.APPROVED.value


# -- time ------------------------------------------------------------------------------------


def zone(conference: Conference) -> ZoneInfo:
    try:
        return ZoneInfo(conference.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_today(conference: Conference, clock: Clock = utc_now) -> date:
    return clock().astimezone(zone(conference)).date()


def report_day(conference: Conference, clock: Clock = utc_now) -> date:
    """The day a report shows when none is asked for: today during the conference; before it
    its first day, after it its last (a report run a week later shows how it ended, not an
    empty today)."""
    today = local_today(conference, clock)
    return min(max(today, conference.first_day), conference.last_day)


def day_bounds(conference: Conference, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a conference-local day, as aware UTC datetimes."""
    tz = zone(conference)
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, end


def conference_days(conference: Conference) -> list[date]:
    days, d = [], conference.first_day
    while d <= conference.last_day:
        days.append(d)
        d += timedelta(days=1)
    return days


# -- shared query pieces ---------------------------------------------------------------------


def entry_conditions(
    conference_id: int, start: datetime | None = None, end: datetime | None = None
) -> list[ColumnElement[bool]]:
    """Conditions for accepted entry scans of a conference (within [start, end))."""
    where: list[ColumnElement[bool]] = [
        _scan.c.conference_id == conference_id,
        _scan.c.result == OK,
        _scan.c.direction == IN,
    ]
    if start is not None:
        where.append(_scan.c.scanned_at >= start)
    if end is not None:
        where.append(_scan.c.scanned_at < end)
    return where


def _item_entries() -> list[ColumnElement[bool]]:
    """Accepted entries, for queries that name agenda items (of one conference already):
    served by ix_scan_report_item."""
    return [_scan.c.result == OK, _scan.c.direction == IN]


def present_ids(conference_id: int, start: datetime, end: datetime) -> Any:
    """Registration ids checked in within [start, end) (a subquery for IN)."""
    return select(_scan.c.registration_id).where(
        *entry_conditions(conference_id, start, end), _scan.c.registration_id.is_not(None)
    )


def _inside_now(conference_id: int, since: datetime) -> list[ColumnElement[bool]]:
    return [_reg.c.conference_id == conference_id, _presence.c.inside.is_(True), _presence.c.since >= since]


def _enum(value: Any) -> str:
    return str(getattr(value, "value", value))


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    conn = await session.connection()
    return list((await conn.execute(stmt)).all())


# -- /stats ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryLine:
    category: str
    registered: int = 0
    pending: int = 0
    approved: int = 0
    checked_in: int = 0
    inside: int = 0


@dataclass(frozen=True)
class Stats:
    conference: str
    timezone: str
    day: date
    registered: int
    pending: int
    approved: int
    rejected: int
    cancelled: int
    checked_in: int
    inside: int
    by_category: list[CategoryLine] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return data


async def stats(
    session: AsyncSession, conference: Conference, *, day: date | None = None, clock: Clock = utc_now
) -> Stats:
    """Registrations by status, checked in on `day` (default today), inside now; by category."""
    assert conference.id is not None
    cid = conference.id
    day = day or report_day(conference, clock)
    start, end = day_bounds(conference, day)
    today_start, _ = day_bounds(conference, local_today(conference, clock))
    by_status = await _rows(
        session,
        select(_reg.c.category, _reg.c.status, func.count())
        .where(_reg.c.conference_id == cid)
        .group_by(_reg.c.category, _reg.c.status),
    )
    checked = await _rows(
        session,
        select(_reg.c.category, func.count())
        .where(_reg.c.conference_id == cid, _reg.c.id.in_(present_ids(cid, start, end)))
        .group_by(_reg.c.category),
    )
    inside = await _rows(
        session,
        select(_reg.c.category, func.count())
        .select_from(_presence.join(_reg, _reg.c.id == _presence.c.registration_id))
        .where(*_inside_now(cid, today_start))
        .group_by(_reg.c.category),
    )
    await session.commit()
    lines: dict[str, dict[str, int]] = {c.value: {} for c in Category}
    totals: dict[str, int] = {s.value: 0 for s in RegistrationStatus}
    for category, status, n in by_status:
        line = lines.setdefault(_enum(category), {})
        line[_enum(status)] = line.get(_enum(status), 0) + int(n)
        totals[_enum(status)] += int(n)
    for category, n in checked:
        lines.setdefault(_enum(category), {})["checked_in"] = int(n)
    for category, n in inside:
        lines.setdefault(_enum(category), {})["inside"] = int(n)
    by_category = [
        CategoryLine(
            cat,
            registered=sum(v.get(s.value, 0) for s in RegistrationStatus),
            pending=v.get("pending", 0),
            approved=v.get(APPROVED, 0),
            checked_in=v.get("checked_in", 0),
            inside=v.get("inside", 0),
        )
        for cat, v in lines.items()
        if v
    ]
    return Stats(
        conference=conference.slug,
        timezone=conference.timezone,
        day=day,
        registered=sum(totals.values()),
        pending=totals["pending"],
        approved=totals[APPROVED],
        rejected=totals["rejected"],
        cancelled=totals["cancelled"],
        checked_in=sum(c.checked_in for c in by_category),
        inside=sum(c.inside for c in by_category),
        by_category=by_category,
    )


# -- by delegation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DelegationLine:
    delegation_id: int | None  # None: people without a delegation
    code: str
    name: dict[str, str]
    accredited: int = 0
    present: int = 0
    inside: int = 0
    high_level: int = 0

    def label(self, language: str) -> str:
        return pick(self.name, language) or self.code


@dataclass(frozen=True)
class DelegationReport:
    day: date
    lines: list[DelegationLine]
    high_level_items: int  # how many high-level items the conference has

    @property
    def with_members(self) -> list[DelegationLine]:
        return [d for d in self.lines if d.delegation_id is not None and d.accredited]

    @property
    def present_high_level(self) -> int:
        """Delegations with at least one member at a high-level session."""
        return sum(1 for d in self.with_members if d.high_level)

    @property
    def present_today(self) -> int:
        return sum(1 for d in self.with_members if d.present)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "high_level_items": self.high_level_items,
            "delegations": len(self.with_members),
            "delegations_present": self.present_today,
            "delegations_at_high_level": self.present_high_level,
            "lines": [asdict(d) for d in self.lines],
        }


async def by_delegation(
    session: AsyncSession, conference: Conference, *, day: date | None = None, clock: Clock = utc_now
) -> DelegationReport:
    assert conference.id is not None
    cid = conference.id
    day = day or report_day(conference, clock)
    start, end = day_bounds(conference, day)
    today_start, _ = day_bounds(conference, local_today(conference, clock))
    hl_ids = select(_item.c.id).where(_item.c.conference_id == cid, _item.c.kind == AgendaKind.HIGH_LEVEL.value)
    approved = [_reg.c.conference_id == cid, _reg.c.status == APPROVED]
    delegations = await _rows(
        session, select(_deleg.c.id, _deleg.c.code, _deleg.c.name).where(_deleg.c.conference_id == cid)
    )
    accredited = await _rows(
        session, select(_reg.c.delegation_id, func.count()).where(*approved).group_by(_reg.c.delegation_id)
    )
    present = await _rows(
        session,
        select(_reg.c.delegation_id, func.count())
        .where(_reg.c.conference_id == cid, _reg.c.id.in_(present_ids(cid, start, end)))
        .group_by(_reg.c.delegation_id),
    )
    inside = await _rows(
        session,
        select(_reg.c.delegation_id, func.count())
        .select_from(_presence.join(_reg, _reg.c.id == _presence.c.registration_id))
        .where(*_inside_now(cid, today_start))
        .group_by(_reg.c.delegation_id),
    )
    high = await _rows(
        session,
        select(_reg.c.delegation_id, func.count())
        .where(
            _reg.c.conference_id == cid,
            _reg.c.id.in_(select(_scan.c.registration_id).where(*_item_entries(), _scan.c.agenda_item_id.in_(hl_ids))),
        )
        .group_by(_reg.c.delegation_id),
    )
    n_high = (await _rows(session, select(func.count()).select_from(hl_ids.subquery())))[0][0]
    await session.commit()
    counts: dict[int | None, dict[str, int]] = {}
    for key, rows in (("accredited", accredited), ("present", present), ("inside", inside), ("high_level", high)):
        for delegation_id, n in rows:
            counts.setdefault(delegation_id, {})[key] = int(n)
    lines = [DelegationLine(d_id, code, dict(name or {}), **counts.get(d_id, {})) for d_id, code, name in delegations]
    lines.sort(key=lambda d: (-d.accredited, d.code))
    if None in counts:
        lines.append(DelegationLine(None, "—", {}, **counts[None]))
    return DelegationReport(day, lines, int(n_high))


# -- by category -------------------------------------------------------------------------------


async def by_category(
    session: AsyncSession, conference: Conference, *, day: date | None = None, clock: Clock = utc_now
) -> list[CategoryLine]:
    return (await stats(session, conference, day=day, clock=clock)).by_category


# -- by agenda item --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemLine:
    item_id: int
    code: str
    title: dict[str, str]
    kind: str
    starts_at: datetime
    capacity: int | None
    signed_up: int = 0  # confirmed sign-ups
    waitlisted: int = 0
    scanned: int = 0  # distinct people with an ok entry scan at the item
    signed_and_scanned: int = 0

    @property
    def no_shows(self) -> int:
        return self.signed_up - self.signed_and_scanned

    @property
    def walk_ins(self) -> int:
        return self.scanned - self.signed_and_scanned

    def label(self, language: str) -> str:
        return pick(self.title, language) or self.code

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["starts_at"] = self.starts_at.isoformat()
        data["no_shows"], data["walk_ins"] = self.no_shows, self.walk_ins
        return data


async def by_item(session: AsyncSession, conference: Conference, *, day: date | None = None) -> list[ItemLine]:
    """Agenda items (of `day`, else all; breaks and cancelled items left out): signed up vs
    actually scanned in."""
    assert conference.id is not None
    cid = conference.id
    where = [_item.c.conference_id == cid, _item.c.kind != AgendaKind.BREAK.value, _item.c.cancelled_at.is_(None)]
    if day is not None:
        start, end = day_bounds(conference, day)
        where += [_item.c.starts_at >= start, _item.c.starts_at < end]
    items = await _rows(
        session,
        select(_item.c.id, _item.c.code, _item.c.title, _item.c.kind, _item.c.starts_at, _item.c.capacity)
        .where(*where)
        .order_by(_item.c.starts_at, _item.c.id),
    )
    ids = [r.id for r in items]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        signups = await _rows(
            session,
            select(_signup.c.agenda_item_id, _signup.c.status, func.count())
            .where(_signup.c.agenda_item_id.in_(ids))
            .group_by(_signup.c.agenda_item_id, _signup.c.status),
        )
        scanned = await _rows(
            session,
            select(_scan.c.agenda_item_id, func.count(distinct(_scan.c.registration_id)))
            .where(*_item_entries(), _scan.c.agenda_item_id.in_(ids))
            .group_by(_scan.c.agenda_item_id),
        )
        came = exists().where(
            _scan.c.registration_id == _signup.c.registration_id,
            _scan.c.agenda_item_id == _signup.c.agenda_item_id,
            _scan.c.result == OK,
            _scan.c.direction == IN,
        )
        both = await _rows(
            session,
            select(_signup.c.agenda_item_id, func.count())
            .where(_signup.c.agenda_item_id.in_(ids), _signup.c.status == SignupStatus.CONFIRMED.value, came)
            .group_by(_signup.c.agenda_item_id),
        )
        for item_id, status, n in signups:
            if _enum(status) == SignupStatus.CONFIRMED.value:
                counts[item_id]["signed_up"] = int(n)
            elif _enum(status) == SignupStatus.WAITLISTED.value:
                counts[item_id]["waitlisted"] = int(n)
        for item_id, n in scanned:
            counts[item_id]["scanned"] = int(n)
        for item_id, n in both:
            counts[item_id]["signed_and_scanned"] = int(n)
    await session.commit()
    return [
        ItemLine(r.id, r.code, dict(r.title or {}), _enum(r.kind), r.starts_at, r.capacity, **counts[r.id])
        for r in items
    ]


@dataclass(frozen=True)
class PersonLine:
    registration_id: int
    full_name: str
    native_name: str | None
    delegation: dict[str, str] | None


async def no_shows(
    session: AsyncSession, conference: Conference, item_id: int, *, limit: int = 50
) -> tuple[ItemLine, list[PersonLine]]:
    """One item's line and who signed up but was not scanned in there (first `limit`)."""
    lines = [line for line in await by_item(session, conference) if line.item_id == item_id]
    if not lines:
        raise NotFound(f"agenda item {item_id} not found", code="not_found", id=item_id)
    came = exists().where(
        _scan.c.registration_id == _signup.c.registration_id,
        _scan.c.agenda_item_id == item_id,
        _scan.c.result == OK,
        _scan.c.direction == IN,
    )
    rows = await _rows(
        session,
        select(_reg.c.id, _part.c.full_name, _part.c.native_name, _deleg.c.name)
        .select_from(
            _signup.join(_reg, _reg.c.id == _signup.c.registration_id)
            .join(_part, _part.c.id == _reg.c.participant_id)
            .outerjoin(_deleg, _deleg.c.id == _reg.c.delegation_id)
        )
        .where(_signup.c.agenda_item_id == item_id, _signup.c.status == SignupStatus.CONFIRMED.value, ~came)
        .order_by(_part.c.full_name)
        .limit(limit),
    )
    await session.commit()
    return lines[0], [PersonLine(r[0], r[1], r[2], dict(r[3]) if r[3] else None) for r in rows]


# -- by day ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayLine:
    day: date
    present: int  # distinct people checked in
    entries: int  # ok entry scans at the venue entrance
    refused: int  # scans that were not ok (invalid, revoked, not approved, ...)

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "present": self.present, "entries": self.entries, "refused": self.refused}


async def by_day(session: AsyncSession, conference: Conference) -> list[DayLine]:
    assert conference.id is not None
    cid = conference.id
    lines = []
    for day in conference_days(conference):
        start, end = day_bounds(conference, day)
        in_day = [_scan.c.conference_id == cid, _scan.c.scanned_at >= start, _scan.c.scanned_at < end]
        present = select(func.count(distinct(_scan.c.registration_id))).where(*entry_conditions(cid, start, end))
        entries = select(func.count()).where(*entry_conditions(cid, start, end), _scan.c.agenda_item_id.is_(None))
        # refused = all scans of the day - ok ones: both counts are index-only
        total = select(func.count()).select_from(_scan).where(*in_day)
        ok = (
            select(func.count())
            .select_from(_scan)
            .where(
                _scan.c.conference_id == cid,
                _scan.c.result == OK,
                _scan.c.direction.in_([ScanDirection.IN.value, ScanDirection.OUT.value]),
                _scan.c.scanned_at >= start,
                _scan.c.scanned_at < end,
            )
        )
        refused = select(total.scalar_subquery() - ok.scalar_subquery())
        row = (
            await _rows(
                session, select(present.scalar_subquery(), entries.scalar_subquery(), refused.scalar_subquery())
            )
        )[0]
        lines.append(DayLine(day, int(row[0]), int(row[1]), int(row[2])))
    await session.commit()
    return lines


# -- per hour (the chart) ----------------------------------------------------------------------


@dataclass(frozen=True)
class HourCount:
    hour: datetime  # conference-local start of the hour
    entries: int


def _hour_index(dialect: str, start: datetime) -> ColumnElement[Any]:
    """Whole hours between `start` and scanned_at, computed in SQL."""
    epoch = int(start.timestamp())
    if dialect == "postgresql":
        return cast(func.floor((func.extract("epoch", _scan.c.scanned_at) - epoch) / 3600), Integer)
    seconds = cast(func.strftime("%s", _scan.c.scanned_at), Integer) - literal(epoch)
    return cast(seconds / 3600, Integer)


async def checkins_per_hour(
    session: AsyncSession, conference: Conference, *, day: date | None = None, clock: Clock = utc_now
) -> list[HourCount]:
    """OK entry scans at the venue entrance per local hour of `day` (every hour 0-23)."""
    assert conference.id is not None
    day = day or report_day(conference, clock)
    start, end = day_bounds(conference, day)
    conn = await session.connection()
    where = [*entry_conditions(conference.id, start, end), _scan.c.agenda_item_id.is_(None)]
    found: dict[int, int] = {}
    if conn.dialect.name == "sqlite" and start.minute == 0 and start.second == 0:
        # SQLite stores 'YYYY-MM-DD HH:MM:SS…' (UTC): grouping by the text's hour is ~3x
        # cheaper than date arithmetic per row (local hours align with UTC hours here).
        utc_hour = func.substr(_scan.c.scanned_at, 1, 13).label("h")
        for text_hour, n in await _rows(session, select(utc_hour, func.count()).where(*where).group_by(utc_hour)):
            moment = datetime.strptime(str(text_hour), "%Y-%m-%d %H").replace(tzinfo=UTC)
            found[int((moment - start).total_seconds() // 3600)] = int(n)
    else:
        bucket = _hour_index(conn.dialect.name, start).label("h")
        for h, n in await _rows(session, select(bucket, func.count()).where(*where).group_by(bucket)):
            found[int(h)] = int(n)
    await session.commit()
    hours = int((end - start).total_seconds() // 3600)
    tz = zone(conference)
    return [HourCount((start + timedelta(hours=h)).astimezone(tz), found.get(h, 0)) for h in range(hours)]


# -- the audit trail -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    details: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


async def audit_log(
    session: AsyncSession,
    conference: Conference | None,
    *,
    since: datetime | None = None,
    action: str | None = None,
    limit: int = 1000,
) -> list[AuditEntry]:
    """Audit rows, oldest first: of the conference (and those of no conference, e.g. CLI
    actions), since `since`, whose action starts with `action` ("registration." or
    "broadcast.send")."""
    where: list[ColumnElement[bool]] = []
    if conference is not None:
        where.append((_audit.c.conference_id == conference.id) | _audit.c.conference_id.is_(None))
    if since is not None:
        where.append(_audit.c.at >= since)
    if action:
        where.append(_audit.c.action.startswith(action, autoescape=True))
    inner = (
        select(_audit)
        .where(and_(*where) if where else literal(True))
        .order_by(_audit.c.at.desc(), _audit.c.id.desc())
        .limit(limit)
    )
    rows = await _rows(session, inner)
    await session.commit()
    rows.sort(key=lambda r: (r.at, r.id))
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.entity, r.entity_id, dict(r.details or {})) for r in rows]
