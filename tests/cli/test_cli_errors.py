"""Errors that say what to do: bad settings are refused before the database is touched,
database failures name DATABASE_URL, and commands that write nothing create nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from core.config import get_settings

MINSK_2024 = Path(__file__).resolve().parents[2] / "examples" / "minsk-2024.yaml"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "BOT_TOKEN", "CONFERENCE", "REDIS_URL", "WEBHOOK_URL", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def invoke(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize("args", [("run",), ("run", "--webhook"), ("webhook", "info")])
def test_malformed_bot_token_is_one_line_before_any_database(runner, monkeypatch, tmp_path, args) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, monkeypatch, {"BOT_TOKEN": "abc"}, *args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0] and "@BotFather" in lines[0], result.output
    assert "abc" not in lines[0]  # the value is never printed
    assert list(tmp_path.iterdir()) == []  # no confdesk.db: settings come first


def test_a_mistyped_sqlite_path_creates_nothing(runner, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'typo' / 'confdesk.db'}"
    for args in (("program", "list"), ("participants", "list"), ("report", "attendance"), ("audit",)):
        result = invoke(runner, monkeypatch, {"DATABASE_URL": url}, *args)
        assert result.exit_code == 1, result.output
        assert "DATABASE_URL" in result.output and "typo" in result.output, result.output
        assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_dry_run_on_a_new_database_writes_nothing(runner, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    result = invoke(runner, monkeypatch, {"DATABASE_URL": url}, "program", "load", "--dry-run", str(MINSK_2024))
    assert result.exit_code == 0, result.output
    assert "would create" in result.output
    assert list(tmp_path.iterdir()) == []
    loaded = invoke(runner, monkeypatch, {"DATABASE_URL": url}, "program", "load", str(MINSK_2024))
    assert loaded.exit_code == 0 and (tmp_path / "new.db").exists()


def test_an_unreachable_database_names_database_url_and_hides_the_password(runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = "postgresql+asyncpg://confdesk:s3cret@127.0.0.1:1/confdesk"  # nothing listens on port 1
    result = invoke(runner, monkeypatch, {"DATABASE_URL": url}, "program", "list")
    assert result.exit_code == 1
    line = result.output.strip()
    assert line.count("\n") == 0 and "DATABASE_URL" in line and "127.0.0.1:1" in line, line
    assert "s3cret" not in line


def test_a_database_upgraded_by_a_newer_confdesk_is_one_line(runner, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The code rolled back after an upgrade (or an older copy beside a newer one): Alembic
    would stop with a traceback ("Can't locate revision"); each command says what happened,
    in one line, and leaves the database as it was."""
    import sqlite3

    path = tmp_path / "confdesk.db"
    url = f"sqlite+aiosqlite:///{path}"
    assert invoke(runner, monkeypatch, {"DATABASE_URL": url}, "program", "load", str(MINSK_2024)).exit_code == 0
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    for args in (("db", "upgrade"), ("program", "list"), ("program", "load", str(MINSK_2024)), ("export", "scans",
                 "--out", str(tmp_path / "scans.csv"))):  # fmt: skip
        result = invoke(runner, monkeypatch, {"DATABASE_URL": url}, *args)
        assert result.exit_code == 1, (args, result.output)
        lines = result.output.strip().splitlines()
        assert "Traceback" not in result.output and "schema revision 9999" in lines[0], (args, result.output)
        assert "newer confdesk" in result.output, result.output
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999",)]
    assert not (tmp_path / "scans.csv").exists()
