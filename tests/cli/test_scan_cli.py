import asyncio
import io
import json
import subprocess
import sys

from rich.console import Console

from core.badges import badge_link, make_token
from core.models import Category
from tests.cli.test_badges_cli import BOT, SECRET, _db, cli, runner
from tests.cli.test_badges_cli import cli_env as cli_env
from tests.factories import make_conference, make_item, make_participant, make_registration


def seed(url):
    async def fn(s):
        conf = await make_conference(s)
        p = await make_participant(s, full_name="Sergey Lavrov", native_name="Сергей Лавров")
        r = await make_registration(s, conf, p, category=Category.HEAD)
        hall = await make_item(s, conf, "hall", allowed=["press"])
        return r.id, hall.id

    return asyncio.run(_db(url, fn))


def link(reg_id, version=1):
    return badge_link(BOT, make_token(SECRET.encode(), reg_id, version))


def test_kiosk_json(cli_env):
    reg_id, _ = seed(cli_env)
    token = make_token(SECRET.encode(), reg_id, 1)
    stdin = f"\n{link(reg_id)}\r\n\n  b_{token}  \nnot-a-badge\n{token}"
    res = runner.invoke(cli, ["scan", "--gate", "North", "--staff", "4242", "--json"], input=stdin)
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["result"] for r in rows] == ["ok", "duplicate", "invalid", "duplicate"]
    assert rows[0]["registration_id"] == reg_id and rows[0]["name"] == "Sergey Lavrov"
    assert rows[0]["at"] and rows[1]["already_by"] == 4242
    assert rows[2]["registration_id"] is None


def test_kiosk_text_exit_and_session(cli_env):
    reg_id, hall_id = seed(cli_env)
    res = runner.invoke(cli, ["scan", "--gate", "Main"], input=link(reg_id) + "\n" + link(reg_id) + "\ngarbage\n")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()  # piped: one line per scan, in words; nothing internal
    assert [line.split("·")[0].strip() for line in lines] == ["✅ WELCOME", "⚠️ ALREADY INSIDE", "❌ NOT A VALID BADGE"]
    assert "Сергей Лавров" in lines[0] and "Head of delegation" in lines[0] and "no delegation" in lines[0]
    assert "Inside since" in lines[1] and "The code could not be read" in lines[2]
    assert "head_of_delegation" not in res.stdout and "unreadable" not in res.stdout
    assert "3 scan(s): 1 admitted, 1 already inside, 1 refused." in res.stderr
    assert "Traceback" not in res.output
    res = runner.invoke(cli, ["scan", "--gate", "Main", "--exit"], input=link(reg_id) + "\n")
    assert res.stdout.startswith("✅ GOODBYE") and "minsk-2024 · gate Main · venue entrance · exit" in res.stderr
    res = runner.invoke(cli, ["scan", "--gate", "Hall", "--session", str(hall_id)], input=link(reg_id) + "\n")
    assert res.stdout.startswith("⛔ NOT ADMITTED HERE") and "not open to this category" in res.stdout
    res = runner.invoke(cli, ["scan", "--gate", "Hall", "--session", "9999"], input="x\n")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "no agenda item '9999' in minsk-2024; codes: hall" in res.output


def test_scan_module_does_not_import_aiogram():
    code = "import sys, bot.cli.scan, bot.cli.badges; print('aiogram' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_kiosk_session_by_code_and_its_title_on_the_banner(cli_env):
    reg_id, hall_id = seed(cli_env)
    for ref in ("hall", "HALL", str(hall_id)):
        res = runner.invoke(cli, ["scan", "--gate", "Hall", "--session", ref], input=link(reg_id) + "\n")
        assert res.exit_code == 0, res.output
        assert "NOT ADMITTED HERE" in res.stdout  # the hall admits press only: the item was found
        assert "gate Hall · hall: Item hall · entry" in " ".join(res.stderr.split())
    res = runner.invoke(cli, ["scan", "--gate", "Hall", "--session", "high-level"], input="x\n")
    assert res.exit_code == 1 and "Input should be" not in res.output
    assert "no agenda item 'high-level' in minsk-2024; codes: hall" in res.output


def test_kiosk_warns_outside_the_conference_days_and_draws_a_big_screen(cli_env, monkeypatch):
    """Scanning in 2026 for a 2024 conference is said at once; on a terminal each verdict
    clears the screen and is drawn as a block, with a running count and the next prompt."""
    from bot.cli import common

    reg_id, _ = seed(cli_env)
    res = runner.invoke(cli, ["scan", "--gate", "Main", "--json"], input=link(reg_id) + "\n")
    assert "is not a day of this conference" in res.stderr
    assert json.loads(res.stdout)["outside_dates"] is True
    terminal = Console(force_terminal=True, width=100, file=io.StringIO(), color_system=None)
    monkeypatch.setattr(common, "console", terminal)
    monkeypatch.setattr("bot.cli.scan.console", terminal)
    twice = link(reg_id) + "\n" + link(reg_id) + "\n"
    res = runner.invoke(cli, ["scan", "--gate", "Main", "--lang", "ru"], input=twice)
    assert res.exit_code == 0, res.output
    screen = terminal.file.getvalue()
    assert screen.count("\x1b[2J") == 2  # cleared for each badge
    last = screen.rsplit("\x1b[2J", 1)[1]
    assert "УЖЕ ВНУТРИ" in last and "Sergey Lavrov" in last and "Глава делегации" in last
    assert "Сканирований: 2: пропущено 0, уже внутри 2, отказано 0." in last  # the --json scan let them in
    assert "Следующий бейдж" in last and "не день этой конференции" in last


def test_kiosk_with_an_offline_dir_says_offline_and_starts_from_its_copy(cli_env, tmp_path):
    """Central gone (the SQLite file moved away): the verdict is marked OFFLINE in every mode,
    and a kiosk started meanwhile judges from the copy in its folder; without one it says why."""
    from pathlib import Path

    import pytest

    if not cli_env.startswith("sqlite"):
        pytest.skip("the PostgreSQL outage is tests/cli/test_offline_kiosk.py's (through a proxy)")
    reg_id, _ = seed(cli_env)
    args = ["scan", "--gate", "North", "--offline-dir", str(tmp_path / "k"), "--timeout", "5"]
    res = runner.invoke(cli, [*args, "--json"], input=link(reg_id) + "\n")
    assert res.exit_code == 0 and json.loads(res.stdout)["offline"] is False, res.output
    db = Path(cli_env.split("///", 1)[1])
    db.rename(db.with_suffix(".away"))
    res = runner.invoke(cli, [*args, "--json"], input=link(reg_id) + "\nnot-a-badge\n")
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(r["result"], r["offline"]) for r in rows] == [("duplicate", True), ("invalid", True)]
    assert "OFFLINE: the central database does not answer" in res.stderr
    assert "2 scan(s) wait in the journal" in res.stderr
    res = runner.invoke(cli, [*args, "--exit"], input=link(reg_id) + "\n")
    assert res.stdout.startswith("OFFLINE (judged from this kiosk's copy)  ·  ✅ GOODBYE"), res.output
    res = runner.invoke(cli, [*args[:3], "--offline-dir", str(tmp_path / "empty")], input=link(reg_id) + "\n")
    assert res.exit_code == 1 and "no local copy in" in res.output and "Traceback" not in res.output
