"""`confdesk export registrations|scans|attendance --format csv|xlsx --out FILE`.

CSV is UTF-8 with a BOM (spreadsheets open Cyrillic correctly) and escapes formula-looking
cells with an apostrophe; XLSX stores them as text cells, and has column widths, a frozen
header and a filter. No aiogram here.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, fail, run, settings, with_database
from core import reporting
from core.conferences import current_conference
from core.uow import unit_of_work

app = typer.Typer(no_args_is_help=True)
CONFERENCE_HELP = "Conference slug (default: CONFERENCE, else the latest)."


def _format(fmt: str | None, out: Path) -> str:
    """The format asked for, or the one the file's extension names; a mismatch is refused
    (CSV inside a file called .xlsx would not open)."""
    suffix = out.suffix.lower().lstrip(".")
    if fmt is not None and fmt.lower() not in reporting.FORMATS:
        fail(f"unknown format '{fmt}' (expected csv or xlsx)")
    if fmt is None:
        if suffix not in reporting.FORMATS:
            fail(f"{out}: say --format csv or --format xlsx (the file name does not end in .csv or .xlsx)")
        return suffix
    fmt = fmt.lower()
    if suffix in reporting.FORMATS and suffix != fmt:
        fail(f"{out}: the file name says {suffix} but --format is {fmt}: change one of them")
    return fmt


def _check_writable(out: Path) -> None:
    if out.is_dir():
        fail(f"{out}: is a directory")
    folder = out.parent
    if not folder.is_dir():
        fail(f"{out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(f"{out}: cannot write into the folder {folder} (permission denied)")


def _export(kind: str, fmt: str | None, out: Path, conference: str | None) -> None:
    fmt = _format(fmt, out)
    _check_writable(out)

    async def work(factory: async_sessionmaker[AsyncSession]) -> reporting.ExportResult:
        async with unit_of_work(factory) as session:
            conf = await current_conference(session, conference or settings().conference)
            return await reporting.export(session, conf, kind, fmt, out)

    # attendance folds new scans into the attendance summary first (core/reporting/summary.py: a
    # short write, committed), then streams its file in a transaction that only reads
    result = run(with_database(work, reads_only=kind != "attendance"))
    console.print(f"{result.rows} row(s) of {kind} written to {escape(str(result.path))}", highlight=False)


def _command(kind: str, doc: str) -> None:
    def command(
        fmt: str | None = typer.Option(None, "--format", help="csv or xlsx (default: from the file name)."),
        out: Path = typer.Option(..., "--out", help="File to write."),
        conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
    ) -> None:
        _export(kind, fmt, out, conference)

    command.__doc__ = doc
    app.command(kind)(command)


_command("registrations", "Every registration: person, delegation, category, status, badge.")
_command("scans", "Every scan with its time (conference-local), person, place, gate and result.")
_command("attendance", "Approved registrations: present on each conference day, first and last entry, inside now.")
