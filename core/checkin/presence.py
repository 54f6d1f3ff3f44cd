"""Where a badge is (its Presence row), read under lock, and moved by an admitted scan.

The Presence row is the lock that makes one badge's scans serialise. PostgreSQL: one
statement creates the row if missing and locks it (INSERT … ON CONFLICT DO UPDATE, which
locks the row and returns its latest committed version even where the statement's snapshot
is older), joined to the registration, its holder and the scan that last moved it; two
doors scanning one badge at once take turns there. The scan row and the move are then one
more statement (`record_and_move`). SQLite: every transaction begins IMMEDIATE (core.db), so
the whole unit of work holds the database's write lock, across processes too (two kiosks on
one file); the row may not exist yet (it is inserted on entry).

A kiosk's scan on PostgreSQL takes no lock before it judges (core.checkin.scanning's
`scan_alone`): it reads the state unlocked (`read`, with the hall's categories and whether
the nonce is stored), then writes by compare-and-set, one statement in autocommit that
stores the scan and moves presence only if the row is still as read
(`record_and_move_if_unmoved`, `record_if_unmoved`; `record_and_enter_first` where no row was
read), taking the row's lock for that statement only. Those go to the asyncpg connection
directly (core.checkin.prepared: the same Core statements, compiled once).

The statements are built once (bound parameters), not per scan.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Row, and_, bindparam, exists, false, func, insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.checkin import tables as t
from core.checkin.prepared import Driver, Prepared
from core.checkin.scanned import ScanRequest
from core.models import ScanDirection

_presence = t.presence
FOREIGN_KEY_VIOLATION = "23503"  # PostgreSQL's SQLSTATE
_prev = t.previous_scan


def _upsert_locked():  # type: ignore[no-untyped-def]
    """PostgreSQL: the badge's presence row, created if missing, locked, its latest version
    (a CTE; nothing for an unknown registration)."""
    reg = t.registration
    new = select(reg.c.id, false(), bindparam("now", type_=_presence.c.since.type)).where(reg.c.id == bindparam("rid"))
    upsert = pg_insert(_presence).from_select(["registration_id", "inside", "since"], new)
    return (
        upsert.on_conflict_do_update(index_elements=["registration_id"], set_={"inside": _presence.c.inside})
        .returning(*(_presence.c[k] for k in ("registration_id", "inside", "agenda_item_id", "since", "last_scan_id")))
        .cte("p")
    )


def _state_source(*, pg: bool):  # type: ignore[no-untyped-def]
    """The columns of a badge's state and the join they come from (see `_select_state`)."""
    reg, part, deleg, conf = t.registration, t.participant, t.delegation, t.conference
    here = _upsert_locked() if pg else _presence
    cols = (
        *(reg.c.id, reg.c.conference_id, reg.c.status, reg.c.category, reg.c.badge_version),
        *(part.c.full_name, part.c.native_name, deleg.c.name, conf.c.timezone),
        *(here.c.inside, here.c.agenda_item_id, here.c.since, here.c.last_scan_id),
        *(_prev.c.id.label("prev_id"), _prev.c.staff_telegram_id, _prev.c.gate),
    )
    joined = (
        reg.join(part, part.c.id == reg.c.participant_id)
        .join(conf, conf.c.id == reg.c.conference_id)
        .outerjoin(deleg, deleg.c.id == reg.c.delegation_id)
    )
    # PostgreSQL: the upsert returns the row for any registration; SQLite: maybe none yet
    joined = (joined.join if pg else joined.outerjoin)(here, here.c.registration_id == reg.c.id)
    return cols, joined.outerjoin(_prev, _prev.c.id == here.c.last_scan_id)


@cache
def _select_state(*, pg: bool):  # type: ignore[no-untyped-def]
    """The registration, its holder, its conference's time zone, its presence and the scan
    that last moved it: one statement (on PostgreSQL the presence row locked, see above)."""
    cols, joined = _state_source(pg=pg)
    return select(*cols).select_from(joined).where(t.registration.c.id == bindparam("rid"))


@cache
def _read_unlocked() -> Prepared:
    """PostgreSQL, the kiosk's one read, always one row: the badge's state as `read_locked`
    gives it on SQLite (no lock, no presence row created; every column NULL for an unknown
    registration, or where none is asked for), the hall asked for (`hall_id`, `hall_allows`:
    its agenda item if it is this conference's, else NULL; NULL for the venue) and whether
    a scan with this nonce is stored already (`nonce_stored`)."""
    item, scan, reg = t.agenda_item, t.scan, t.registration
    cols, joined = _state_source(pg=False)
    one = select(literal_column("1").label("one")).subquery("one")
    this_conference = and_(item.c.id == bindparam("item", type_=Integer), item.c.conference_id == bindparam("c"))
    found = one.outerjoin(item, this_conference).outerjoin(joined, reg.c.id == bindparam("rid", type_=Integer))
    stored = exists().where(scan.c.nonce == bindparam("nonce", type_=scan.c.nonce.type))
    hall = (item.c.id.label("hall_id"), item.c.allowed_categories.label("hall_allows"), stored.label("nonce_stored"))
    return Prepared(select(*cols, *hall).select_from(found))


async def read(
    pg: Driver, registration_id: int | None, conference_id: int, item_id: int | None, nonce: str | None
) -> Any:
    """PostgreSQL, the kiosk's scan (on the asyncpg connection `pg`): the badge's state as
    `read_locked` gives it, but read without a lock and without creating the presence row
    (`inside` None where there is none yet, as on SQLite), with the hall and whether the
    nonce is stored (`_read_unlocked`: one row, `id` None for an unknown registration).
    What it read is checked again when the scan is written (`_unmoved`)."""
    params = {"rid": registration_id, "c": conference_id, "item": item_id, "nonce": nonce}
    return await _read_unlocked().fetchrow(pg, params)


@cache
def _previous_scan():  # type: ignore[no-untyped-def]
    return select(_prev.c.staff_telegram_id, _prev.c.gate).where(_prev.c.id == bindparam("id"))


@cache
def _previous_scan_prepared() -> Prepared:
    return Prepared(_previous_scan())


async def read_locked(conn: AsyncConnection, registration_id: int, now: datetime) -> Row[Any] | None:
    """The badge's state (see `_select_state`), its presence row locked; None for an
    unknown registration. `inside` is None where no presence row exists yet (SQLite)."""
    pg = conn.dialect.name == "postgresql"
    return (await conn.execute(_select_state(pg=pg), {"rid": registration_id, "now": now})).first()


async def previous_scan(conn: AsyncConnection, state: Row[Any]) -> tuple[int | None, str | None]:
    """(staff, gate) of the scan that last moved the badge. The state's join gives it unless
    that scan was committed while the statement waited for the lock (older snapshot)."""
    if state.last_scan_id is None or state.prev_id is not None:
        return state.staff_telegram_id, state.gate
    row = (await conn.execute(_previous_scan(), {"id": state.last_scan_id})).first()
    return (row.staff_telegram_id, row.gate) if row is not None else (None, None)


async def previous_scan_on(pg: Driver, state: Any) -> tuple[int | None, str | None]:
    """`previous_scan` on the asyncpg connection (the kiosk's scan on PostgreSQL)."""
    if state.last_scan_id is None or state.prev_id is not None:
        return state.staff_telegram_id, state.gate
    row = await _previous_scan_prepared().fetchrow(pg, {"id": state.last_scan_id})
    return (row.staff_telegram_id, row.gate) if row is not None else (None, None)


def place_after(
    inside: bool, here: int | None, direction: ScanDirection, item_id: int | None
) -> tuple[bool, int | None, str | None]:
    """(inside, agenda item, detail) after an admitted scan at `item_id` (None: the venue),
    for a badge `inside` at `here`. "in": there (a hall is inside the venue). "out" of the
    venue: outside. "out" of the hall they are in: back to the venue. "out" where they are
    not: "was_not_inside", outside (venue) or as they were. Pure: the offline kiosk and the
    upload's replay of merged scans move presence with it too."""
    if direction is ScanDirection.IN:
        return True, item_id, None
    if item_id is None:  # leaving the venue
        return False, None, None if inside else "was_not_inside"
    if inside and here == item_id:  # leaving this hall, still at the venue
        return True, None, None
    return inside, here, "was_not_inside"


def next_place(state: Row[Any], ask: ScanRequest) -> tuple[bool, int | None, str | None]:
    """`place_after` for the badge's state row and this scan."""
    return place_after(bool(state.inside), state.agenda_item_id, ask.direction, ask.item_id)


def _moved(state: Row[Any], ask: ScanRequest) -> tuple[dict[str, Any], bool, str | None]:
    """(the new inside and agenda item, whether `since` becomes now, the detail)."""
    new_inside, new_item, detail = next_place(state, ask)
    changed = (new_inside, new_item) != (bool(state.inside), state.agenda_item_id)
    return {"p_inside": new_inside, "p_item": new_item}, changed or ask.direction is ScanDirection.IN, detail


@cache
def _move(*, since: bool, new_row: bool):  # type: ignore[no-untyped-def]
    """SQLite: insert the presence row (none yet) or update it."""
    values: dict[str, Any] = {"inside": bindparam("p_inside"), "agenda_item_id": bindparam("p_item")}
    values["last_scan_id"] = bindparam("p_scan")
    if since or new_row:
        values["since"] = bindparam("p_since", type_=_presence.c.since.type)
    if new_row:
        return insert(_presence).values(registration_id=bindparam("rid"), **values)
    return update(_presence).where(_presence.c.registration_id == bindparam("rid")).values(**values)


async def move(
    conn: AsyncConnection, registration_id: int, state: Row[Any], ask: ScanRequest, scan_id: int
) -> str | None:
    """SQLite: write the presence `next_place` gives (since = now if it changed or on
    entry); its detail."""
    params, since, detail = _moved(state, ask)
    params |= {"rid": registration_id, "p_scan": scan_id, "p_since": ask.now}
    await conn.execute(_move(since=since, new_row=state.inside is None), params)
    return detail


@cache
def _record_and_move(*, since: bool):  # type: ignore[no-untyped-def]
    """PostgreSQL: the Scan row (nothing if its nonce is stored already) and the presence
    row moved to point at it, in one statement; the scan's id."""
    stored = t.insert_scan(pg=True).cte("s")
    values = {"inside": bindparam("p_inside"), "agenda_item_id": bindparam("p_item"), "last_scan_id": stored.c.id}
    if since:
        values["since"] = bindparam("p_since", type_=_presence.c.since.type)
    return (
        update(_presence)
        .where(_presence.c.registration_id == bindparam("rid"), _presence.c.registration_id == stored.c.registration_id)
        .values(**values)
        .returning(stored.c.id)
    )


async def record_and_move(
    conn: AsyncConnection, scan: dict[str, Any], state: Row[Any], ask: ScanRequest
) -> tuple[int | None, str | None]:
    """PostgreSQL: record the admitted scan (`scan`: tables.scan_params) and
    move presence; (the scan's id, None if the nonce was stored by another scan; detail)."""
    params, since, detail = _moved(state, ask)
    params |= scan | {"rid": scan["s_registration_id"], "p_since": ask.now}
    row = (await conn.execute(_record_and_move(since=since), params)).first()
    return (int(row[0]) if row is not None else None), detail


# --- PostgreSQL compare-and-set: the kiosk's scan, no transaction (see the module's docstring)


@cache
def _unmoved():  # type: ignore[no-untyped-def]
    """The badge's presence row if it is still as `read` saw it (every column a rule or the
    verdict reads, and the scan that last moved it), locked for the statement (a CTE). A door
    moving it at that moment is waited for; its committed row then no longer matches (READ
    COMMITTED re-checks a locked row's condition on its latest version)."""
    p = _presence
    return (
        select(p.c.registration_id)
        .where(
            p.c.registration_id == bindparam("rid"),
            p.c.inside == bindparam("seen_inside", type_=p.c.inside.type),
            p.c.agenda_item_id.is_not_distinct_from(bindparam("seen_item", type_=p.c.agenda_item_id.type)),
            p.c.since == bindparam("seen_since", type_=p.c.since.type),
            p.c.last_scan_id.is_not_distinct_from(bindparam("seen_scan", type_=p.c.last_scan_id.type)),
        )
        .with_for_update()
        .cte("seen")
    )


def _seen(state: Any) -> dict[str, Any]:
    return {
        "rid": state.id,
        "seen_inside": state.inside,
        "seen_item": state.agenda_item_id,
        "seen_since": state.since,
        "seen_scan": state.last_scan_id,
    }


@cache
def _record_if_unmoved() -> Prepared:
    return Prepared(t.insert_scan_where(exists(_unmoved().select())))


async def record_if_unmoved(pg: Driver, scan: dict[str, Any], state: Any) -> int | None:
    """Store a scan that leaves presence as it is (a duplicate) if presence is still as read
    (a row exists); its id, or None: nothing stored (presence moved, or the nonce is taken)."""
    row = await _record_if_unmoved().fetchrow(pg, scan | _seen(state))
    return int(row[0]) if row is not None else None


@cache
def _record_and_move_if_unmoved(*, since: bool) -> Prepared:
    """`_record_and_move`, the scan stored only if presence is still as read."""
    stored = t.insert_scan_where(exists(_unmoved().select())).cte("s")
    values = {"inside": bindparam("p_inside"), "agenda_item_id": bindparam("p_item"), "last_scan_id": stored.c.id}
    if since:
        values["since"] = bindparam("p_since", type_=_presence.c.since.type)
    return Prepared(
        update(_presence)
        .where(_presence.c.registration_id == stored.c.registration_id)
        .values(**values)
        .returning(stored.c.id)
    )


@cache
def _record_and_enter_first() -> Prepared:
    """The badge's first presence row (ON CONFLICT DO NOTHING: another door's first scan got
    there first), pointing at the scan's id drawn from the sequence, and the scan row with
    that id if the presence row was inserted. Should the scan row not be stored (its nonce
    taken by a scan committed meanwhile), presence would point at no scan: the foreign key
    fails the statement, which stores nothing (SQLSTATE 23503)."""
    first = select(
        bindparam("rid", type_=_presence.c.registration_id.type),
        bindparam("p_inside", type_=_presence.c.inside.type),
        bindparam("p_item", type_=_presence.c.agenda_item_id.type),
        bindparam("p_since", type_=_presence.c.since.type),
        func.nextval(func.pg_get_serial_sequence(literal_column("'scan'"), literal_column("'id'"))),
    )
    entered = (
        pg_insert(_presence)
        .from_select(["registration_id", "inside", "agenda_item_id", "since", "last_scan_id"], first)
        .on_conflict_do_nothing(index_elements=["registration_id"])
        .returning(_presence.c.last_scan_id)
        .cte("p")
    )
    return Prepared(t.insert_scan_where(entered.c.last_scan_id.is_not(None), id_from=entered.c.last_scan_id))


async def record_and_move_if_unmoved(
    pg: Driver, scan: dict[str, Any], state: Any, ask: ScanRequest
) -> tuple[int | None, str | None]:
    """Store an admitted scan and move presence, if presence is still as `read` saw it
    (no row: the badge's first, if no other door made its row meanwhile); (the scan's id,
    or None if nothing was stored: presence moved or the nonce is taken; the detail)."""
    params, since, detail = _moved(state, ask)
    params |= scan | _seen(state) | {"p_since": ask.now}
    if state.inside is not None:
        row = await _record_and_move_if_unmoved(since=since).fetchrow(pg, params)
        return (int(row[0]) if row is not None else None), detail
    try:
        row = await _record_and_enter_first().fetchrow(pg, params)
    except Exception as exc:  # the statement stored nothing (autocommit: nothing to roll back)
        if getattr(exc, "sqlstate", None) != FOREIGN_KEY_VIOLATION:  # asyncpg's PostgresError
            raise
        return None, detail  # the scan's nonce taken meanwhile (or the registration deleted)
    return (int(row[0]) if row is not None else None), detail
