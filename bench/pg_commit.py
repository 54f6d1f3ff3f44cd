"""What a PostgreSQL commit costs on this machine, by round trips: `python bench/pg_commit.py`.

Raw asyncpg (no SQLAlchemy, none of our code) in a scratch database, alternating rounds:
- tx4: BEGIN, a SELECT, one statement that inserts a row and updates another, COMMIT
  (the shape of a kiosk scan: 4 round trips);
- auto2: the same two statements in autocommit (2 round trips, one commit);
- auto1: the write alone in autocommit (1 round trip).
Median ms per transaction of each round. The floor under any check-in on PostgreSQL: if the
three come out alike, the commit's wait (WAL flush and the wake-up after it), not round trips,
is what a scan waits for.

    CONFDESK_BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \
        python bench/pg_commit.py [--rounds 6] [--n 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import asyncpg
from sqlalchemy.engine import make_url


async def measure(dsn: str, rounds: int, n: int) -> dict[str, list[float]]:
    conn = await asyncpg.connect(dsn)
    await conn.execute(
        "CREATE TABLE p (id int PRIMARY KEY, v int); CREATE TABLE s (id serial PRIMARY KEY, rid int, at timestamptz)"
    )
    await conn.execute("INSERT INTO p SELECT g, 0 FROM generate_series(1, 20000) g")
    read = await conn.prepare("SELECT v FROM p WHERE id = $1")
    write = await conn.prepare(
        "WITH s1 AS (INSERT INTO s (rid, at) VALUES ($1, now()) RETURNING id) "
        "UPDATE p SET v = (SELECT id FROM s1) WHERE id = $1 RETURNING v"
    )
    out: dict[str, list[float]] = {"tx4": [], "auto2": [], "auto1": []}
    i = 0
    for r in range(rounds):
        for mode in list(out) if r % 2 == 0 else list(reversed(out)):
            lat = []
            for _ in range(n):
                i += 1
                rid = i % 20000 + 1
                t0 = time.perf_counter()
                if mode == "tx4":
                    async with conn.transaction():
                        await read.fetchval(rid)
                        await write.fetchval(rid)
                elif mode == "auto2":
                    await read.fetchval(rid)
                    await write.fetchval(rid)
                else:
                    await write.fetchval(rid)
                lat.append(time.perf_counter() - t0)
            out[mode].append(statistics.median(lat) * 1e3)
    await conn.close()
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    url = make_url(os.environ["CONFDESK_BENCH_PG_URL"]).set(drivername="postgresql")
    name = f"confdesk_commit_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(url.render_as_string(False))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        got = await measure(url.set(database=name).render_as_string(False), args.rounds, args.n)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    print(f"median ms per transaction, {args.rounds} rounds of {args.n} (each round's median):")
    for mode, meds in got.items():
        print(f"  {mode:<6} {statistics.median(meds):.3f}  rounds: {' '.join(f'{m:.3f}' for m in meds)}")


if __name__ == "__main__":
    asyncio.run(main())
