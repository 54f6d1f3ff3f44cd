"""`confdesk scan`: a check-in kiosk on stdin (a USB scanner types the code and Enter).

Register with `app.command("scan")(scan_command)`. Never imports aiogram.

Every line gets exactly one answer line and the kiosk keeps running: stdin is read as bytes,
at most LINE_LIMIT of a line (the rest of a longer one is read in chunks and dropped), and
the service judges what is unreadable (not UTF-8, binary, too long) `invalid` and stores it.

Without --offline-dir a failure of the database is the plain line DATABASE_UNAVAILABLE (with
--json the code `database_unavailable`); what went wrong goes to stderr as one line, never SQL.
With --offline-dir DIR the kiosk keeps a local copy in DIR and judges from it when central
does not answer within --timeout (`core.checkin.offline.kiosk`): the verdict is marked
OFFLINE (`"offline": true` with --json) and the scan is journaled and uploaded later.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, err_console, fail, run, settings, with_database
from bot.cli.i18n import CliText, cli_text
from bot.cli.kiosk import Shift, banner, log_line, outside_warning, show_error, show_screen, summary
from core.checkin import MAX_SCAN_TEXT, Verdict
from core.checkin.offline.kiosk import cause, is_central_failure
from core.models import ScanDirection, pick
from core.uow import unit_of_work

LINE_LIMIT = MAX_SCAN_TEXT + 2  # bytes kept of one line: enough to know it is too long
DATABASE_UNAVAILABLE = "database unavailable: scan not recorded, scan again"
INTERNAL_ERROR = "internal error: scan not recorded, scan again"
Judge = Callable[[bytes], Awaitable[Verdict]]


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


@dataclass
class Screen:
    """Where verdicts go: a big screen on a terminal, a log line when piped, or JSON."""

    t: CliText
    as_json: bool

    @property
    def big(self) -> bool:
        return not self.as_json and console.is_terminal

    @property
    def notes(self) -> Any:
        return console if self.big else err_console

    def answer(self, data: dict[str, Any], text: str) -> None:
        if self.as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            console.print(text, highlight=False, soft_wrap=True)
        sys.stdout.flush()

    def error(self, shift: Shift, code: str, message: str) -> None:
        if self.big:
            show_error(console, self.t, shift, message)
        else:
            self.answer(
                {"result": "error", "error": code, "message": message}, f"[bold red]ERROR[/]  {escape(message)}"
            )

    def show(self, shift: Shift, verdict: Verdict) -> None:
        now = datetime.now(UTC)
        if self.as_json:
            data = verdict.as_dict()
            if shift.outside_dates(now) is not None:
                data["outside_dates"] = True
            self.answer(data, "")
        elif self.big:
            show_screen(console, self.t, shift, verdict, now)
        else:
            self.answer({}, escape(log_line(self.t, shift, verdict, now)))

    def start(self, shift: Shift) -> None:
        self.notes.print(escape(banner(self.t, shift)), style="bold", highlight=False, soft_wrap=True)
        today = shift.outside_dates(datetime.now(UTC))
        if today is not None:
            warning = escape(outside_warning(self.t, shift, today))
            self.notes.print(warning, style="bold red", highlight=False, soft_wrap=True)
        self.notes.print(escape(self.t("kiosk-ready")), style="dim", highlight=False)
        sys.stdout.flush()

    def note(self, text: str) -> None:
        err_console.print(escape(text), highlight=False, soft_wrap=True)


def _stdin_lines() -> asyncio.Queue[bytes | None]:
    """stdin's lines, read by a thread of their own (never one of the loop's shared workers,
    which background work may keep busy): the next badge is always read at once."""
    loop, lines = asyncio.get_running_loop(), asyncio.Queue[bytes | None]()
    stdin = sys.stdin.buffer

    def read() -> None:
        while True:
            line = read_line(stdin)
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if line is None:
                return

    threading.Thread(target=read, name="stdin", daemon=True).start()
    return lines


async def scan_lines(screen: Screen, shift: Shift, judge: Judge) -> Shift:
    """Judge every line of stdin until its end; one failed scan never ends the kiosk."""
    from core.errors import DomainError

    lines = _stdin_lines()
    while (raw := await lines.get()) is not None:
        if not raw.strip():
            continue
        try:
            verdict = await judge(raw)
        except DomainError as exc:
            shift.count(None)
            screen.error(shift, exc.code, exc.message)
            continue
        except Exception as exc:
            shift.count(None)
            screen.note(f"scan not recorded: {cause(exc)}")
            if is_central_failure(exc):
                screen.error(shift, "database_unavailable", DATABASE_UNAVAILABLE)
            else:
                screen.error(shift, "internal_error", INTERNAL_ERROR)
            continue
        shift.count(verdict.result)
        screen.show(shift, verdict)
    return shift


@dataclass
class Door:
    """What the command line says about this door."""

    gate: str
    session_ref: str | None
    direction: ScanDirection
    staff: int | None
    conference: str | None


async def _online_kiosk(factory: async_sessionmaker[AsyncSession], screen: Screen, door: Door) -> Shift:
    from core.app_settings import ensure_badge_secret
    from core.badges import conference_info as find_conference
    from core.checkin import scan_alone
    from core.models import Conference
    from core.programme.lookup import find_agenda_item

    t = screen.t
    async with unit_of_work(factory) as db:
        conf = await find_conference(db, door.conference or settings().conference)
        stored = await db.get(Conference, conf.id)
        assert stored is not None
        item = await find_agenda_item(db, stored, door.session_ref) if door.session_ref is not None else None
        secret, _ = await ensure_badge_secret(db, settings())
    place = t("kiosk-session", code=item.code, title=pick(item.title, t.language)) if item else t("kiosk-venue")
    zone = ZoneInfo(stored.timezone)
    shift = Shift(conf.slug, door.gate, place, door.direction, zone, conf.first_day, conf.last_day)
    screen.start(shift)

    async def judge(raw: bytes) -> Verdict:
        return await scan_alone(  # one scan, one unit of work (PostgreSQL: no transaction, see scan_alone)
            factory, conference_id=conf.id, text=raw, staff_telegram_id=door.staff, gate=door.gate,
            agenda_item_id=item.id if item else None, direction=door.direction, secret=secret,
        )  # fmt: skip

    return await scan_lines(screen, shift, judge)


@dataclass
class Offline:
    directory: Path
    timeout: float
    refresh_every: float
    retry_every: float


async def _offline_kiosk(screen: Screen, door: Door, opts: Offline) -> Shift:
    from core.app_settings import ensure_badge_secret
    from core.badges import conference_info as find_conference
    from core.checkin.offline.kiosk import Kiosk, NoLocalCopy, Place

    async def secret(db: AsyncSession) -> bytes:
        return (await ensure_badge_secret(db, settings()))[0]

    async def conference_id(db: AsyncSession) -> int:
        return (await find_conference(db, door.conference or settings().conference)).id

    kiosk = Kiosk(settings().database_url, opts.directory, secret, timeout=opts.timeout,
                  refresh_every=opts.refresh_every, retry_every=opts.retry_every)  # fmt: skip
    try:
        try:
            copy = await kiosk.start(conference_id)
        except NoLocalCopy as exc:
            fail(str(exc))
        item = copy.find_item(door.session_ref) if door.session_ref is not None else None
        if door.session_ref is not None and item is None:
            codes = ", ".join(sorted(i.code for i in copy.items.values()))
            fail(f"no agenda item '{door.session_ref}' in {copy.slug}; codes: {codes}")
        t = screen.t
        place = t("kiosk-session", code=item.code, title=pick(item.title, t.language)) if item else t("kiosk-venue")
        zone = ZoneInfo(copy.timezone)
        shift = Shift(copy.slug, door.gate, place, door.direction, zone, copy.first_day, copy.last_day)
        if not kiosk.online:
            screen.notes.print(escape(t("kiosk-offline-start")), style="bold yellow", highlight=False, soft_wrap=True)
        screen.start(shift)
        kiosk.begin(Place(copy.conference_id, item.id if item else None, door.gate, door.direction, door.staff))
        return await scan_lines(screen, shift, kiosk.scan)
    finally:
        await kiosk.close(upload_within=opts.timeout * 4)
        if kiosk.journal_waiting:
            screen.note(screen.t("kiosk-left-waiting", count=kiosk.journal_waiting))


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
    offline_dir: Path | None = typer.Option(
        None,
        "--offline-dir",
        help="keep a local copy and a scan journal here (mode 0600): the door goes on judging when the "
        "central database does not answer, and uploads its scans when it does again",
    ),
    timeout: float = typer.Option(1.5, "--timeout", help="with --offline-dir: seconds to wait for central per scan"),
    refresh_every: float = typer.Option(
        30.0, "--refresh-every", help="with --offline-dir: seconds between refreshes of the local copy"
    ),
    retry_every: float = typer.Option(
        2.0, "--retry-every", help="with --offline-dir: seconds between tries of central while offline"
    ),
) -> None:
    """Check badges in (or out) from stdin, one code per line; EOF ends."""
    direction = ScanDirection.OUT if exit_ else ScanDirection.IN
    screen = Screen(cli_text(lang or settings().default_language), as_json)
    door = Door(gate, session_ref, direction, staff, conference)
    if offline_dir is None:
        shift = run(with_database(lambda factory: _online_kiosk(factory, screen, door)))
    else:
        if min(timeout, refresh_every, retry_every) <= 0:
            fail("--timeout, --refresh-every and --retry-every must be positive")
        shift = run(_offline_kiosk(screen, door, Offline(offline_dir, timeout, refresh_every, retry_every)))
    screen.notes.print(escape(summary(screen.t, shift)), style="bold", highlight=False)
