"""`confdesk demo` end to end, small: a bot process, simulated people, badges, scans."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
from typer.testing import CliRunner

from bot.cli import app
from core.config import get_settings


def test_demo_runs_a_small_conference_offline(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["demo", "--participants", "24", "--dir", str(tmp_path / "out")])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    out = result.output
    # figures counted from the database: the 24 who signed up plus the programme file's people
    assert "registered: 29 (24 through the bot, 5 from the programme file)" in out, out
    assert "approved: 29; badges printed: 29" in out
    # scanned on the conference's own days (a simulated clock), not on the day the demo runs
    days = [line.split(":")[0].strip() for line in out.splitlines() if " present, " in line]
    assert days == ["Thu 31 Oct", "Fri 01 Nov"], out
    assert all(int(line.split(": ")[1].split()[0]) > 0 for line in out.splitlines() if " present, " in line)
    assert "2 invalid or not accredited" in out  # one forged code each morning
    assert "SIGTERM" not in out and "Traceback" not in out
    hint = next(line for line in out.splitlines() if "report attendance --by day" in line)
    assert hint.split()[1].endswith("confdesk")  # the command as it was started, not a bare name off PATH
    pdf = tmp_path / "out" / "badges.pdf"
    assert len(pypdfium2.PdfDocument(pdf)) >= 6  # four badges per A4 page
    assert (tmp_path / "out" / "confdesk-demo.db").stat().st_size > 0


def test_demo_refuses_a_missing_programme(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--programme", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no programme file" in result.output and "Traceback" not in result.output
