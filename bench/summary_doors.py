"""How long a door scan waits while a report folds the attendance summary:
`python bench/summary_doors.py --url URL [--case rebuild|export] [--rounds 3]`.

On a database made by bench/reports.py (`--pg-database NAME` or `--sqlite-file PATH`: its
"bench" conference, 500,000 scans), a door process commits one scan after another (each its
own unit of work, as a kiosk does; here the scan row alone) while this
process runs the report, and prints how long the slowest door scan took while the report
ran, beside the slowest of as many scans just before it, with no report (the same run).

- `rebuild`: the first report after the upgrade (the conference's attendance_fold row
  deleted first): `summary.refresh` builds the summary from scratch.
- `export`: `confdesk export attendance` as XLSX (its fold, then the file).

Old and new code in turns: CONFDESK_BENCH_CODE=/path/to/checkout runs that checkout's core/
(both processes), on the same data.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, os.environ.get("CONFDESK_BENCH_CODE") or str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from core import reporting
from core.db import make_engine, make_session_factory
from core.models import Conference, Registration, Scan
from core.reporting import summary
from core.uow import unit_of_work


def clock() -> datetime:
    return datetime(2024, 10, 31, 12, 0, tzinfo=UTC)


async def _doors(url: str, conference_id: int, stop: Any, ready: Any, out: Any) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    async with unit_of_work(factory) as session:
        regs = list(
            (
                await session.execute(
                    select(Registration.id).where(Registration.conference_id == conference_id).limit(500)
                )
            ).scalars()
        )
    took: list[tuple[float, float]] = []  # (when it started, how long it took)
    i = 0
    while not stop.is_set():
        reg = regs[i % len(regs)]
        i += 1
        t0 = time.perf_counter()
        async with unit_of_work(factory) as session:
            await session.execute(
                insert(Scan).values(
                    conference_id=conference_id,
                    registration_id=reg,
                    direction="in",
                    result="duplicate",  # counted in the tallies, moves nobody
                    scanned_at=datetime.now(UTC),
                    gate="bench",
                )
            )
        took.append((t0, time.perf_counter() - t0))
        if i == 50:
            ready.set()
        await asyncio.sleep(0.005)
    await engine.dispose()
    out.put(took)


def door_process(url: str, conference_id: int, stop: Any, ready: Any, out: Any) -> None:
    asyncio.run(_doors(url, conference_id, stop, ready, out))


async def report(url: str, case: str, conference_id: int) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    async with unit_of_work(factory) as session:
        conf = await session.get(Conference, conference_id)
        assert conf is not None
        if case == "rebuild":
            await session.execute(text("DELETE FROM attendance_fold WHERE conference_id = :c"), {"c": conference_id})
    async with unit_of_work(factory) as session:
        if case == "rebuild":
            await summary.refresh(session, conf, clock=clock)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                await reporting.export(session, conf, "attendance", "xlsx", Path(tmp) / "a.xlsx", clock=clock)
    await engine.dispose()


async def conference(url: str) -> int:
    engine = make_engine(url)
    async with unit_of_work(make_session_factory(engine)) as session:
        found = (await session.execute(select(Conference.id).where(Conference.slug == "bench"))).scalar_one()
        scans = (await session.execute(select(func.count()).select_from(Scan))).scalar_one()
    await engine.dispose()
    print(f"  {scans} scans")
    return int(found)


def one_round(url: str, case: str, conference_id: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    stop, ready, out = ctx.Event(), ctx.Event(), ctx.Queue()
    door = ctx.Process(target=door_process, args=(url, conference_id, stop, ready, out))
    door.start()
    ready.wait()
    t0 = time.perf_counter()
    asyncio.run(report(url, case, conference_id))
    t1 = time.perf_counter()
    stop.set()
    took = out.get()
    door.join()
    during = [d for start, d in took if start + d >= t0 and start <= t1]
    before = [d for start, d in took if start + d < t0][-len(during) :]
    print(
        f"  {case}: report {(t1 - t0) * 1000:.0f} ms; door scans meanwhile {len(during)},"
        f" slowest {max(during, default=0) * 1000:.0f} ms (before it, no report: slowest of"
        f" {len(before)} {max(before, default=0) * 1000:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="a database made by bench/reports.py")
    parser.add_argument("--case", choices=["rebuild", "export"], default="rebuild")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"code: {os.environ.get('CONFDESK_BENCH_CODE') or 'this checkout'}; load {os.getloadavg()[0]:.2f}")
    conference_id = asyncio.run(conference(args.url))
    for _ in range(args.rounds):
        one_round(args.url, args.case, conference_id)


if __name__ == "__main__":
    main()
