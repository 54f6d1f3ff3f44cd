import asyncio
import csv
import json
import subprocess
import sys
from datetime import UTC, datetime

import openpyxl
import typer
from typer.testing import CliRunner

from bot.cli.audit import audit_command
from bot.cli.export import app as export_app
from bot.cli.report import app as report_app
from core.models import AgendaKind, AuditLog, Category, Scan, ScanDirection, ScanResult
from tests.cli.test_badges_cli import _db
from tests.cli.test_badges_cli import cli_env as cli_env
from tests.factories import make_conference, make_delegation, make_item, make_participant, make_registration

cli = typer.Typer()
cli.add_typer(report_app, name="report")
cli.add_typer(export_app, name="export")
cli.command("audit")(audit_command)
runner = CliRunner()
MORNING = datetime(2024, 10, 31, 7, 0, tzinfo=UTC)  # 10:00 in Minsk


def seed(url):
    async def fn(s):
        conf = await make_conference(s)
        hu = await make_delegation(s, conf, "HU", name={"en": "Hungary", "ru": "Венгрия"})
        by = await make_delegation(s, conf, "BY", name={"en": "Belarus", "ru": "Беларусь"})
        hl = await make_item(s, conf, "hl", kind=AgendaKind.HIGH_LEVEL, start=MORNING, signup_open=False)
        regs = []
        for name, native, d in [
            ("Péter Szijjártó", "Сийярто Петер", hu),
            ("Sergey Lavrov", "Сергей Лавров", by),
            ("@evil", "=cmd|' /C calc'!A0", by),
        ]:
            p = await make_participant(s, full_name=name, native_name=native)
            regs.append(await make_registration(s, conf, p, delegation=d, category=Category.HEAD))
        for reg, item in ((regs[0], None), (regs[0], hl.id), (regs[1], None)):
            s.add(
                Scan(
                    conference_id=conf.id,
                    registration_id=reg.id,
                    agenda_item_id=item,
                    direction=ScanDirection.IN,
                    result=ScanResult.OK,
                    scanned_at=MORNING,
                    gate="Main",
                )
            )
        s.add(
            AuditLog(
                at=MORNING,
                conference_id=conf.id,
                actor="tg:9000",
                actor_telegram_id=9000,
                action="registration.approve",
                entity="registration",
                entity_id=regs[0].id,
            )
        )
        s.add(
            AuditLog(
                at=MORNING,
                conference_id=conf.id,
                actor="tg:9000",
                action="broadcast.send",
                entity="broadcast",
                details={"recipients": 3},
            )
        )
        return [r.id for r in regs]

    return asyncio.run(_db(url, fn))


def test_report_attendance_json_and_tables(cli_env):
    seed(cli_env)
    res = runner.invoke(cli, ["report", "attendance", "--day", "2024-10-31", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["summary"]["checked_in"] == 2 and data["summary"]["approved"] == 3
    d = data["delegations"]
    assert (d["delegations_at_high_level"], d["delegations"]) == (1, 2)
    res = runner.invoke(cli, ["report", "attendance", "--day", "2024-10-31"])
    assert res.exit_code == 0 and "high-level session: 1 of 2" in res.stdout and "Hungary" in res.stdout
    for by, expect in (("category", "head_of"), ("session", "hl"), ("day", "2024-11-01")):
        res = runner.invoke(cli, ["report", "attendance", "--day", "2024-10-31", "--by", by])
        assert res.exit_code == 0 and expect in res.stdout, res.output
    res = runner.invoke(cli, ["report", "attendance", "--by", "weather"])
    assert res.exit_code == 1 and "unknown --by" in res.output
    res = runner.invoke(cli, ["report", "attendance", "--day", "31.10.2024"])
    assert res.exit_code == 1 and "YYYY-MM-DD" in res.output


def test_exports_open_back(cli_env, tmp_path):
    ids = seed(cli_env)
    out = tmp_path / "regs.csv"
    res = runner.invoke(cli, ["export", "registrations", "--format", "csv", "--out", str(out)])
    assert res.exit_code == 0 and "3 row(s)" in res.stdout, res.output
    assert out.read_bytes()[:3] == b"\xef\xbb\xbf"
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["full_name"] for r in rows] == ["Péter Szijjártó", "Sergey Lavrov", "'@evil"]
    assert rows[1]["native_name"] == "Сергей Лавров" and rows[2]["native_name"] == "'=cmd|' /C calc'!A0"
    xlsx = tmp_path / "scans.xlsx"
    res = runner.invoke(cli, ["export", "scans", "--format", "xlsx", "--out", str(xlsx)])
    assert res.exit_code == 0, res.output
    values = list(openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True))
    assert len(values) == 4 and values[1][1] == datetime(2024, 10, 31, 10, 0) and values[2][7] == "hl"
    att = tmp_path / "att.xlsx"
    res = runner.invoke(cli, ["export", "attendance", "--format", "xlsx", "--out", str(att)])
    assert res.exit_code == 0, res.output
    sheet = openpyxl.load_workbook(att).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][6] == "present 2024-10-31" and [r[0] for r in rows[1:]] == ids
    assert rows[3][2] == "=cmd|' /C calc'!A0" and sheet.cell(row=4, column=3).data_type == "s"  # text, no apostrophe
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    res = runner.invoke(cli, ["export", "scans", "--format", "pdf", "--out", str(tmp_path / "x.pdf")])
    assert res.exit_code == 1 and "csv or xlsx" in res.output


def test_audit(cli_env):
    seed(cli_env)
    res = runner.invoke(cli, ["audit", "--json"])
    assert res.exit_code == 0, res.output
    actions = [json.loads(line)["action"] for line in res.stdout.splitlines()]
    assert actions == ["registration.approve", "broadcast.send"]
    res = runner.invoke(cli, ["audit", "--action", "broadcast"])
    assert "broadcast.send" in res.stdout and "registration.approve" not in res.stdout and "recipients=3" in res.stdout
    res = runner.invoke(cli, ["audit", "--since", "2024-11-01"])
    assert "no audit entries" in res.stdout
    res = runner.invoke(cli, ["audit", "--since", "yesterday"])
    assert res.exit_code == 1 and "bad --since" in res.output


def test_cli_modules_do_not_import_aiogram():
    code = "import sys, bot.cli.report, bot.cli.export, bot.cli.audit; print('aiogram' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
