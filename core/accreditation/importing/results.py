"""What an import ends with: `ImportFailed` listing the file's problems (nothing written),
or an `ImportResult` counting what was (or, in a dry run, would be) created and updated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.errors import InvalidInput

MAX_PROBLEMS = 100


class ImportFailed(InvalidInput):
    """The file has problems; `problems` lists them (capped), nothing was written.
    `where` says which part of the file was read when that is not obvious."""

    code = "import_invalid"

    def __init__(self, problems: Sequence[str], where: str = "") -> None:
        shown = list(problems[:MAX_PROBLEMS])
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"… and {len(problems) - MAX_PROBLEMS} more")
        count = len(problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} found{f' in {where}' if where else ''}; nothing was imported",
            problems=shown,
            count=count,
        )
        self.problems = shown


@dataclass
class RowOutcome:
    row: int
    action: str  # created | updated | unchanged
    full_name: str
    delegation: str | None
    registration_id: int | None  # None for a registration a dry run would create
    matched_by: str | None  # telegram_id | email | telegram_username | name and delegation
    changed: list[str] = field(default_factory=list)
    status: str = ""


@dataclass
class ImportResult:
    conference: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    rows: list[RowOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    without_telegram: int = 0  # imported registrations that need a personal link
