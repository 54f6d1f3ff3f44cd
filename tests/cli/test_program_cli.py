"""`confdesk program load|show|list` against a temporary SQLite database."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from core.config import get_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINSK_2024 = EXAMPLES / "minsk-2024.yaml"
MINSK_2023 = EXAMPLES / "minsk-2023.yaml"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("CONFERENCE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def invoke(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_load_twice_then_show_and_list(runner: CliRunner):
    first = invoke(runner, "program", "load", str(MINSK_2024))
    assert first.exit_code == 0, first.output
    assert "minsk-2024: created with 46 delegations, 5 people, 14 agenda items" in first.output

    second = invoke(runner, "program", "load", str(MINSK_2024))
    assert second.exit_code == 0
    assert second.output.strip() == "minsk-2024: no changes"

    shown = invoke(runner, "program", "show")
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "Thursday, 31 October 2024" in out and "Friday, 1 November 2024" in out
    assert "10:00–13:00" in out  # local Minsk time, not 07:00 UTC
    assert "07:00" not in out
    assert "High-level session" in out and "Palace of Independence" in out
    assert "Aleksandr Lukashenko" in out and "Maxim Ryzhenkov (moderator)" in out
    assert "120 sign-up" in out

    ru = invoke(runner, "program", "show", "--conference", "minsk-2024", "--lang", "ru")
    assert ru.exit_code == 0
    assert "Дворец Независимости" in ru.output and "Сергей Лавров" in ru.output

    assert invoke(runner, "program", "load", str(MINSK_2023)).exit_code == 0
    listed = invoke(runner, "program", "list")
    assert listed.exit_code == 0
    assert "minsk-2023" in listed.output and "minsk-2024" in listed.output
    # The latest conference is the default for show.
    assert "II Minsk International Conference" in invoke(runner, "program", "show").output


def test_edit_reports_changes(runner: CliRunner, tmp_path: Path):
    assert invoke(runner, "program", "load", str(MINSK_2024)).exit_code == 0
    edited = tmp_path / "edited.yaml"
    text = MINSK_2024.read_text(encoding="utf-8")
    text = text.replace('start: "13:45"', 'start: "14:00"').replace("quota: 150", "quota: 160")
    edited.write_text(text, encoding="utf-8")

    dry = invoke(runner, "program", "load", "--dry-run", str(edited))
    assert dry.exit_code == 0
    assert "dry run" in dry.output
    result = invoke(runner, "program", "load", str(edited))
    assert result.exit_code == 0, result.output
    assert "changed delegation BY: quota" in result.output
    assert "changed agenda press-approach: start" in result.output
    assert "0 added, 2 changed, 0 removed" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("conference:\n  slug: x\n   edition: 1\n", "line 3, column 11: YAML syntax error"),
        (
            "conference:\n  slug: x\n  edition: 1\n  name: X\n  timezone: Mars/Base\n"
            "  first_day: 2024-01-01\n  last_day: 2024-01-02\n",
            "conference: timezone: unknown time zone 'Mars/Base'",
        ),
    ],
)
def test_broken_file_exits_1_with_one_line(runner: CliRunner, tmp_path: Path, text: str, expected: str):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["program", "load", str(bad)])
    assert result.exit_code == 1
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {bad}: ") and expected in lines[0]
    assert "Traceback" not in result.output


def test_missing_file_and_unknown_conference(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(app, ["program", "load", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {tmp_path / 'nope.yaml'}: no such file"
    assert runner.invoke(app, ["program", "load", str(MINSK_2024)]).exit_code == 0
    result = runner.invoke(app, ["program", "show", "--conference", "nope"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "nope" in result.output


def test_program_cli_does_not_import_aiogram():
    code = (
        "import sys, bot.cli, bot.cli.program; "
        "sys.exit(1 if any(m == 'aiogram' or m.startswith('aiogram.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_show_in_russian_translates_the_cli_words_too(runner: CliRunner):
    assert invoke(runner, "program", "load", str(MINSK_2024)).exit_code == 0
    ru = invoke(runner, "program", "show", "--lang", "ru").output
    for word in (
        "время местное (Europe/Minsk)",
        "Четверг, 31 октября 2024",
        "Пятница, 1 ноября 2024",
        "Время",
        "Код",
        "Название",
        "Зал",
        "Места",
        "Выступающие",
        "тематическая дискуссия",
        "120, по записи",
        "Максим Рыженков (модератор)",
        "31.10.2024–01.11.2024",
    ):
        assert word in ru, word
    for english in ("times in", "Thursday", "October", "Title", "Speakers", "sign-up", "(moderator)", "thematic"):
        assert english not in ru, english
    en = invoke(runner, "program", "show").output
    assert "times in Europe/Minsk" in en and "Title" in en and "thematic" in en and "Время" not in en
