"""`confdesk staff add|list|remove`: who may accredit, scan badges or administer a conference.

No aiogram here: these commands only need the database.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, fail, run, settings, with_database
from bot.cli.output import Column, Format, Table, emit, format_option, say
from core.conferences import current_conference
from core.models import StaffRole, StaffRoleName
from core.people import staff as staff_svc
from core.uow import unit_of_work

app = typer.Typer(no_args_is_help=True)

ACTOR = "cli"
ROLES = ", ".join(r.value for r in StaffRoleName)
CONFERENCE_HELP = "Conference slug (default: CONFERENCE, else the latest)."


def _slug(conference: str | None) -> str | None:
    return conference or settings().conference


def parse_telegram_id(text: str) -> int:
    value = text.strip()
    if not value.lstrip("+-").isdigit():
        fail(escape(f"Telegram id: not a number: '{text}'"))
    number = int(value)
    if not 0 < number < 2**63:
        fail(escape(f"Telegram id: must be a positive number below 2^63, got {number}"))
    return number


def parse_role(text: str) -> StaffRoleName:
    try:
        return StaffRoleName(text.strip().lower())
    except ValueError:
        fail(escape(f"unknown role '{text}' (expected {ROLES})"))


@app.command("add")
def add_cmd(
    telegram_id: str = typer.Argument(..., metavar="TELEGRAM_ID", help="The person's Telegram user id."),
    role: str = typer.Option(..., "--role", help=f"One of: {ROLES}."),
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
) -> None:
    """Give someone a staff role for the conference."""
    tid, name = parse_telegram_id(telegram_id), parse_role(role)

    async def work(factory: async_sessionmaker[AsyncSession]) -> str:
        async with unit_of_work(factory) as session:
            conf = await current_conference(session, _slug(conference))
            assert conf.id is not None
            await staff_svc.add_role(session, conf.id, tid, name, actor=ACTOR)
            return conf.slug

    slug = run(with_database(work))
    console.print(f"{slug}: {tid} is now {name.value}", highlight=False)


@app.command("remove")
def remove_cmd(
    telegram_id: str = typer.Argument(..., metavar="TELEGRAM_ID", help="The person's Telegram user id."),
    role: str | None = typer.Option(None, "--role", help=f"Only this role ({ROLES}); default: all."),
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
) -> None:
    """Take a staff role (or all of them) away."""
    tid = parse_telegram_id(telegram_id)
    name = parse_role(role) if role is not None else None

    async def work(factory: async_sessionmaker[AsyncSession]) -> tuple[str, int]:
        async with unit_of_work(factory) as session:
            conf = await current_conference(session, _slug(conference))
            assert conf.id is not None
            return conf.slug, await staff_svc.remove_role(session, conf.id, tid, name, actor=ACTOR)

    slug, removed = run(with_database(work))
    what = f"the {name.value} role" if name else f"{removed} role{'s' if removed != 1 else ''}"
    console.print(f"{slug}: removed {what} from {tid}", highlight=False)
    if tid in settings().admin_ids:
        console.print(f"note: {tid} is in ADMIN_IDS and stays an admin of every conference", highlight=False)


@app.command("list")
def list_cmd(
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
    fmt: Format = format_option(),
) -> None:
    """Staff roles of the conference (and the ADMIN_IDS admins of every conference)."""

    async def work(factory: async_sessionmaker[AsyncSession]) -> tuple[str, list[StaffRole]]:
        async with unit_of_work(factory) as session:
            conf = await current_conference(session, _slug(conference))
            assert conf.id is not None
            return conf.slug, await staff_svc.list_roles(session, conf.id)

    slug, roles = run(with_database(work, reads_only=True))
    admins = settings().admin_ids
    if not roles and not admins and fmt is Format.TABLE:
        say(f"{slug}: no staff yet (add some with `confdesk staff add TELEGRAM_ID --role admin`)")
        return
    table = Table(
        [
            Column("Telegram ID", "telegram_id", "token"),
            Column("Role", "role", "token"),
            Column("Added by", "added_by", "token"),
            Column("Since (UTC)", "since", "token"),
        ],
        title=f"{slug}: staff" if fmt is Format.TABLE else None,
    )
    for tid in admins:
        table.add_row(tid, "admin", "ADMIN_IDS", None)
    for row in roles:
        table.add_row(
            row.telegram_id,
            row.role.value,
            str(row.added_by) if row.added_by else "cli",
            row.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    emit(table, fmt)
