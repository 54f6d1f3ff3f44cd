"""core.reporting.board: the live board's figures, on a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.checkin import scan
from core.models import AgendaSignup, Category, ScanDirection, SignupStatus
from core.reporting.board import board
from tests.core.test_checkin import SECRET, code
from tests.factories import make_conference, make_delegation, make_item, make_participant, make_registration

# 31 Oct 2024 in Minsk (UTC+3): 09:00 local is 06:00 UTC.
NINE = datetime(2024, 10, 31, 6, 0, tzinfo=UTC)


class At:
    def __init__(self, moment: datetime) -> None:
        self.now = moment

    def __call__(self) -> datetime:
        return self.now


async def test_board_counts_places_sessions_and_ten_minute_arrivals(session) -> None:
    conf = await make_conference(session)
    by = await make_delegation(session, conf, "BY", name={"en": "Belarus"})
    plenary = await make_item(session, conf, "plenary", start=NINE + timedelta(hours=1))
    regs = []
    for i in range(4):
        p = await make_participant(session, full_name=f"P{i}")
        regs.append(
            await make_registration(session, conf, p, delegation=by if i < 3 else None, category=Category.DELEGATE)
        )
    session.add(AgendaSignup(agenda_item_id=plenary.id, registration_id=regs[0].id, status=SignupStatus.CONFIRMED))
    session.add(AgendaSignup(agenda_item_id=plenary.id, registration_id=regs[3].id, status=SignupStatus.CONFIRMED))
    await session.commit()
    session.expunge_all()
    clock = At(NINE)
    # three arrive 09:00-09:09, one at 09:25; two go on to the plenary; one leaves the venue
    for minutes, reg in ((1, regs[0]), (5, regs[1]), (9, regs[2]), (25, regs[3])):
        clock.now = NINE + timedelta(minutes=minutes)
        assert (await _scan(session, conf, reg, clock)).ok
    clock.now = NINE + timedelta(minutes=50)
    for reg in regs[:2]:
        assert (await _scan(session, conf, reg, clock, agenda_item_id=plenary.id)).ok
    assert (await _scan(session, conf, regs[2], clock, direction=ScanDirection.OUT)).ok

    shown = await board(session, conf, clock=clock)
    assert (shown.approved, shown.checked_in, shown.inside) == (4, 4, 3)
    assert [(p.code, p.inside) for p in shown.places] == [(None, 1), ("plenary", 2)]
    assert [(d["code"], d["present"], d["inside"]) for d in shown.delegations] == [("BY", 3, 2), ("—", 1, 1)]
    (line,) = shown.sessions
    assert (line.code, line.signed_up, line.scanned, line.signed_and_scanned, line.inside) == ("plenary", 2, 2, 1, 2)
    assert line.hall == {"en": "Hall A", "ru": "Зал А"}
    counts = {b.at.strftime("%H:%M"): b.entries for b in shown.arrivals if b.entries}
    assert counts == {"09:00": 3, "09:20": 1}  # venue entries only: the hall scans are not arrivals
    assert shown.arrivals[0].at.strftime("%H:%M") == "07:00" and shown.arrivals[-1].at.strftime("%H:%M") == "19:50"
    data = shown.as_dict()
    assert data["day"] == "2024-10-31" and data["arrivals"][0]["at"].startswith("2024-10-31T07:00:00+03:00")


async def test_an_early_scan_widens_the_chart(session) -> None:
    conf = await make_conference(session)
    reg = await make_registration(session, conf)
    await session.commit()
    session.expunge_all()
    clock = At(datetime(2024, 10, 31, 2, 31, tzinfo=UTC))  # 05:31 in Minsk
    assert (await _scan(session, conf, reg, clock)).ok
    arrivals = (await board(session, conf, clock=clock)).arrivals
    assert arrivals[0].at.strftime("%H:%M") == "05:30" and arrivals[0].entries == 1
    assert sum(b.entries for b in arrivals) == 1


async def _scan(session, conf, reg, clock, **kw):
    return await scan(
        session,
        conference_id=conf.id,
        text=code(reg),
        staff_telegram_id=1,
        gate="Main",
        secret=SECRET,
        clock=clock,
        **kw,
    )
