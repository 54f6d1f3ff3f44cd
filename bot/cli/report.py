"""`confdesk report attendance|stats`: attendance as rich tables, or JSON for scripts.

No aiogram here: these commands only need the database.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, fail, run, settings, with_database
from core.db import open_session
from core.models import Conference, pick
from core.services import reports
from core.services.conferences import current_conference

app = typer.Typer(no_args_is_help=True)
CONFERENCE_HELP = "Conference slug (default: CONFERENCE, else the latest)."
BY = ("delegation", "category", "session", "day")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        fail(f"bad --day '{value}' (expected YYYY-MM-DD)")


@app.command("attendance")
def attendance_cmd(
    day: str | None = typer.Option(None, "--day", help="Conference-local day YYYY-MM-DD (default: today)."),
    by: str = typer.Option("delegation", "--by", help="delegation, category, session or day."),
    as_json: bool = typer.Option(False, "--json", help="JSON for scripts."),
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
) -> None:
    """Who came: by delegation (accredited, present, at the high-level session), by
    category, by session (signed up vs scanned in, no-shows) or by day."""
    if by not in BY:
        fail(f"unknown --by '{by}' (expected {', '.join(BY)})")
    chosen = _day(day)

    async def work(factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        async with open_session(factory) as session:
            conf = await current_conference(session, conference or settings().conference)
            return await attendance_data(session, conf, by=by, day=chosen)

    data = run(with_database(work, reads_only=True))
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    print_attendance(data)


async def attendance_data(session: AsyncSession, conf: Conference, *, by: str, day: date | None) -> dict[str, Any]:
    """The report as plain data (JSON-ready); `by`: delegation, category, session or day."""
    stats = await reports.stats(session, conf, day=day)
    data: dict[str, Any] = {
        "conference": conf.slug,
        "timezone": conf.timezone,
        "day": stats.day.isoformat(),
        "by": by,
        "summary": stats.as_dict(),
    }
    if by == "delegation":
        data["delegations"] = (await reports.by_delegation(session, conf, day=stats.day)).as_dict()
    elif by == "category":
        data["categories"] = stats.as_dict()["by_category"]
    elif by == "session":
        data["sessions"] = [i.as_dict() for i in await reports.by_item(session, conf, day=day)]
    else:
        data["days"] = [d.as_dict() for d in await reports.by_day(session, conf)]
    return data


def print_attendance(data: dict[str, Any]) -> None:
    s = data["summary"]
    console.print(
        f"[bold]{escape(data['conference'])}[/], {data['day']} ({data['timezone']}): registered {s['registered']}, "
        f"pending {s['pending']}, approved {s['approved']}, checked in {s['checked_in']}, inside now {s['inside']}",
        highlight=False,
    )
    console.print(_table(data))


def _table(data: dict[str, Any]) -> Table:
    by = data["by"]
    if by == "delegation":
        d = data["delegations"]
        table = Table(
            "Code",
            "Delegation",
            "Accredited",
            "Present",
            "High-level",
            "Inside now",
            title=f"Delegations present at the high-level session: {d['delegations_at_high_level']} of "
            f"{d['delegations']}; present on {d['day']}: {d['delegations_present']}",
        )
        for line in d["lines"]:
            if line["accredited"] or line["present"]:
                table.add_row(
                    escape(line["code"]),
                    escape(pick(line["name"], "en") or "(no delegation)"),
                    *(str(line[k]) for k in ("accredited", "present", "high_level", "inside")),
                )
    elif by == "category":
        table = Table("Category", "Registered", "Pending", "Approved", "Checked in", "Inside now")
        for line in data["categories"]:
            table.add_row(
                line["category"], *(str(line[k]) for k in ("registered", "pending", "approved", "checked_in", "inside"))
            )
    elif by == "session":
        table = Table("Starts", "Code", "Session", "Signed up", "Waiting", "Scanned in", "No-shows", "Walk-ins")
        for line in data["sessions"]:
            table.add_row(
                line["starts_at"][:16],
                escape(line["code"]),
                escape(pick(line["title"], "en")),
                *(str(line[k]) for k in ("signed_up", "waitlisted", "scanned", "no_shows", "walk_ins")),
            )
    else:
        table = Table("Day", "Present", "Entries", "Refused scans")
        for line in data["days"]:
            table.add_row(line["day"], str(line["present"]), str(line["entries"]), str(line["refused"]))
    return table
