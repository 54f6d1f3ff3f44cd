"""The offline kiosk's parts: the same verdicts as online, the upload once, the reissue window,
`kiosk status` and `kiosk wipe`. (Across a real outage: tests/cli/test_offline_kiosk.py.)"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.kiosk import app as kiosk_app
from core.badges import badge_link, make_token, reissue_badge
from core.checkin import scan
from core.checkin.offline.copy import fetch, load, save
from core.checkin.offline.judge import judge
from core.checkin.offline.kiosk import Kiosk, Place
from core.checkin.offline.upload import upload
from core.models import Category, Presence, RegistrationStatus, Scan, ScanDirection, ScanResult
from core.uow import unit_of_work
from tests.factories import make_conference, make_delegation, make_item, make_participant, make_registration

SECRET = b"q" * 48
T0 = datetime(2024, 10, 31, 7, 0, tzinfo=UTC)
IN, OUT = ScanDirection.IN, ScanDirection.OUT


def link(reg_id: int, version: int = 1) -> str:
    return badge_link("confdesk_test_bot", make_token(SECRET, reg_id, version))


async def _world(session):  # type: ignore[no-untyped-def]
    conf = await make_conference(session)
    other = await make_conference(session, "other-2024")
    hu = await make_delegation(session, conf, "HU", name={"en": "Hungary"})
    head = await make_registration(
        session, conf, await make_participant(session), delegation=hu, category=Category.HEAD
    )
    press = await make_registration(session, conf, await make_participant(session), category=Category.PRESS)
    pending = await make_registration(session, conf, await make_participant(session), status=RegistrationStatus.PENDING)
    lost = await make_registration(session, conf, await make_participant(session))
    elsewhere = await make_registration(session, other, await make_participant(session))
    hall = await make_item(session, conf, "hall", allowed=["press"])
    await session.commit()
    await reissue_badge(session, lost.id)
    await session.commit()
    return conf, hall.id, head.id, press.id, pending.id, lost.id, elsewhere.id


async def test_the_offline_judge_gives_the_online_verdicts(session, tmp_path):
    conf, hall, head, press, pending, lost, elsewhere = await _world(session)
    copy = await fetch(session, conf.id, SECRET)
    await session.commit()
    save(copy, tmp_path)
    copy = load(tmp_path)  # judged from what was written, not from memory
    assert copy is not None
    forged = link(head)[:-4] + "AAAA"
    script = [
        (link(head), IN, None), (link(head), IN, None), (link(head), IN, hall), (link(press), IN, hall),
        (link(press), IN, hall), (link(press), OUT, hall), (link(press), OUT, None), (link(press), OUT, None),
        (link(pending), IN, None), (link(lost, 1), IN, None), (link(lost, 2), IN, None), (link(lost, 3), IN, None),
        (forged, IN, None), ("garbage", IN, None), (b"\xff\xfe", IN, None), (link(elsewhere), IN, None),
        (link(head), OUT, None), (link(head), IN, None),
    ]  # fmt: skip
    now = T0
    for text, direction, item in script:
        now += timedelta(seconds=5)
        online = await scan(session, conference_id=conf.id, text=text, staff_telegram_id=7, gate="G",
                            agenda_item_id=item, direction=direction, secret=SECRET, clock=lambda n=now: n)  # fmt: skip
        offline, entry = judge(copy, text, gate="G", item_id=item, direction=direction, staff=7, nonce="n", now=now)
        assert offline.offline and not online.offline
        assert offline.result is online.result, (text, direction, item, online, offline)
        if offline.detail == "not_in_copy":  # what the copy cannot know: a version or a registration it lacks
            assert online.detail in ("unknown_version", "other_conference"), online
        else:
            assert (offline.detail, offline.registration_id, offline.name) == (
                online.detail, online.registration_id, online.name
            )  # fmt: skip
        assert entry.result == online.result.value
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600
    assert make_token(SECRET, head, 1).encode() not in (tmp_path / "copy.db").read_bytes()  # digests only


async def test_an_upload_stores_each_scan_once_and_keeps_what_central_knew(session):
    conf, _, head, _, _, lost, _ = await _world(session)
    copy = await fetch(session, conf.id, SECRET)
    await session.commit()
    await reissue_badge(session, lost)  # central reissues after the copy was taken
    await session.commit()
    entries = []
    for i, text in enumerate((link(head), link(head), link(lost, 2), "junk")):
        _, entry = judge(copy, text, gate="North", item_id=None, direction=IN, staff=None, nonce=f"n{i}",
                         now=T0 + timedelta(seconds=i))  # fmt: skip
        entries.append(entry)
    assert [e.result for e in entries] == ["ok", "duplicate", "ok", "invalid"]
    assert await upload(session, conf.id, entries) == 4
    await session.commit()
    assert await upload(session, conf.id, entries) == 0  # again (a crash before the journal was marked)
    await session.commit()
    rows = (await session.execute(select(Scan).order_by(Scan.scanned_at))).scalars().all()
    assert [(s.result, s.offline, s.offline_conflict) for s in rows] == [
        (ScanResult.OK, True, None), (ScanResult.DUPLICATE, True, None),
        (ScanResult.OK, True, "reissued"), (ScanResult.INVALID, True, None),
    ]  # fmt: skip
    presence = await session.get(Presence, head)
    assert presence is not None and presence.inside and presence.since == T0 and presence.last_scan_id == rows[0].id


async def test_the_reissue_window_of_an_offline_door(session, session_factory, database_url, tmp_path, monkeypatch):
    conf, _, head, _, _, lost, _ = await _world(session)
    await session.close()

    async def secret(_):  # type: ignore[no-untyped-def]
        return SECRET

    async def conference(_):  # type: ignore[no-untyped-def]
        return conf.id

    online = Kiosk(database_url, tmp_path / "online", secret)
    door = Kiosk(database_url, tmp_path / "door", secret)
    for kiosk in (online, door):
        await kiosk.start(conference)
        assert kiosk.online
        kiosk.place = Place(conf.id, None, "North", IN, None)  # no background work: each step by hand
    door.go_offline(RuntimeError("the venue network is down"))
    async with unit_of_work(session_factory) as s:
        await reissue_badge(s, lost)  # version 3: the door's copy knows version 2
    assert (await online.scan(link(lost, 3))).result is ScanResult.OK  # an online door: at once
    assert (await online.scan(link(lost, 2))).result is ScanResult.REVOKED
    old, new = await door.scan(link(lost, 2)), await door.scan(link(lost, 3))
    assert (old.result, old.offline) == (ScanResult.OK, True)  # the window: the old badge still opens
    assert (new.result, new.detail) == (ScanResult.INVALID, "not_in_copy")

    result = CliRunner().invoke(kiosk_app, ["status", "--offline-dir", str(tmp_path / "door")])
    assert "Scans waiting to upload: 2" in result.output and "the venue network is down" in result.output
    assert "Local copy: minsk-2024, read from the central database" in result.output
    result = CliRunner().invoke(kiosk_app, ["wipe", "--offline-dir", str(tmp_path / "door")])
    assert result.exit_code == 1 and "2 scan(s)" in result.output and "--force" in result.output

    assert await door.drain() == 2 and door.online  # reconnected: uploaded, online again
    await door.refresh()  # the next refresh closes the window
    door.go_offline(RuntimeError("down again"))
    assert (await door.scan(link(lost, 2))).result is ScanResult.REVOKED
    assert (await door.scan(link(lost, 3))).result is ScanResult.DUPLICATE  # let in above, online
    assert (await door.scan(link(head))).result is ScanResult.OK
    async with unit_of_work(session_factory) as s:
        assert await s.scalar(select(func.count()).select_from(Scan).where(Scan.offline.is_(True))) == 2
    await door.drain()
    for kiosk in (online, door):
        await kiosk.close()
    result = CliRunner().invoke(kiosk_app, ["status", "--offline-dir", str(tmp_path / "door")])
    assert "Scans waiting to upload: 0" in result.output, result.output
    result = CliRunner().invoke(kiosk_app, ["wipe", "--offline-dir", str(tmp_path / "door")])
    assert result.exit_code == 0 and "deleted" in result.output
    assert not list(os.listdir(tmp_path / "door"))
