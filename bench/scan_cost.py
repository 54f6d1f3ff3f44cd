"""What one valid scan costs in the kiosk loop: `python bench/scan_cost.py [--against DIR]`.

Per scan, as `confdesk scan` does per line (core.checkin.scan_alone on the line's bytes;
in a checkout from before it, a unit of work around core.checkin.scan), N distinct badges
in a row entering the venue, then the same N entering a hall (`confdesk scan --session`):
the process's CPU ms (time.process_time), the median wall ms, the statements (SQLite: as
SQLAlchemy sends them; PostgreSQL: as asyncpg sends them, BEGIN and COMMIT not counted) and,
on PostgreSQL, the round trips asyncpg makes (BEGIN, COMMIT, savepoints and the pool's ping
included). Each measurement is a fresh
process on a fresh database. With `--against DIR` (another checkout, e.g. /work/main) the
same loop runs that checkout's code too, alternating with this one in every round: a
before/after in the same run. The baseline in the same run: a bare INSERT of the Scan row +
COMMIT in a unit of work, per row, in the same process.

    python bench/scan_cost.py [--rounds 3] [--n 600] [--against /work/main]
    CONFDESK_BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/confdesk_perf python bench/scan_cost.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"k" * 48
SLUG = "bench"


def count_round_trips() -> dict[str, int]:
    """Count asyncpg's round trips (every public call that talks to the server), and of them
    the statements (not BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE: SQLAlchemy's events do
    not see the statements the kiosk's scan sends on asyncpg directly)."""
    import asyncpg
    from asyncpg.prepared_stmt import PreparedStatement

    counts = {"round_trips": 0, "statements": 0}
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START")

    def wrap(cls: Any, name: str, query_of: Any) -> None:
        original = getattr(cls, name)

        async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts["round_trips"] += 1
            if name != "prepare" and not query_of(self, args).lstrip().upper().startswith(control):
                counts["statements"] += 1
            return await original(self, *args, **kwargs)

        setattr(cls, name, counted)

    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare"):
        wrap(asyncpg.Connection, name, lambda conn, args: args[0] if args else "")
    for name in ("fetch", "fetchrow", "fetchval", "executemany"):
        wrap(PreparedStatement, name, lambda stmt, args: stmt.get_query())
    return counts


async def child(url: str, n: int) -> dict[str, float]:
    """Seed n + 20 badges, warm up on 20, then time n valid scans at the venue, n valid
    entries into a hall (the same badges), and n bare inserts."""
    from datetime import timedelta

    from sqlalchemy import event, insert, select

    from bench.badges import populate
    from core.badges import badge_link, make_token
    from core.db import make_engine, make_session_factory
    from core.models import AgendaItem, Conference, Registration, Scan, ScanResult
    from core.uow import unit_of_work

    judge = kiosk_judge()

    pg = url.startswith("postgresql")
    trips = count_round_trips() if pg else {"round_trips": 0, "statements": 0}
    await populate(url, SLUG, [n + 20])
    engine = make_engine(url)
    factory = make_session_factory(engine)
    async with engine.begin() as conn:
        cid = (await conn.execute(select(Conference.id).where(Conference.slug == SLUG))).scalar_one()  # type: ignore[call-overload]
        rids = (await conn.execute(select(Registration.id).order_by(Registration.id))).scalars().all()  # type: ignore[call-overload]
        now = time_now()
        hall = (
            await conn.execute(
                insert(AgendaItem).values(
                    conference_id=cid, code="hall", kind="plenary", title={"en": "Plenary"}, description={},
                    hall={}, starts_at=now, ends_at=now + timedelta(hours=1), allowed_categories=[],
                    signup_open=False, created_at=now, updated_at=now,
                ).returning(AgendaItem.id)  # type: ignore[arg-type]
            )
        ).scalar_one()  # fmt: skip
    lines = [badge_link("confdesk_minsk_bot", make_token(SECRET, r, 1)).encode() for r in rids]
    statements = {"n": 0}

    if not pg:  # PostgreSQL: counted at asyncpg's calls (count_round_trips)

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            statements["n"] += 1

    async def one(line: bytes, item: int | None) -> str:
        verdict = await judge(
            factory, conference_id=cid, text=line, staff_telegram_id=1, gate="Main", secret=SECRET, agenda_item_id=item
        )
        return verdict.result.value

    async def timed(item: int | None) -> dict[str, float]:
        walls = []
        s0, r0, q0, c0 = statements["n"], trips["round_trips"], trips["statements"], time.process_time()
        for line in lines[20:]:
            t0 = time.perf_counter()
            if await one(line, item) != "ok":
                raise SystemExit("expected ok")
            walls.append(time.perf_counter() - t0)
        cpu = time.process_time() - c0
        return {
            "cpu_ms": cpu / n * 1e3,
            "wall_ms": statistics.median(walls) * 1e3,
            "statements": (statements["n"] - s0 + trips["statements"] - q0) / n,
            "round_trips": (trips["round_trips"] - r0) / n,
        }

    for line in lines[:20]:
        await one(line, None)
    for line in lines[:20]:
        await one(line, hall)
    out = await timed(None)
    out |= {f"hall_{k}": v for k, v in (await timed(hall)).items()}
    table = Scan.__table__  # type: ignore[attr-defined]
    bare_walls = []
    r0, c0 = trips["round_trips"], time.process_time()
    for r in rids[20:]:
        t0 = time.perf_counter()
        async with unit_of_work(factory) as db:
            conn = await db.connection()
            await conn.execute(
                insert(table).values(
                    conference_id=cid, registration_id=r, agenda_item_id=None, direction="in",
                    result=ScanResult.OK, scanned_at=time_now(), staff_telegram_id=1, gate="Main",
                    badge_version=1, raw="x", nonce=None,
                ).returning(table.c.id)
            )  # fmt: skip
        bare_walls.append(time.perf_counter() - t0)
    out["bare_cpu_ms"] = (time.process_time() - c0) / n * 1e3
    out["bare_wall_ms"] = statistics.median(bare_walls) * 1e3
    out["bare_round_trips"] = (trips["round_trips"] - r0) / n
    await engine.dispose()
    return out


def kiosk_judge() -> Any:
    """What `confdesk scan` calls per line: `scan_alone(factory, ...)`, or in a checkout
    from before it (`--against`), `scan()` in a unit of work."""
    try:
        from core.checkin import scan_alone
    except ImportError:
        from core.checkin import scan
        from core.uow import unit_of_work

        async def scan_alone(factory: Any, **kw: Any) -> Any:
            async with unit_of_work(factory) as db:
                return await scan(db, **kw)

    return scan_alone


def time_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


class Scratch:
    def __init__(self, kind: str, tmp: str) -> None:
        self.kind, self.tmp, self.name = kind, tmp, f"confdesk_cost_{uuid.uuid4().hex[:8]}"

    async def _admin(self, sql: str) -> None:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        admin = create_async_engine(os.environ["CONFDESK_BENCH_PG_URL"], isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(sql))
        await admin.dispose()

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.tmp}/{self.name}.db"
        from sqlalchemy.engine import make_url

        asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))
        return make_url(os.environ["CONFDESK_BENCH_PG_URL"]).set(database=self.name).render_as_string(False)

    def __exit__(self, *exc: Any) -> None:
        if self.kind == "postgresql":
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def run_child(code: Path, url: str, n: int) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(code))
    cmd = [sys.executable, str(ROOT / "bench/scan_cost.py"), "--child", url, "--n", str(n), "--code", str(code)]
    out = subprocess.run(cmd, env=env, cwd=code, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{code} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    import tempfile

    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--against", type=Path, help="another checkout whose code runs the same loop, alternating")
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, str(args.code))
        print(json.dumps(asyncio.run(child(args.child, args.n))))
        return
    codes = [("this", ROOT)] + ([("against", args.against.resolve())] if args.against else [])
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("CONFDESK_BENCH_PG_URL") else [])
    kinds = [k for k in kinds if args.only in (None, k)]
    rows: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            jobs = [(kind, label, code) for kind in kinds for label, code in codes]
            if i % 2:
                jobs.reverse()
            for kind, label, code in jobs:
                with Scratch(kind, tmp) as url:
                    row = run_child(code, url, args.n)
                rows.setdefault((kind, label), []).append(row)
                print(f"round {i + 1} {kind} {label}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()), flush=True)
    print(f"\nmedians over {args.rounds} rounds, per valid scan ({args.n} distinct badges)")
    for (kind, label), got in rows.items():
        med = {k: statistics.median(r[k] for r in got) for k in got[0]}
        for where, p in (("venue", ""), ("hall", "hall_")):
            print(
                f"  {kind:<10} {label:<8} {where:<5} CPU {med[p + 'cpu_ms']:.3f} ms, wall {med[p + 'wall_ms']:.3f} ms,"
                f" {med[p + 'statements']:.1f} statements, {med[p + 'round_trips']:.1f} round trips;"
                f" scan/bare CPU {med[p + 'cpu_ms'] / med['bare_cpu_ms']:.2f}x"
            )
        print(
            f"  {kind:<10} {label:<8} bare INSERT+COMMIT CPU {med['bare_cpu_ms']:.3f} ms,"
            f" wall {med['bare_wall_ms']:.3f} ms, {med['bare_round_trips']:.1f} round trips"
        )


if __name__ == "__main__":
    main()
