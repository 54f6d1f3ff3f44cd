"""`confdesk participants import|links|list|approve|reject`: accreditation from the shell.

No aiogram here: these commands only need the database.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, err_console, fail, run, settings, with_database
from bot.cli.output import Column, Format, Table, emit, format_option, say, to_csv, to_json
from core import app_settings
from core.accreditation import importing
from core.accreditation import registration as reg_svc
from core.accreditation.importing import ImportFailed, ImportResult
from core.accreditation.registration import BindLink, RegistrationView
from core.conferences import current_conference
from core.models import RegistrationStatus
from core.uow import unit_of_work

app = typer.Typer(no_args_is_help=True)

ACTOR = "cli"
CONFERENCE_HELP = "Conference slug (default: CONFERENCE, else the latest)."


def _slug(conference: str | None) -> str | None:
    return conference or settings().conference


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="CSV (UTF-8, comma or semicolon) or XLSX file."),
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and count; write nothing."),
    sheet: str | None = typer.Option(
        None, "--sheet", metavar="NAME|N", help="XLSX: the sheet to read (default: the one with the columns)."
    ),
) -> None:
    """Register people from a protocol office's file; importing it again updates them.

    Columns: name, native_name, delegation, category, position, organisation,
    telegram_id, telegram_username, email, status (approved|pending); name and
    category are required. Headers may be in English or Russian (ФИО, Страна,
    Должность, Эл. почта…); a name may be split into surname / given name / patronymic.

    Columns that are not fields are left out and listed, as are a title above the header
    and a cover sheet.
    """
    try:
        table = importing.read_table(file, sheet=sheet)
    except FileNotFoundError:
        fail(escape(f"{file}: no such file"))
    except IsADirectoryError:
        fail(escape(f"{file}: is a directory"))
    except OSError as exc:
        fail(escape(f"{file}: {exc.strerror or exc}"))
    except ImportFailed as exc:
        _fail_with_problems(exc)

    async def work(factory: async_sessionmaker[AsyncSession]) -> ImportResult | ImportFailed:
        async with unit_of_work(factory) as session:
            conf = await current_conference(session, _slug(conference))
            try:
                return await importing.import_table(session, conf, table, dry_run=dry_run, actor=ACTOR)
            except ImportFailed as exc:
                return exc

    result = run(with_database(work))
    if isinstance(result, ImportFailed):
        _fail_with_problems(result)
    _print_result(result)


def _fail_with_problems(exc: ImportFailed) -> NoReturn:
    for problem in exc.problems:
        err_console.print(escape(problem), highlight=False, soft_wrap=True)
    fail(escape(exc.message))


def _print_result(result: ImportResult) -> None:
    if result.dry_run:
        table = Table(
            [
                Column("Row", "row", "number"),
                Column("Action", "action", "token"),
                Column("Name", "name"),
                Column("Delegation", "delegation", "token"),
                Column("Status", "status", "token"),
                Column("Changes", "changes"),
            ]
        )
        for row in result.rows:
            if row.action != "unchanged":
                table.add_row(row.row, row.action, row.full_name, row.delegation, row.status, ", ".join(row.changed))
        if table.rows:
            emit(table)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    prefix = "[yellow]dry run[/] — nothing written; " if result.dry_run else ""
    verb = "would be " if result.dry_run else ""
    console.print(
        f"{prefix}{result.conference}: {result.created} {verb}created, {result.updated} {verb}updated, "
        f"{result.unchanged} unchanged",
        highlight=False,
    )
    if result.without_telegram and not result.dry_run:
        console.print(
            f"{result.without_telegram} of them have no Telegram account yet: send them their personal "
            "links from `confdesk participants links`",
            highlight=False,
        )


class LinkFormat(StrEnum):
    TEXT = "text"
    CSV = "csv"
    JSON = "json"


@app.command("links")
def links_cmd(
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
    fmt: LinkFormat = typer.Option(
        LinkFormat.TEXT,
        "--format",
        "-f",
        case_sensitive=False,
        help="text: per person a line about them, then the link alone on its own line; csv or json for mail merge.",
    ),
    out: Path | None = typer.Option(None, "--out", help="Write to FILE instead of the screen."),
) -> None:
    """Personal deep links for registered people who have no Telegram account yet."""
    configured = settings().bot_username

    async def work(factory: async_sessionmaker[AsyncSession]) -> list[BindLink]:
        async with unit_of_work(factory) as session:
            username = await app_settings.resolve_bot_username(session, configured)
            conf = await current_conference(session, _slug(conference))
            return await reg_svc.bind_links(session, conf, username)

    links = run(with_database(work))
    if fmt is LinkFormat.TEXT:
        text = links_text(links)
    else:
        table = _links_table(links)
        text = to_csv(table) if fmt is LinkFormat.CSV else to_json(table)
    if out is not None:
        try:
            with out.open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            fail(escape(f"{out}: {exc.strerror or exc}"))
        err_console.print(f"{len(links)} personal link(s) written to {escape(str(out))}", highlight=False)
    elif not links and fmt is LinkFormat.TEXT:
        say("everyone registered has a Telegram account: no links needed")
    else:
        typer.echo(text, nl=False)


def links_text(links: list[BindLink]) -> str:
    """Per person: who (name, native name, delegation, category, status, registration id),
    then the link alone on the next line, so it is copied whole; a blank line between."""
    blocks = []
    for link in links:
        who = link.full_name + (f" ({link.native_name})" if link.native_name else "")
        about = " · ".join(x for x in (link.delegation, link.category, link.status, link.email) if x)
        blocks.append(f"{_one_line(who)} — {about}, #{link.registration_id}\n{link.url}\n")
    return "\n".join(blocks)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _links_table(links: list[BindLink]) -> Table:
    table = Table(
        [
            Column("ID", "registration_id", "number"),
            Column("Name", "name"),
            Column("Native name", "native_name"),
            Column("Delegation", "delegation", "token"),
            Column("Category", "category", "token"),
            Column("Status", "status", "token"),
            Column("Email", "email", "token"),
            Column("Link", "link", "token"),
        ]
    )
    for link in links:
        table.add_row(
            link.registration_id,
            link.full_name,
            link.native_name,
            link.delegation,
            link.category,
            link.status,
            link.email,
            link.url,
        )
    return table


@app.command("list")
def list_cmd(
    status: str | None = typer.Option(None, "--status", help="pending, approved, rejected or cancelled."),
    delegation: str | None = typer.Option(None, "--delegation", help="Delegation code or name."),
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
    fmt: Format = format_option(),
) -> None:
    """Registrations of the conference, by delegation and name."""
    wanted: RegistrationStatus | None = None
    if status is not None:
        try:
            wanted = RegistrationStatus(status.strip().lower())
        except ValueError:
            fail(escape(f"unknown status '{status}' (expected {', '.join(s.value for s in RegistrationStatus)})"))

    async def work(factory: async_sessionmaker[AsyncSession]) -> tuple[str, list[RegistrationView]]:
        async with unit_of_work(factory) as session:
            conf = await current_conference(session, _slug(conference))
            views = await reg_svc.list_registrations(session, conf, status=wanted, delegation=delegation)
            return conf.slug, views

    slug, views = run(with_database(work, reads_only=True))
    if not views and fmt is Format.TABLE:
        say(f"{slug}: no registrations match")
        return
    table = Table(
        [
            Column("ID", "registration_id", "number"),
            Column("Name", "name"),
            Column("Native name", "native_name", stack=True),
            Column("Delegation", "delegation", "token"),
            Column("Category", "category", "token", stack=True),
            Column("Status", "status", "token", style=_status_style),
            Column("Source", "source", "token", stack=True),
            Column("Telegram ID", "telegram_id", "token"),
            Column("Username", "telegram_username", "token", stack=True),
        ],
        title=f"{slug}: {len(views)} registration(s)" if fmt is Format.TABLE else None,
    )
    for v in views:
        p, r = v.participant, v.registration
        table.add_row(
            r.id,
            p.full_name,
            p.native_name,
            v.delegation.code if v.delegation else None,
            r.category.value,
            r.status.value,
            r.source,
            p.telegram_id,
            f"@{p.telegram_username}" if p.telegram_username else None,
        )
    emit(table, fmt)


def _status_style(status: str) -> str:
    return {RegistrationStatus.APPROVED.value: "green", RegistrationStatus.PENDING.value: "yellow"}.get(status, "red")


def _decide(raw_id: str, *, approve: bool, reason: str | None) -> None:
    reg_id = _registration_id(raw_id)

    async def work(factory: async_sessionmaker[AsyncSession]) -> RegistrationView:
        async with unit_of_work(factory) as session:
            return await reg_svc.decide(
                session,
                reg_id,
                approve=approve,
                actor_telegram_id=None,
                conference_id=None,
                reason=reason,
                actor=ACTOR,
                revise=True,
            )

    view = run(with_database(work))
    who = view.participant.full_name + (f", {view.delegation.code}" if view.delegation else "")
    console.print(f"registration {reg_id} ({escape(who)}) {view.registration.status.value}", highlight=False)


def _registration_id(text: str) -> int:
    value = text.strip().lstrip("#")
    if not value.isdigit() or not 0 < int(value) < 2**63:
        fail(escape(f"registration id: not a number: '{text}'"))
    return int(value)


@app.command("approve")
def approve_cmd(reg_id: str = typer.Argument(..., metavar="REG_ID", help="Registration id.")) -> None:
    """Approve a registration (pending, or one rejected earlier)."""
    _decide(reg_id, approve=True, reason=None)


@app.command("reject")
def reject_cmd(
    reg_id: str = typer.Argument(..., metavar="REG_ID", help="Registration id."),
    reason: str = typer.Option(..., "--reason", help="Why (the participant is told)."),
) -> None:
    """Reject a registration (pending, or one approved earlier), with a reason."""
    _decide(reg_id, approve=False, reason=reason)
