"""Export errors name the user's file and the reason; the format follows the file name."""

from __future__ import annotations

import csv
import io

import typer
from typer.testing import CliRunner

from bot.cli.export import app as export_app
from tests.cli.test_badges_cli import cli_env as cli_env
from tests.cli.test_report_cli import seed

cli = typer.Typer()
cli.add_typer(export_app, name="export")
runner = CliRunner()


def test_format_follows_the_file_name_and_a_mismatch_is_refused(cli_env, tmp_path):
    seed(cli_env)
    res = runner.invoke(cli, ["export", "registrations", "--out", str(tmp_path / "r.xlsx")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"  # a zip: a real workbook
    res = runner.invoke(cli, ["export", "registrations", "--out", str(tmp_path / "r.csv")])
    assert res.exit_code == 0 and (tmp_path / "r.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    res = runner.invoke(cli, ["export", "scans", "--format", "csv", "--out", str(tmp_path / "s.xlsx")])
    assert res.exit_code == 1 and "says xlsx but --format is csv" in res.output
    assert not (tmp_path / "s.xlsx").exists()
    res = runner.invoke(cli, ["export", "scans", "--out", str(tmp_path / "s.txt")])
    assert res.exit_code == 1 and "--format" in res.output
    res = runner.invoke(cli, ["export", "scans", "--format", "CSV", "--out", str(tmp_path / "s.txt")])
    assert res.exit_code == 0, res.output


def test_a_missing_folder_is_named_without_a_traceback(cli_env, tmp_path):
    seed(cli_env)
    for fmt in ("csv", "xlsx"):
        out = tmp_path / "missing" / "dir" / f"s.{fmt}"
        res = runner.invoke(cli, ["export", "scans", "--out", str(out)])
        assert res.exit_code == 1
        assert str(out) in res.output and "does not exist" in res.output, res.output
        assert "Traceback" not in res.output and "partial" not in res.output
    assert not (tmp_path / "missing").exists()


def test_attendance_folds_new_scans_and_then_reads_them(cli_env, tmp_path):
    """The attendance export folds the scans added since the last fold into the summary
    before reading it, through the command (its unit of work writes: on SQLite it begins
    IMMEDIATE, as every fold must, core/reporting/summary.py)."""
    seed(cli_env)
    out = tmp_path / "a.csv"
    res = runner.invoke(cli, ["export", "attendance", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    days = {r["full_name"]: r["days_present"] for r in rows}
    assert days == {"Péter Szijjártó": "1", "Sergey Lavrov": "1", "'@evil": "0"}
