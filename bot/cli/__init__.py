"""`confdesk`, the organiser's command line (Typer).

Commands that don't run the bot must not import aiogram (~5 s, ~170 MB): sub-apps import
it lazily inside the command that needs it.
"""

from __future__ import annotations

import typer

from bot.cli import common
from bot.cli.db import app as db_app
from bot.cli.program import app as program_app

app = typer.Typer(
    name="confdesk",
    help="Accreditation, agenda, QR badges and check-in for conferences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db", help="Database schema.")
app.add_typer(program_app, name="program", help="Conference programme: load and show.")


def main() -> None:
    common.run_app(app)
