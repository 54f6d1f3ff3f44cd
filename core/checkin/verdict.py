"""A scan's outcome: `Verdict` (what the door is shown) and `Refusal` (a rule's reason code)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, NamedTuple

from core.models import ScanDirection, ScanResult

# Every `Verdict.detail` the check-in service (online or offline) gives that a door shows in
# words (a duplicate's "already_inside" is told by its own line: since when, by whom).
REASONS = (
    "unreadable",
    "forged",
    "unknown",
    "other_conference",
    "reissued",
    "unknown_version",
    "pending",
    "rejected",
    "cancelled",
    "category",
    "was_not_inside",
    "replayed",
    "not_in_copy",
)


class Refusal(NamedTuple):
    """Why a rule refuses a badge: the result and its detail, e.g. (REVOKED, "reissued")."""

    result: ScanResult
    detail: str


@dataclass(frozen=True, slots=True)
class Verdict:
    result: ScanResult
    at: datetime
    detail: str | None = None
    registration_id: int | None = None
    name: str | None = None
    native_name: str | None = None
    delegation: dict[str, str] | None = None
    category: str | None = None
    direction: ScanDirection = ScanDirection.IN
    agenda_item_id: int | None = None
    gate: str = ""
    scan_id: int | None = None
    # duplicate: when and by whom (staff Telegram id, gate) they were let in
    already_at: datetime | None = None
    already_by: int | None = None
    already_gate: str | None = None
    replayed: bool = field(default=False, compare=False)
    offline: bool = field(default=False, compare=False)  # judged from a kiosk's local copy

    @property
    def ok(self) -> bool:
        return self.result is ScanResult.OK

    def as_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (times as ISO text, enums as values); what
        `dataclasses.asdict` gives, built directly (a kiosk's --json line: 20 -> 3 us)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        for key in ("at", "already_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["result"] = self.result.value
        data["direction"] = self.direction.value
        if self.delegation is not None:
            data["delegation"] = dict(self.delegation)  # a copy, as asdict's
        return data


_FIELDS = tuple(f.name for f in fields(Verdict))


def category_of(row: Any) -> str:
    """A row's registration category as the verdict shows it (the enum's value)."""
    return str(getattr(row.category, "value", row.category))


def holder(row: Any) -> dict[str, Any]:
    """The verdict's fields about the badge's holder, from a row with the participant's
    full_name and native_name, the delegation's `name` and the registration's category."""
    return {
        "name": row.full_name,
        "native_name": row.native_name,
        "delegation": dict(row.name) if row.name else None,
        "category": category_of(row),
    }
