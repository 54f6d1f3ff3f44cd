"""The tables a scan reads and writes, as SQLAlchemy Core tables (the hot path is Core)."""

from __future__ import annotations

from core.models import AgendaItem, Conference, Delegation, Participant, Presence, Registration, Scan

scan = Scan.__table__  # type: ignore[attr-defined]
presence = Presence.__table__  # type: ignore[attr-defined]
registration = Registration.__table__  # type: ignore[attr-defined]
participant = Participant.__table__  # type: ignore[attr-defined]
delegation = Delegation.__table__  # type: ignore[attr-defined]
conference = Conference.__table__  # type: ignore[attr-defined]
agenda_item = AgendaItem.__table__  # type: ignore[attr-defined]
previous_scan = scan.alias("prev")  # the scan that last moved a badge's presence
