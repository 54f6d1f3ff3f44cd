"""Badge PDF benchmark: `python bench/badges.py [--counts 600 10000] [--layout a4x4]`.

A temporary SQLite database gets 10,000 generated approved registrations; each figure is
measured in a fresh subprocess (so ru_maxrss is that run's own): seconds without tracing,
then tracemalloc's peak in a second run. The baseline draws the same pages from the same
rows with the QR codes only (no text, bands or fonts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import Category, Conference, Delegation, Participant, Registration
from core.uow import unit_of_work

FIRST = ["Péter", "Sergey", "Zoë", "Ľudovít", "Αλέξανδρος", "Ahmed", "María José", "Jürgen"]
LAST = ["Szijjártó", "Lavrov", "Ångström", "Štúr", "Παπαδόπουλος", "Al-Mansouri", "García", "Müller"]
NATIVE = ["Сийярто Петер", "Сергей Лавров", None, "Людовит Штур", None, "أحمد", None, None]


async def populate(url: str, conference_slug: str, counts: list[int]) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    rnd = random.Random(7)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        for slug, n in zip(conference_slug.split(","), counts, strict=True):
            cid = (
                await conn.execute(
                    insert(Conference)
                    .values(
                        slug=slug,
                        edition=1,
                        name={"en": "Minsk Conference on Eurasian Security"},
                        timezone="Europe/Minsk",
                        first_day=date(2024, 10, 31),
                        last_day=date(2024, 11, 1),
                        auto_approve_categories=[],
                        venue={},
                        city={},
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(Conference.id)
                )
            ).scalar_one()
            dids = []
            for code in ("HU", "RU", "BY", "CN", "AE", "DE"):
                dids.append(
                    (
                        await conn.execute(
                            insert(Delegation)
                            .values(
                                conference_id=cid,
                                code=code,
                                kind="state",
                                country=code,
                                name={"en": f"Delegation of {code}"},
                                auto_approve=False,
                                created_at=now,
                                updated_at=now,
                            )
                            .returning(Delegation.id)
                        )
                    ).scalar_one()
                )
            for start in range(0, n, 1000):
                people = []
                for i in range(start, min(n, start + 1000)):
                    k = rnd.randrange(len(FIRST))
                    people.append(
                        dict(
                            full_name=f"{FIRST[k]} {LAST[rnd.randrange(len(LAST))]}",
                            native_name=NATIVE[k],
                            position="Minister of Foreign Affairs",
                            ref=f"{slug}-{i}",
                            created_at=now,
                            updated_at=now,
                        )
                    )
                pids = (await conn.execute(insert(Participant).returning(Participant.id), people)).scalars().all()
                await conn.execute(
                    insert(Registration),
                    [
                        dict(
                            conference_id=cid,
                            participant_id=pid,
                            delegation_id=rnd.choice(dids),
                            category=rnd.choice(list(Category)).value,
                            status="approved",
                            source="import",
                            badge_version=1,
                            badge_print_count=0,
                            created_at=now,
                            updated_at=now,
                        )
                        for pid in pids
                    ],
                )
    await engine.dispose()


async def child(url: str, slug: str, layout: str, qr_only: bool, trace: bool, out: str) -> dict:
    from core.badges import conference_info
    from core.badges.pdf import print_badges

    engine = make_engine(url)
    factory = make_session_factory(engine)
    async with unit_of_work(factory) as session:
        conf = await conference_info(session, slug)
        await session.rollback()
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()
        report = await print_badges(
            session,
            Path(out),
            conf,
            secret=b"b" * 48,
            bot_username="confdesk_minsk_bot",
            layout=layout,
            mark=False,
            qr_only=qr_only,
        )
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
    await engine.dispose()
    return {
        "seconds": seconds,
        "peak": peak,
        "pages": report.pages,
        "badges": report.badges,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "bytes": Path(out).stat().st_size,  # noqa: ASYNC240
    }


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", type=int, nargs="+", default=[600, 10_000])
    ap.add_argument("--layout", default="a4x4")
    ap.add_argument("--child", nargs=6)
    args = ap.parse_args()
    if args.child:
        url, slug, layout, qr_only, trace, out = args.child
        print(json.dumps(asyncio.run(child(url, slug, layout, qr_only == "1", trace == "1", out))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        slugs = [f"bench-{n}" for n in args.counts]
        asyncio.run(populate(url, ",".join(slugs), args.counts))
        print(f"layout {args.layout}; seconds untraced, peak = tracemalloc peak of a traced run")
        for n, slug in zip(args.counts, slugs, strict=True):
            row = {}
            for mode, qr_only in (("badges", "0"), ("qr only", "1")):
                timed = run_child(url, slug, args.layout, qr_only, "0", f"{tmp}/{n}-{qr_only}.pdf")
                traced = run_child(url, slug, args.layout, qr_only, "1", f"{tmp}/{n}-{qr_only}t.pdf")
                row[mode] = (timed, traced)
                print(
                    f"{n:>6} {mode:<8} {timed['seconds']:7.2f} s  {timed['badges'] / timed['seconds']:7.0f}/s"
                    f"  peak {traced['peak'] / 2**20:6.1f} MiB  maxrss {timed['maxrss_kb'] / 1024:6.1f} MiB"
                    f"  {timed['pages']} pages, {timed['bytes'] / 2**20:.1f} MiB PDF"
                )
            (full, full_t), (base, base_t) = row["badges"], row["qr only"]
            print(
                f"{n:>6} ratio vs qr-only: time x{full['seconds'] / base['seconds']:.2f}, "
                f"peak x{full_t['peak'] / base_t['peak']:.2f}, maxrss x{full['maxrss_kb'] / base['maxrss_kb']:.2f}"
            )


if __name__ == "__main__":
    main()
