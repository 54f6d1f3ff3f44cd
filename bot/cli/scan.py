"""`confdesk scan`: a check-in kiosk on stdin (a USB scanner types the code and Enter).

Register with `app.command("scan")(scan_command)`. Never imports aiogram.

Every line gets exactly one answer line and the kiosk keeps running: stdin is read as bytes,
at most LINE_LIMIT of a line (the rest of a longer one is read in chunks and dropped), and
the service judges what is unreadable (not UTF-8, binary, too long) `invalid` and stores it.
A failure of the database is the plain line DATABASE_UNAVAILABLE (with --json the code
`database_unavailable`); what went wrong goes to stderr as one line, never SQL.
"""

from __future__ import annotations

import json
import sys
from contextlib import suppress
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, err_console, run, settings, with_database
from core.models import ScanDirection, ScanResult, pick
from core.services.checkin import MAX_SCAN_TEXT

STYLE = {
    ScanResult.OK: ("bold green", "OK"),
    ScanResult.DUPLICATE: ("bold yellow", "DUPLICATE"),
    ScanResult.INVALID: ("bold red", "INVALID"),
    ScanResult.REVOKED: ("bold red", "REVOKED"),
    ScanResult.NOT_APPROVED: ("bold red", "NOT APPROVED"),
    ScanResult.NOT_ALLOWED: ("bold magenta", "NOT ALLOWED"),
}


LINE_LIMIT = MAX_SCAN_TEXT + 2  # bytes kept of one line: enough to know it is too long
DATABASE_UNAVAILABLE = "database unavailable: scan not recorded, scan again"
INTERNAL_ERROR = "internal error: scan not recorded, scan again"


def read_line(stream: BinaryIO) -> bytes | None:
    """The next line without its line end; None at end of input. A line longer than
    LINE_LIMIT is cut there and the rest read and dropped in chunks, so it cannot fill memory."""
    line = stream.readline(LINE_LIMIT)
    if not line:
        return None
    if line.endswith(b"\n"):
        return line[:-1].removesuffix(b"\r")
    if len(line) == LINE_LIMIT:
        while (rest := stream.readline(1 << 16)) and not rest.endswith(b"\n"):
            pass
    return line


def _is_database_failure(exc: BaseException) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    driver = type(exc).__module__.split(".")[0] in ("asyncpg", "sqlite3")
    return isinstance(exc, SQLAlchemyError | OSError) or driver


def _cause(exc: BaseException) -> str:
    """One line for the operator: the driver's complaint, without the SQL SQLAlchemy adds."""
    inner = getattr(exc, "orig", None) or exc
    text = (str(inner).strip().splitlines() or [""])[0][:200]
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


def _line(verdict, zone: ZoneInfo) -> str:  # type: ignore[no-untyped-def]
    """One verdict for the door; times in the conference's own time zone."""
    style, label = STYLE[verdict.result]
    parts = [f"[{style}]{label:<12}[/]"]
    if verdict.name:
        who = verdict.name + (f" ({verdict.native_name})" if verdict.native_name else "")
        parts.append(f"[bold]{escape(who)}[/]")
        extra = [x for x in (pick(verdict.delegation, "en"), verdict.category) if x]
        if extra:
            parts.append(escape(" · ".join(extra)))
    if verdict.direction is ScanDirection.OUT:
        parts.append("[dim]exit[/]")
    if verdict.result is ScanResult.DUPLICATE and verdict.already_at:
        since = verdict.already_at.astimezone(zone).strftime("%H:%M:%S")
        by = f" by {verdict.already_by}" if verdict.already_by else ""
        gate = f" at {escape(verdict.already_gate)}" if verdict.already_gate else ""
        parts.append(f"[yellow]inside since {since}{by}{gate}[/]")
    elif verdict.detail:
        parts.append(f"[dim]({escape(verdict.detail)})[/]")
    return "  ".join(parts)


def scan_command(
    gate: str = typer.Option(..., "--gate", help="name of this door or desk"),
    session_ref: str | None = typer.Option(
        None,
        "--session",
        help="agenda item code (see `confdesk program show`) or number: scanning into that hall (default: venue)",
    ),
    exit_: bool = typer.Option(False, "--exit", help="this is an exit"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
    staff: int | None = typer.Option(None, "--staff", help="Telegram id of the staff member"),
    conference: str | None = typer.Option(
        None, "--conference", help="conference slug (default: the latest by first day)"
    ),
) -> None:
    """Check badges in (or out) from stdin, one code per line; EOF ends."""
    from core.errors import DomainError
    from core.models import Conference
    from core.services.badges import ensure_badge_secret, find_conference
    from core.services.checkin import scan
    from core.services.lookup import find_agenda_item

    direction = ScanDirection.OUT if exit_ else ScanDirection.IN

    def answer(data: dict[str, Any], text: str) -> None:
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            console.print(text, highlight=False, soft_wrap=True)
        sys.stdout.flush()

    def error(code: str, message: str) -> None:
        answer({"result": "error", "error": code, "message": message}, f"[bold red]ERROR[/]  {escape(message)}")

    async def work(factory: async_sessionmaker[AsyncSession]) -> int:
        async with factory() as db:
            conf = await find_conference(db, conference or settings().conference)
            stored = await db.get(Conference, conf.id)
            zone = ZoneInfo(stored.timezone if stored else "UTC")
            session_id: int | None = None
            where = "venue"
            if session_ref is not None:
                assert stored is not None
                item = await find_agenda_item(db, stored, session_ref)
                session_id = item.id
                where = f"session {item.code}: {pick(item.title, 'en')}"
            secret, _ = await ensure_badge_secret(db, settings())
            await db.rollback()
            if not as_json:
                err_console.print(
                    f"[dim]{conf.slug}: gate {escape(gate)}, {escape(where)}, "
                    f"{'exit' if exit_ else 'entry'}; scan badges (Ctrl-D to end)[/]"
                )
            stdin = sys.stdin.buffer
            count = 0
            while (raw := read_line(stdin)) is not None:
                if not raw.strip():
                    continue
                count += 1
                try:
                    verdict = await scan(
                        db,
                        conference_id=conf.id,
                        text=raw,
                        staff_telegram_id=staff,
                        gate=gate,
                        agenda_item_id=session_id,
                        direction=direction,
                        secret=secret,
                    )
                except DomainError as exc:
                    error(exc.code, exc.message)
                    continue
                except Exception as exc:  # one failed scan never ends the kiosk
                    err_console.print(f"scan not recorded: {escape(_cause(exc))}", highlight=False, soft_wrap=True)
                    try:
                        await db.close()  # a fresh connection for the next line
                    except Exception:
                        with suppress(Exception):
                            await db.invalidate()
                    if _is_database_failure(exc):
                        error("database_unavailable", DATABASE_UNAVAILABLE)
                    else:
                        error("internal_error", INTERNAL_ERROR)
                    continue
                answer(verdict.as_dict(), _line(verdict, zone))
            return count

    run(with_database(work))
