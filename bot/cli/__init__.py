"""`confdesk`, the organiser's command line (Typer).

Commands that don't run the bot must not import aiogram (~5 s, ~170 MB): sub-apps import
it lazily inside the command that needs it. Nor does a command import the other commands'
modules: `main()` builds the app with only the command named on the command line
(`confdesk badges print` no longer loads the programme, reports and exports: ~1 s of
imports); `--help`, no command or an unknown one get the whole app (`app`, built on first
use).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from bot.cli import common
from bot.cli.helpfix import show_flags_without_placeholder

# (name, module, attribute, "group" or "command", help) in the order --help lists them
_COMMANDS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("db", "bot.cli.db", "app", "group", "Database schema."),
    ("program", "bot.cli.program", "app", "group", "Conference programme: load and show."),
    ("participants", "bot.cli.participants", "app", "group", "Participants: import, personal links, decisions."),
    ("staff", "bot.cli.staff", "app", "group", "Staff roles: admins, accreditation officers, door staff."),
    ("badges", "bot.cli.badges", "app", "group", "Badges: print PDFs, reissue, links."),
    ("scan", "bot.cli.scan", "scan_command", "command", None),
    ("kiosk", "bot.cli.kiosk", "app", "group", "A kiosk's local copy and journal (scan --offline-dir): status, wipe."),
    ("run", "bot.cli.run", "run_command", "command", None),
    ("demo", "bot.cli.demo", "demo_command", "command", None),
    ("report", "bot.cli.report", "app", "group", "Reports: attendance by delegation, category, session, day."),
    (
        "export",
        "bot.cli.export",
        "app",
        "group",
        "Exports for spreadsheets: registrations, scans, attendance (CSV, XLSX).",
    ),
    ("audit", "bot.cli.audit", "audit_command", "command", None),
    ("webhook", "bot.cli.run", "webhook_app", "group", "Webhook registration with Telegram: set, delete, info."),
)


class _InTableOrder(TyperGroup):
    """Lists the commands in `_COMMANDS` order (Typer would put lone commands before groups)."""

    def list_commands(self, ctx: Any) -> list[str]:
        order = {c[0]: n for n, c in enumerate(_COMMANDS)}
        return sorted(super().list_commands(ctx), key=lambda name: order.get(name, len(order)))


def build_app(only: str | None = None) -> typer.Typer:
    """The command line; `only`: just that command (the others' modules are not imported)."""
    show_flags_without_placeholder()
    app = typer.Typer(
        name="confdesk",
        cls=_InTableOrder,
        help="Accreditation, agenda, QR badges and check-in for conferences.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name, module, attr, kind, help_text in _COMMANDS:
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(module), attr)
        if kind == "group":
            app.add_typer(target, name=name, help=help_text)
        else:
            app.command(name)(target)
            if only is not None:  # one command alone would become the app itself: keep `confdesk NAME`
                app.callback()(_group)
    return app


def _group() -> None:
    """Accreditation, agenda, QR badges and check-in for conferences."""


_full: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    global _full
    if name == "app":
        if _full is None:
            _full = build_app()
        return _full
    raise AttributeError(name)


def main() -> None:
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    known = {c[0] for c in _COMMANDS}
    common.run_app(build_app(wanted) if wanted in known else build_app())
