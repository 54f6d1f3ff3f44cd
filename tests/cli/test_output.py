"""No listing command ever cuts a value: piped, it prints whole lines; on a narrow terminal it
wraps at word boundaries; with --format csv|json it prints the data. One helper
(bot/cli/output.py) does all of it, so every command is checked here the same way."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app, output
from bot.cli.output import Column, Format, Table
from core.config import get_settings
from core.db import make_engine, make_session_factory
from core.models import (
    AgendaItem,
    AuditLog,
    Category,
    Conference,
    Delegation,
    RegistrationStatus,
    Scan,
    ScanDirection,
    ScanResult,
)
from tests.factories import make_participant, make_registration

MINSK_2024 = Path(__file__).resolve().parents[2] / "examples" / "minsk-2024.yaml"
BOT = "confdesk_test_bot"
WIDTH = 60
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LONG_NAME = "Maria Fernanda Rodríguez de la Concepción Villanueva-Sandoval"
NATIVE = "Мария Фернанда Родригес де ла Консепсьон"
TELEGRAM_ID = 7033518123
runner = CliRunner()


@pytest.fixture
def world(database_url, tmp_path, monkeypatch):
    """The example programme, three registrations (approved, rejected, pending; one with a
    long name and a 10-digit Telegram id), a scan at the high-level session, staff, audit."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BOT_USERNAME", BOT)
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    for name in ("CONFERENCE", "ADMIN_IDS", "TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    assert invoke("program", "load", str(MINSK_2024)).exit_code == 0
    ids = asyncio.run(_seed(database_url))
    assert invoke("participants", "approve", str(ids["long"])).exit_code == 0
    assert invoke("participants", "reject", str(ids["rejected"]), "--reason", "duplicate entry").exit_code == 0
    assert invoke("staff", "add", str(TELEGRAM_ID), "--role", "accreditation").exit_code == 0
    yield ids
    get_settings.cache_clear()


async def _seed(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as s:
            conf = (await s.execute(select(Conference))).scalar_one()
            by = (await s.execute(select(Delegation).where(Delegation.code == "BY"))).scalar_one()
            osce = (await s.execute(select(Delegation).where(Delegation.code == "OSCE"))).scalar_one()
            high = (await s.execute(select(AgendaItem).where(AgendaItem.code == "high-level"))).scalar_one()
            long = await make_registration(
                s,
                conf,
                await make_participant(s, full_name=LONG_NAME, native_name=NATIVE, telegram_id=TELEGRAM_ID),
                delegation=osce,
                category=Category.HEAD,
                status=RegistrationStatus.PENDING,
            )
            rejected = await make_registration(s, conf, delegation=by, status=RegistrationStatus.PENDING)
            pending = await make_registration(s, conf, delegation=by, status=RegistrationStatus.PENDING)
            # one without Telegram: it gets a personal link
            await make_registration(s, conf, await make_participant(s, telegram_id=None, full_name="Liu Wenjun"))
            s.add(
                Scan(
                    conference_id=conf.id,
                    registration_id=long.id,
                    agenda_item_id=high.id,
                    direction=ScanDirection.IN,
                    result=ScanResult.OK,
                    scanned_at=datetime(2024, 10, 31, 7, 5, tzinfo=UTC),
                    gate="Palace of Independence, north entrance",
                )
            )
            s.add(
                AuditLog(
                    at=datetime(2024, 10, 31, 7, 0, tzinfo=UTC),
                    conference_id=conf.id,
                    actor="tg:9000",
                    action="broadcast.send",
                    entity="broadcast",
                    details={"recipients": 3, "audience": "approved heads of delegation", "text": "Hello"},
                )
            )
            await s.commit()
            return {"long": long.id, "rejected": rejected.id, "pending": pending.id}
    finally:
        await engine.dispose()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def terminal(monkeypatch):
    """stdout counts as a terminal WIDTH columns wide (the CliRunner's is not a terminal),
    for the tables and for every other line the commands print."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    monkeypatch.setenv("NO_COLOR", "1")


LISTINGS: list[tuple[list[str], list[str], list[str]]] = [
    # (command, tokens: never wrapped, each whole on one line; texts: wrapped only between words)
    (
        ["program", "show"],
        ["high-level", "press-approach", "08:30–10:00", "120 sign-up", "side event", "(moderator)"],
        [
            "Registration of participants, welcome coffee",
            "Aleksandr Lukashenko",
            "Maxim Ryzhenkov (moderator)",
            "Palace of Independence",
            "Thursday, 31 October 2024",
            "Brainstorming: the Eurasian Charter of Diversity and Multipolarity in the 21st Century",
        ],
    ),
    (
        ["program", "show", "--lang", "ru"],
        ["high-level", "Конференц-зал"],
        [
            "Конференц-зал 1",
            "Конференц-зал 2",
            "Конференц-зал 3",
            "Четверг, 31 октября 2024",
            "Максим Рыженков (модератор)",
            "120, по записи",
            "Сессия высокого уровня: евразийская безопасность — реальность и перспективы",
            "время местное (Europe/Minsk)",
        ],
    ),
    (
        ["program", "list"],
        ["minsk-2024", "Europe/Minsk", "2024-10-31", "2024-11-01"],
        ["II Minsk International Conference on Eurasian Security"],
    ),
    (
        ["participants", "list"],
        [str(TELEGRAM_ID), "approved", "rejected", "pending", "head_of_delegation", "OSCE"],
        [LONG_NAME, NATIVE],
    ),
    (
        ["participants", "import", "--dry-run", "PEOPLE"],
        ["update", "approved", "position"],
        [LONG_NAME],
    ),
    (["report", "attendance", "--day", "2024-10-31"], ["OSCE"], ["Organization for Security and Co-operation"]),
    (["report", "attendance", "--day", "2024-10-31", "--by", "category"], ["head_of_delegation"], []),
    (
        ["report", "attendance", "--day", "2024-10-31", "--by", "session"],
        ["2024-10-31 10:00", "high-level", "2024-10-31 17:00", "side-experts"],
        ["High-level session: Eurasian security — reality and prospects"],
    ),
    (["report", "attendance", "--by", "day"], ["2024-10-31", "2024-11-01"], []),
    (["report", "attendance", "--session", "migration"], ["2024-10-31 14:30", "migration"], []),
    (
        ["audit"],
        ["registration.approve", "registration.reject", "broadcast.send", "2024-10-31 10:00:00", "staff.add"],
        ["audience=approved heads of delegation", "reason=duplicate entry"],
    ),
    (["staff", "list"], [str(TELEGRAM_ID), "accreditation"], []),
]


def _command(args: list[str], tmp_path: Path) -> list[str]:
    if "PEOPLE" not in args:
        return args
    people = tmp_path / "people.csv"
    people.write_text(
        "name,native_name,delegation,category,telegram_id,position\n"
        f"{LONG_NAME},{NATIVE},OSCE,head_of_delegation,{TELEGRAM_ID},Secretary General\n",
        encoding="utf-8",
    )
    return [str(people) if a == "PEOPLE" else a for a in args]


def _whole_words(text: str, output_text: str) -> list[str]:
    """The words of `text` that do not stand whole somewhere in the output."""
    return [word for word in text.split() if not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", output_text)]


def test_no_listing_ever_cuts_a_value(world, tmp_path, monkeypatch):
    for args, tokens, texts in LISTINGS:
        command = _command(args, tmp_path)
        what = " ".join(args)
        # Piped (the CliRunner's stdout is not a terminal): plain full lines.
        monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
        out = invoke(*command).stdout
        assert "…" not in out and "\x1b" not in out, what
        for value in tokens + texts:
            assert value in out, f"{what}: {value!r} not whole in:\n{out}"
        assert "│" not in out and "━" not in out, what  # plain lines, no box drawing

        # A terminal WIDTH columns wide: nothing wider, tokens whole on a line, text wrapped
        # between words only.
        monkeypatch.setenv("TTY_COMPATIBLE", "1")
        monkeypatch.setenv("NO_COLOR", "1")
        out = ANSI.sub("", invoke(*command).stdout)
        assert "…" not in out, what
        lines = out.splitlines()
        assert [line for line in lines if cell_len(line) > WIDTH] == [], f"{what}:\n{out}"
        for token in tokens:
            assert any(token in line for line in lines), f"{what}: {token!r} broken or missing in:\n{out}"
        for text in texts:
            assert not _whole_words(text, out), f"{what}: {text!r}: words broken or missing in:\n{out}"


def test_machine_formats_carry_full_values(world):
    people = json.loads(invoke("participants", "list", "--format", "json").stdout)
    long = next(p for p in people if p["name"] == LONG_NAME)
    assert long["telegram_id"] == TELEGRAM_ID and long["status"] == "approved" and long["native_name"] == NATIVE
    assert long["delegation"] == "OSCE" and long["category"] == "head_of_delegation"

    rows = list(csv.DictReader(io.StringIO(invoke("audit", "--format", "csv").stdout)))
    assert {"registration.approve", "registration.reject", "broadcast.send"} <= {r["action"] for r in rows}
    broadcast = next(r for r in rows if r["action"] == "broadcast.send")
    assert json.loads(broadcast["details"])["text"] == "Hello"  # the table leaves texts out, csv has them

    items = json.loads(invoke("program", "show", "--format", "json").stdout)
    high = next(i for i in items if i["code"] == "high-level")
    assert high["starts_at"] == "2024-10-31T10:00:00+03:00" and high["capacity"] == 600
    assert high["speakers"][0] == "Aleksandr Lukashenko" and high["signup_open"] is False

    sessions = list(csv.DictReader(io.StringIO(invoke("report", "attendance", "--by", "session", "-f", "csv").stdout)))
    assert sessions[1]["code"] == "high-level" and sessions[1]["starts"] == "2024-10-31 10:00"
    assert sessions[1]["scanned"] == "1"

    staff = json.loads(invoke("staff", "list", "--format", "json").stdout)
    assert [(r["telegram_id"], r["role"], r["added_by"]) for r in staff] == [(TELEGRAM_ID, "accreditation", "cli")]
    conferences = json.loads(invoke("program", "list", "-f", "json").stdout)
    assert conferences[0]["slug"] == "minsk-2024" and conferences[0]["items"] == 14


def test_links_are_one_per_line_and_copyable(world, terminal):
    text = invoke("participants", "links").stdout
    lines = text.splitlines()
    links = [line for line in lines if line.startswith(f"https://t.me/{BOT}?start=bind_")]
    # the programme's five speakers and Liu Wenjun have no Telegram account yet
    assert len(links) == 6 and all(re.fullmatch(r"\S+bind_[\w-]+", link) for link in links)
    who = [lines[lines.index(link) - 1] for link in links]
    assert any(w.startswith("Liu Wenjun — ") for w in who) and any(w.startswith("Sergey Lavrov (") for w in who)
    data = json.loads(invoke("participants", "links", "--format", "json").stdout)
    assert [d["link"] for d in data] == links and {"Liu Wenjun", "Sergey Lavrov"} <= {d["name"] for d in data}
    as_csv = list(csv.DictReader(io.StringIO(invoke("participants", "links", "-f", "csv").stdout)))
    assert [r["link"] for r in as_csv] == links


def test_the_no_shows_of_one_session_named_by_code_or_number(world):
    out = invoke("report", "attendance", "--session", "high-level").stdout
    assert "high-level" in out and "Signed up for high-level but not scanned in: 0" not in out
    data = json.loads(invoke("report", "attendance", "--session", "HIGH-LEVEL", "--json").stdout)
    assert data["sessions"][0]["code"] == "high-level" and data["sessions"][0]["scanned"] == 1
    item_id = data["sessions"][0]["item_id"]
    again = json.loads(invoke("report", "attendance", "--session", str(item_id), "--json").stdout)
    assert again["sessions"] == data["sessions"]
    wrong = runner.invoke(app, ["report", "attendance", "--session", "high_level"])
    assert wrong.exit_code == 1
    assert "no agenda item 'high_level' in minsk-2024; codes: registration, high-level, lunch" in wrong.stderr


# -- the helper on its own ------------------------------------------------------------------------


def _table() -> Table:
    table = Table(
        [
            Column("Id", "id", "number"),
            Column("Code", "code", "token", stack=True),
            Column("Title", "title"),
            Column("Status", "status", "token"),
            Column("People", "people"),
        ]
    )
    title = "Registration of participants, welcome coffee"
    table.add_row(7033518123, "press-approach", title, "approved", ["A B", "C"])
    table.add_row(2, "x", "Конференц-зал 1", "pending", [])
    table.add_row(3, None, "https://t.me/" + "x" * 40, "approved", None)
    return table


def _render(table: Table, width: int) -> list[str]:
    console = Console(force_terminal=True, width=width, no_color=True, highlight=False, record=True)
    with console.capture() as capture:
        output._print_terminal(console, table)
    return ANSI.sub("", capture.get()).splitlines()


def _columns(table: Table, lines: list[str], width: int) -> list[str]:
    """Each visual column's text read top to bottom, cut at the layout's column bounds."""
    slots, widths = output._layout(table, width)
    assert widths is not None
    bounds, start = [], 0
    for w in widths:
        bounds.append((start, start + w))
        start += w + output.GAP
    body = lines[len(max((slot.header() for slot in slots), key=len)) + 1 :]  # below the header and rule
    return [" ".join(" ".join(line[a:b] for line in body).split()) for a, b in bounds]


@pytest.mark.parametrize("width", [200, 80, 64])
def test_terminal_columns_read_back_whole(width):
    table = _table()
    lines = _render(table, width)
    assert all(cell_len(line) <= width for line in lines)
    assert set(lines[1 if width == 200 else 2]) == {"─"}
    columns = _columns(table, lines, width)
    # text wraps between words; only the URL, longer than LONG_WORD, may be folded
    assert "Registration of participants, welcome coffee Конференц-зал 1 https://t.me/x" in columns[-3]
    assert columns[-3].endswith("https://t.me/" + "x" * 40) or width < 200
    assert columns[-3].replace(" ", "").endswith("https://t.me/" + "x" * 40)
    assert "approved pending approved" in columns
    if width == 200:  # side by side: a line per row
        assert columns[:2] == ["7033518123 2 3", "press-approach x —"]
        assert len(lines) == 8  # header, rule, 2 + 1 + 1 lines (the list), a blank line between rows
    else:  # the code under the id
        assert columns[0] == "7033518123 press-approach 2 x 3 —"
        assert any(line.startswith("7033518123  ") for line in lines)
        assert any(line.startswith("press-approach  ") for line in lines)


def test_too_narrow_for_columns_becomes_header_value_lines():
    lines = _render(_table(), 28)
    assert all(cell_len(line) <= 28 for line in lines)
    text = "\n".join(lines)
    assert "Id      7033518123" in text and "Status  approved" in text and "Code    press-approach" in text
    assert "…" not in text


def test_plain_lines_and_data():
    table = _table()
    lines = output.plain_lines(table)
    assert lines[0].split() == ["Id", "Code", "Title", "Status", "People"]
    assert lines[1].split("  ")[0] == "7033518123"
    assert "Registration of participants, welcome coffee" in lines[1] and lines[1].endswith("A B; C")
    assert len(lines) == 4 and all("\n" not in line for line in lines)
    data = output.to_data(table)
    assert data[0] == {
        "id": 7033518123,
        "code": "press-approach",
        "title": "Registration of participants, welcome coffee",
        "status": "approved",
        "people": ["A B", "C"],
    }
    assert data[2]["code"] is None and data[2]["people"] is None
    rows = list(csv.reader(io.StringIO(output.to_csv(table))))
    assert rows[0] == ["id", "code", "title", "status", "people"] and rows[1][4] == "A B; C" and rows[3][1] == ""
    assert Format("json") is Format.JSON


@pytest.mark.parametrize(
    "mins,maxs,available,expected",
    [
        ([5, 5], [10, 10], 30, [10, 10]),
        ([4, 10], [4, 100], 40, [4, 36]),
        ([10, 10], [20, 60], 40, [13, 27]),
        ([10, 10], [20, 60], 19, None),
    ],
)
def test_fit_widths(mins, maxs, available, expected):
    widths = output.fit_widths(mins, maxs, available)
    assert widths == expected
    if widths:
        assert sum(widths) <= available and all(lo <= w <= hi for lo, w, hi in zip(mins, widths, maxs, strict=True))
