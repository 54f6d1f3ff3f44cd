import asyncio
import json
import subprocess
import sys

from core.models import Category
from core.services.badges import badge_link, make_token
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
    out = res.stdout
    assert "OK" in out and "DUPLICATE" in out and "INVALID" in out and "Сергей Лавров" in out
    assert "Traceback" not in res.output
    res = runner.invoke(cli, ["scan", "--gate", "Main", "--exit"], input=link(reg_id) + "\n")
    assert "OK" in res.stdout and "exit" in res.stdout
    res = runner.invoke(cli, ["scan", "--gate", "Hall", "--session", str(hall_id)], input=link(reg_id) + "\n")
    assert "NOT ALLOWED" in res.stdout
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
        assert "NOT ALLOWED" in res.stdout  # the hall admits press only: the item was found
        assert "gate Hall, session hall: Item hall, entry" in " ".join(res.stderr.split())
    res = runner.invoke(cli, ["scan", "--gate", "Hall", "--session", "high-level"], input="x\n")
    assert res.exit_code == 1 and "Input should be" not in res.output
    assert "no agenda item 'high-level' in minsk-2024; codes: hall" in res.output
