"""`confdesk participants import|links|list|approve|reject`: accreditation from the shell.

No aiogram here: these commands only need the database.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, err_console, fail, run, settings, with_database
from core.db import open_session
from core.models import RegistrationStatus
from core.services import badges, importing
from core.services import registration as reg_svc
from core.services.conferences import current_conference
from core.services.importing import BindLink, ImportFailed, ImportResult
from core.services.registration import RegistrationView

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
        async with open_session(factory) as session:
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
        table = Table("Row", "Action", "Name", "Delegation", "Status", "Changes")
        for row in result.rows:
            if row.action != "unchanged":
                table.add_row(
                    str(row.row),
                    row.action,
                    escape(row.full_name),
                    row.delegation or "—",
                    row.status,
                    ", ".join(row.changed),
                )
        if table.row_count:
            console.print(table)
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


@app.command("links")
def links_cmd(
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
    fmt: str = typer.Option("table", "--format", help="table or csv."),
    out: Path | None = typer.Option(None, "--out", help="Write to FILE instead of the screen."),
) -> None:
    """Personal deep links for registered people who have no Telegram account yet."""
    if fmt not in ("table", "csv"):
        fail(escape(f"unknown format '{fmt}' (expected table or csv)"))
    configured = settings().bot_username

    async def work(factory: async_sessionmaker[AsyncSession]) -> list[BindLink]:
        async with open_session(factory) as session:
            username = await badges.resolve_bot_username(session, configured)
            conf = await current_conference(session, _slug(conference))
            return await importing.bind_links(session, conf, username)

    links = run(with_database(work))
    text = _links_csv(links) if fmt == "csv" else None
    if out is not None:
        try:
            with out.open("w", encoding="utf-8", newline="") as handle:
                if text is not None:
                    handle.write(text)
                else:
                    Console(file=handle, width=250, no_color=True).print(_links_table(links))
        except OSError as exc:
            fail(escape(f"{out}: {exc.strerror or exc}"))
        err_console.print(f"{len(links)} personal link(s) written to {escape(str(out))}", highlight=False)
    elif text is not None:
        typer.echo(text, nl=False)
    elif not links:
        console.print("everyone registered has a Telegram account: no links needed", highlight=False)
    else:
        console.print(_links_table(links))


def _links_table(links: list[BindLink]) -> Table:
    table = Table("ID", "Name", "Native name", "Delegation", "Category", "Status", "Email")
    table.add_column("Link", overflow="fold")  # never cut: the whole link must stay usable
    for link in links:
        table.add_row(
            str(link.registration_id),
            escape(link.full_name),
            escape(link.native_name or ""),
            link.delegation or "—",
            link.category,
            link.status,
            escape(link.email or ""),
            link.url,
        )
    return table


def _links_csv(links: list[BindLink]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["registration_id", "name", "native_name", "delegation", "category", "status", "email", "link"])
    for link in links:
        writer.writerow(
            [
                link.registration_id,
                link.full_name,
                link.native_name or "",
                link.delegation or "",
                link.category,
                link.status,
                link.email or "",
                link.url,
            ]
        )
    return buffer.getvalue()


@app.command("list")
def list_cmd(
    status: str | None = typer.Option(None, "--status", help="pending, approved, rejected or cancelled."),
    delegation: str | None = typer.Option(None, "--delegation", help="Delegation code or name."),
    conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
) -> None:
    """Registrations of the conference, by delegation and name."""
    wanted: RegistrationStatus | None = None
    if status is not None:
        try:
            wanted = RegistrationStatus(status.strip().lower())
        except ValueError:
            fail(escape(f"unknown status '{status}' (expected {', '.join(s.value for s in RegistrationStatus)})"))

    async def work(factory: async_sessionmaker[AsyncSession]) -> tuple[str, list[RegistrationView]]:
        async with open_session(factory) as session:
            conf = await current_conference(session, _slug(conference))
            views = await importing.list_registrations(session, conf, status=wanted, delegation=delegation)
            return conf.slug, views

    slug, views = run(with_database(work))
    if not views:
        console.print(f"{slug}: no registrations match", highlight=False)
        return
    table = Table(
        "ID",
        "Name",
        "Native name",
        "Delegation",
        "Category",
        "Status",
        "Telegram",
        "Source",
        title=f"{slug}: {len(views)} registration(s)",
    )
    for v in views:
        p, r = v.participant, v.registration
        telegram = str(p.telegram_id) if p.telegram_id else "—"
        if p.telegram_username:
            telegram += f" @{p.telegram_username}"
        table.add_row(
            str(r.id),
            escape(p.full_name),
            escape(p.native_name or ""),
            v.delegation.code if v.delegation else "—",
            r.category.value,
            _status(r.status),
            telegram,
            r.source,
        )
    console.print(table)


def _status(status: RegistrationStatus) -> str:
    colour = {RegistrationStatus.APPROVED: "green", RegistrationStatus.PENDING: "yellow"}.get(status, "red")
    return f"[{colour}]{status.value}[/]"


def _decide(raw_id: str, *, approve: bool, reason: str | None) -> None:
    reg_id = _registration_id(raw_id)

    async def work(factory: async_sessionmaker[AsyncSession]) -> RegistrationView:
        async with open_session(factory) as session:
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
