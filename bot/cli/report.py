"""`confdesk report attendance`: attendance as tables, or CSV/JSON for scripts.

No aiogram here: these commands only need the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.text import Text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import fail, run, settings, with_database
from bot.cli.output import Column, Format, Table, emit, format_option, say
from core import reporting
from core.conferences import current_conference
from core.models import AgendaItem, Conference, pick
from core.programme.lookup import find_agenda_item
from core.reporting.offline_conflicts import offline_conflicts
from core.uow import unit_of_work

app = typer.Typer(no_args_is_help=True)
CONFERENCE_HELP = "Conference slug (default: CONFERENCE, else the latest)."
BY = ("delegation", "category", "session", "day")
ALL = 1_000_000  # no-shows listed: all of them


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        fail(f"bad --day '{value}' (expected YYYY-MM-DD)")


@app.command("attendance")
def attendance_cmd(
    day: str | None = typer.Option(None, "--day", help="Conference-local day YYYY-MM-DD (default: today)."),
    by: str = typer.Option("delegation", "--by", help="delegation, category, session or day."),
    session_ref: str | None = typer.Option(
        None,
        "--session",
        help="One agenda item, by its code (see `program show`) or number: its line and who signed up "
        "but was not scanned in.",
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON for scripts (the same as --format json)."),
    fmt: Format = format_option(
        "table: aligned columns, wrapped on a terminal, one full line per row when piped; "
        "csv: the table's rows (with --session: its no-shows); json: the whole report."
    ),
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
) -> None:
    """Who came: by delegation (accredited, present, at the high-level session), by
    category, by session (signed up vs scanned in, no-shows) or by day."""
    if by not in BY:
        fail(f"unknown --by '{by}' (expected {', '.join(BY)})")
    if session_ref is not None:
        by = "session"
    chosen = _day(day)

    async def work(factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        async with unit_of_work(factory) as session:
            conf = await current_conference(session, conference or settings().conference)
            item = await find_agenda_item(session, conf, session_ref) if session_ref is not None else None
            return await attendance_data(session, conf, by=by, day=chosen, item=item)

    # writable: the report folds new scans into the attendance summary (core/reporting/summary.py)
    data = run(with_database(work))
    if as_json or fmt is Format.JSON:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif fmt is Format.CSV:  # with --session: its no-shows, the people to call
        emit(_no_show_table(data) if "no_shows" in data else _table(data), fmt)
    else:
        print_attendance(data)


async def attendance_data(
    session: AsyncSession, conf: Conference, *, by: str, day: date | None, item: AgendaItem | None = None
) -> dict[str, Any]:
    """The report as plain data (JSON-ready); `by`: delegation, category, session or day;
    `item`: only that agenda item, with its no-shows."""
    stats = await reporting.stats(session, conf, day=day)
    data: dict[str, Any] = {
        "conference": conf.slug,
        "timezone": conf.timezone,
        "day": stats.day.isoformat(),
        "by": by,
        "summary": stats.as_dict(),
    }
    if item is not None:
        assert item.id is not None
        line, people = await reporting.no_shows(session, conf, item.id, limit=ALL)
        data["sessions"] = [line.as_dict()]
        data["no_shows"] = [asdict(p) for p in people]
    elif by == "delegation":
        data["delegations"] = (await reporting.by_delegation(session, conf, day=stats.day)).as_dict()
    elif by == "category":
        data["categories"] = stats.as_dict()["by_category"]
    elif by == "session":
        data["sessions"] = [i.as_dict() for i in await reporting.by_item(session, conf, day=day)]
    else:
        data["days"] = [d.as_dict() for d in await reporting.by_day(session, conf)]
    data["offline_conflicts"] = [c.as_dict() for c in await offline_conflicts(session, conf)]
    return data


def print_attendance(data: dict[str, Any]) -> None:
    s = data["summary"]
    say(
        Text.assemble(
            (data["conference"], "bold"),
            f", {data['day']} ({data['timezone']}): registered {s['registered']}, pending {s['pending']}, "
            f"approved {s['approved']}, checked in {s['checked_in']}, inside now {s['inside']}",
        )
    )
    emit(_table(data))
    if data.get("offline_conflicts"):
        emit(_conflict_table(data))
    if "no_shows" in data:
        if data["no_shows"]:
            emit(_no_show_table(data))
        else:
            say("no no-shows: everyone signed up was scanned in")


def _local(moment: str, timezone: str) -> str:
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def _table(data: dict[str, Any]) -> Table:
    """The report's main table, for what it is by."""
    return _TABLES[data["by"]](data)


def _delegation_table(data: dict[str, Any]) -> Table:
    d = data["delegations"]
    table = Table(
        [
            Column("Code", "code", "token"),
            Column("Delegation", "delegation"),
            Column("Accredited", "accredited", "number"),
            Column("Present", "present", "number"),
            Column("High-level", "high_level", "number"),
            Column("Inside now", "inside", "number"),
        ],
        title=f"Delegations present at the high-level session: {d['delegations_at_high_level']} of "
        f"{d['delegations']}; present on {d['day']}: {d['delegations_present']}",
    )
    for line in d["lines"]:
        if line["accredited"] or line["present"]:
            table.add_row(
                line["code"],
                pick(line["name"], "en") or "(no delegation)",
                *(line[k] for k in ("accredited", "present", "high_level", "inside")),
            )
    return table


def _category_table(data: dict[str, Any]) -> Table:
    table = Table(
        [
            Column("Category", "category", "token"),
            Column("Registered", "registered", "number"),
            Column("Pending", "pending", "number"),
            Column("Approved", "approved", "number"),
            Column("Checked in", "checked_in", "number"),
            Column("Inside now", "inside", "number"),
        ]
    )
    for line in data["categories"]:
        table.add_row(
            line["category"], *(line[k] for k in ("registered", "pending", "approved", "checked_in", "inside"))
        )
    return table


def _session_table(data: dict[str, Any]) -> Table:
    table = Table(
        [
            Column("Starts", "starts", "token"),
            Column("Code", "code", "token", stack=True),
            Column("Session", "title"),
            Column("Signed up", "signed_up", "number"),
            Column("Waiting", "waitlisted", "number"),
            Column("Scanned in", "scanned", "number"),
            Column("No-shows", "no_shows", "number"),
            Column("Walk-ins", "walk_ins", "number"),
        ]
    )
    for line in data["sessions"]:
        table.add_row(
            _local(line["starts_at"], data["timezone"]),
            line["code"],
            pick(line["title"], "en") or line["code"],
            *(line[k] for k in ("signed_up", "waitlisted", "scanned", "no_shows", "walk_ins")),
        )
    return table


def _day_table(data: dict[str, Any]) -> Table:
    table = Table(
        [
            Column("Day", "day", "token"),
            Column("Present", "present", "number"),
            Column("Entries", "entries", "number"),
            Column("Refused scans", "refused", "number"),
        ]
    )
    for line in data["days"]:
        table.add_row(line["day"], line["present"], line["entries"], line["refused"])
    return table


_TABLES: dict[str, Callable[[dict[str, Any]], Table]] = {
    "delegation": _delegation_table,
    "category": _category_table,
    "session": _session_table,
    "day": _day_table,
}


def _conflict_table(data: dict[str, Any]) -> Table:
    """Offline conflicts (core/reporting/offline_conflicts.py): badge, kind, doors, times."""
    table = Table(
        [Column("ID", "registration_id", "number"), Column("Name", "name"), Column("Conflict", "kind", "token"),
         Column("Doors", "doors"), Column("Times", "times")],
        title=f"Offline conflicts: {len(data['offline_conflicts'])}",
    )  # fmt: skip
    for c in data["offline_conflicts"]:
        zone = ZoneInfo(data["timezone"])
        times = ", ".join(datetime.fromisoformat(t).astimezone(zone).strftime("%H:%M:%S") for t in c["times"])
        table.add_row(c["registration_id"], c["name"], c["kind"], ", ".join(c["doors"]), times)
    return table


def _no_show_table(data: dict[str, Any]) -> Table:
    code = data["sessions"][0]["code"]
    table = Table(
        [
            Column("ID", "registration_id", "number"),
            Column("Name", "name"),
            Column("Native name", "native_name"),
            Column("Delegation", "delegation"),
        ],
        title=f"Signed up for {code} but not scanned in: {len(data['no_shows'])}",
    )
    for p in data["no_shows"]:
        table.add_row(p["registration_id"], p["full_name"], p["native_name"], pick(p["delegation"] or {}, "en") or None)
    return table
