import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.participants import app
from core.conferences import current_conference
from core.config import get_settings
from core.db import make_engine, make_session_factory
from core.models import AppSetting, AuditLog, Participant, Registration
from tests.factories import make_conference, make_delegation

GOOD = (
    "name;native_name;delegation;category;telegram_id;email;status\r\n"
    "Liu Wenjun;刘文军;CN;head_of_delegation;;protocol.cn@example.org;approved\r\n"
    "Milica Jovanović;Милица Јовановић;RS;delegate;5208841173;;\r\n"
    "Ahmad Al-Khatib;أحمد الخطيب;SY;expert;;;\r\n"
)
runner = CliRunner()


@pytest.fixture
def cli_env(database_url, tmp_path, monkeypatch):
    """The CLI's settings point at this test's database; no .env, no bot username."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "250")
    for name in ("BOT_USERNAME", "CONFERENCE", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


async def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            conf = await make_conference(session)
            for code in ("CN", "RS", "SY"):
                await make_delegation(session, conf, code)
            await session.commit()
    finally:
        await engine.dispose()


async def _scalar(url: str, query):
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            return (await session.execute(query)).scalar()
    finally:
        await engine.dispose()


async def _add_setting(url: str, key: str, value: str) -> None:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            session.add(AppSetting(key=key, value=value))
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture
def seeded(cli_env):
    asyncio.run(_seed(cli_env))
    return cli_env


def write(tmp_path: Path, text: str, name: str = "people.csv", encoding: str = "utf-8-sig") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def count(url: str, model) -> int:
    return asyncio.run(_scalar(url, select(func.count()).select_from(model)))


def test_import_then_reimport(seeded, tmp_path):
    file = write(tmp_path, GOOD)
    result = runner.invoke(app, ["import", file])
    assert result.exit_code == 0, result.output
    assert "minsk-2024: 3 created, 0 updated, 0 unchanged" in result.stdout
    assert "2 of them have no Telegram account yet" in result.stdout
    again = runner.invoke(app, ["import", file, "--conference", "minsk-2024"])
    assert again.exit_code == 0, again.output
    assert "minsk-2024: 0 created, 0 updated, 3 unchanged" in again.stdout
    assert count(seeded, Participant) == 3 and count(seeded, Registration) == 3


def test_dry_run_writes_nothing(seeded, tmp_path):
    result = runner.invoke(app, ["import", write(tmp_path, GOOD), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run — nothing written; minsk-2024: 3 would be created" in result.stdout
    assert "Liu Wenjun" in result.stdout
    assert count(seeded, Participant) == 0


def test_bad_file_lists_every_problem_and_exits_1(seeded, tmp_path):
    bad = 'name,category,telegram_id,emial\nAnna Smith,delegate,12ab,\n"Bob, Rob, Robert",boss,,\n'
    result = runner.invoke(app, ["import", write(tmp_path, bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("unknown column 'emial' (did you mean 'email'?")
    assert "row 2: telegram_id: not a number" in lines
    assert "row 3: name: at most one comma, as in 'Surname, Given names'" in lines
    assert any(line.startswith("row 3: category: unknown 'boss'") for line in lines)
    assert lines[-1] == "error: 4 problems found; nothing was imported"
    assert count(seeded, Participant) == 0


def test_unreadable_inputs_are_one_line(seeded, tmp_path):
    missing = runner.invoke(app, ["import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and missing.stderr.strip().endswith("nope.csv: no such file")
    xls = runner.invoke(app, ["import", write(tmp_path, "x", name="old.xls")])
    assert xls.exit_code == 1 and "old Excel .xls files are not supported" in xls.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    result = runner.invoke(app, ["import", str(broken)])
    assert result.exit_code == 1 and "not a readable XLSX workbook" in result.stderr
    for r in (missing, xls, result):
        assert "Traceback" not in r.output and len(r.stderr.strip().splitlines()) <= 2


def test_no_conference_loaded(cli_env, tmp_path):
    result = runner.invoke(app, ["import", write(tmp_path, GOOD)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no conference loaded yet (use `confdesk program load FILE.yaml`)"
    other = runner.invoke(app, ["list", "--conference", "nowhere"])
    assert other.exit_code == 1 and "no conference 'nowhere'" in other.stderr


def test_links_need_the_bot_username(seeded, tmp_path, monkeypatch):
    assert runner.invoke(app, ["import", write(tmp_path, GOOD)]).exit_code == 0
    refused = runner.invoke(app, ["links"])
    assert refused.exit_code == 1
    assert refused.stderr.strip() == "error: the bot's username is not known: run the bot once or set BOT_USERNAME"
    monkeypatch.setenv("BOT_USERNAME", "@confdesk_bot")
    get_settings.cache_clear()
    table = runner.invoke(app, ["links"])
    assert table.exit_code == 0, table.output
    assert table.stdout.count("https://t.me/confdesk_bot?start=bind_") == 2
    assert "Liu Wenjun" in table.stdout and "Milica" not in table.stdout
    as_csv = runner.invoke(app, ["links", "--format", "csv"])
    rows = as_csv.stdout.splitlines()
    assert rows[0] == "registration_id,name,native_name,delegation,category,status,email,link"
    assert len(rows) == 3 and all(",https://t.me/confdesk_bot?start=bind_" in r for r in rows[1:])
    out = tmp_path / "links.csv"
    written = runner.invoke(app, ["links", "--format", "csv", "--out", str(out)])
    assert written.exit_code == 0 and out.read_text(encoding="utf-8").splitlines() == rows
    bad = runner.invoke(app, ["links", "--format", "pdf"])
    assert bad.exit_code == 2 and "'pdf' is not one of 'text', 'csv', 'json'" in " ".join(bad.stderr.split())


def test_links_use_the_username_the_bot_stored(seeded, tmp_path):
    assert runner.invoke(app, ["import", write(tmp_path, GOOD)]).exit_code == 0
    asyncio.run(_add_setting(seeded, "bot_username", "stored_bot"))
    result = runner.invoke(app, ["links", "--format", "csv"])
    assert result.exit_code == 0 and result.stdout.count("https://t.me/stored_bot?start=bind_") == 2


def test_list_approve_reject(seeded, tmp_path):
    assert runner.invoke(app, ["import", write(tmp_path, GOOD)]).exit_code == 0
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0, listed.output
    assert "minsk-2024: 3 registration(s)" in listed.stdout and "Милица Јовановић" in listed.stdout
    pending = runner.invoke(app, ["list", "--status", "pending", "--delegation", "rs"])
    assert "Milica" in pending.stdout and "Liu Wenjun" not in pending.stdout
    reg_id = asyncio.run(
        _scalar(seeded, select(Registration.id).join(Participant).where(Participant.full_name == "Ahmad Al-Khatib"))
    )
    approved = runner.invoke(app, ["approve", str(reg_id)])
    assert approved.exit_code == 0 and f"registration {reg_id} (Ahmad Al-Khatib, SY) approved" in approved.stdout
    twice = runner.invoke(app, ["approve", str(reg_id)])
    assert twice.exit_code == 1 and twice.stderr.strip().startswith("error: already approved by cli at ")
    rejected = runner.invoke(app, ["reject", str(reg_id), "--reason", "duplicate"])
    assert rejected.exit_code == 0 and "rejected" in rejected.stdout
    actors = asyncio.run(
        _scalar(
            seeded,
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.actor == "cli", AuditLog.action.in_(["registration.approve", "registration.reject"])),
        )
    )
    assert actors == 3  # the import's approval of Liu Wenjun, then these two
    assert runner.invoke(app, ["list", "--status", "maybe"]).exit_code == 1
    assert (
        runner.invoke(app, ["list", "--delegation", "XX"]).stderr.strip() == "error: no delegation 'XX' in minsk-2024"
    )
    missing = runner.invoke(app, ["approve", "999"])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    nan = runner.invoke(app, ["approve", "abc"])
    assert nan.exit_code == 1 and nan.stderr.strip() == "error: registration id: not a number: 'abc'"


def test_cli_modules_do_not_import_aiogram():
    code = "import bot.cli, bot.cli.participants, bot.cli.staff"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    assert "aiogram" not in proc.stderr


def test_import_a_protocol_list_workbook(seeded, tmp_path):
    """The example workbook: a cover sheet, Russian headers, mononyms; what is left out is
    printed, and --sheet names the sheet."""
    example = str(Path(__file__).resolve().parents[2] / "examples" / "protocol-list-ru.xlsx")
    asyncio.run(_seed_more(seeded))
    result = runner.invoke(app, ["import", example, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "warning: read sheet 'Список'; not read: sheet 'Титульный лист'" in result.stdout
    assert "warning: column I 'Телефон' not imported (phone numbers are not stored; 2 value(s))" in result.stdout
    assert "minsk-2024: 6 would be created" in result.stdout and "Sukarno" in result.stdout
    cover = runner.invoke(app, ["import", example, "--sheet", "1"])
    assert cover.exit_code == 1
    assert "missing column 'name'" in cover.stderr
    assert "error: 3 problems found in sheet 'Титульный лист'; nothing was imported" in cover.stderr
    missing = runner.invoke(app, ["import", example, "--sheet", "People"])
    assert missing.exit_code == 1
    assert "no sheet 'People' (the sheets are 1 'Титульный лист', 2 'Список')" in missing.stderr
    assert runner.invoke(app, ["import", example, "--sheet", "список"]).exit_code == 0
    assert count(seeded, Participant) == 6


async def _seed_more(url: str) -> None:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            conf = await current_conference(session, None)
            for code, name in (("ID", "Индонезия"), ("MM", "Мьянма"), ("RU", "Россия"), ("BY", "Беларусь")):
                await make_delegation(session, conf, code, name={"ru": name})
            await session.commit()
    finally:
        await engine.dispose()
