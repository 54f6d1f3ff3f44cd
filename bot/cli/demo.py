"""`confdesk demo`: the offline demo (no token, no network)."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli.common import console, fail, run

if TYPE_CHECKING:
    from bot.demo import DemoResult

DEFAULT_PROGRAMME = Path(__file__).resolve().parents[2] / "examples" / "minsk-2024.yaml"


def demo_command(
    participants: int = typer.Option(600, "--participants", min=1, max=5000, help="How many simulated people sign up."),
    workdir: Path = typer.Option(Path("confdesk-demo"), "--dir", help="Where the database and the PDF go."),
    programme: Path = typer.Option(DEFAULT_PROGRAMME, "--programme", help="The conference file to load."),
) -> None:
    """Run a whole conference offline: the bot, a crowd signing up, approvals, badges, scans, the report."""
    if not programme.is_file():
        fail(f"no programme file at {programme} (give one with --programme)")
    from bot.demo import prepare_workdir, run_demo  # imports aiogram: only for this command

    text = programme.read_text(encoding="utf-8")
    folder = workdir.resolve()
    prepare_workdir(folder)
    try:
        result = run(run_demo(folder, participants, text, str(programme), console))
    except (AssertionError, TimeoutError, RuntimeError) as exc:  # a simulated user got an unexpected answer
        fail(f"the demo stopped: {str(exc).splitlines()[0][:300]}")
    print_summary(result)


def print_summary(result: DemoResult) -> None:
    """What the database holds after the demo, counted from it (the same figures the reports
    give), then where the files are and commands to look further."""
    tally = result.tally
    assert tally is not None
    in_bot = tally.registered - tally.from_programme
    scans = tally.scans
    not_ok = sum(n for kind, n in scans.items() if kind != "ok")
    lines = [
        f"registered: {tally.registered} ({in_bot} through the bot, {tally.from_programme} from the programme file)",
        f"approved: {tally.approved}; badges printed: {tally.badges_printed}",
        f"discussion sign-ups: {tally.confirmed_signups} with a seat, {tally.waitlisted} on waiting lists",
        f"scans: {scans.get('ok', 0)} ok, {not_ok} refused ({scans.get('duplicate', 0)} already inside, "
        f"{not_ok - scans.get('duplicate', 0)} invalid or not accredited)",
    ]
    lines += [f"{d.day:%a %d %b}: {d.present} present, {d.entries} entries, {d.refused} refused" for d in result.days]
    for line in lines:
        console.print(f"  {line}", highlight=False)
    console.print(f"Done in {result.seconds:.1f} s.")
    console.print(f"Badges (PDF): [bold]{result.pdf}[/]", highlight=False)
    console.print(f"Database:     [bold]{result.database}[/]", highlight=False)
    command = _this_command()
    url = shlex.quote(f"sqlite+aiosqlite:///{result.database}")
    console.print("Try:", highlight=False)
    for args in ("report attendance --by day", "report attendance --by session", "program show"):
        console.print(f"  DATABASE_URL={url} {command} {args}", highlight=False, soft_wrap=True)


def _this_command() -> str:
    """How the user started us, so that the hint works as typed (`.venv/bin/confdesk` after
    the README's install, where a bare `confdesk` is not on PATH)."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else "confdesk"
    if os.sep in argv0 and Path(argv0).name == "confdesk":
        return shlex.quote(argv0)
    found = shutil.which("confdesk")
    if found is not None:
        return "confdesk"
    return shlex.quote(str(Path(sys.executable).with_name("confdesk")))
