"""`confdesk NAME ...` builds the app with that command only (no other command's imports),
and a lone command (not a group) still runs as `confdesk NAME`."""

import subprocess
import sys

CODE = "import sys; from bot.cli import main; main()"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CODE, *args], capture_output=True, text=True, timeout=120)


def test_a_lone_command_keeps_its_name():
    got = _run("scan", "--help")
    assert got.returncode == 0, got.stderr
    assert "--gate" in got.stdout


def test_badges_does_not_import_the_other_commands():
    probe = (
        "import sys; from bot.cli import build_app; build_app('badges');"
        "print(sorted(m for m in ('bot.cli.program', 'bot.cli.report', 'bot.cli.export', 'aiogram')"
        " if m in sys.modules))"
    )
    got = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == "[]"


def test_help_lists_every_command():
    got = _run("--help")
    assert got.returncode == 0, got.stderr
    # in the order of the work (set-up, badges, doors, the bot, reports), groups and lone
    # commands mixed as the table puts them
    panel = got.stdout.split("Commands", 1)[1].splitlines()
    listed = [line.split()[1] for line in panel if line.startswith("│ ") and line[2] != " "]
    assert listed == [
        "db", "program", "participants", "staff", "badges", "scan", "kiosk",
        "run", "demo", "report", "export", "audit", "webhook",
    ]  # fmt: skip
