"""The Mini App's scanner API against the kiosk: `python bench/webapp.py [--n 400] [--rounds 3]`.

In the same run, on the same database, with fresh badges each round (every verdict `ok`):
  kiosk     what `confdesk scan` does per line: one unit of work around
            core.checkin.scan, one after the other, in this process;
  api x4    four scanners at once, each POSTing its codes to /api/scan (initData checked,
            roles read, the same service in one unit of work) of the Mini App's server,
            running in its own process on loopback;
  api x1    one scanner, one request at a time: the verdict's latency on loopback.
Prints verdicts per second (median of the rounds), the API's rate as a ratio of the
kiosk's, and the latency of a verdict (median and 95th percentile; target < 300 ms).
SQLite in a temporary file; PostgreSQL too when CONFDESK_BENCH_PG_URL=postgresql+asyncpg://…
names a server (a scratch database is made and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench import seed
from bot.webapp.auth import sign_init_data
from core import checkin
from core.badges import badge_link
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import StaffRole
from core.uow import unit_of_work

SECRET = "b" * 48
TOKEN = "123456:BENCH-token"
STAFF = 1001
SCANNERS = 4


def settings(url: str):  # type: ignore[no-untyped-def]
    from core.config import load_settings

    return load_settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=url,
        badge_secret=SECRET,
        webapp_url="https://bench.example/app/",
        conference=None,
        redis_url=None,
    )


async def populate(url: str, n: int) -> tuple[int, list[str]]:
    engine = make_engine(url)
    await upgrade(engine)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        cid = await seed.conference(conn)
        await conn.execute(insert(StaffRole).values(conference_id=cid, telegram_id=STAFF, role="door", created_at=now))
        badges = await seed.approved(conn, cid, n, SECRET.encode())
    await engine.dispose()
    return cid, [badge_link("confdesk_bot", token) for _, token in badges]


async def kiosk(url: str, cid: int, codes: list[str]) -> float:
    """Verdicts per second, the kiosk's way: one unit of work per scan, one after the other."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    t0 = time.perf_counter()
    for code in codes:
        async with unit_of_work(factory) as session:
            verdict = await checkin.scan(
                session, conference_id=cid, text=code, staff_telegram_id=STAFF, gate="entrance", secret=SECRET.encode()
            )
        assert verdict.result.value == "ok", verdict
    rate = len(codes) / (time.perf_counter() - t0)
    await engine.dispose()
    return rate


async def api(base: str, chunks: list[list[str]]) -> tuple[float, list[float]]:
    """Verdicts per second with len(chunks) scanners at once, and each verdict's latency (s)."""
    import aiohttp

    latencies: list[float] = []

    async def scanner(http: aiohttp.ClientSession, codes: list[str]) -> None:
        headers = {"Authorization": "tma " + sign_init_data(_fields(), TOKEN)}
        for code in codes:
            t = time.perf_counter()
            body = {"code": code, "place": None, "direction": "in", "nonce": uuid.uuid4().hex}
            async with http.post(base + "api/scan", json=body, headers=headers) as response:
                data = await response.json()
            latencies.append(time.perf_counter() - t)
            assert response.status == 200 and data["result"] == "ok", data

    connector = aiohttp.TCPConnector(limit=len(chunks))
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.get(base + "api/strings") as warm:  # the connection and the server warm
            await warm.read()
        t0 = time.perf_counter()
        await asyncio.gather(*(scanner(http, c) for c in chunks))
        elapsed = time.perf_counter() - t0
    return sum(len(c) for c in chunks) / elapsed, latencies


def _fields() -> dict[str, str]:
    user = json.dumps({"id": STAFF, "first_name": "Door", "language_code": "en"})
    return {"auth_date": str(int(time.time())), "user": user, "query_id": "bench"}


async def serve(url: str) -> None:
    """The server process: the Mini App alone on 127.0.0.1, its port on stdout."""
    from aiohttp import web

    from bot.webapp.server import WebApp

    engine = make_engine(url)
    app = WebApp(settings(url), make_session_factory(engine)).app()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the bench closes stdin
    await runner.cleanup()
    await engine.dispose()


async def bench(url: str, n: int, rounds: int) -> None:
    cid, codes = await populate(url, n * rounds * 3)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", url, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdin is not None
    base = f"http://127.0.0.1:{int(await proc.stdout.readline())}/app/"
    kiosk_rates, api_rates, single_rates = [], [], []
    concurrent_lat: list[float] = []
    single_lat: list[float] = []
    try:
        for r in range(rounds):
            batch = codes[r * 3 * n : (r + 1) * 3 * n]
            kiosk_rates.append(await kiosk(url, cid, batch[:n]))
            rate, lat = await api(base, [batch[n:][i::SCANNERS][: n // SCANNERS] for i in range(SCANNERS)])
            api_rates.append(rate)
            concurrent_lat += lat
            rate, lat = await api(base, [batch[2 * n :]])
            single_rates.append(rate)
            single_lat += lat
    finally:
        proc.stdin.close()
        await proc.wait()
    k, a, s = (statistics.median(x) for x in (kiosk_rates, api_rates, single_rates))
    print(f"  kiosk (in-process, one unit of work per scan)  {k:8.0f} verdicts/s")
    print(f"  API, {SCANNERS} scanners at once over HTTP         {a:8.0f} verdicts/s   {a / k:5.2f}x the kiosk")
    print(f"  API, one scanner                              {s:8.0f} verdicts/s   {s / k:5.2f}x the kiosk")
    for label, lat in ((f"{SCANNERS} scanners", concurrent_lat), ("one scanner", single_lat)):
        ms = sorted(x * 1000 for x in lat)
        p95 = ms[int(len(ms) * 0.95) - 1]
        verdict = "within" if p95 < 300 else "OVER"
        median = statistics.median(ms)
        print(f"  verdict latency, {label:<12} median {median:6.1f} ms   p95 {p95:6.1f} ms   ({verdict} 300 ms)")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400, help="scans per mode per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return await serve(args.serve)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite ({args.n} scans per mode, {args.rounds} rounds, medians)")
        await bench(f"sqlite+aiosqlite:///{tmp}/bench.db", args.n, args.rounds)
    pg = os.environ.get("CONFDESK_BENCH_PG_URL")
    if pg:
        name = f"confdesk_bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(pg, isolation_level="AUTOCOMMIT")
        async with admin.connect() as c:
            await c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            print(f"PostgreSQL ({args.n} scans per mode, {args.rounds} rounds, medians)")
            await bench(make_url(pg).set(database=name).render_as_string(hide_password=False), args.n, args.rounds)
        finally:
            async with admin.connect() as c:
                await c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
