"""The audit trail as organisers read it (`confdesk audit`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.models import Conference
from core.reporting.sql import AUDIT, rows


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
        where.append((AUDIT.c.conference_id == conference.id) | AUDIT.c.conference_id.is_(None))
    if since is not None:
        where.append(AUDIT.c.at >= since)
    if action:
        where.append(AUDIT.c.action.startswith(action, autoescape=True))
    inner = (
        select(AUDIT)
        .where(and_(*where) if where else literal(True))
        .order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc())
        .limit(limit)
    )
    found = await rows(session, inner)
    found.sort(key=lambda r: (r.at, r.id))
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.entity, r.entity_id, dict(r.details or {})) for r in found]
