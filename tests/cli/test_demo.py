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
    assert "registered: 24" in out and "forged codes: 1" in out
    assert "Delegations present at the high-level session" in out
    approved = int(out.split("approved: ")[1].split()[0])
    assert approved >= 20  # press registrations are approved automatically in this programme
    pdf = tmp_path / "out" / "badges.pdf"
    assert len(pypdfium2.PdfDocument(pdf)) >= 6  # four badges per A4 page
    assert (tmp_path / "out" / "confdesk-demo.db").stat().st_size > 0


def test_demo_refuses_a_missing_programme(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--programme", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no programme file" in result.output and "Traceback" not in result.output
