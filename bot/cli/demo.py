"""`confdesk demo`: the offline demo (no token, no network)."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import console, fail, run

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
    for what, n in result.counts.items():
        console.print(f"  {what}: {n}")
    console.print(f"Done in {result.seconds:.1f} s.")
    console.print(f"Badges (PDF): [bold]{result.pdf}[/]")
    console.print(f"Database:     [bold]{result.database}[/]")
    console.print(f"Try: DATABASE_URL=sqlite+aiosqlite:///{result.database} confdesk report attendance --by session")
