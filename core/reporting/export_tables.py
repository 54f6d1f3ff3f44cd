"""What each export holds: its columns and how its rows are read from the database.

A table is a list of columns (header, database column, how its value is shown). Times are
conference-local, without offset (spreadsheets have no time zones); the header says which
zone ("{tz}" in a header is the conference's time zone).

Every cell is computed by the database, as the text or number it is written as (a local time
as "2024-10-31 12:00:00", an enum as its value, a delegation's English name): the rows come
from the driver as plain tuples, ready to write, so a writer does no work per cell that SQL
can do (500,000 scans: 12 s when each row went through the ORM's types and Python
conversions). For CSV the database also puts the apostrophe before formula-looking text
(`for_csv`); XLSX gets the text as it is and marks such cells itself.

Each table is one statement (`SqlTable`); attendance reads its days and entries from the
attendance summary (core/reporting/summary.py), folded first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Enum, Integer, String, and_, case, cast, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, utc_now
from core.joins import registrations_with_people_and_delegations
from core.models import AttendanceDay, Conference, RegistrationStatus, pick
from core.reporting import summary
from core.reporting.days import conference_days, day_bounds, zone
from core.reporting.sql import DELEG, ITEM, PART, PRESENCE, REG, SCAN
from core.uow import checkpoint

Cell = str | int | None
DAY = AttendanceDay.__table__  # type: ignore[attr-defined]
Kind = Literal["number", "time", "text"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TIME_TEXT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Col:
    header: str
    column: Any
    shown: str = ""  # "": as stored; "en": the English name (a delegation's); "local": local
    # time; "venue": an agenda item's code, "venue" for none (the entrance)

    @property
    def kind(self) -> Kind:
        if self.shown == "local":
            return "time"
        return "number" if isinstance(self.column.type, Integer | BigInteger) else "text"


Bound = Any  # where a part of the scans begins or ends: a scanned_at, as the database gives it


@dataclass(frozen=True)
class Parts:
    """How the scans are read in parts (core/reporting/export_parts): ranges of their time,
    each a statement of its own (ordered by time and id, as the whole). A range holds the
    times from `lo` on and before `hi`; None: from the first, to the last. `rows(lo, hi)`: the range's cells for CSV (as
    `statement(True)`); `lines(spans, lo, hi)` (SQLite): each row as its CSV line, CRLF
    included (what csv.writer writes of the same cells), computed with the local-time
    `spans` given (None: the table's own); `spans()` (SQLite): the statement reading them."""

    conference_id: int
    rows: Callable[[Bound | None, Bound | None], Any]
    lines: Callable[[dict[str, Any] | None, Bound | None, Bound | None], Any]
    spans: Callable[[], Any]


@dataclass(frozen=True)
class SqlTable:
    """A table that is one statement: `statement(for_csv)` selects its cells."""

    headers: list[str]
    kinds: list[Kind]
    statement: Callable[[bool], Any]
    parts: Parts | None = None


Table = SqlTable


def formula_safe(text: Any) -> Any:
    """SQL: text that a spreadsheet would evaluate, with a leading apostrophe (CSV)."""
    return case((func.substr(text, 1, 1).in_(FORMULA_START), literal("'", String) + text), else_=text)


# SQLite: text that csv.writer quotes (a comma, a quote, CR or LF in it), and text that
# gets the apostrophe (FORMULA_START), as GLOB patterns. GLOB stops at a NUL character
# (and `printf` too): text with one is checked with `instr`, which does not, and joined
# with `||`, which keeps it.
NEEDS_QUOTES = '*[,"\r\n]*'
FORMULA_GLOB = "[" + "".join(c for c in FORMULA_START if c != "-") + "-]*"
NUL = literal("\x00", String)


def _glob(text: Any, pattern: str) -> Any:
    return text.op("GLOB", is_comparison=True)(literal(pattern, String))


def csv_text(text: Any, shown: Any = None) -> Any:
    """SQLite: text as csv.writer writes it: `shown` (by default `text` itself; the formula
    apostrophe adds nothing that needs quotes) quoted, quotes doubled, if `text` needs
    quotes. `text` is looked at several times, so it should be a column (an expression is
    computed again each time), `shown` is used once."""
    shown = text if shown is None else shown
    quoted = literal('"', String) + func.replace(shown, '"', '""') + literal('"', String)
    found = [func.instr(text, literal(c, String)) > 0 for c in (",", '"', "\n", "\r")]
    with_nul = (func.instr(text, NUL) > 0) & or_(*found)
    return case((_glob(text, NEEDS_QUOTES) | with_nul, quoted), else_=shown)


def csv_cell(text: Any) -> Any:
    """SQLite: a text cell (a column) as csv.writer writes it after `formula_safe`; its plain
    value when it neither starts like a formula nor needs quotes nor has a NUL (two GLOBs
    and an `instr`: the usual case)."""
    plain = ~(_glob(text, FORMULA_GLOB) | _glob(text, NEEDS_QUOTES)) & (func.instr(text, NUL) == 0)
    return case((plain, text), else_=csv_text(text, formula_safe(text)))


def _offsets(tz: ZoneInfo, first: datetime, last: datetime) -> list[tuple[datetime, int]]:
    """The UTC offset (seconds) in force from `first` on, and each change of it up to `last`:
    [(since, offset), ...], `since` naive UTC, found day by day and then to the second."""

    def offset(moment: datetime) -> int:
        delta = moment.replace(tzinfo=UTC).astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    first, last = first.replace(microsecond=0), last.replace(microsecond=0)
    changes = [(first, offset(first))]
    day = first
    while day < last:
        step = min(day + timedelta(days=1), last)
        if offset(step) != changes[-1][1]:
            low, high = day, step  # offset(low) is the old one, offset(high) the new one
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                low, high = (middle, high) if offset(middle) == changes[-1][1] else (low, middle)
            changes.append((high, offset(high)))
        day = step
    return changes


def _local_text(col: Any, conference: Conference, dialect: str, span: tuple[Any, Any] | None) -> Any:
    """SQL: the conference-local time of `col` as "YYYY-MM-DD HH:MM:SS" (seconds cut, as
    Python's replace(microsecond=0)). PostgreSQL knows time zones; SQLite stores UTC as
    text and gets the zone's offsets over `span` (the column's first and last value)."""
    tz = zone(conference)
    if dialect == "postgresql":
        return func.to_char(func.timezone(tz.key, col), "YYYY-MM-DD HH24:MI:SS")
    utc = func.substr(type_coerce(col, String), 1, 19)

    def shifted(seconds: int) -> Any:
        return func.datetime(utc, f"{seconds:+d} seconds")

    if span is None or span[0] is None:
        return literal(None, String)
    changes = _offsets(tz, _naive(span[0]), _naive(span[1]))
    if len(changes) == 1:
        return shifted(changes[0][1])
    whens = [
        (type_coerce(col, String) < since.strftime(TIME_TEXT), shifted(before))
        for (_, before), (since, _) in pairwise(changes)
    ]
    return case(*whens, else_=shifted(changes[-1][1]))


def _naive(value: Any) -> datetime:
    """A stored UTC time as SQLite's driver gives it back (text) or as a datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


async def _english_names(session: AsyncSession, conference: Conference) -> Any:
    """SQL: the registration's delegation's English name (core.models.pick: the names are
    JSON, and pick's fallbacks are plain Python), looked up by its id in the conference's
    names: a JSONB object on PostgreSQL, a CASE on SQLite. (A VALUES list to join, before,
    was scanned for every row by both: 0.45 s of 50,000 registrations on PostgreSQL, 0.15 s
    on SQLite.)"""
    conn = await session.connection()
    found = (await conn.execute(select(DELEG.c.id, DELEG.c.name).where(DELEG.c.conference_id == conference.id))).all()
    if not found:
        return None
    names = {d_id: pick(name, "en") if name else None for d_id, name in found}
    if conn.dialect.name == "postgresql":
        by_id = json.dumps({str(d_id): name for d_id, name in names.items()})
        return func.jsonb_extract_path_text(cast(literal(by_id, String), JSONB), cast(REG.c.delegation_id, String))
    return case(names, value=REG.c.delegation_id, else_=literal(None, String))


class _Cells:
    """How each column's cell is selected, for one conference on one database."""

    def __init__(self, conference: Conference, dialect: str, names: Any, spans: dict[str, Any]) -> None:
        self.conference, self.dialect, self.names, self.spans = conference, dialect, names, spans

    def cell(self, col: Col, for_csv: bool) -> Any:
        value = col.column
        if col.shown == "local":
            return _local_text(value, self.conference, self.dialect, self.spans.get(col.header))
        if col.shown == "en":
            if self.names is None:
                return literal(None, String)
            value = self.names
        if col.shown == "venue":
            value = func.coalesce(value, "venue")
        if col.kind == "number":
            return type_coerce(value, BigInteger)
        typed = value.type if col.shown == "" else None
        value = type_coerce(value, String)  # an enum's value, as stored
        if not for_csv or isinstance(typed, Enum):  # an enum's values are plain words
            return value
        # CSV: the apostrophe; PostgreSQL's COPY would quote an empty string (csv.writer
        # writes nothing, as for NULL), so it gets NULL
        return formula_safe(func.nullif(value, "") if self.dialect == "postgresql" else value)

    def select(self, columns: Sequence[Col], for_csv: bool) -> Any:
        return select(*(self.cell(c, for_csv).label(f"c{i}") for i, c in enumerate(columns)))


def _headers(columns: Sequence[Col], conference: Conference) -> list[str]:
    return [c.header.format(tz=conference.timezone) for c in columns]


async def _spans(session: AsyncSession, columns: Sequence[Col], from_: Any, where: Any) -> dict[str, Any]:
    """SQLite: the first and last value of each local-time column (its zone offsets)."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        return {}
    times = [c for c in columns if c.shown == "local"]
    if not times:
        return {}
    found = (await conn.execute(_span_statement(times, from_, where))).one()
    return _span_values(times, found)


def _span_statement(times: Sequence[Col], from_: Any, where: Any) -> Any:
    """The first and last (text) value of each column in `times`. The scans' time is
    indexed (ix_scan_conference_at): there each is a statement of its own, which SQLite
    answers from one end of the index (both in one: a walk over all of it, 60 ms of
    500,000); elsewhere one pass."""
    values = [f(type_coerce(c.column, String)) for c in times for f in (func.min, func.max)]
    if from_ is SCAN:
        return select(*(select(v).select_from(from_).where(where).scalar_subquery() for v in values))
    return select(*values).select_from(from_).where(where)


def _span_values(times: Sequence[Col], found: Sequence[Any]) -> dict[str, Any]:
    return {c.header: (found[2 * i], found[2 * i + 1]) for i, c in enumerate(times)}


async def _cells(
    session: AsyncSession, conference: Conference, columns: Sequence[Col], from_: Any, where: Any
) -> _Cells:
    conn = await session.connection()
    names = await _english_names(session, conference) if any(c.shown == "en" for c in columns) else None
    return _Cells(conference, conn.dialect.name, names, await _spans(session, columns, from_, where))


PERSON = (
    Col("registration_id", REG.c.id),
    Col("full_name", PART.c.full_name),
    Col("native_name", PART.c.native_name),
    Col("delegation_code", DELEG.c.code),
    Col("delegation", DELEG.c.name, "en"),
    Col("category", REG.c.category),
)

REGISTRATIONS = (
    *PERSON,
    Col("status", REG.c.status),
    Col("position", PART.c.position),
    Col("organisation", PART.c.organisation),
    Col("email", PART.c.email),
    Col("telegram_username", PART.c.telegram_username),
    Col("source", REG.c.source),
    Col("badge_version", REG.c.badge_version),
    Col("badge_print_count", REG.c.badge_print_count),
    Col("registered_at ({tz})", REG.c.created_at, "local"),
    Col("decided_at ({tz})", REG.c.decided_at, "local"),
)

# Who each registration is, for the scans: a CTE of the people's cells (`_people`), computed
# once per registration rather than once per scan (PostgreSQL: 10% of the scans CSV), and
# materialised on SQLite, which otherwise looks up registration, participant and delegation
# for every scan (1 s of 500,000)
WHO = (Col("full_name", PART.c.full_name), Col("delegation_code", DELEG.c.code))


def _people(cells: _Cells, for_csv: bool) -> Any:
    return (
        select(REG.c.id, *(cells.cell(c, for_csv).label(f"c{i}") for i, c in enumerate(WHO)))
        .select_from(registrations_with_people_and_delegations())
        .cte("people")
        .prefix_with("MATERIALIZED", dialect="sqlite")
    )


SCANS = (
    Col("scan_id", SCAN.c.id),
    Col("scanned_at ({tz})", SCAN.c.scanned_at, "local"),
    Col("registration_id", SCAN.c.registration_id),
    *WHO,  # from `_people`, as its cells
    Col("direction", SCAN.c.direction),
    Col("result", SCAN.c.result),
    Col("place", ITEM.c.code, "venue"),
    Col("gate", SCAN.c.gate),
    Col("staff_telegram_id", SCAN.c.staff_telegram_id),
    Col("badge_version", SCAN.c.badge_version),
)


async def registrations(session: AsyncSession, conference: Conference) -> SqlTable:
    from_ = registrations_with_people_and_delegations()
    where = REG.c.conference_id == conference.id
    cells = await _cells(session, conference, REGISTRATIONS, from_, where)

    def statement(for_csv: bool) -> Any:
        return cells.select(REGISTRATIONS, for_csv).select_from(from_).where(where).order_by(REG.c.id)

    return SqlTable(_headers(REGISTRATIONS, conference), [c.kind for c in REGISTRATIONS], statement)


def _in_range(at: Any, lo: Bound | None, hi: Bound | None) -> list[Any]:
    """Scans of times from `lo` on and before `hi` (a range of ix_scan_conference_at)."""
    return [*([] if lo is None else [at >= lo]), *([] if hi is None else [at < hi])]


def _scan_lines(cells: _Cells, where: Any) -> Any:
    """SQLite: the scans as CSV lines, the cells as csv.writer writes them (formula text with
    its apostrophe, then quoted where needed; NULL as nothing): one text per row for the
    driver instead of eleven values and csv.writer's work (0.8 s of 500,000 rows). One
    `printf` per row; a row with a NUL character in its text (which `printf` would cut) is
    joined with `||` instead (0.09 s more per 250,000 rows if every row were). The people's
    and places' cells once each, in materialised CTEs, with whether they are free of NUL."""
    who = [func.coalesce(csv_text(c.column, cells.cell(c, True)), "") for c in WHO]
    clean = [func.instr(func.coalesce(c.column, ""), NUL) == 0 for c in WHO]
    people = (
        select(REG.c.id, (who[0] + "," + who[1]).label("who"), (clean[0] & clean[1]).label("clean"))
        .select_from(registrations_with_people_and_delegations())
        .cte("people_lines")
        .prefix_with("MATERIALIZED")
    )
    code = csv_text(ITEM.c.code, formula_safe(ITEM.c.code))
    places = (
        select(ITEM.c.id, code.label("code"), (func.instr(ITEM.c.code, NUL) == 0).label("clean"))
        .cte("places")
        .prefix_with("MATERIALIZED")
    )
    texts = {  # free text, as it is written (never NULL)
        "full_name": func.coalesce(people.c.who, ","),  # and delegation_code, after it
        "place": func.coalesce(places.c.code, "venue"),
        "gate": func.coalesce(csv_cell(SCAN.c.gate), ""),
    }
    columns = [c for c in SCANS if c.header != "delegation_code"]  # in `who`
    fast = func.printf(
        literal(",".join(["%s"] * len(columns)) + "\r\n", String),
        *(texts.get(c.header, cells.cell(c, True)) for c in columns),
    )
    pieces: list[Any] = []
    formats: list[str] = []
    values: list[Any] = []
    for i, c in enumerate(columns):
        if c.header in texts:
            if values:
                pieces.append(func.printf(literal("".join(formats), String), *values))
            elif formats:  # only separators
                pieces.append(literal("".join(formats), String))
            formats, values = [], []
            pieces.append(texts[c.header])
        else:
            formats.append("%s")
            values.append(cells.cell(c, True))
        formats.append("," if i + 1 < len(columns) else "\r\n")
    pieces.append(func.printf(literal("".join(formats), String), *values))
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = joined.op("||")(piece)
    no_nul = (
        (func.instr(SCAN.c.gate, NUL) == 0)
        & (func.coalesce(people.c.clean, True) == True)  # noqa: E712 (SQL)
        & (func.coalesce(places.c.clean, True) == True)  # noqa: E712 (SQL)
    )
    line = case((no_nul, fast), else_=type_coerce(joined, String))
    from_ = SCAN.outerjoin(people, people.c.id == SCAN.c.registration_id).outerjoin(
        places, places.c.id == SCAN.c.agenda_item_id
    )
    return select(line.label("line")).select_from(from_).where(where)


def span_values(found: Sequence[Any]) -> dict[str, Any]:
    """The scans' local-time spans from what `Parts.spans()` selected."""
    return _span_values([c for c in SCANS if c.shown == "local"], found)


async def scans(session: AsyncSession, conference: Conference) -> SqlTable:
    where = SCAN.c.conference_id == conference.id
    cells = await _cells(session, conference, SCANS, SCAN, where)
    order = (SCAN.c.scanned_at, SCAN.c.id)
    at = type_coerce(SCAN.c.scanned_at, String) if cells.dialect == "sqlite" else SCAN.c.scanned_at

    def statement(for_csv: bool, *range_: Any) -> Any:
        people = _people(cells, for_csv)
        own = {c.header: cells.cell(c, for_csv) for c in SCANS if c not in WHO}
        own.update({c.header: people.c[f"c{i}"] for i, c in enumerate(WHO)})
        from_ = SCAN.outerjoin(people, people.c.id == SCAN.c.registration_id).outerjoin(
            ITEM, ITEM.c.id == SCAN.c.agenda_item_id
        )
        return (
            select(*(own[c.header].label(f"c{i}") for i, c in enumerate(SCANS)))
            .select_from(from_)
            .where(where, *range_)
            .order_by(*order)
        )

    def lines(spans: dict[str, Any] | None, lo: Bound | None, hi: Bound | None) -> Any:
        shown = cells if spans is None else _Cells(conference, cells.dialect, None, spans)
        return _scan_lines(shown, and_(where, *_in_range(at, lo, hi))).order_by(*order)

    def span_statement() -> Any:
        return _span_statement([c for c in SCANS if c.shown == "local"], SCAN, where)

    parts = Parts(
        conference.id or 0,
        lambda lo, hi: statement(True, *_in_range(at, lo, hi)),
        lines,
        span_statement,
    )
    return SqlTable(_headers(SCANS, conference), [c.kind for c in SCANS], statement, parts)


def _present(conference: Conference, days: list[date]) -> Any:
    """SQL: per registration of the conference checked in on some day (attendance_day,
    refreshed by the caller), its first and last accepted entry (any day, before and after
    the conference's too) and, per conference day, 1 if checked in that day (else 0)."""
    marks = [func.max(case((DAY.c.day == d, 1), else_=0)).label(f"d{i}") for i, d in enumerate(days)]
    return (
        select(
            DAY.c.registration_id,
            func.min(DAY.c.first_in).label("first_in"),
            func.max(DAY.c.last_in).label("last_in"),
            *marks,
        )
        .where(DAY.c.conference_id == conference.id)
        .group_by(DAY.c.registration_id)
        .subquery("present")
    )


async def _entry_span(session: AsyncSession, conference: Conference) -> tuple[Any, Any] | None:
    """SQLite: the first and last entry of the conference's summary (its zone offsets)."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        return None
    first, last = (type_coerce(DAY.c.first_in, String), type_coerce(DAY.c.last_in, String))
    stmt = select(func.min(first), func.max(last)).where(DAY.c.conference_id == conference.id)
    return tuple((await conn.execute(stmt)).one())  # type: ignore[return-value]


async def attendance(
    session: AsyncSession, conference: Conference, now: datetime, *, clock: Clock = utc_now
) -> SqlTable:
    """One row per approved registration: present on each conference day, first and last
    entry, inside now. Days and entries come from the attendance summary, folded first
    (core/reporting/summary.py: the same accepted entries, cut into the same local days)."""
    assert conference.id is not None
    await summary.refresh(session, conference, clock=clock)
    # the fold's locks (its row; SQLite's write lock) end here, not after the whole file is
    # streamed, and the file is read in a transaction that only reads (SQLite: deferred, no
    # write lock): doors and other reports wait for the fold at most, never for the export
    await checkpoint(session, reads_only=True)
    days = conference_days(conference)
    today_start, _ = day_bounds(conference, now.astimezone(zone(conference)).date())
    tz = conference.timezone
    headers = [
        *_headers(PERSON, conference),
        *[f"present {d.isoformat()}" for d in days],
        "days_present",
        f"first_entry ({tz})",
        f"last_entry ({tz})",
        "inside_now",
    ]
    kinds: list[Kind] = [c.kind for c in PERSON] + ["text"] * len(days) + ["number", "time", "time", "text"]
    from_ = registrations_with_people_and_delegations()
    cells = await _cells(session, conference, PERSON, from_, REG.c.conference_id == conference.id)
    span = await _entry_span(session, conference)
    present = _present(conference, days)
    inside = (PRESENCE.c.inside.is_(True)) & (PRESENCE.c.since >= today_start)
    no = literal(None, String)  # an empty cell: csv.writer's and COPY's empty field, XLSX's empty cell
    count = sum((present.c[f"d{i}"] for i in range(len(days))), start=literal(0, BigInteger))

    def statement(for_csv: bool) -> Any:
        return (
            cells.select(PERSON, for_csv)
            .add_columns(
                *(case((present.c[f"d{i}"] == 1, "yes"), else_=no) for i in range(len(days))),
                type_coerce(func.coalesce(count, 0), BigInteger),
                *(_local_text(present.c[c], conference, cells.dialect, span) for c in ("first_in", "last_in")),
                case((inside, "yes"), else_=no),
            )
            .select_from(
                from_.outerjoin(present, present.c.registration_id == REG.c.id).outerjoin(
                    PRESENCE, PRESENCE.c.registration_id == REG.c.id
                )
            )
            .where(REG.c.conference_id == conference.id, REG.c.status == RegistrationStatus.APPROVED.value)
            .order_by(REG.c.id)
        )

    return SqlTable(headers, kinds, statement)
