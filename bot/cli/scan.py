"""`confdesk scan`: a check-in kiosk on stdin (a USB scanner types the code and Enter).

Register with `app.command("scan")(scan_command)`. Never imports aiogram.
"""

from __future__ import annotations

import json
import sys
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import console, err_console, run, settings, with_database
from core.models import ScanDirection, ScanResult, pick

STYLE = {
    ScanResult.OK: ("bold green", "OK"),
    ScanResult.DUPLICATE: ("bold yellow", "DUPLICATE"),
    ScanResult.INVALID: ("bold red", "INVALID"),
    ScanResult.REVOKED: ("bold red", "REVOKED"),
    ScanResult.NOT_APPROVED: ("bold red", "NOT APPROVED"),
    ScanResult.NOT_ALLOWED: ("bold magenta", "NOT ALLOWED"),
}


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
            count = 0
            while True:
                raw = sys.stdin.readline()
                if not raw:
                    break
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
                except (DomainError, Exception) as exc:  # one bad line never ends the kiosk
                    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                    if as_json:
                        typer.echo(json.dumps({"result": "error", "error": message}))
                    else:
                        console.print(f"[bold red]ERROR[/]  {escape(message)}", highlight=False)
                    continue
                if as_json:
                    typer.echo(json.dumps(verdict.as_dict(), ensure_ascii=False))
                else:
                    console.print(_line(verdict, zone), highlight=False, soft_wrap=True)
                sys.stdout.flush()
            return count

    run(with_database(work))
