"""The tables a scan reads and writes, as SQLAlchemy Core tables (the hot path is Core), and
the Scan row's INSERT, built once."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.models import AgendaItem, Conference, Delegation, Participant, Presence, Registration, Scan

scan = Scan.__table__  # type: ignore[attr-defined]
presence = Presence.__table__  # type: ignore[attr-defined]
registration = Registration.__table__  # type: ignore[attr-defined]
participant = Participant.__table__  # type: ignore[attr-defined]
delegation = Delegation.__table__  # type: ignore[attr-defined]
conference = Conference.__table__  # type: ignore[attr-defined]
agenda_item = AgendaItem.__table__  # type: ignore[attr-defined]
previous_scan = scan.alias("prev")  # the scan that last moved a badge's presence

SCAN_COLUMNS = (
    "conference_id", "registration_id", "agenda_item_id", "direction", "result", "scanned_at",
    "staff_telegram_id", "gate", "badge_version", "raw", "nonce",
)  # fmt: skip


@cache
def insert_scan(*, pg: bool):  # type: ignore[no-untyped-def]
    """INSERT of a Scan row from the parameters `scan_params` gives, RETURNING its id (and
    registration). PostgreSQL: nothing is inserted or returned if its nonce is stored already
    (ON CONFLICT DO NOTHING); SQLite: that is an IntegrityError (the scan's savepoint)."""
    values = {name: bindparam(f"s_{name}", type_=scan.c[name].type) for name in SCAN_COLUMNS}
    if pg:
        stored = pg_insert(scan).values(**values).on_conflict_do_nothing(index_elements=["nonce"])
        return stored.returning(scan.c.id, scan.c.registration_id)
    return insert(scan).values(**values).returning(scan.c.id, scan.c.registration_id)


@cache
def _scan_binds():  # type: ignore[no-untyped-def]
    return tuple(bindparam(f"s_{name}", type_=scan.c[name].type) for name in SCAN_COLUMNS)


def insert_scan_where(condition: ColumnElement[bool], id_from: Any = None):  # type: ignore[no-untyped-def]
    """PostgreSQL: `insert_scan`, but the row is stored only where `condition` holds (a
    compare-and-set), with its id from `id_from` if given (a column of a CTE); nothing either
    if its nonce is stored already. RETURNING its id and registration."""
    names, cols = list(SCAN_COLUMNS), list(_scan_binds())
    if id_from is not None:
        names, cols = ["id", *names], [id_from, *cols]
    rows = select(*cols).where(condition)
    stored = pg_insert(scan).from_select(names, rows, include_defaults=False)  # `offline`: the server's false
    stored = stored.on_conflict_do_nothing(index_elements=["nonce"])
    return stored.returning(scan.c.id, scan.c.registration_id)


def scan_params(**values: Any) -> dict[str, Any]:
    """`insert_scan`'s parameters from the Scan row's values (every one of SCAN_COLUMNS)."""
    return {f"s_{name}": values[name] for name in SCAN_COLUMNS}
