"""Badge PDF benchmark: `python bench/badges.py [--counts 600 10000] [--layout a4x4] [--rounds 3]
[--baseline REV]`.

A temporary SQLite database gets the generated approved registrations (names in Latin,
Greek, Cyrillic, Arabic, Persian, Chinese, Korean, Hindi, Thai and Hebrew); each figure is
measured in a fresh subprocess (so ru_maxrss is that run's own): seconds without tracing
(median of --rounds runs), then tracemalloc's peak in one traced run. Two baselines, from
the same rows in the same run: the QR codes only (no text, bands or fonts), and the whole
badges drawn by another revision's code (default `main`: `git archive` of its core/ into a
temporary directory, put first on the child's sys.path), the "today" the ratio is against.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
if os.environ.get("CONFDESK_BENCH_CODE"):  # a baseline run: that revision's core/ first
    sys.path.insert(0, os.environ["CONFDESK_BENCH_CODE"])

from sqlalchemy import insert

from core.db import make_engine, make_session_factory
from core.migrate import upgrade
from core.models import Category, Conference, Delegation, Participant, Registration
from core.uow import unit_of_work

FIRST = [
    "Péter",
    "Sergey",
    "Zoë",
    "Ľudovít",
    "Αλέξανδρος",
    "Ahmed",
    "María José",
    "Jürgen",
    "Wenjun",
    "Abbas",
    "Min-jun",
    "Narendra",
    "Somchai",
    "Benjamin",
]
LAST = ["Szijjártó", "Lavrov", "Ångström", "Štúr", "Παπαδόπουλος", "Al-Mansouri", "García", "Müller"]
NATIVE = [
    "Сийярто Петер",
    "Сергей Лавров",
    None,
    "Людовит Штур",
    None,
    "بسام الصباغ",
    None,
    None,
    "刘文军",
    "سید عباس عراقچی",
    "김민준",
    "नरेन्द्र मोदी",
    "สมชาย ใจดี",
    "בנימין נתניהו",
]


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


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


async def child(url: str, slug: str, layout: str, qr_only: bool, trace: bool, out: str) -> dict:
    try:
        from core.badges import conference_info
    except ImportError:  # a baseline revision from before core/badges was split
        from core.badges.badges import find_conference as conference_info  # type: ignore[no-redef]
    from core.badges.pdf import print_badges

    engine = make_engine(url)
    factory = make_session_factory(engine)
    async with unit_of_work(factory) as session:
        conf = await conference_info(session, slug)
    async with unit_of_work(factory) as session:  # the print alone is timed
        if trace:
            tracemalloc.start()
        t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
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
        cpu = time.process_time() - c0 + _children_cpu() - k0  # page workers included
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
    await engine.dispose()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak": peak,
        "pages": report.pages,
        "badges": report.badges,
        # the largest process: this one or a page worker (forked: they share most pages)
        "maxrss_kb": max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)),
        "bytes": Path(out).stat().st_size,  # noqa: ASYNC240
    }


def run_child(*args: str, code: str | None = None) -> dict:
    """One measured run in a fresh interpreter; `code`: a directory whose core/ replaces ours."""
    env = dict(os.environ, CONFDESK_BENCH_CODE=code) if code else None
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def checkout(rev: str, into: str) -> str:
    """`rev`'s core/ package, extracted under `into` (the baseline's code)."""
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "-C", str(repo), "archive", rev, "core"], capture_output=True, check=True).stdout
    Path(into).mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return into


def _median(runs: list[dict], key: str) -> float:
    values = sorted(r[key] for r in runs)
    return values[len(values) // 2]


def measure(rounds: int, modes: list[tuple[str, str, str | None]], url: str, slug: str, layout: str, out: str) -> dict:
    """Per mode (name, qr_only, code): median wall and CPU seconds of `rounds` runs, the
    rounds interleaved (mode A, B, C, then A, B, C again...) so that the load of a shared
    machine falls on every mode alike; then one traced run each for the memory peak."""
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in modes}
    for i in range(rounds):
        for name, qr_only, code in modes:
            runs[name].append(run_child(url, slug, layout, qr_only, "0", f"{out}-{len(runs[name])}{i}.pdf", code=code))
    result = {}
    for name, qr_only, code in modes:
        traced = run_child(url, slug, layout, qr_only, "1", f"{out}-t.pdf", code=code)
        result[name] = dict(
            runs[name][0],
            seconds=_median(runs[name], "seconds"),
            cpu=_median(runs[name], "cpu"),
            peak=traced["peak"],
            maxrss_kb=_median(runs[name], "maxrss_kb"),
        )
    return result


def show(n: int, mode: str, r: dict) -> None:
    print(
        f"{n:>6} {mode:<10} {r['seconds']:7.2f} s (cpu {r['cpu']:6.2f} s)  {r['badges'] / r['seconds']:6.0f}/s"
        f"  peak {r['peak'] / 2**20:6.1f} MiB  maxrss {r['maxrss_kb'] / 1024:6.1f} MiB"
        f"  {r['pages']} pages, {r['bytes'] / 2**20:.1f} MiB PDF"
    )


def ratio(a: dict, b: dict) -> str:
    return (
        f"time x{a['seconds'] / b['seconds']:.2f}, cpu x{a['cpu'] / b['cpu']:.2f}, peak x{a['peak'] / b['peak']:.2f},"
        f" maxrss x{a['maxrss_kb'] / b['maxrss_kb']:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", type=int, nargs="+", default=[600, 10_000])
    ap.add_argument("--layout", default="a4x4")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", default="main", help="git revision whose code is 'today' ('' to skip)")
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
        base_code = checkout(args.baseline, tmp + "/baseline") if args.baseline else None
        print(
            f"layout {args.layout}; seconds: median of {args.rounds} interleaved untraced runs (wall, and the CPU"
            " of this process and its page workers); maxrss = the largest of them; peak = tracemalloc peak of a"
            " traced run"
        )
        modes = [("badges", "0", None), ("qr only", "1", None)]
        if base_code:
            modes.append((args.baseline, "0", base_code))
        for n, slug in zip(args.counts, slugs, strict=True):
            got = measure(args.rounds, modes, url, slug, args.layout, f"{tmp}/{n}")
            for name, _, _ in modes:
                show(n, name, got[name])
            print(f"{n:>6} badges vs qr only: {ratio(got['badges'], got['qr only'])}")
            if base_code:
                print(f"{n:>6} badges vs {args.baseline}'s code (today): {ratio(got['badges'], got[args.baseline])}")


if __name__ == "__main__":
    main()
