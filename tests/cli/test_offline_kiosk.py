"""Kiosks across an outage of the central database (issue 15).

Three kiosk processes (`confdesk scan --offline-dir`, --json) scan 200 badges before, during
and after an outage: PostgreSQL behind a TCP proxy the test cuts (CONFDESK_TEST_DATABASE_URL
set), or a SQLite file whose folder is moved away. During it: duplicates at one door, the
same badge at two offline doors, a badge reissued centrally, a kill -9 of one kiosk and its
restart still offline. Afterwards every scan is in central exactly once, the report's figures
equal those computed from the scans, and the conflicts are listed.
Every wait polls for an event with a generous limit; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core import reporting
from core.badges import badge_link, make_token, reissue_badge
from core.checkin.offline.status import offline_state
from core.models import Conference, Presence, Scan
from core.reporting.offline_conflicts import offline_conflicts
from tests.cli.test_badges_cli import BOT, SECRET, _db
from tests.dbutil import USE_PG
from tests.factories import make_conference, make_participant, make_registration
from tests.tcp_proxy import Proxy

ROOT = Path(__file__).parents[2]
PATIENCE = 120.0  # seconds: a generous limit on a busy machine, never a wait by itself


def wait_for(condition: Callable[[], Any], what: str, limit: float = PATIENCE) -> Any:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)  # polling interval, not a wait for an event
    raise AssertionError(f"timed out waiting for {what}")


class Central:
    """The central database, and a way to make it unreachable for the kiosks."""

    def __init__(self, direct: str, for_kiosks: str, cut: Callable[[], None], restore: Callable[[], None]):
        self.direct, self.for_kiosks, self.cut, self.restore = direct, for_kiosks, cut, restore
        self.url = direct  # where the test itself reaches it (moves with a SQLite folder)


@pytest.fixture
def central(template_db, tmp_path) -> Iterator[Central]:
    url = asyncio.run(template_db.checkout(tmp_path))
    if USE_PG:
        parsed = make_url(url)
        with Proxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
            kiosk_url = parsed.set(port=proxy.port).render_as_string(hide_password=False)
            yield Central(url, kiosk_url, proxy.cut, proxy.restore)
        return
    folder, away = tmp_path / "central", tmp_path / "central-gone"
    folder.mkdir()
    (tmp_path / "confdesk.db").rename(folder / "confdesk.db")
    url = f"sqlite+aiosqlite:///{folder / 'confdesk.db'}"
    c = Central(url, url, lambda: None, lambda: None)

    def cut() -> None:  # the path the kiosks use is gone; the test reaches the file where it went
        folder.rename(away)
        c.url = f"sqlite+aiosqlite:///{away / 'confdesk.db'}"

    def restore() -> None:
        away.rename(folder)
        c.url = url

    c.cut, c.restore = cut, restore
    yield c


class KioskProcess:
    def __init__(self, central: Central, directory: Path, gate: str, *extra: str) -> None:
        boot = "import faulthandler, signal; faulthandler.register(signal.SIGUSR1); from bot.cli import main; main()"
        self.args = [sys.executable, "-c", boot, "scan", "--gate", gate, "--json",
                     "--offline-dir", str(directory), "--timeout", "5", "--retry-every", "0.2", "--refresh-every", "1",
                     *extra]  # fmt: skip
        self.env = {**os.environ, "DATABASE_URL": central.for_kiosks, "BADGE_SECRET": SECRET, "BOT_USERNAME": BOT}
        self.env.pop("CONFERENCE", None)
        self.directory, self.gate = directory, gate
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, cwd=ROOT
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True).start()
        self.errors: list[str] = []
        threading.Thread(target=self._collect, args=(self.proc.stderr,), daemon=True).start()

    @staticmethod
    def _read(stream: Any, lines: queue.Queue[str]) -> None:
        for line in stream:
            lines.put(line.decode())

    def _collect(self, stream: Any) -> None:
        for line in stream:
            self.errors.append(line.decode())

    def scan(self, text: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()
        try:
            line = self.lines.get(timeout=PATIENCE)
        except queue.Empty:
            if self.proc.poll() is not None:  # not stuck: gone
                raise AssertionError(
                    f"{self.gate}: exited with {self.proc.returncode}; stderr: {''.join(self.errors)}"
                ) from None
            self.proc.send_signal(signal.SIGUSR1)  # where it is stuck, on stderr
            wait_for(lambda: any("File" in e for e in self.errors), "a stack dump", 10)
            raise AssertionError(f"{self.gate}: no answer; stderr: {''.join(self.errors)}") from None
        return json.loads(line)

    def kill9(self) -> None:
        self.proc.kill()  # SIGKILL: no cleanup at all
        self.proc.wait(PATIENCE)

    def end(self) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(PATIENCE) == 0, "".join(self.errors)
        return "".join(self.errors)


def seed(url: str, n: int) -> tuple[list[int], str]:
    async def fn(s):  # type: ignore[no-untyped-def]
        today = datetime.now(ZoneInfo("Europe/Minsk")).date()
        conf = await make_conference(s, first_day=today - timedelta(days=1), last_day=today + timedelta(days=1))
        ids = []
        for i in range(n):
            p = await make_participant(s, full_name=f"Guest {i}")
            ids.append((await make_registration(s, conf, p)).id)
        return ids, conf.slug

    return asyncio.run(_db(url, fn))


def link(reg_id: int, version: int = 1) -> str:
    return badge_link(BOT, make_token(SECRET.encode(), reg_id, version))


def central_rows(url: str) -> tuple[list[Any], dict[int, Any], Conference]:
    async def fn(s):  # type: ignore[no-untyped-def]
        scans = (await s.execute(select(Scan).order_by(Scan.scanned_at, Scan.id))).scalars().all()
        presence = {p.registration_id: p for p in (await s.execute(select(Presence))).scalars()}
        conf = (await s.execute(select(Conference))).scalar_one()
        return scans, presence, conf

    return asyncio.run(_db(url, fn))


def test_kiosks_judge_through_an_outage_and_reconcile(central: Central, tmp_path: Path) -> None:
    r, _ = seed(central.url, 140)
    dirs = {g: tmp_path / f"kiosk-{g}" for g in ("North", "South", "Out")}
    a = KioskProcess(central, dirs["North"], "North")
    b = KioskProcess(central, dirs["South"], "South")
    c = KioskProcess(central, dirs["Out"], "Out", "--exit")
    said: list[tuple[str, dict[str, Any]]] = []

    def scan(kiosk: KioskProcess, text: str, result: str, offline: bool) -> None:
        got = kiosk.scan(text)
        said.append((kiosk.gate, got))
        assert (got["result"], got["offline"]) == (result, offline), (kiosk.gate, text, got, kiosk.errors)

    # before: online
    for i in range(50):
        scan(a, link(r[i]), "ok", False)
    for i in range(10):
        scan(a, link(r[i]), "duplicate", False)
    scan(a, "not-a-badge", "invalid", False)
    scan(a, "\x00\x01junk", "invalid", False)
    for i in range(10, 20):
        scan(b, link(r[i]), "duplicate", False)  # another door, central knows: duplicate
    # the exit kiosk has scanned nothing yet: on a busy machine it may still be starting, and
    # a kiosk that never reached central has no copy to judge from when central goes
    for d in dirs.values():
        wait_for(lambda d=d: (s := offline_state(d)).mode == "online" and s.taken_at, f"{d.name} has its copy")

    central.cut()
    asyncio.run(_db(central.url, lambda s: reissue_badge(s, r[80])))  # lost badge, reissued meanwhile
    for i in range(50, 80):
        scan(a, link(r[i]), "ok", True)  # the first waits for the timeout, the rest are at once
    for i in range(50, 55):
        scan(a, link(r[i]), "duplicate", True)  # duplicates at one offline door
    scan(a, link(r[80]), "ok", True)  # the old badge: the copy does not know of the reissue
    scan(a, link(r[81]), "ok", True)
    scan(b, link(r[81]), "ok", True)  # the same badge at a second offline door: let in
    for i in range(82, 102):
        scan(b, link(r[i]), "ok", True)
    for junk in ("junk", "b_" + "A" * 32, link(r[5])[:-3] + "xyz"):
        scan(b, junk, "invalid", True)
    for i in range(10):
        scan(c, link(r[i]), "ok", True)  # leaving while offline
    assert offline_state(dirs["North"]).waiting == 37
    a.kill9()
    a.start()  # still offline: starts from its copy and its journal
    scan(a, link(r[50]), "duplicate", True)  # the journal survived kill -9
    scan(a, link(r[51]), "duplicate", True)
    for i in range(102, 110):
        scan(a, link(r[i]), "ok", True)
    for d in dirs.values():
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
        for name in ("copy.db", "journal.db"):
            assert stat.S_IMODE((d / name).stat().st_mode) == 0o600

    central.restore()
    for d in dirs.values():  # each uploads its journal and goes online by itself
        wait_for(lambda d=d: (s := offline_state(d)).waiting == 0 and s.mode == "online", f"{d.name} back online")
    for i in range(110, 130):
        scan(a, link(r[i]), "ok", False)
    for i in range(50, 60):
        scan(b, link(r[i]), "duplicate", False)  # let in offline at North: central knows now
    for i in range(10, 20):
        scan(c, link(r[i]), "ok", False)
    for i in range(5):
        scan(b, link(r[i]), "ok", False)  # they left offline at Out: back in
    scan(b, link(r[81]), "duplicate", False)
    scan(a, "garbage", "invalid", False)
    assert len(said) == 200
    for kiosk in (a, b, c):
        assert "Traceback" not in kiosk.end()

    scans, presence, conf = central_rows(central.url)
    assert len(scans) == 200 and len({s.nonce for s in scans}) == 200  # every scan, exactly once
    assert Counter((g, v["result"], v["offline"]) for g, v in said) == Counter(
        (s.gate, s.result.value, s.offline) for s in scans
    )
    # presence recomputed from the merged scans in time order
    inside: dict[int, bool] = {}
    for s in scans:
        if s.result.value == "ok" and s.registration_id is not None:
            inside[s.registration_id] = s.direction.value == "in"
    assert {k for k, v in inside.items() if v} == {k for k, p in presence.items() if p.inside}
    assert inside[r[3]] and not inside[r[7]] and not inside[r[15]] and inside[r[81]]

    async def report(s):  # type: ignore[no-untyped-def]
        return await reporting.stats(s, conf), await reporting.by_day(s, conf), await offline_conflicts(s, conf)

    stats, days, conflicts = asyncio.run(_db(central.url, report))
    entered = {s.registration_id for s in scans if s.result.value == "ok" and s.direction.value == "in"}
    assert stats.checked_in == len(entered) == 130
    assert stats.inside == sum(inside.values())
    today = next(d for d in days if d.day == stats.day)
    assert today.present == len(entered)
    assert today.entries == sum(1 for s in scans if s.result.value == "ok" and s.direction.value == "in")
    assert today.refused == sum(1 for s in scans if s.result.value != "ok")
    kinds = {(c.registration_id, c.kind, tuple(sorted(c.doors))) for c in conflicts}
    assert kinds == {(r[81], "admitted_twice", ("North", "South")), (r[80], "reissued", ("North",))}

    env = {**os.environ, "DATABASE_URL": central.url, "BADGE_SECRET": SECRET, "BOT_USERNAME": BOT}
    cmd = [sys.executable, "-c", "from bot.cli import main; main()", "report", "attendance", "--by", "day"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout
    assert "Offline conflicts: 2" in out and "admitted_twice" in out and "North, South" in out
    data = json.loads(subprocess.run([*cmd, "--json"], capture_output=True, text=True, env=env, cwd=ROOT).stdout)
    assert sorted(c["kind"] for c in data["offline_conflicts"]) == ["admitted_twice", "reissued"]
