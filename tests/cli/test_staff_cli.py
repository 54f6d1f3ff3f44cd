import asyncio
from datetime import date

import pytest
from typer.testing import CliRunner

from bot.cli.staff import app
from core.config import get_settings
from core.db import make_engine, make_session_factory
from tests.factories import make_conference

runner = CliRunner()


@pytest.fixture
def cli_env(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("BOT_USERNAME", "CONFERENCE", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


async def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            await make_conference(session, "minsk-2023", first_day=date(2023, 10, 26), last_day=date(2023, 10, 27))
            await make_conference(session)
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture
def seeded(cli_env):
    asyncio.run(_seed(cli_env))
    return cli_env


def test_add_list_remove(seeded):
    added = runner.invoke(app, ["add", "123456789", "--role", "door"])
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "minsk-2024: 123456789 is now door"
    assert runner.invoke(app, ["add", "123456789", "--role", "Accreditation"]).exit_code == 0
    assert runner.invoke(app, ["add", "555", "--role", "admin", "--conference", "minsk-2023"]).exit_code == 0
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0
    assert "123456789" in listed.stdout and "accreditation" in listed.stdout and "door" in listed.stdout
    assert "555" not in listed.stdout  # another conference
    assert "555" in runner.invoke(app, ["list", "--conference", "minsk-2023"]).stdout
    removed = runner.invoke(app, ["remove", "123456789", "--role", "door"])
    assert removed.exit_code == 0 and "removed the door role from 123456789" in removed.stdout
    removed_all = runner.invoke(app, ["remove", "123456789"])
    assert removed_all.exit_code == 0 and "removed 1 role from 123456789" in removed_all.stdout
    assert "no staff yet" in runner.invoke(app, ["list"]).stdout


def test_clear_one_line_errors(seeded):
    assert runner.invoke(app, ["add", "42", "--role", "admin"]).exit_code == 0
    cases = {
        ("add", "42", "--role", "admin"): "error: 42 already has the admin role",
        ("add", "42", "--role", "chef"): "error: unknown role 'chef' (expected admin, accreditation, door)",
        ("add", "forty-two", "--role", "door"): "error: Telegram id: not a number: 'forty-two'",
        ("add", "0", "--role", "door"): "error: Telegram id: must be a positive number below 2^63, got 0",
        ("remove", "77"): "error: 77 has no such staff role",
        ("remove", "42", "--role", "door"): "error: 42 has no such staff role",
        ("list", "--conference", "nowhere"): "error: no conference 'nowhere' (load one with `confdesk program load`)",
    }
    for args, message in cases.items():
        result = runner.invoke(app, list(args))
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.strip() == message, args
        assert "Traceback" not in result.output


def test_admin_ids_are_listed(seeded, monkeypatch):
    monkeypatch.setenv("ADMIN_IDS", "1001, 1002")
    get_settings.cache_clear()
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0 and "1001" in listed.stdout and "ADMIN_IDS" in listed.stdout


def test_no_conference(cli_env):
    result = runner.invoke(app, ["add", "42", "--role", "door"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no conference loaded yet (use `confdesk program load FILE.yaml`)"
