"""`confdesk export registrations|scans|attendance --format csv|xlsx --out FILE`.

CSV is UTF-8 with a BOM (spreadsheets open Cyrillic correctly); formula-looking cells are
escaped in both formats. No aiogram here.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, fail, run, settings, with_database
from core.db import open_session
from core.services import exports
from core.services.conferences import current_conference
from core.services.exports import ExportResult

app = typer.Typer(no_args_is_help=True)
CONFERENCE_HELP = "Conference slug (default: CONFERENCE, else the latest)."


def _export(kind: str, fmt: str, out: Path, conference: str | None) -> None:
    if fmt not in exports.FORMATS:
        fail(f"unknown format '{fmt}' (expected csv or xlsx)")
    if out.is_dir():
        fail(f"{out}: is a directory")

    async def work(factory: async_sessionmaker[AsyncSession]) -> ExportResult:
        async with open_session(factory) as session:
            conf = await current_conference(session, conference or settings().conference)
            return await exports.export(session, conf, kind, fmt, out)

    result = run(with_database(work, reads_only=True))
    console.print(f"{result.rows} row(s) of {kind} written to {escape(str(result.path))}", highlight=False)


def _command(kind: str, doc: str) -> None:
    def command(
        fmt: str = typer.Option("csv", "--format", help="csv or xlsx."),
        out: Path = typer.Option(..., "--out", help="File to write."),
        conference: str | None = typer.Option(None, "--conference", help=CONFERENCE_HELP),
    ) -> None:
        _export(kind, fmt, out, conference)

    command.__doc__ = doc
    app.command(kind)(command)


_command("registrations", "Every registration: person, delegation, category, status, badge.")
_command("scans", "Every scan with its time (conference-local), person, place, gate and result.")
_command("attendance", "Approved registrations: present on each conference day, first and last entry, inside now.")
