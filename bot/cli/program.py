"""`confdesk program load|show|list`: the conference programme from a YAML file.

No aiogram here: these commands only need the database.
"""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, fail, run, settings, with_database
from core.db import make_engine, make_session_factory, open_session, sqlite_file
from core.models import AgendaKind, pick
from core.services.conferences import current_conference
from core.services.programme import (
    AgendaEntry,
    ConferenceSummary,
    ProgrammeDiff,
    ProgrammeDocument,
    ProgrammeError,
    agenda_of,
    list_conferences,
    load_programme,
    parse_programme,
)

T = TypeVar("T")
app = typer.Typer(no_args_is_help=True)

KIND_LABELS = {
    AgendaKind.OPENING: "opening",
    AgendaKind.HIGH_LEVEL: "high-level",
    AgendaKind.PLENARY: "plenary",
    AgendaKind.THEMATIC: "thematic",
    AgendaKind.SIDE_EVENT: "side event",
    AgendaKind.BREAK: "break",
    AgendaKind.CLOSING: "closing",
}


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
        async with open_session(factory) as session:
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
    lang: str = typer.Option("en", "--lang", "-l", help="Language of the texts: en or ru."),
) -> None:
    """Print the agenda by day, in the conference's time zone."""
    if lang not in ("en", "ru"):
        fail(f"--lang: expected en or ru, not {lang!r}")
    slug = conference or settings().conference

    async def work(factory: async_sessionmaker[AsyncSession]) -> None:
        async with open_session(factory) as session:
            conf = await current_conference(session, slug)
            assert conf.id is not None
            entries = await agenda_of(session, conf.id)
        tz = ZoneInfo(conf.timezone)
        console.print(
            f"[bold]{pick(conf.name, lang)}[/] ({conf.slug}) — "
            f"{pick(conf.venue, lang) or pick(conf.city, lang)}, "
            f"{conf.first_day:%d.%m.%Y}–{conf.last_day:%d.%m.%Y}, times in {conf.timezone}",
            highlight=False,
        )
        if not entries:
            console.print("no agenda items")
            return
        days: dict[date, list[AgendaEntry]] = {}
        for entry in entries:
            days.setdefault(entry.item.starts_at.astimezone(tz).date(), []).append(entry)
        for day, day_entries in days.items():
            console.print(_day_table(day, day_entries, tz, lang))

    run(with_database(work))


def _day_table(day: date, entries: list[AgendaEntry], tz: ZoneInfo, lang: str) -> Table:
    table = Table(title=f"{day:%A, %d %B %Y}", title_justify="left", show_lines=False)
    table.add_column("Time", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Title", ratio=3)
    table.add_column("Hall", ratio=1)
    table.add_column("Seats", justify="right", no_wrap=True)
    table.add_column("Speakers", ratio=2)
    for entry in entries:
        item = entry.item
        start, end = item.starts_at.astimezone(tz), item.ends_at.astimezone(tz)
        span = f"{start:%H:%M}–{end:%H:%M}"
        if end.date() != start.date():
            span += f" (+{(end.date() - start.date()).days}d)"
        title = Text(pick(item.title, lang))
        if item.cancelled_at is not None:
            title = Text(f"{title.plain} (cancelled)", style="strike dim")
        seats = "—" if item.capacity is None else str(item.capacity)
        if item.signup_open:
            seats += " sign-up"
        people = [_person(p, lang) for p in entry.speakers]
        people += [f"{_person(p, lang)} (moderator)" for p in entry.moderators]
        table.add_row(
            span,
            KIND_LABELS.get(item.kind, str(item.kind)),
            title,
            pick(item.hall, lang),
            seats,
            "\n".join(people),
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
def list_cmd() -> None:
    """List the conferences in the database."""

    async def work(factory: async_sessionmaker[AsyncSession]) -> list[ConferenceSummary]:
        async with open_session(factory) as session:
            return await list_conferences(session)

    rows = run(with_database(work))
    if not rows:
        console.print("no conferences yet (use `confdesk program load FILE.yaml`)")
        return
    table = Table(title="Conferences")
    table.add_column("Slug", no_wrap=True)
    table.add_column("Ed.", justify="right")
    table.add_column("Name")
    table.add_column("Days", no_wrap=True)
    table.add_column("Time zone", no_wrap=True)
    for name in ("Delegations", "Items", "Registrations"):
        table.add_column(name, justify="right")
    for row in rows:
        conf = row.conference
        table.add_row(
            conf.slug,
            str(conf.edition),
            pick(conf.name, "en"),
            f"{conf.first_day:%Y-%m-%d} – {conf.last_day:%Y-%m-%d}",
            conf.timezone,
            str(row.delegations),
            str(row.items),
            str(row.registrations),
        )
    console.print(table)
