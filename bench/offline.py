"""Offline kiosk: `python bench/offline.py [--n 10000] [--rounds 3]`.

In one process, one kiosk (`core.checkin.offline.kiosk.Kiosk`) over N badges:
- online: verdicts/s with central answering (checkin.scan + commit, the journal line): the baseline;
  and the same while the local copy is refreshed back to back (a kiosk refreshes every 30 s);
- offline: verdicts/s judged from the local copy, each journaled and fsync'd before it counts
  (and, for reference, the judge alone without the journal);
- upload: from reconnect to a fully uploaded journal of N offline scans (`Kiosk.drain`:
  batches of 500, each scan once by its nonce, presence recomputed), as scans/s and as seconds.
Each figure is the median of --rounds rounds, and each is printed as a ratio to the online
rate of the same run. SQLite central in a temporary folder that is moved away for the outage;
PostgreSQL too when CONFDESK_BENCH_PG_URL=postgresql+asyncpg://… names a server (a scratch
database, reached through a TCP proxy that is cut; the proxy runs in a thread of this
process, so PostgreSQL's online figures here are lower than without it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from core.badges import badge_link, make_token
from core.checkin.offline.judge import judge
from core.checkin.offline.kiosk import Kiosk, Place
from core.db import make_engine
from core.migrate import upgrade
from core.models import Conference, Participant, Registration, ScanDirection

SECRET = b"o" * 48


async def seed(url: str, n: int) -> tuple[int, list[str]]:
    engine = make_engine(url)
    await upgrade(engine)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        today = date.today()
        conference = dict(slug="bench", edition=1, name={"en": "Bench"}, timezone="Europe/Minsk", first_day=today,
                          last_day=today, auto_approve_categories=[], venue={}, city={}, created_at=now,
                          updated_at=now)  # fmt: skip
        cid = (await conn.execute(insert(Conference).values(**conference).returning(Conference.id))).scalar_one()
        people = [dict(full_name=f"Person {i}", ref=f"b{i}", created_at=now, updated_at=now) for i in range(n)]
        pids = (await conn.execute(insert(Participant).returning(Participant.id), people)).scalars().all()
        regs = [dict(conference_id=cid, participant_id=p, category="delegate", status="approved", source="import",
                     badge_version=1, badge_print_count=0, created_at=now, updated_at=now) for p in pids]  # fmt: skip
        rids = (await conn.execute(insert(Registration).returning(Registration.id), regs)).scalars().all()
    await engine.dispose()
    return cid, [badge_link("confdesk_bot", make_token(SECRET, r, 1)) for r in rids]


async def rate(kiosk: Kiosk, links: list[str], offline: bool) -> float:
    t0 = time.perf_counter()
    for link in links:
        verdict = await kiosk.scan(link)
        assert verdict.offline is offline, verdict
    return len(links) / (time.perf_counter() - t0)


async def refresh_forever(kiosk: Kiosk) -> None:
    """The copy refreshed again and again (a kiosk does it every 30 s) while scans go on."""
    while True:
        await kiosk.refresh()


async def bench(url: str, n: int, rounds: int, cut: Callable[[], None], restore: Callable[[], None]) -> None:
    cid, links = await seed(url, n)

    async def secret(_: AsyncSession) -> bytes:
        return SECRET

    async def conference(_: AsyncSession) -> int:
        return cid

    with tempfile.TemporaryDirectory() as folder:
        kiosk = Kiosk(url, Path(folder), secret, timeout=5)
        t0 = time.perf_counter()
        copy = await kiosk.start(conference)
        print(f"  local copy of {n} badges read and written: {time.perf_counter() - t0:6.2f} s")
        kiosk.place = Place(cid, None, "Bench", ScanDirection.IN, None)  # no background work: measured by hand
        online, refreshing, offline, judged, upload = [], [], [], [], []
        k = min(n // 2, 1000)
        sample, other = links[:k], links[k : 2 * k]  # the same kind of verdicts in both online runs
        for r in range(rounds):
            gate = f"R{r}"
            kiosk.place = Place(cid, None, gate, ScanDirection.IN if r % 2 == 0 else ScanDirection.OUT, None)
            online.append(await rate(kiosk, sample, offline=False))
            refreshes = asyncio.create_task(refresh_forever(kiosk))
            refreshing.append(await rate(kiosk, other, offline=False))
            refreshes.cancel()
            cut()
            kiosk.go_offline(RuntimeError("bench: central cut"))
            offline.append(await rate(kiosk, links, offline=True))
            t0 = time.perf_counter()
            for link in sample:
                judge(copy, link, gate=gate, item_id=None, direction=ScanDirection.IN, staff=None, nonce="x",
                      now=datetime.now(UTC))  # fmt: skip
            judged.append(len(sample) / (time.perf_counter() - t0))
            restore()
            t0 = time.perf_counter()
            uploaded = await kiosk.drain()
            upload.append((uploaded, time.perf_counter() - t0))
            assert uploaded == n and kiosk.online, uploaded
        await kiosk.close()
    base = statistics.median(online)
    up_time = statistics.median(t for _, t in upload)
    up_rate = n / up_time
    print(f"  online scan (baseline)            {base:8.0f} verdicts/s")
    print(f"  online, refreshing back to back   {statistics.median(refreshing):8.0f} verdicts/s"
          f"   x{statistics.median(refreshing) / base:5.2f} of online")  # fmt: skip
    print(f"  offline scan, journal fsync'd     {statistics.median(offline):8.0f} verdicts/s"
          f"   x{statistics.median(offline) / base:5.2f} of online")  # fmt: skip
    print(f"  offline judge alone (no journal)  {statistics.median(judged):8.0f} verdicts/s"
          f"   x{statistics.median(judged) / base:5.2f} of online")  # fmt: skip
    print(f"  reconnect → {n} scans uploaded   {up_time:8.2f} s = {up_rate:.0f} scans/s"
          f"   x{up_rate / base:5.2f} of online")  # fmt: skip


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        here, away = Path(tmp) / "central", Path(tmp) / "gone"
        here.mkdir()
        print(f"SQLite central ({args.n} badges, {args.rounds} rounds, medians)")
        await bench(f"sqlite+aiosqlite:///{here}/bench.db", args.n, args.rounds,
                    lambda: here.rename(away), lambda: away.rename(here))  # fmt: skip
    pg = os.environ.get("CONFDESK_BENCH_PG_URL")
    if pg:
        from tests.tcp_proxy import Proxy

        name = f"confdesk_bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(pg, isolation_level="AUTOCOMMIT")
        async with admin.connect() as c:
            await c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            parsed = make_url(pg).set(database=name)
            with Proxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
                print(f"PostgreSQL central through a TCP proxy ({args.n} badges, {args.rounds} rounds, medians)")
                url = parsed.set(port=proxy.port).render_as_string(hide_password=False)
                await bench(url, args.n, args.rounds, proxy.cut, proxy.restore)
        finally:
            async with admin.connect() as c:
                await c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
