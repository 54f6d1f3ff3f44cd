"""Reporting: who registered and who came, in numbers, lists and files, for the bot's
organisers, the CLI (`report attendance`, `export`, `audit`) and the charts.

The public surface is imported here (`from core import reporting`, then `reporting.stats`);
the modules behind it, by subject:
- `days`: conference-local days (`zone`, `report_day`, `day_bounds`, `conference_days`).
- `attendance`: `stats` (by status and category), `by_delegation`, `by_day`,
  `checkins_per_hour`.
- `agenda_items`: `by_item` (signed up vs scanned in) and one item's `no_shows`.
- `search`: `find` a registration by name or number; `cards`: the `registration_card`
  an organiser sees about one.
- `audit_trail`: `audit_log`.
- `exports`: `export` to CSV or XLSX (`export_tables`: what each holds, each cell selected
  as written; `export_files`: how rows are fetched and written; `export_parts`: the scans
  CSV read in parts at once, one per core, in one snapshot (on SQLite by `sqlite_part`
  worker processes); `xlsx`: our streaming XLSX writer, `xlsx_theme` its theme part).
- `summary`: the attendance summary (`attendance_day`: who was checked in on which day, first
  and last entry, with copies of the registration's category and delegation that the
  database keeps: a trigger of migration 0013; `attendance_item_person` / `attendance_item`:
  who was scanned in at which agenda item and how many per item, migration 0015), folded
  from new scans by `refresh` before a report reads it.
- `sql`: the query pieces every report shares (internal).
Beside it, not imported here: `charts` (PNGs; imports matplotlib) and `demo_queries` (the
offline demo's look-ups and closing tally).

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

Services take the session of the caller's unit of work (core/uow.py) and never commit. They
read, except `summary.refresh` (called by `stats`, `by_delegation`, `by_day` and the
attendance export; by `by_item` and `no_shows` only when more than FOLD_AFTER new scans
wait or nothing was ever folded), which writes
the scans added since the last report into the summary: those reports need a writable unit
of work (on SQLite not a `read_only` engine); with nothing new it only reads.
"""

from core.reporting.agenda_items import ItemLine, PersonLine, by_item, no_shows
from core.reporting.attendance import (
    CategoryLine,
    DayLine,
    DelegationLine,
    DelegationReport,
    HourCount,
    Stats,
    by_category,
    by_day,
    by_delegation,
    checkins_per_hour,
    stats,
)
from core.reporting.audit_trail import AuditEntry, audit_log
from core.reporting.cards import RegistrationCard, ScanLine, registration_card
from core.reporting.days import conference_days, day_bounds, local_today, report_day, zone
from core.reporting.exports import FORMATS, KINDS, ExportResult, export
from core.reporting.search import Hit, find

__all__ = [
    "FORMATS",
    "KINDS",
    "AuditEntry",
    "CategoryLine",
    "DayLine",
    "DelegationLine",
    "DelegationReport",
    "ExportResult",
    "Hit",
    "HourCount",
    "ItemLine",
    "PersonLine",
    "RegistrationCard",
    "ScanLine",
    "Stats",
    "audit_log",
    "by_category",
    "by_day",
    "by_delegation",
    "by_item",
    "checkins_per_hour",
    "conference_days",
    "day_bounds",
    "export",
    "find",
    "local_today",
    "no_shows",
    "registration_card",
    "report_day",
    "stats",
    "zone",
]
