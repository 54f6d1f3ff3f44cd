"""`confdesk audit`: who approved, rejected, reissued, broadcast, changed roles. No aiogram."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import fail, run, settings, with_database
from bot.cli.output import Column, Format, Table, emit, format_option, say
from core import reporting
from core.conferences import current_conference
from core.uow import unit_of_work


def _since(value: str | None, tz: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"bad --since '{value}' (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
    if moment.tzinfo is None:  # a conference-local time
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC)


def audit_command(
    since: str | None = typer.Option(
        None, "--since", help="From this day or time (conference-local), e.g. 2024-10-31."
    ),
    action: str | None = typer.Option(None, "--action", help="Action prefix: registration, badge, broadcast, staff…"),
    as_json: bool = typer.Option(False, "--json", help="JSON lines (one object per entry) for scripts."),
    limit: int = typer.Option(1000, "--limit", min=1, help="At most this many (the latest)."),
    conference: str | None = typer.Option(None, "--conference", help="Conference slug (default: the current one)."),
    fmt: Format = format_option(),
) -> None:
    """The audit trail: who approved, rejected, reissued, broadcast, changed roles
    (times conference-local; the table leaves out broadcast texts, csv and json have them)."""

    async def work(factory: async_sessionmaker[AsyncSession]) -> tuple[list[reporting.AuditEntry], str]:
        async with unit_of_work(factory) as session:
            conf = await current_conference(session, conference or settings().conference)
            entries = await reporting.audit_log(
                session, conf, since=_since(since, conf.timezone), action=action, limit=limit
            )
            return entries, conf.timezone

    entries, tz = run(with_database(work, reads_only=True))
    if as_json:
        for entry in entries:
            typer.echo(json.dumps(entry.as_dict(), ensure_ascii=False, default=str))
        return
    if not entries and fmt is Format.TABLE:
        say("no audit entries match")
        return
    zone = ZoneInfo(tz)
    table = Table(
        [
            Column(f"When ({tz})", "at", "token"),
            Column("Who", "actor", "token", stack=True),
            Column("Action", "action", "token"),
            Column("Record", "record", "token", stack=True),
            Column("Details", "details"),
        ]
    )
    for e in entries:
        local = e.at.astimezone(zone)
        # A broadcast's whole text is left out of the table (csv and json have it).
        shown = e.details if fmt is not Format.TABLE else {k: v for k, v in e.details.items() if k != "text"}
        table.add_row(
            local.strftime("%Y-%m-%d %H:%M:%S") if fmt is Format.TABLE else local.isoformat(),
            e.actor,
            e.action,
            f"{e.entity} {e.entity_id or ''}".strip(),
            shown or None,
        )
    emit(table, fmt)
