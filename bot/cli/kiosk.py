"""What a kiosk shows: door staff read it from a metre away while the queue moves.

Three ways to show a verdict, chosen by `confdesk scan`:
- `screen` (stdout is a terminal): the screen is cleared for every badge and shows one big
  coloured block (✅ / ⚠️ / ❌ and the verdict in words), then the person's name, native
  name, delegation and category, the reason in words when it is not a plain welcome, and a
  running count; nothing internal ("head_of_delegation", "was_not_inside") is ever shown.
- `log` (stdout is a file or a pipe): one plain line per scan, in words, with the time
  (the banner and the count go to stderr, so the file holds only scans).
- `--json`: one JSON object per scan (see `Verdict.as_dict`), for other programs.
Every mode ends with a count of the shift (for --json on stderr, so stdout stays JSON).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.align import Align
from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from bot.cli.i18n import CliText, cli_text
from core.checkin import REASONS
from core.checkin.offline.status import kiosk_files, offline_state
from core.models import ScanDirection, ScanResult, pick

ICON = {
    ScanResult.OK: "✅",
    ScanResult.DUPLICATE: "⚠️",
    ScanResult.INVALID: "❌",
    ScanResult.REVOKED: "❌",
    ScanResult.NOT_APPROVED: "❌",
    ScanResult.NOT_ALLOWED: "⛔",
}
COLOUR = {
    ScanResult.OK: "black on green3",
    ScanResult.DUPLICATE: "black on yellow1",
    ScanResult.INVALID: "white on red3",
    ScanResult.REVOKED: "white on red3",
    ScanResult.NOT_APPROVED: "white on red3",
    ScanResult.NOT_ALLOWED: "white on magenta",
}


@dataclass
class Shift:
    """The kiosk's place and its running count."""

    conference: str
    gate: str
    place: str
    direction: ScanDirection
    zone: ZoneInfo
    first_day: date
    last_day: date
    counts: Counter[str] = field(default_factory=Counter)

    def count(self, result: ScanResult | None) -> None:
        """One scan's outcome; None: it could not be recorded (the database failed)."""
        self.counts["total"] += 1
        if result is None:
            self.counts["failed"] += 1
        elif result is ScanResult.OK:
            self.counts["ok"] += 1
        elif result is ScanResult.DUPLICATE:
            self.counts["duplicate"] += 1
        else:
            self.counts["refused"] += 1

    def outside_dates(self, now: datetime) -> date | None:
        """Today (in the conference's zone) when it is not one of the conference's days."""
        today = now.astimezone(self.zone).date()
        return None if self.first_day <= today <= self.last_day else today


def headline(t: CliText, verdict: Any) -> str:
    if verdict.result is ScanResult.OK and verdict.direction is ScanDirection.OUT:
        return t("kiosk-result-ok-out")
    return t(f"kiosk-result-{verdict.result.value}")


def reason(t: CliText, verdict: Any) -> str | None:
    """The reason in words, when there is more to say than the headline."""
    if verdict.result is ScanResult.DUPLICATE or not verdict.detail:
        return None
    detail = str(verdict.detail)
    return t(f"kiosk-why-{detail}") if detail in REASONS else None


def who(t: CliText, verdict: Any) -> list[str]:
    """Name (and native name), then delegation and category, in the kiosk's language."""
    if not verdict.name:
        return []
    name = verdict.name + (f"  ·  {verdict.native_name}" if verdict.native_name else "")
    delegation = pick(verdict.delegation, t.language) if verdict.delegation else t("kiosk-no-delegation")
    category = t(f"category-{verdict.category}") if verdict.category else ""
    return [name, "  ·  ".join(x for x in (delegation, category) if x)]


def already(t: CliText, verdict: Any, zone: ZoneInfo) -> str | None:
    if verdict.result is not ScanResult.DUPLICATE or verdict.already_at is None:
        return None
    since = verdict.already_at.astimezone(zone).strftime("%H:%M")
    return t("kiosk-already", since=since, gate=verdict.already_gate or "—")


def banner(t: CliText, shift: Shift) -> str:
    direction = t("kiosk-exit") if shift.direction is ScanDirection.OUT else t("kiosk-entry")
    return t("kiosk-banner", conference=shift.conference, gate=shift.gate, place=shift.place, direction=direction)


def summary(t: CliText, shift: Shift) -> str:
    c = shift.counts
    counted = {key: c[key] for key in ("total", "ok", "duplicate", "refused", "failed")}
    return t("kiosk-summary", **counted)


def show_error(console: Console, t: CliText, shift: Shift, message: str) -> None:
    """A scan that was not recorded, as big as a verdict: the person must be scanned again."""
    big = Text(f"\n❌  {message}\n", style="bold white on red3", justify="center")
    console.clear()
    block = Panel(big, style="white on red3", padding=(1, 2))
    console.print(Group(block, Text(""), Text(summary(t, shift), style="dim")))


def outside_warning(t: CliText, shift: Shift, today: date) -> str:
    return t("kiosk-outside-dates", today=t.date(today), first=t.date(shift.first_day), last=t.date(shift.last_day))


def show_screen(console: Console, t: CliText, shift: Shift, verdict: Any, now: datetime) -> None:
    """Clear the terminal and draw the verdict big, for the person at the door."""
    style = COLOUR[verdict.result]
    big = Text(f"\n{ICON[verdict.result]}  {headline(t, verdict)}\n", style=f"bold {style}", justify="center")
    lines: list[Any] = [Panel(big, style=style, padding=(1, 2))]
    if getattr(verdict, "offline", False):
        lines.insert(0, Text(t("kiosk-offline"), style="bold black on yellow1", justify="center"))
    for n, line in enumerate(who(t, verdict)):
        lines.append(Align.center(Text(line, style="bold" if n == 0 else "", overflow="fold")))
    for extra in (already(t, verdict, shift.zone), reason(t, verdict)):
        if extra:
            lines.append(Align.center(Text(extra, style="yellow", overflow="fold")))
    lines.append(Text(""))
    status = f"{banner(t, shift)}    {summary(t, shift)}"
    lines.append(Text(status, style="dim", overflow="fold"))
    today = shift.outside_dates(now)
    if today is not None:
        lines.append(Text(outside_warning(t, shift, today), style="bold red", overflow="fold"))
    lines.append(Text(t("kiosk-next"), style="dim"))
    console.clear()
    console.print(Group(*lines))


def log_line(t: CliText, shift: Shift, verdict: Any, now: datetime) -> str:
    """One plain line per scan for a log file: time, verdict and person in words."""
    parts = [f"{ICON[verdict.result]} {headline(t, verdict)}", now.astimezone(shift.zone).strftime("%H:%M:%S")]
    if getattr(verdict, "offline", False):
        parts.insert(0, t("kiosk-offline"))
    parts += who(t, verdict)
    parts += [x for x in (already(t, verdict, shift.zone), reason(t, verdict)) if x]
    return "  ·  ".join(parts)


# --- `confdesk kiosk status | wipe`: the local copy and journal of `scan --offline-dir` ---

app = typer.Typer(no_args_is_help=True)
DIR_OPTION = typer.Option(..., "--offline-dir", help="the kiosk's folder (as given to `confdesk scan`)")


def _age(seconds: float) -> str:
    minutes, secs = divmod(int(max(seconds, 0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@app.command("status")
def status_cmd(offline_dir: Path = DIR_OPTION, lang: str | None = typer.Option(None, "--lang")) -> None:
    """Age of the local copy, scans waiting to upload, last error."""
    from bot.cli.common import console, settings

    t = cli_text(lang or settings().default_language)
    state = offline_state(offline_dir)
    lines = [t("kiosk-status-no-copy", dir=str(offline_dir))]
    if state.taken_at is not None:
        age = _age((datetime.now(UTC) - state.taken_at).total_seconds())
        lines = [
            t("kiosk-status-copy", slug=state.slug or "?", age=age, at=state.taken_at.isoformat(timespec="seconds"))
        ]
    lines.append(t("kiosk-status-waiting", count=state.waiting))
    if state.mode:
        lines.append(t("kiosk-status-mode", mode=state.mode))
    lines.append(t("kiosk-status-error", error=state.last_error) if state.last_error else t("kiosk-status-no-error"))
    for line in lines:
        console.print(line, highlight=False, markup=False, soft_wrap=True)


@app.command("wipe")
def wipe_cmd(
    offline_dir: Path = DIR_OPTION,
    force: bool = typer.Option(False, "--force", help="delete even scans not uploaded yet"),
    lang: str | None = typer.Option(None, "--lang"),
) -> None:
    """Delete the local copy (personal data) and the journal."""
    from bot.cli.common import console, fail, settings

    t = cli_text(lang or settings().default_language)
    state = offline_state(offline_dir)
    if state.waiting and not force:
        fail(t("kiosk-wipe-refused", count=state.waiting, dir=str(offline_dir)))
    gone = [p for p in kiosk_files(offline_dir) if p.exists()]
    for path in gone:
        path.unlink()
    done = t("kiosk-wipe-done", dir=str(offline_dir)) if gone else t("kiosk-wipe-nothing", dir=str(offline_dir))
    console.print(done, markup=False)
