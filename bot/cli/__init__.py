"""`confdesk`, the organiser's command line (Typer).

Commands that don't run the bot must not import aiogram (~5 s, ~170 MB): sub-apps import
it lazily inside the command that needs it.
"""

from __future__ import annotations

import typer

from bot.cli import common
from bot.cli.audit import audit_command
from bot.cli.badges import app as badges_app
from bot.cli.db import app as db_app
from bot.cli.demo import demo_command
from bot.cli.export import app as export_app
from bot.cli.helpfix import show_flags_without_placeholder
from bot.cli.kiosk import app as kiosk_app
from bot.cli.participants import app as participants_app
from bot.cli.program import app as program_app
from bot.cli.report import app as report_app
from bot.cli.run import run_command, webhook_app
from bot.cli.scan import scan_command
from bot.cli.staff import app as staff_app

show_flags_without_placeholder()
app = typer.Typer(
    name="confdesk",
    help="Accreditation, agenda, QR badges and check-in for conferences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db", help="Database schema.")
app.add_typer(program_app, name="program", help="Conference programme: load and show.")
app.add_typer(participants_app, name="participants", help="Participants: import, personal links, decisions.")
app.add_typer(staff_app, name="staff", help="Staff roles: admins, accreditation officers, door staff.")
app.add_typer(badges_app, name="badges", help="Badges: print PDFs, reissue, links.")
app.command("scan")(scan_command)
app.add_typer(kiosk_app, name="kiosk", help="A kiosk's local copy and journal (scan --offline-dir): status, wipe.")
app.command("run")(run_command)
app.command("demo")(demo_command)
app.add_typer(report_app, name="report", help="Reports: attendance by delegation, category, session, day.")
app.add_typer(export_app, name="export", help="Exports for spreadsheets: registrations, scans, attendance (CSV, XLSX).")
app.command("audit")(audit_command)
app.add_typer(webhook_app, name="webhook", help="Webhook registration with Telegram: set, delete, info.")


def main() -> None:
    common.run_app(app)
