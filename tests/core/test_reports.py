"""Reports, search, exports and broadcast queueing on a small conference with known answers
(runs on SQLite, and on PostgreSQL with CONFDESK_TEST_DATABASE_URL)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from core import reporting
from core.messaging import broadcasts
from core.messaging.broadcasts import Audience, AudienceKind
from core.models import (
    AgendaKind,
    AgendaSignup,
    AuditLog,
    Category,
    OutboxMessage,
    Participant,
    Presence,
    RegistrationStatus,
    Scan,
    ScanDirection,
    ScanResult,
    SignupStatus,
)
from core.reporting import charts, export_files
from tests.factories import make_conference, make_delegation, make_item, make_participant, make_registration

# 2024-10-31 12:00 in Minsk (UTC+3)
NOW = datetime(2024, 10, 31, 9, 0, tzinfo=UTC)
DAY1, DAY2 = date(2024, 10, 31), date(2024, 11, 1)


def clock() -> datetime:
    return NOW


def at(hour: int, minute: int = 0, day: int = 31) -> datetime:
    """A Minsk local time on the given October/November day, as UTC."""
    month = 10 if day > 15 else 11
    return datetime(2024, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


@pytest.fixture
async def world(session):
    conf = await make_conference(session)
    by = await make_delegation(session, conf, "BY", name={"en": "Belarus", "ru": "Беларусь"})
    hu = await make_delegation(session, conf, "HU", name={"en": "Hungary", "ru": "Венгрия"})
    cn = await make_delegation(session, conf, "CN", name={"en": "China", "ru": "Китай"})
    await make_delegation(session, conf, "XX", name={"en": "Empty"})
    people = {}
    for key, name, native, deleg, cat in [
        ("peter", "Péter Szijjártó", "Сийярто Петер", hu, Category.HEAD),
        ("hu2", "Anna Kovacs", None, hu, Category.DELEGATE),
        ("lavrov", "Sergey Lavrov", "Сергей Лавров", by, Category.HEAD),
        ("by2", "Olga Ivanova", "Ольга Иванова", by, Category.DELEGATE),
        ("by3", "Ёлкин Иван", "Ёлкин Иван", by, Category.DELEGATE),
        ("wang", "Wang Yi", "王毅", cn, Category.HEAD),
        ("press", '=HYPERLINK("http://x")', None, None, Category.PRESS),
    ]:
        p = await make_participant(session, full_name=name, native_name=native)
        people[key] = await make_registration(session, conf, p, delegation=deleg, category=cat)
    pend = await make_participant(session, full_name="Pending Person")
    people["pending"] = await make_registration(session, conf, pend, status=RegistrationStatus.PENDING)
    hl = await make_item(session, conf, "hl", kind=AgendaKind.HIGH_LEVEL, start=at(10), signup_open=False)
    th = await make_item(session, conf, "th", start=at(15))
    await make_item(session, conf, "d2", start=at(10, day=1))
    for key in ("peter", "hu2", "lavrov", "by2"):
        session.add(AgendaSignup(registration_id=people[key].id, agenda_item_id=th.id, status=SignupStatus.CONFIRMED))
    session.add(
        AgendaSignup(
            registration_id=people["wang"].id, agenda_item_id=th.id, status=SignupStatus.WAITLISTED, waitlist_ticket=1
        )
    )

    def scan(key, when, item=None, result=ScanResult.OK, direction=ScanDirection.IN):
        session.add(
            Scan(
                conference_id=conf.id,
                registration_id=people[key].id if key else None,
                agenda_item_id=item,
                direction=direction,
                result=result,
                scanned_at=when,
                gate="Main",
            )
        )

    scan("peter", at(0, 30))  # just after local midnight: day 1 (still 30 Oct in UTC)
    scan("peter", at(0, 40), result=ScanResult.DUPLICATE)
    scan("lavrov", at(9, 5))
    scan("lavrov", at(9, 50))  # entered twice: counted once
    scan("wang", at(9, 20))
    scan("by2", at(9, 25), result=ScanResult.REVOKED)  # refused: not checked in
    scan(None, at(9, 26), result=ScanResult.INVALID)
    scan("lavrov", at(10, 2), item=hl.id)
    scan("peter", at(10, 3), item=hl.id)
    scan("peter", at(15, 1), item=th.id)
    scan("wang", at(15, 2), item=th.id)  # walk-in (only waitlisted)
    scan("hu2", at(9, 0, day=1))  # day 2
    scan("lavrov", at(8, 0, day=30) + timedelta(hours=0))  # the day before
    session.add(Presence(registration_id=people["peter"].id, inside=True, since=at(15, 1)))
    session.add(Presence(registration_id=people["lavrov"].id, inside=True, since=at(10, 2), agenda_item_id=hl.id))
    session.add(Presence(registration_id=people["wang"].id, inside=False, since=at(16)))
    session.add(Presence(registration_id=people["by2"].id, inside=True, since=at(18, day=30)))  # stale: yesterday
    await session.commit()
    session.expunge_all()
    return conf, people, {"hl": hl.id, "th": th.id}


async def test_stats_counts_today_in_conference_time(session, world):
    conf, _, _ = world
    s = await reporting.stats(session, conf, clock=clock)
    assert s.day == DAY1
    assert (s.registered, s.pending, s.approved) == (8, 1, 7)
    assert s.checked_in == 3  # peter (00:30 local), lavrov, wang; not by2 (revoked), not hu2 (day 2)
    assert s.inside == 2  # peter, lavrov; by2's presence is from yesterday
    heads = next(c for c in s.by_category if c.category == "head_of_delegation")
    assert (heads.approved, heads.checked_in, heads.inside) == (3, 3, 2)
    day2 = await reporting.stats(session, conf, day=DAY2, clock=clock)
    assert day2.checked_in == 1


async def test_by_delegation_and_high_level(session, world):
    conf, _, _ = world
    r = await reporting.by_delegation(session, conf, clock=clock)
    lines = {d.code: d for d in r.lines}
    assert (lines["BY"].accredited, lines["BY"].present, lines["BY"].high_level, lines["BY"].inside) == (3, 1, 1, 1)
    assert (lines["HU"].accredited, lines["HU"].present, lines["HU"].high_level) == (2, 1, 1)
    assert (lines["CN"].accredited, lines["CN"].present, lines["CN"].high_level) == (1, 1, 0)
    assert lines["XX"].accredited == 0
    assert lines["—"].accredited == 1  # the press person without a delegation
    assert r.high_level_items == 1
    assert (r.present_high_level, len(r.with_members), r.present_today) == (2, 3, 3)
    assert r.as_dict()["delegations_at_high_level"] == 2


async def test_by_item_no_shows_and_walk_ins(session, world):
    conf, _, items = world
    lines = {i.code: i for i in await reporting.by_item(session, conf)}
    th = lines["th"]
    assert (th.signed_up, th.waitlisted, th.scanned, th.signed_and_scanned) == (4, 1, 2, 1)
    assert (th.no_shows, th.walk_ins) == (3, 1)
    assert lines["hl"].scanned == 2 and lines["hl"].signed_up == 0
    assert [i.code for i in await reporting.by_item(session, conf, day=DAY2)] == ["d2"]
    line, absent = await reporting.no_shows(session, conf, items["th"])
    assert line.no_shows == 3
    assert sorted(p.full_name for p in absent) == ["Anna Kovacs", "Olga Ivanova", "Sergey Lavrov"]


async def test_by_day_and_per_hour(session, world):
    conf, _, _ = world
    days = await reporting.by_day(session, conf)
    assert [(d.day, d.present, d.entries, d.refused) for d in days] == [(DAY1, 3, 4, 3), (DAY2, 1, 1, 0)]
    hours = await reporting.checkins_per_hour(session, conf, clock=clock)
    assert len(hours) == 24 and hours[0].hour.hour == 0 and hours[0].hour.utcoffset() == timedelta(hours=3)
    assert {h.hour.hour: h.entries for h in hours if h.entries} == {0: 1, 9: 3}
    conf.timezone = "Asia/Kolkata"  # UTC+5:30: local hours do not align with UTC hours
    hours = await reporting.checkins_per_hour(session, conf, day=DAY1)
    assert {h.hour.hour: h.entries for h in hours if h.entries} == {3: 1, 11: 2, 12: 1}


async def test_charts_are_png(session, world):
    from io import BytesIO

    from PIL import Image

    conf, _, _ = world
    hours = await reporting.checkins_per_hour(session, conf, clock=clock)
    png = charts.checkins_per_hour(hours, title="Проходы", xlabel="Hour", ylabel="Entries")
    assert png.startswith(charts.PNG_SIGNATURE)
    assert Image.open(BytesIO(png)).size[0] > 400
    r = await reporting.by_delegation(session, conf, clock=clock)
    png = charts.presence_by_delegation(
        r.lines, language="ru", title="Делегации", present_label="a", accredited_label="b", inside_label="c"
    )
    assert Image.open(BytesIO(png)).format == "PNG"


async def test_search_is_case_and_accent_insensitive(session, world):
    conf, people, _ = world

    async def names(q: str) -> list[str]:
        hits, _ = await reporting.find(session, conf.id, q)
        return [h.full_name for h in hits]

    assert await names("szijjarto") == ["Péter Szijjártó"]
    assert await names("PETER") == ["Péter Szijjártó"]
    assert await names("сийярто") == ["Péter Szijjártó"]
    assert await names("лавров") == ["Sergey Lavrov"]
    assert await names("lavrov sergey") == ["Sergey Lavrov"]
    assert await names("Lavrov, Sergey") == ["Sergey Lavrov"]  # as a protocol list writes it
    assert await names("елкин") == ["Ёлкин Иван"]
    assert await names("王") == ["Wang Yi"]
    assert await names("nobody") == []
    assert await names(f"#{people['wang'].id}") == ["Wang Yi"]
    ivan = await names("iva")
    assert ivan[0] == "Olga Ivanova"  # a word starting with the query beats a substring
    card = await reporting.registration_card(session, conf.id, people["peter"].id)
    assert card.badge_version == 1 and card.inside and card.inside_place is None
    assert [s.result for s in card.scans][:2] == ["ok", "ok"] and card.scans[0].place is not None


async def test_search_follows_renames_and_usernames(session, world):
    """The folded names a search filters on (participant.search_name) follow every write."""
    conf, people, _ = world

    async def names(q: str) -> list[str]:
        hits, _ = await reporting.find(session, conf.id, q)
        return [h.full_name for h in hits]

    person = await session.get(Participant, people["hu2"].participant_id)
    person.full_name, person.native_name, person.telegram_username = "Anna Kovács-Tóth", "Анна Ковач", "Anna_K"
    await session.flush()
    assert await names("kovacs toth") == ["Anna Kovács-Tóth"]
    assert await names("ковач") == ["Anna Kovács-Tóth"]
    assert await names("anna_k") == ["Anna Kovács-Tóth"]  # '_' is a character, not LIKE's wildcard
    assert await names("anna%") == []
    person.full_name, person.native_name, person.telegram_username = "Anna Szabo", None, None
    await session.flush()
    assert await names("kovacs") == [] and await names("anna_k") == []
    assert await names("szabo") == ["Anna Szabo"]


async def test_exports_open_back(session, world, tmp_path):
    conf, people, _ = world
    out = tmp_path / "regs.csv"
    result = await reporting.export(session, conf, "registrations", "csv", out)
    assert result.rows == 8
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][0] == "registration_id" and len(rows) == 9
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id[str(people["lavrov"].id)][2] == "Сергей Лавров"
    assert by_id[str(people["press"].id)][1] == '\'=HYPERLINK("http://x")'

    xlsx = tmp_path / "scans.xlsx"
    result = await reporting.export(session, conf, "scans", "xlsx", xlsx)
    assert result.rows == 13
    sheet = openpyxl.load_workbook(xlsx).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "scan_id" and len(values) == 14
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    att = tmp_path / "att.xlsx"
    result = await reporting.export(session, conf, "attendance", "xlsx", att, clock=clock)
    assert result.rows == 7
    rows = list(openpyxl.load_workbook(att).active.iter_rows(values_only=True))
    header = rows[0]
    press = next(r for r in rows[1:] if r[0] == people["press"].id)
    assert press[1] == '=HYPERLINK("http://x")'  # shown as written, stored as text (see below)
    peter = dict(zip(header, next(r for r in rows[1:] if r[0] == people["peter"].id), strict=True))
    assert peter["present 2024-10-31"] == "yes" and peter["days_present"] == 1 and peter["inside_now"] == "yes"
    local = "first_entry (Europe/Minsk)", "last_entry (Europe/Minsk)"
    assert (peter[local[0]], peter[local[1]]) == (datetime(2024, 10, 31, 0, 30), datetime(2024, 10, 31, 15, 1))
    # the day before the conference counts as a first entry, on no conference day
    lavrov = dict(zip(header, next(r for r in rows[1:] if r[0] == people["lavrov"].id), strict=True))
    assert (lavrov[local[0]], lavrov[local[1]]) == (datetime(2024, 10, 30, 8, 0), datetime(2024, 10, 31, 10, 2))
    assert lavrov["days_present"] == 1 and lavrov["present 2024-11-01"] is None
    hu2 = dict(zip(header, next(r for r in rows[1:] if r[0] == people["hu2"].id), strict=True))
    assert (hu2["present 2024-10-31"], hu2["present 2024-11-01"], hu2[local[0]]) == (
        None,
        "yes",
        datetime(2024, 11, 1, 9),
    )
    by2 = dict(zip(header, next(r for r in rows[1:] if r[0] == people["by2"].id), strict=True))
    assert by2["days_present"] == 0 and by2[local[0]] is None  # a refused scan is no entry
    assert not (tmp_path / ".att.xlsx.partial").exists()


async def test_xlsx_exports_are_ready_to_read(session, world, tmp_path):
    """Column widths from the content, the header frozen and filtered; text that looks like
    a formula is a text cell, shown without the CSV's apostrophe and never evaluated."""
    conf, _, _ = world
    tricky = {"position": "+7 900 000-00-00", "organisation": "-2", "email": "@x", "telegram_username": "=1+1"}
    async with session.begin():
        person = await make_participant(session, full_name="Sukarno", **tricky)
        await make_registration(session, conf, person)
    out = tmp_path / "regs.xlsx"
    result = await reporting.export(session, conf, "registrations", "xlsx", out)
    book = openpyxl.load_workbook(out)
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:P{result.rows + 1}"
    header = [c.value for c in sheet[1]]
    assert header[1] == "full_name" and all(c.font.b for c in sheet[1])
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFGHIJKLMNOP"}
    assert all(8 <= w <= 62 for w in widths.values()), widths
    assert widths["B"] >= len('=HYPERLINK("http://x")') and widths["B"] > widths["M"]  # names vs badge_version
    assert widths["O"] >= len("2024-10-31 12:00:00")  # a local time
    cells = {sheet.cell(row=1, column=i + 1).value: i + 1 for i in range(len(header))}
    rows = {sheet.cell(row=r, column=2).value: r for r in range(2, sheet.max_row + 1)}
    press = sheet.cell(row=rows['=HYPERLINK("http://x")'], column=2)
    assert press.data_type == "s" and press.quotePrefix  # text; stays text if edited in Excel
    suk = rows["Sukarno"]
    for field, value in tricky.items():
        cell = sheet.cell(row=suk, column=cells[field])
        assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True), field
    plain = sheet.cell(row=suk, column=cells["full_name"])
    assert not plain.quotePrefix and sheet.cell(row=suk, column=1).data_type == "n"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    # CSV keeps its apostrophe: there the text is the only type there is.
    csv_out = tmp_path / "regs.csv"
    await reporting.export(session, conf, "registrations", "csv", csv_out)
    text = csv_out.read_text(encoding="utf-8-sig")
    assert "'+7 900 000-00-00" in text and "'=1+1" in text


def test_formula_escape() -> None:
    assert [export_files.safe(v) for v in ("=1+1", "+7 900", "-2", "@x", "\tx", "\rx", "ok", 5, None)] == [
        "'=1+1",
        "'+7 900",
        "'-2",
        "'@x",
        "'\tx",
        "'\rx",
        "ok",
        5,
        None,
    ]


async def test_broadcast_queue_audiences_and_finish(session, world):
    conf, people, items = world
    assert await broadcasts.audience_size(session, conf, Audience(AudienceKind.APPROVED), clock=clock) == 7
    delegation = str(people["lavrov"].delegation_id)
    assert (
        await broadcasts.audience_size(session, conf, Audience(AudienceKind.DELEGATION, delegation), clock=clock) == 3
    )
    assert (
        await broadcasts.audience_size(
            session, conf, Audience(AudienceKind.CATEGORY, "head_of_delegation"), clock=clock
        )
        == 3
    )
    assert (
        await broadcasts.audience_size(session, conf, Audience(AudienceKind.ITEM, str(items["th"])), clock=clock) == 4
    )
    assert await broadcasts.audience_size(session, conf, Audience(AudienceKind.INSIDE), clock=clock) == 2
    started = await broadcasts.start(
        session,
        conf,
        Audience(AudienceKind.INSIDE),
        text="Lunch at <b>13:00</b>",
        actor_telegram_id=9000,
        report_chat_id=9000,
        progress_message_id=5,
        clock=clock,
    )
    assert started.recipients == 2
    rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars().all()
    assert {r.dedup_key.rsplit(":", 1)[0] for r in rows} == {f"broadcast:{started.broadcast_id}"}
    assert all(r.kind == "broadcast" and r.payload["text"] == "Lunch at <b>13:00</b>" for r in rows)
    p = await broadcasts.progress(session, started.broadcast_id)
    assert (p.total, p.pending, p.done) == (2, 2, False)
    assert await broadcasts.finish(session, started.broadcast_id, clock=clock) is None
    assert [b.broadcast_id for b in await broadcasts.unfinished(session)] == [started.broadcast_id]
    for r in rows:
        r.status = "sent"
    await session.commit()
    final = await broadcasts.finish(session, started.broadcast_id, clock=clock)
    assert final is not None and (final.sent, final.total) == (2, 2)
    assert await broadcasts.finish(session, started.broadcast_id, clock=clock) is None  # once
    assert await broadcasts.unfinished(session) == []
    report = (
        (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "broadcast_report"))).scalars().all()
    )
    assert len(report) == 1 and report[0].chat_id == 9000 and report[0].payload["sent"] == 2
    actions = (await session.execute(select(AuditLog.action).order_by(AuditLog.id))).scalars().all()
    assert actions == ["broadcast.send", "broadcast.done"]
    log = await reporting.audit_log(session, conf, action="broadcast.send")
    assert len(log) == 1 and log[0].details["recipients"] == 2
    assert await reporting.audit_log(session, conf, since=NOW + timedelta(days=1)) == []


async def test_broadcast_skips_blocked_and_empty_text(session, world):
    conf, people, _ = world
    from core.errors import InvalidInput
    from core.models import Participant, Registration

    reg = await session.get(Registration, people["wang"].id)
    person = await session.get(Participant, reg.participant_id)
    person.blocked_bot_at = NOW
    await session.commit()
    assert await broadcasts.audience_size(session, conf, Audience(AudienceKind.APPROVED), clock=clock) == 6
    assert not await broadcasts.reachable(session, person.telegram_id)
    with pytest.raises(InvalidInput):
        await broadcasts.start(session, conf, Audience(AudienceKind.APPROVED), text="  ", actor_telegram_id=1)
    n = (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
    assert n == 0
