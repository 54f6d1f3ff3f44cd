"""Offline conflicts: what kiosks judging from their local copies let happen that one central
judge would not have. Kept, never hidden; `confdesk report attendance` lists them.

- `admitted_twice`: a badge let in at a place where, by the scans merged in time order, it
  was already inside that local day (the duplicate rule, `core.checkin.offline.ruling.presence_rule`),
  and at least one of the two admissions was judged offline: the same badge at two offline
  doors, or an offline door that did not know of an admission elsewhere.
- `reissued`, `cancelled`, `rejected`, `pending`: a badge an offline kiosk let in although
  central, when the scan was uploaded, had reissued it or no longer approved it
  (`scan.offline_conflict`, written by `core.checkin.offline.upload`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.checkin.offline import ruling as rules
from core.models import Conference, Participant, Registration, RegistrationStatus, Scan, ScanDirection, ScanResult

_scan, _reg, _part = Scan.__table__, Registration.__table__, Participant.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OfflineConflict:
    registration_id: int
    name: str
    kind: str
    doors: list[str]
    times: list[datetime]

    def as_dict(self) -> dict[str, Any]:
        return {
            "registration_id": self.registration_id,
            "name": self.name,
            "kind": self.kind,
            "doors": self.doors,
            "times": [t.isoformat() for t in self.times],
        }


async def offline_conflicts(session: AsyncSession, conference: Conference) -> list[OfflineConflict]:
    """Every offline conflict of the conference, in time order."""
    assert conference.id is not None
    cid = conference.id
    touched = select(_scan.c.registration_id).where(
        _scan.c.conference_id == cid, _scan.c.offline.is_(True), _scan.c.result == ScanResult.OK
    )
    rows = (
        await session.execute(
            select(
                _scan.c.registration_id, _scan.c.direction, _scan.c.agenda_item_id, _scan.c.scanned_at,
                _scan.c.gate, _scan.c.offline, _scan.c.offline_conflict, _part.c.full_name,
            )
            .join(_reg, _reg.c.id == _scan.c.registration_id)
            .join(_part, _part.c.id == _reg.c.participant_id)
            .where(_scan.c.registration_id.in_(touched), _scan.c.result == ScanResult.OK)
            .order_by(_scan.c.registration_id, _scan.c.scanned_at, _scan.c.id)
        )
    ).all()  # fmt: skip
    found: list[OfflineConflict] = []
    badge: rules.Badge | None = None
    last_offline = False
    for row in rows:
        if badge is None or badge.registration_id != row.registration_id:
            badge = _fresh(row.registration_id, cid, conference.timezone)
            last_offline = False
        if row.offline_conflict:
            kind = row.offline_conflict
            found.append(OfflineConflict(row.registration_id, row.full_name, kind, [row.gate], [row.scanned_at]))
        direction = ScanDirection(row.direction)
        ruling = rules.presence_rule(badge, direction, row.agenda_item_id, row.scanned_at)
        if ruling.result is ScanResult.DUPLICATE and (row.offline or last_offline):
            doors = [badge.last_gate or "", row.gate]
            times = [badge.since or row.scanned_at, row.scanned_at]
            found.append(OfflineConflict(row.registration_id, row.full_name, "admitted_twice", doors, times))
            continue  # they were inside already: presence as it was
        inside, here, _ = rules.move(bool(badge.inside), badge.here, direction, row.agenda_item_id)
        badge = replace(badge, inside=inside, here=here, since=row.scanned_at, last_gate=row.gate)
        last_offline = bool(row.offline)
    return sorted(found, key=lambda c: (c.times[-1], c.registration_id))


def _fresh(registration_id: int, conference_id: int, timezone: str) -> rules.Badge:
    return rules.Badge(
        registration_id, conference_id, RegistrationStatus.APPROVED, "", 1, "", None, None, timezone,
        False, None, None,
    )  # fmt: skip
