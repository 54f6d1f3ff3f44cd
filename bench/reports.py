"""Report speed on a big conference: `python bench/reports.py [--regs 50000] [--scans 500000]`.

Generates one conference (45 delegations, 20 agenda items over two days, `--regs`
registrations, 60 % of them signed up for a session, `--scans` scans: entries, exits, hall
scans and refusals) with bulk Core inserts, folds the attendance summary once (printed: the
one-off after a bulk load), then times each report (best of `--rounds`, 3; before each call
200 new scans are committed, and the call runs in its own unit of work, commit included, so
a report that folds new scans pays for it) and each export (`confdesk export`'s function,
CSV and XLSX, best of `--export-rounds`, 1: they take seconds; process CPU beside, and the
CPU of the processes that read parts of the scans CSV on SQLite) and
prints it beside a plain `SELECT COUNT(*)` over the scan table in the same run (ratio = report time /
COUNT time). SQLite in a temporary file; PostgreSQL too when
CONFDESK_BENCH_PG_URL=postgresql+asyncpg://… names a server (a scratch database is made,
then VACUUM ANALYZE: what autovacuum does after such a bulk load, and what lets PostgreSQL
answer COUNT(*) and the reports from the indexes alone).

The scans export as XLSX (500,000 rows through openpyxl, minutes) only with --xlsx-scans.
Runs against whichever code is on the path: pointed at an older checkout (copy this file
into it, or set CONFDESK_BENCH_CODE=/path/to/checkout) it measures "before" with the same data.

For exports alone: `--exports-only` (no reports), `--kinds registrations-csv,scans-xlsx`
(some of them), and kept databases so that old and new code can be timed in turns on the
same data without generating it each time: `--sqlite-file PATH` (generated if missing) and
`--pg-database NAME` (on CONFDESK_BENCH_PG_URL's server; generated if missing, never dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, os.environ.get("CONFDESK_BENCH_CODE") or str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from core import reporting
from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import (
    AgendaItem,
    AgendaSignup,
    Conference,
    Delegation,
    Participant,
    Presence,
    Registration,
    Scan,
)
from core.uow import unit_of_work

try:  # the attendance summary (absent in checkouts older than issue 17's summary)
    from core.reporting import summary
except ImportError:
    summary = None  # type: ignore[assignment]

FIRST_DAY = date(2024, 10, 31)
CATEGORIES = ["head_of_delegation", "delegate", "delegate", "delegate", "expert", "press", "observer", "speaker"]
SYLLABLES = ["an", "bo", "ci", "da", "el", "fa", "go", "hu", "ir", "jo", "ka", "le", "mi", "no", "os", "pe", "ri", "sa"]
CYRILLIC = ["ан", "бо", "ви", "да", "ел", "жо", "за", "ий", "ко", "ле", "ми", "но", "ос", "пе", "ру", "сё"]


def _name(rng: random.Random, parts: list[str]) -> str:
    return " ".join("".join(rng.choice(parts) for _ in range(3)).capitalize() for _ in range(2))


def _person(i: int, full_name: str, native_name: str | None, now: datetime) -> dict[str, Any]:
    row = {
        "full_name": full_name,
        "native_name": native_name,
        "telegram_id": 10_000_000 + i,
        "created_at": now,
        "updated_at": now,
    }
    if "search_name" in Participant.__table__.c:  # type: ignore[attr-defined]
        # what the ORM sets on every write (core/models/participant.py); bulk Core skips it
        from core.text import name_key

        row["search_name"] = name_key(full_name, native_name, None)
    return row


async def generate(url: str, n_regs: int, n_scans: int) -> Conference:
    engine = make_engine(url)
    await upgrade(engine)
    rng = random.Random(7)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    async with engine.begin() as conn:
        cid = (
            await conn.execute(
                insert(Conference)
                .values(
                    slug="bench",
                    edition=1,
                    name={"en": "Bench"},
                    timezone="Europe/Minsk",
                    first_day=FIRST_DAY,
                    last_day=FIRST_DAY + timedelta(days=1),
                    auto_approve_categories=[],
                    venue={},
                    city={},
                    created_at=now,
                    updated_at=now,
                )
                .returning(Conference.id)
            )
        ).scalar_one()
        dids = (
            (
                await conn.execute(
                    insert(Delegation).returning(Delegation.id),
                    [
                        {
                            "conference_id": cid,
                            "code": f"D{i:02d}",
                            "kind": "state" if i < 40 else "organisation",
                            "country": "XX" if i < 40 else None,
                            "name": {"en": f"State {i:02d}", "ru": f"Государство {i:02d}"},
                            "auto_approve": False,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i in range(45)
                    ],
                )
            )
            .scalars()
            .all()
        )
        day0 = datetime(2024, 10, 31, 6, 0, tzinfo=UTC)  # 09:00 local
        items = []
        for i in range(20):
            start = day0 + timedelta(days=i // 10, hours=i % 10)
            items.append(
                {
                    "conference_id": cid,
                    "code": f"i{i}",
                    "kind": "high_level" if i == 0 else "thematic",
                    "title": {"en": f"Session {i}"},
                    "description": {},
                    "hall": {},
                    "starts_at": start,
                    "ends_at": start + timedelta(minutes=90),
                    "allowed_categories": [],
                    "signup_open": i > 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        iids = (await conn.execute(insert(AgendaItem).returning(AgendaItem.id), items)).scalars().all()
        pids: list[int] = []
        for chunk in range(0, n_regs, 5000):
            pids += (
                (
                    await conn.execute(
                        insert(Participant).returning(Participant.id),
                        [
                            _person(i, _name(rng, SYLLABLES), _name(rng, CYRILLIC) if i % 2 else None, now)
                            for i in range(chunk, min(n_regs, chunk + 5000))
                        ],
                    )
                )
                .scalars()
                .all()
            )
        rids: list[int] = []
        for chunk in range(0, n_regs, 5000):
            rids += (
                (
                    await conn.execute(
                        insert(Registration).returning(Registration.id),
                        [
                            {
                                "conference_id": cid,
                                "participant_id": pids[i],
                                "delegation_id": dids[i % 45] if i % 10 else None,
                                "category": CATEGORIES[i % len(CATEGORIES)],
                                "status": "approved" if i % 12 else "pending",
                                "source": "import",
                                "badge_version": 1,
                                "badge_print_count": 0,
                                "created_at": now,
                                "updated_at": now,
                            }
                            for i in range(chunk, min(n_regs, chunk + 5000))
                        ],
                    )
                )
                .scalars()
                .all()
            )
        signups = [
            {
                "registration_id": r,
                "agenda_item_id": iids[1 + i % 19],
                "status": "confirmed",
                "created_at": now,
                "updated_at": now,
            }
            for i, r in enumerate(rids)
            if i % 5 < 3
        ]
        for chunk in range(0, len(signups), 10000):
            await conn.execute(insert(AgendaSignup), signups[chunk : chunk + 10000])
        rows: list[dict[str, Any]] = []
        results = ["ok"] * 18 + ["duplicate", "invalid"]
        for _ in range(n_scans):
            reg = rids[rng.randrange(len(rids))]
            day = rng.randrange(2)
            at = day0 + timedelta(days=day, seconds=rng.randrange(11 * 3600))
            item = iids[rng.randrange(20)] if rng.random() < 0.4 else None
            rows.append(
                {
                    "conference_id": cid,
                    "registration_id": reg,
                    "agenda_item_id": item,
                    "direction": "out" if rng.random() < 0.2 else "in",
                    "result": rng.choice(results),
                    "scanned_at": at,
                    "gate": "Main",
                    "badge_version": 1,
                    "raw": "",
                }
            )
            if len(rows) == 20000:
                await conn.execute(insert(Scan), rows)
                rows = []
        if rows:
            await conn.execute(insert(Scan), rows)
        presence = [
            {"registration_id": r, "inside": i % 3 == 0, "since": day0 + timedelta(hours=i % 10)}
            for i, r in enumerate(rids)
        ]
        for chunk in range(0, len(presence), 10000):
            await conn.execute(insert(Presence), presence[chunk : chunk + 10000])
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("COMMIT"))
            await conn.execute(text("VACUUM ANALYZE"))
    else:
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    print(f"  generated {n_regs} registrations, {n_scans} scans in {time.perf_counter() - t0:.1f}s")
    async with unit_of_work(make_session_factory(engine)) as session:
        conf = (await session.execute(select(Conference).where(Conference.slug == "bench"))).scalar_one()
    await engine.dispose()
    return conf


async def best_of(session: AsyncSession, work: Callable[[AsyncSession], Awaitable[Any]], n: int = 3) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await work(session)
        times.append(time.perf_counter() - t0)
    return min(times)


FEED = 200  # scans added (committed) before each timed report: each pays a realistic fold


async def feed(factory: Any, conf: Conference, rng: random.Random, n: int = FEED) -> None:
    """`n` new scans as the doors add them between two reports (new ids, the day's times, the
    generator's mix), in their own unit of work."""
    async with unit_of_work(factory) as session:
        conn = await session.connection()
        reg_ids = (await conn.execute(select(func.min(Registration.id), func.max(Registration.id)))).one()
        items = select(AgendaItem.id).where(AgendaItem.conference_id == conf.id)  # type: ignore[arg-type]
        item_ids = (await conn.execute(items)).scalars().all()
        day0 = datetime(2024, 10, 31, 6, 0, tzinfo=UTC)
        rows = [
            {
                "conference_id": conf.id,
                "registration_id": rng.randint(*reg_ids),
                "agenda_item_id": rng.choice(item_ids) if rng.random() < 0.4 else None,
                "direction": "out" if rng.random() < 0.2 else "in",
                "result": rng.choice(["ok"] * 18 + ["duplicate", "invalid"]),
                "scanned_at": day0 + timedelta(days=rng.randrange(2), seconds=rng.randrange(11 * 3600)),
                "gate": "Main",
                "badge_version": 1,
                "raw": "",
            }
            for _ in range(n)
        ]
        await conn.execute(insert(Scan), rows)


async def best_fed(
    factory: Any, conf: Conference, work: Callable[[AsyncSession], Awaitable[Any]], n: int, rng: random.Random
) -> float:
    """Best of `n`: FEED new scans committed, then `work` in its own unit of work (commit included)."""
    times = []
    for _ in range(n):
        await feed(factory, conf, rng)
        t0 = time.perf_counter()
        async with unit_of_work(factory) as session:
            await work(session)
        times.append(time.perf_counter() - t0)
    return min(times)


def _line(name: str, took: float, base: float, extra: str = "") -> None:
    print(f"  {name:40s} {took * 1000:8.1f} ms {took / base:6.1f}x{extra}", flush=True)


def _children_cpu() -> float:
    """CPU seconds of the ended child processes (the scans CSV's parts on SQLite)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


async def _exports(
    session: AsyncSession, conf: Conference, clock: Callable[[], datetime], base: float, args: argparse.Namespace
) -> None:
    """Each export written to a scratch file, as `confdesk export KIND --out FILE` does."""
    kinds = [
        (k, f) for k in reporting.KINDS for f in reporting.FORMATS if args.xlsx_scans or (k, f) != ("scans", "xlsx")
    ]
    if args.kinds:
        kinds = [(k, f) for k, f in ((*name.split("-", 1),) for name in args.kinds.split(","))]
    with tempfile.TemporaryDirectory() as tmp:
        for kind, fmt in kinds:
            out = Path(tmp) / f"{kind}.{fmt}"
            found: list[int] = []

            async def work(
                s: AsyncSession, kind: str = kind, fmt: str = fmt, out: Path = out, found: list[int] = found
            ) -> None:
                found.append((await reporting.export(s, conf, kind, fmt, out, clock=clock)).rows)

            cpu, children = time.process_time(), _children_cpu()
            took = await best_of(session, work, args.export_rounds)
            cpu = (time.process_time() - cpu) / args.export_rounds
            children = (_children_cpu() - children) / args.export_rounds
            extra = f"   cpu {cpu * 1000:.0f} ms"
            if children:
                extra += f" + {children * 1000:.0f} ms in parts' processes"
            _line(f"export {kind} {fmt} ({found[-1]} rows)", took, base, extra)


async def _kept(url: str) -> Conference | None:
    """The bench conference of a kept database, if it has one (migrated to head first)."""
    engine = make_engine(url)
    try:
        await upgrade(engine)
        async with unit_of_work(make_session_factory(engine)) as session:
            return (await session.execute(select(Conference).where(Conference.slug == "bench"))).scalar_one_or_none()
    except Exception:  # no tables yet
        return None
    finally:
        await engine.dispose()


async def bench(url: str, label: str, args: argparse.Namespace, *, keep: bool = False) -> None:
    print(f"{label}:")
    conf = (await _kept(url) if keep else None) or await generate(url, args.regs, args.scans)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    day = FIRST_DAY

    def clock() -> datetime:
        return datetime(2024, 10, 31, 12, 0, tzinfo=UTC)

    async def count(s: AsyncSession) -> None:
        await s.execute(select(func.count()).select_from(Scan))

    cases: list[tuple[str, Callable[[AsyncSession], Awaitable[Any]]]] = [
        ("stats (/stats)", lambda s: reporting.stats(s, conf, day=day, clock=clock)),
        ("by delegation", lambda s: reporting.by_delegation(s, conf, day=day, clock=clock)),
        ("by session", lambda s: reporting.by_item(s, conf)),
        ("by day", lambda s: reporting.by_day(s, conf)),
        ("check-ins per hour", lambda s: reporting.checkins_per_hour(s, conf, day=day, clock=clock)),
        ("no-shows of a session", lambda s: reporting.no_shows(s, conf, 2)),
        ("search 'kale'", lambda s: reporting.find(s, conf.id or 0, "kale")),
        ("search #id", lambda s: reporting.find(s, conf.id or 0, "#123")),
        ("card with last scans", lambda s: reporting.registration_card(s, conf.id or 0, 123)),
    ]
    if summary is not None:  # the one-off: every scan of the bulk load folded at once
        t0 = time.perf_counter()
        async with unit_of_work(factory) as session:
            await summary.refresh(session, conf, clock=clock)
        print(f"  first fold of the summary after the bulk load: {(time.perf_counter() - t0) * 1000:.0f} ms")
    rng = random.Random(11)
    await best_fed(factory, conf, count, args.rounds, rng)  # warm the cache
    base = await best_fed(factory, conf, count, args.rounds, rng)
    _line("baseline: SELECT COUNT(*) FROM scan", base, base)
    for name, work in [] if args.exports_only else cases:
        _line(name, await best_fed(factory, conf, work, args.rounds, rng), base)
    async with unit_of_work(factory) as session:
        if args.export_rounds:
            await _exports(session, conf, clock, base, args)
            _line("baseline again: SELECT COUNT(*)", await best_of(session, count, args.rounds), base)
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--regs", type=int, default=50_000)
    parser.add_argument("--scans", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3, help="best of N for each report (3)")
    parser.add_argument("--export-rounds", type=int, default=1, help="best of N for each export (1; 0: none)")
    parser.add_argument("--xlsx-scans", action="store_true", help="also the scans export as XLSX (minutes)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one backend only")
    parser.add_argument("--exports-only", action="store_true", help="time the exports, not the reports")
    parser.add_argument("--kinds", help="exports to time, e.g. registrations-csv,scans-xlsx (default: all)")
    parser.add_argument("--sqlite-file", help="keep the SQLite database in this file (generated if missing)")
    parser.add_argument("--pg-database", help="keep the PostgreSQL database under this name (generated if missing)")
    args = parser.parse_args()
    sqlite_file = Path(args.sqlite_file).absolute() if args.sqlite_file else None  # noqa: ASYNC240 (no I/O)
    if args.only != "postgresql" and sqlite_file:
        await bench(f"sqlite+aiosqlite:///{sqlite_file}", "SQLite", args, keep=True)
    elif args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            await bench(f"sqlite+aiosqlite:///{tmp}/bench.db", "SQLite", args)
    pg = os.environ.get("CONFDESK_BENCH_PG_URL", "")
    if pg.startswith("postgresql") and args.only != "sqlite" and args.pg_database:
        admin = create_async_engine(pg, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            found = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.pg_database})
            if not found:
                await conn.execute(text(f'CREATE DATABASE "{args.pg_database}"'))
        await admin.dispose()
        await bench(
            make_url(pg).set(database=args.pg_database).render_as_string(hide_password=False),
            "PostgreSQL",
            args,
            keep=True,
        )
    elif pg.startswith("postgresql") and args.only != "sqlite":
        name = f"confdesk_bench_{uuid.uuid4().hex[:8]}"
        admin = create_async_engine(pg, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            await bench(
                make_url(pg).set(database=name).render_as_string(hide_password=False),
                "PostgreSQL",
                args,
            )
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


if __name__ == "__main__":
    asyncio.run(main())
