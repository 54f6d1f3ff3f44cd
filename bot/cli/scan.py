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
from datetime import UTC, datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, err_console, run, settings, with_database
from bot.cli.i18n import cli_text
from bot.cli.kiosk import Shift, banner, log_line, outside_warning, show_error, show_screen, summary
from core.checkin import MAX_SCAN_TEXT
from core.models import ScanDirection, pick
from core.uow import unit_of_work

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
    lang: str | None = typer.Option(None, "--lang", help="en or ru: the screen's language (default: DEFAULT_LANGUAGE)"),
    conference: str | None = typer.Option(
        None, "--conference", help="conference slug (default: the latest by first day)"
    ),
) -> None:
    """Check badges in (or out) from stdin, one code per line; EOF ends."""
    from core.app_settings import ensure_badge_secret
    from core.badges import conference_info
    from core.checkin import scan
    from core.errors import DomainError
    from core.models import Conference
    from core.programme.lookup import find_agenda_item

    direction = ScanDirection.OUT if exit_ else ScanDirection.IN

    t = cli_text(lang or settings().default_language)
    screen = not as_json and console.is_terminal

    def answer(data: dict[str, Any], text: str) -> None:
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            console.print(text, highlight=False, soft_wrap=True)
        sys.stdout.flush()

    def error(shift: Shift, code: str, message: str) -> None:
        if screen:
            show_error(console, t, shift, message)
        else:
            answer({"result": "error", "error": code, "message": message}, f"[bold red]ERROR[/]  {escape(message)}")

    def show(shift: Shift, verdict: Any) -> None:
        now = datetime.now(UTC)
        if as_json:
            data = verdict.as_dict()
            if shift.outside_dates(now) is not None:
                data["outside_dates"] = True
            answer(data, "")
        elif screen:
            show_screen(console, t, shift, verdict, now)
        else:
            answer({}, escape(log_line(t, shift, verdict, now)))

    async def work(factory: async_sessionmaker[AsyncSession]) -> Shift:
        async with unit_of_work(factory) as db:
            conf = await conference_info(db, conference or settings().conference)
            stored = await db.get(Conference, conf.id)
            zone = ZoneInfo(stored.timezone if stored else "UTC")
            session_id: int | None = None
            place = t("kiosk-venue")
            if session_ref is not None:
                assert stored is not None
                item = await find_agenda_item(db, stored, session_ref)
                session_id = item.id
                place = t("kiosk-session", code=item.code, title=pick(item.title, t.language))
            secret, _ = await ensure_badge_secret(db, settings())
        shift = Shift(conf.slug, gate, place, direction, zone, conf.first_day, conf.last_day)
        notes = console if screen else err_console
        notes.print(escape(banner(t, shift)), style="bold", highlight=False, soft_wrap=True)
        today = shift.outside_dates(datetime.now(UTC))
        if today is not None:
            notes.print(escape(outside_warning(t, shift, today)), style="bold red", highlight=False, soft_wrap=True)
        notes.print(escape(t("kiosk-ready")), style="dim", highlight=False)
        sys.stdout.flush()
        stdin = sys.stdin.buffer
        while (raw := read_line(stdin)) is not None:
            if not raw.strip():
                continue
            try:
                async with unit_of_work(factory) as db:  # one scan, one transaction
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
                shift.count(None)
                error(shift, exc.code, exc.message)
                continue
            except Exception as exc:  # one failed scan never ends the kiosk
                shift.count(None)
                err_console.print(f"scan not recorded: {escape(_cause(exc))}", highlight=False, soft_wrap=True)
                if _is_database_failure(exc):
                    error(shift, "database_unavailable", DATABASE_UNAVAILABLE)
                else:
                    error(shift, "internal_error", INTERNAL_ERROR)
                continue
            shift.count(verdict.result)
            show(shift, verdict)
        return shift

    shift = run(with_database(work))
    (console if screen else err_console).print(escape(summary(t, shift)), style="bold", highlight=False)
