"""`confdesk program load|show|list`: the conference programme from a YAML file.

No aiogram here: these commands only need the database.
"""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, fail, run, settings, with_database
from bot.cli.i18n import cli_text
from bot.cli.output import Column, Format, Table, emit, format_option, say
from core.conferences import current_conference
from core.config import LANGUAGES
from core.db import make_engine, make_session_factory, sqlite_file
from core.models import Conference, pick
from core.programme.file import ProgrammeError, parse_programme
from core.programme.file_spec import ProgrammeDocument
from core.programme.listing import AgendaEntry, ConferenceSummary, agenda_of, list_conferences
from core.programme.load import load_programme
from core.programme.plan import ProgrammeDiff
from core.uow import unit_of_work

T = TypeVar("T")
app = typer.Typer(no_args_is_help=True)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (OSError, KeyError):
        return "cli"


def read_document(path: Path) -> ProgrammeDocument:
    """Read and validate a programme file; every problem is one line and exit 1."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text")
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")
    try:
        return parse_programme(text, str(path))
    except ProgrammeError as exc:
        fail(exc.message)


@app.command("load")
def load_cmd(
    file: Path = typer.Argument(..., help="Programme file (YAML), see docs/programme.md."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and show what would change; write nothing."),
) -> None:
    """Load or update a conference, its delegations, people and agenda from FILE."""
    document = read_document(file)

    async def work(factory: async_sessionmaker[AsyncSession]) -> ProgrammeDiff:
        async with unit_of_work(factory) as session:
            return await load_programme(session, document, actor=_actor(), dry_run=dry_run)

    diff = run(_dry_run(work) if dry_run else with_database(work, create=True))
    print_diff(diff, document, dry_run=dry_run)


async def _dry_run(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """A dry run writes nothing: with no database yet, it compares against an empty one in
    memory (so everything would be created) instead of creating the file."""
    path = sqlite_file(settings().database_url)
    if path is None or path.exists():
        return await with_database(work)
    from core.migrate import upgrade

    engine = make_engine("sqlite+aiosqlite:///:memory:")
    try:
        await upgrade(engine)
        return await work(make_session_factory(engine))
    finally:
        await engine.dispose()


def print_diff(diff: ProgrammeDiff, document: ProgrammeDocument, *, dry_run: bool) -> None:
    slug = diff.conference
    prefix = "[yellow]dry run[/] — " if dry_run else ""
    if diff.empty:
        console.print(f"{prefix}{slug}: no changes", highlight=False)
        return
    if diff.created:
        verb = "would create" if dry_run else "created"
        console.print(
            f"{prefix}{slug}: {verb} with {len(document.delegations)} delegations, "
            f"{len(document.people)} people, {len(document.items)} agenda items",
            highlight=False,
        )
    else:
        for title, entries, mark in (
            ("added", diff.added, "[green]+[/]"),
            ("changed", diff.changed, "[yellow]~[/]"),
            ("removed", diff.removed, "[red]-[/]"),
            ("cancelled", diff.cancelled, "[red]×[/]"),
        ):
            for change in entries:
                fields = f": {', '.join(change.fields)}" if change.fields else ""
                console.print(f"  {mark} {title} {change.section} {change.key}{fields}", highlight=False)
        verb = "would change" if dry_run else "updated"
        console.print(
            f"{prefix}{slug}: {verb} — {len(diff.added)} added, {len(diff.changed)} changed, "
            f"{len(diff.removed)} removed, {len(diff.cancelled)} cancelled",
            highlight=False,
        )
    for warning in diff.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)


@app.command("show")
def show_cmd(
    conference: str | None = typer.Option(
        None, "--conference", "-c", help="Conference slug (default: CONFERENCE or the latest)."
    ),
    lang: str = typer.Option("en", "--lang", "-l", help="Language of the texts and headings: en or ru."),
    fmt: Format = format_option(),
) -> None:
    """Print the agenda by day, in the conference's time zone, with each item's code
    (the name `scan --session` and `report attendance --session` take)."""
    if lang not in LANGUAGES:
        fail(f"--lang: expected en or ru, not {lang!r}")
    slug = conference or settings().conference

    async def work(factory: async_sessionmaker[AsyncSession]) -> tuple[Conference, list[AgendaEntry]]:
        async with unit_of_work(factory) as session:
            conf = await current_conference(session, slug)
            assert conf.id is not None
            return conf, await agenda_of(session, conf.id)

    conf, entries = run(with_database(work, reads_only=True))
    t = cli_text(lang)
    if fmt is Format.TABLE:
        say(
            t(
                "program-heading",
                name=pick(conf.name, lang),
                slug=conf.slug,
                place=pick(conf.venue, lang) or pick(conf.city, lang),
                first=t.date(conf.first_day),
                last=t.date(conf.last_day),
                timezone=conf.timezone,
            )
        )
        if not entries:
            say(t("program-no-items"))
            return
    emit(agenda_table(entries, ZoneInfo(conf.timezone), lang), fmt)


def agenda_table(entries: list[AgendaEntry], tz: ZoneInfo, lang: str) -> Table:
    """The agenda, one section per local day; csv/json rows also carry the day and times."""
    t = cli_text(lang)
    table = Table(
        [
            Column("day", "day", "token", shown=False),
            Column(t("program-col-time"), "time", "token"),
            Column(t("program-col-code"), "code", "token", stack=True),
            Column(t("program-col-title"), "title"),
            Column(t("program-col-kind"), "kind", stack=True, style=lambda _: "dim"),
            Column(t("program-col-hall"), "hall"),
            Column(t("program-col-seats"), "seats"),
            Column(t("program-col-speakers"), "speakers"),
            Column("starts_at", "starts_at", "token", shown=False),
            Column("ends_at", "ends_at", "token", shown=False),
            Column("capacity", "capacity", "number", shown=False),
            Column("signup_open", "signup_open", "token", shown=False),
            Column("cancelled", "cancelled", "token", shown=False),
        ]
    )
    for entry in entries:
        item = entry.item
        start, end = item.starts_at.astimezone(tz), item.ends_at.astimezone(tz)
        span = f"{start:%H:%M}–{end:%H:%M}"
        if end.date() != start.date():
            span += " " + t("program-next-day", days=(end.date() - start.date()).days)
        title = pick(item.title, lang)
        cancelled = item.cancelled_at is not None
        if cancelled:
            title = t("program-cancelled", title=title)
        seats = t("program-unlimited") if item.capacity is None else str(item.capacity)
        if item.signup_open:
            seats = t("program-signup", seats=seats)
        people = [_person(p, lang) for p in entry.speakers]
        people += [t("program-moderator", name=_person(p, lang)) for p in entry.moderators]
        table.add_row(
            start.date().isoformat(),
            span,
            item.code,
            title,
            t(f"kind-{item.kind.value}"),
            pick(item.hall, lang) or None,
            seats,
            people,
            start.isoformat(),
            end.isoformat(),
            item.capacity,
            item.signup_open,
            cancelled,
            section=t.day(start.date()),
            style="strike dim" if cancelled else None,
        )
    return table


def _person(person: object, lang: str) -> str:
    full_name = str(getattr(person, "full_name", ""))
    native = getattr(person, "native_name", None)
    # Russian readers get the Cyrillic native name when there is one.
    if lang == "ru" and native and any("А" <= ch <= "я" for ch in native):
        return str(native)
    return full_name


@app.command("list")
def list_cmd(fmt: Format = format_option()) -> None:
    """List the conferences in the database."""

    async def work(factory: async_sessionmaker[AsyncSession]) -> list[ConferenceSummary]:
        async with unit_of_work(factory) as session:
            return await list_conferences(session)

    rows = run(with_database(work, reads_only=True))
    if not rows and fmt is Format.TABLE:
        say("no conferences yet (use `confdesk program load FILE.yaml`)")
        return
    table = Table(
        [
            Column("Slug", "slug", "token"),
            Column("Time zone", "timezone", "token", stack=True),
            Column("Ed.", "edition", "number"),
            Column("Name", "name"),
            Column("First day", "first_day", "token"),
            Column("Last day", "last_day", "token", stack=True),
            Column("Delegations", "delegations", "number"),
            Column("Items", "items", "number"),
            Column("Registrations", "registrations", "number"),
        ],
        title="Conferences" if fmt is Format.TABLE else None,
    )
    for row in rows:
        conf = row.conference
        table.add_row(
            conf.slug,
            conf.timezone,
            conf.edition,
            pick(conf.name, "en"),
            conf.first_day.isoformat(),
            conf.last_day.isoformat(),
            row.delegations,
            row.items,
            row.registrations,
        )
    emit(table, fmt)
