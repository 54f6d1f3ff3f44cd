"""The personal agenda as an iCalendar file (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from core.models import SignupStatus
from core.programme import signups, views
from core.programme.calendar import build_calendar
from tests.factories import make_conference, make_item, make_participant, make_registration

MINSK = ZoneInfo("Europe/Minsk")
T0 = datetime(2024, 10, 31, 7, 0, tzinfo=UTC)  # 10:00 in Minsk


async def test_my_agenda_as_ics_in_the_conference_time_zone(session):
    conf = await make_conference(session, venue={"en": "Palace of Independence", "ru": "Дворец Независимости"})
    first = await make_item(session, conf, "first", start=T0, minutes=90)
    full = await make_item(session, conf, "full", start=T0 + timedelta(hours=4), capacity=1)
    gone = await make_item(session, conf, "gone", start=T0 + timedelta(days=1))
    await make_item(session, conf, "not-mine", start=T0)
    me = await make_participant(session, telegram_id=4242)
    reg = await make_registration(session, conf, me)
    other = await make_registration(session, conf)
    await session.commit()
    await signups.sign_up(session, other.id, full.id)
    for item in (first, full, gone):
        await signups.sign_up(session, reg.id, item.id)
    gone.cancelled_at = T0
    session.add(gone)
    await session.commit()

    mine = await views.my_agenda(session, conf.id, 4242)
    assert [v.item.code for v in mine] == ["first", "full", "gone"]
    assert mine[1].my_status == SignupStatus.WAITLISTED and mine[1].my_position == 1
    data = build_calendar(conf, mine, "ru", notes={first.id: "Модератор: X"}, clock=lambda: T0)

    cal = icalendar.Calendar.from_ical(data)
    [tz] = cal.walk("VTIMEZONE")
    assert tz["TZID"] == "Europe/Minsk"
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"minsk-2024-first@confdesk", "minsk-2024-full@confdesk", "minsk-2024-gone@confdesk"}
    ev = events["minsk-2024-first@confdesk"]
    start = ev.decoded("DTSTART")
    assert ev["DTSTART"].params["TZID"] == "Europe/Minsk"
    assert (start.hour, start.minute) == (10, 0) and start.astimezone(UTC) == T0
    assert ev.decoded("DTEND").astimezone(UTC) == T0 + timedelta(minutes=90)
    assert str(ev["SUMMARY"]) == "Пункт first" and str(ev["LOCATION"]) == "Зал А, Дворец Независимости"
    assert "Модератор: X" in str(ev["DESCRIPTION"])
    assert str(events["minsk-2024-full@confdesk"]["STATUS"]) == "TENTATIVE"
    assert str(events["minsk-2024-gone@confdesk"]["STATUS"]) == "CANCELLED"
    assert str(ev["STATUS"]) == "CONFIRMED"
    assert b"DTSTART;TZID=Europe/Minsk:20241031T100000" in data
