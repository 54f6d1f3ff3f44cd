"""Export errors name the user's file and the reason; the format follows the file name."""

from __future__ import annotations

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
