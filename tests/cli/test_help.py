"""`--help` of every command: flags are flags (no value placeholder after them)."""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def _commands(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, [*path, name])
    return found


def test_every_help_shows_flags_without_a_value_placeholder(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    commands = _commands(typer.main.get_command(app), [])
    assert len(commands) > 25
    flags = []
    for path, command in commands:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output and "BOOLEAN" not in result.output, (path, result.output)
        for param in command.params:
            if getattr(param, "is_flag", False):
                flags.append(param.opts[-1])
                assert param.opts[-1] in result.output
    assert {"--json", "--dry-run", "--exit", "--only-new", "--webhook"} <= set(flags)


def test_flags_take_no_value():
    result = runner.invoke(app, ["audit", "--json", "yes"])
    assert result.exit_code == 2 and "unexpected extra argument" in " ".join(result.output.split()).lower()
