"""A kiosk's journal into the central database, and presence made right afterwards.

`upload` stores each journal entry as the Scan the door judged (its verdict stands: the person
was let in or not), once: the entry's client nonce is the scan's nonce, and a nonce central
already has (a scan that reached central before the link dropped, or a batch uploaded before a
crash) is skipped. Failed scans are uploaded too. For a badge a kiosk let in offline, what
central knew that the kiosk did not is written to `offline_conflict`: `reissued` (a newer
badge exists) or the registration's status (withdrawn, rejected) at upload time.

Presence of every registration in the batch is then recomputed from all its admitted scans
in time order (`rules.move`), whichever door and whichever kiosk they came from.
The caller's unit of work commits (one transaction per batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.checkin.offline import ruling as rules
from core.checkin.offline.journal import Entry
from core.models import AgendaItem, Presence, Registration, RegistrationStatus, Scan, ScanDirection, ScanResult

_scan, _presence = Scan.__table__, Presence.__table__  # type: ignore[attr-defined]
_reg, _item = Registration.__table__, AgendaItem.__table__  # type: ignore[attr-defined]


def _insert(conn: AsyncConnection, table: Any) -> Any:
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def _conflict(entry: Entry, current: Any) -> str | None:
    if not entry.offline or entry.result != ScanResult.OK.value or current is None:
        return None
    if entry.badge_version is not None and entry.badge_version < current.badge_version:
        return "reissued"
    status = RegistrationStatus(current.status)
    return None if status is RegistrationStatus.APPROVED else status.value


async def upload(session: AsyncSession, conference_id: int, entries: Sequence[Entry]) -> int:
    """Store the entries (in order, each once); returns how many were new to central."""
    if not entries:
        return 0
    conn = await session.connection()
    reg_ids = {e.registration_id for e in entries if e.registration_id is not None}
    regs = {
        r.id: r
        for r in await conn.execute(
            select(_reg.c.id, _reg.c.badge_version, _reg.c.status).where(
                _reg.c.id.in_(reg_ids), _reg.c.conference_id == conference_id
            )
        )
    }
    item_ids = {e.item_id for e in entries if e.item_id is not None}
    items = set((await conn.execute(select(_item.c.id).where(_item.c.id.in_(item_ids)))).scalars())
    rows = [
        {
            "conference_id": conference_id,
            "registration_id": e.registration_id if e.registration_id in regs else None,
            "agenda_item_id": e.item_id if e.item_id in items else None,
            "direction": ScanDirection(e.direction),
            "result": ScanResult(e.result),
            "scanned_at": e.at,
            "staff_telegram_id": e.staff,
            "gate": e.gate[:64],
            "badge_version": e.badge_version,
            "raw": e.raw[:256],
            "nonce": e.nonce,
            "offline": e.offline,
            "offline_conflict": _conflict(e, regs.get(e.registration_id)),
        }
        for e in entries
    ]
    stored = await conn.execute(
        _insert(conn, _scan)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["nonce"])
        .returning(_scan.c.registration_id, _scan.c.result)
    )
    new = stored.all()
    moved = sorted({r.registration_id for r in new if r.registration_id is not None and r.result == ScanResult.OK})
    await recompute_presence(conn, moved)
    return len(new)


async def recompute_presence(conn: AsyncConnection, registration_ids: list[int]) -> None:
    """Presence of these registrations from all their admitted scans, in time order."""
    if not registration_ids:
        return
    if conn.dialect.name == "postgresql":  # lock the rows (in id order: no deadlock) as online scans do
        await conn.execute(
            pg_insert(_presence)
            .from_select(
                ["registration_id", "inside", "since"],
                select(_reg.c.id, literal(False), _reg.c.created_at).where(_reg.c.id.in_(registration_ids)),
            )
            .on_conflict_do_nothing(index_elements=["registration_id"])
        )
        await conn.execute(
            select(_presence.c.registration_id)
            .where(_presence.c.registration_id.in_(registration_ids))
            .order_by(_presence.c.registration_id)
            .with_for_update()
        )
    scans = await conn.execute(
        select(_scan.c.id, _scan.c.registration_id, _scan.c.direction, _scan.c.agenda_item_id, _scan.c.scanned_at)
        .where(_scan.c.registration_id.in_(registration_ids), _scan.c.result == ScanResult.OK)
        .order_by(_scan.c.registration_id, _scan.c.scanned_at, _scan.c.id)
    )
    state: dict[int, dict[str, Any]] = {}
    for s in scans:
        now = state.setdefault(
            s.registration_id, {"inside": False, "agenda_item_id": None, "since": s.scanned_at, "last_scan_id": None}
        )
        direction = ScanDirection(s.direction)
        inside, here, _ = rules.move(now["inside"], now["agenda_item_id"], direction, s.agenda_item_id)
        if (inside, here) != (now["inside"], now["agenda_item_id"]) or direction is ScanDirection.IN:
            now["since"] = s.scanned_at
        now.update(inside=inside, agenda_item_id=here, last_scan_id=s.id)
    rows = [{"registration_id": reg_id, **values} for reg_id, values in state.items()]
    if rows:
        stmt = _insert(conn, _presence)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["registration_id"],
                set_={k: stmt.excluded[k] for k in ("inside", "agenda_item_id", "since", "last_scan_id")},
            ),
            rows,
        )
