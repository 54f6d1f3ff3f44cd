"""confdesk beside pretix, same machine, alternating rounds: `python bench/peers.py [--rounds 3]`.

Two pieces of work, each measured in fresh processes, confdesk and pretix taking turns in
every round; medians over rounds, then ratios (pretix / confdesk: above 1 means faster):

(a) badges: 600 approved registrations, A6, one badge per page, one PDF.
    confdesk: the whole `confdesk badges print out.pdf --layout a6 --preview` process
    (interpreter start, imports, schema check, query, render, write); wall time and the
    process's peak RSS (wait4). pretix: its badges plugin's BadgeExporter.render() of the
    same count (default layout, A6 landscape) as timed inside its worker, plus the worker's
    whole-process wall time and peak RSS, measured the same way as ours.
(b) one check-in, marginal cost: what one more valid scan costs, N distinct badges in a row.
    confdesk `kiosk loop`: exactly what `confdesk scan` does per line (core.checkin.scan_alone
    on the line's bytes); median per scan, like pretix's.
    confdesk `kiosk process`: the real `confdesk scan --json` process fed N lines minus the
    same process fed none, divided by N (stdin parsing and the JSON line included).
    pretix: `perform_checkin` (position lookup by secret + perform_checkin, per-call median)
    and the REST redeem endpoint (django test client, Device auth), from its own worker.
    confdesk on SQLite (a fresh file per round) and on PostgreSQL when CONFDESK_BENCH_PG_URL
    names a server (a scratch database per round is created there and dropped); pretix
    on SQLite only (as its peer script is set up).

pretix is looked for under $PRETIX_PEER_ROOT (default /tmp/pretix-peer: venv/, seeded.sqlite3)
with the peer script at $PRETIX_PEER_SCRIPT or ../shared/peers/pretix/bench_pretix.py.
Without it the confdesk figures are still printed, with how to set pretix up.

    python bench/peers.py [--rounds 3] [--n 600] [--probe-n 200] [--only badges|checkin]
    CONFDESK_BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/confdesk_perf python bench/peers.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "k" * 48
SLUG = "bench"
BOT = "confdesk_minsk_bot"
CONFDESK = [sys.executable, "-c", "from bot.cli import main; main()"]


# ------------------------------------------------------------------ processes


def timed_process(cmd: list[str], env: dict[str, str], stdin: bytes | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of one child process; fails loudly on exit != 0."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        if stdin is not None:
            inp.write(stdin)
            inp.seek(0)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdin=inp, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}):\n{err.read().decode()[-3000:]}\n{text[-2000:]}")
    return wall, usage.ru_maxrss / 1024, text


def confdesk_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFDESK_", "DATABASE_", "BADGE_"))}
    env.pop("REDIS_URL", None)
    env.update(DATABASE_URL=url, BADGE_SECRET=SECRET, BOT_USERNAME=BOT, CONFERENCE=SLUG)
    return env


class Scratch:
    """A fresh database per round: a SQLite file in `tmp`, or a PostgreSQL scratch database."""

    def __init__(self, kind: str, tmp: str) -> None:
        self.kind, self.tmp, self.name = kind, tmp, f"confdesk_peer_{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.tmp}/{self.name}.db"
        from sqlalchemy.engine import make_url

        asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))
        pg = os.environ["CONFDESK_BENCH_PG_URL"]
        return make_url(pg).set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc: Any) -> None:
        if self.kind == "postgresql":
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    @staticmethod
    async def _admin(sql: str) -> None:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        admin = create_async_engine(os.environ["CONFDESK_BENCH_PG_URL"], isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(sql))
        await admin.dispose()


# ------------------------------------------------------------------ confdesk side


async def seed(url: str, n: int) -> list[str]:
    """n approved registrations (names in several scripts, six delegations); their badge links."""
    from sqlalchemy import select

    from bench.badges import populate
    from core.badges import badge_link, make_token
    from core.db import make_engine
    from core.models import Registration

    await populate(url, SLUG, [n])
    engine = make_engine(url)
    async with engine.connect() as conn:
        ids = (await conn.execute(select(Registration.id).order_by(Registration.id))).scalars().all()  # type: ignore[call-overload]
    await engine.dispose()
    return [badge_link(BOT, make_token(SECRET.encode(), rid, 1)) for rid in ids]


def confdesk_badges(tmp: str, n: int) -> dict[str, float]:
    with Scratch("sqlite", tmp) as url:
        asyncio.run(seed(url, n))
        out = Path(tmp) / "badges.pdf"
        cmd = [*CONFDESK, "badges", "print", str(out), "--layout", "a6", "--preview", "--conference", SLUG]
        wall, rss, text = timed_process(cmd, confdesk_env(url))
        if f"{n} badge(s)" not in text or f"on {n} page(s)" not in text:
            raise SystemExit(f"confdesk badges printed something else: {text!r}")
        return {"seconds": wall, "peak_rss_mib": rss, "pdf_mib": out.stat().st_size / 2**20}


async def kiosk_loop(url: str, links: list[str], probe: int) -> dict[str, float]:
    """Per scan, what `confdesk scan` does per line: scan_alone() on bytes."""
    from bench.scan_cost import kiosk_judge
    from core.db import make_engine, make_session_factory
    from core.models import Conference

    judge = kiosk_judge()

    engine = make_engine(url)
    factory = make_session_factory(engine)
    async with factory() as session:
        from sqlalchemy import select

        cid = (await session.execute(select(Conference.id).where(Conference.slug == SLUG))).scalar_one()  # type: ignore[call-overload]
    secret = SECRET.encode()

    async def one(line: bytes) -> tuple[float, str]:
        t0 = time.perf_counter()
        verdict = await judge(factory, conference_id=cid, text=line, staff_telegram_id=1, gate="Main", secret=secret)
        return time.perf_counter() - t0, verdict.result.value

    warm, valid = links[:20], links[20:]
    for link in warm:
        await one(link.encode())
    phases: dict[str, list[bytes]] = {
        "valid": [link.encode() for link in valid],
        "duplicate": [link.encode() for link in valid[:probe]],
        "unknown": [f"https://t.me/{BOT}?start=b_{uuid.uuid4().hex[:22]}AAAAAAAAAA".encode() for _ in range(probe)],
    }
    expect = {"valid": "ok", "duplicate": "duplicate", "unknown": "invalid"}
    out: dict[str, float] = {}
    for phase, lines in phases.items():
        lat = []
        for line in lines:
            dt, result = await one(line)
            if result != expect[phase]:
                raise SystemExit(f"kiosk loop {phase}: got {result}")
            lat.append(dt)
        out[f"{phase}_median_ms"] = statistics.median(lat) * 1e3
        out[f"{phase}_per_s"] = len(lat) / sum(lat)
    await engine.dispose()
    return out


def confdesk_checkin(kind: str, tmp: str, n: int, probe: int) -> dict[str, float]:
    """The kiosk loop in a child process (fresh interpreter, like pretix's worker), then the
    real kiosk process fed N lines and fed none."""
    with Scratch(kind, tmp) as url:
        links = asyncio.run(seed(url, n + 20 + n))
        loop_links, kiosk_links = links[: n + 20], links[n + 20 :]
        payload = json.dumps({"url": url, "links": loop_links, "probe": probe})
        _, _, text = timed_process(
            [sys.executable, __file__, "--child-loop"], confdesk_env(url), stdin=payload.encode()
        )
        result = json.loads(text.strip().splitlines()[-1])
        cmd = [*CONFDESK, "scan", "--gate", "Main", "--json", "--conference", SLUG]
        empty, _, _ = timed_process(cmd, confdesk_env(url), stdin=b"")
        full, _, text = timed_process(cmd, confdesk_env(url), stdin="".join(f"{x}\n" for x in kiosk_links).encode())
        oks = sum(json.loads(line).get("result") == "ok" for line in text.splitlines() if line.startswith("{"))
        if oks != n:
            raise SystemExit(f"kiosk process: {oks} of {n} ok")
        result["process_marginal_ms"] = (full - empty) / n * 1e3
        result["process_empty_s"] = empty
        return result


# ------------------------------------------------------------------ pretix side


class Pretix:
    def __init__(self) -> None:
        self.root = Path(os.environ.get("PRETIX_PEER_ROOT", "/tmp/pretix-peer"))
        self.python = Path(os.environ.get("PRETIX_PEER_PYTHON", self.root / "venv/bin/python"))
        candidates = [os.environ.get("PRETIX_PEER_SCRIPT", "")] + [
            str(p / "shared/peers/pretix/bench_pretix.py") for p in (ROOT.parent, ROOT.parent.parent, Path("/work"))
        ]
        self.script = next((Path(c) for c in candidates if c and Path(c).is_file()), None)

    def missing(self) -> str | None:
        if self.script is None:
            return "the peer script bench_pretix.py was not found (set PRETIX_PEER_SCRIPT)"
        for need in (self.python, self.root / "seeded.sqlite3", self.root / "seed.json", self.root / "pretix.cfg"):
            if not need.exists():
                readme = self.script.parent / "README.md"
                return (
                    f"{need} is missing. Set pretix up (~5 min, see {readme}):\n"
                    f"  python3 -m venv {self.root}/venv && {self.root}/venv/bin/pip install pretix==2026.8.0\n"
                    f"  {self.python} {self.script} setup"
                )
        return None

    def worker(self, kind: str, *args: str) -> dict[str, Any]:
        """One pretix worker on a fresh copy of the seeded database (as its own `bench` does)."""
        run_db = self.root / "run.sqlite3"
        shutil.copyfile(self.root / "seeded.sqlite3", run_db)
        for ext in ("-journal", "-wal", "-shm"):
            Path(f"{run_db}{ext}").unlink(missing_ok=True)
        env = dict(os.environ, PRETIX_CONFIG_FILE=str(self.root / "pretix.cfg"), PRETIX_DATABASE_NAME=str(run_db))
        env.setdefault("PYTHONHASHSEED", "0")
        cmd = [str(self.python), str(self.script), kind, "--root", str(self.root), *args]
        wall, rss, text = timed_process(cmd, env)
        line = [x for x in text.splitlines() if x.startswith("RESULT ")][-1]
        res = json.loads(line[len("RESULT ") :])
        res["process_wall_s"], res["process_peak_rss_mib"] = wall, rss
        return res


# ------------------------------------------------------------------ driver


def med(rows: list[dict[str, Any]], *path: str) -> float:
    vals = []
    for row in rows:
        for key in path:
            row = row[key]
        vals.append(float(row))  # type: ignore[arg-type]
    return statistics.median(vals)


def main() -> None:
    ap = argparse.ArgumentParser(description="confdesk beside pretix: badges and check-in")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--probe-n", type=int, default=200)
    ap.add_argument("--only", choices=["badges", "checkin"])
    ap.add_argument("--no-pretix", action="store_true")
    ap.add_argument("--child-loop", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_loop:
        job = json.loads(sys.stdin.read())
        print(json.dumps(asyncio.run(kiosk_loop(job["url"], job["links"], job["probe"]))))
        return
    peer = Pretix()
    why = "--no-pretix" if args.no_pretix else peer.missing()
    if why:
        print(f"pretix not measured: {why}\n(confdesk figures only)\n", flush=True)
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("CONFDESK_BENCH_PG_URL") else [])
    rows: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            jobs: list[tuple[str, Any]] = []
            if args.only != "checkin":
                jobs.append(("confdesk badges", lambda: confdesk_badges(tmp, args.n)))
                if not why:
                    jobs.append(("pretix badges", lambda: peer.worker("_badges", "--n", str(args.n))))
            if args.only != "badges":
                for kind in kinds:
                    jobs.append(
                        (f"confdesk checkin {kind}", lambda k=kind: confdesk_checkin(k, tmp, args.n, args.probe_n))
                    )
                if not why:
                    jobs.append(
                        (
                            "pretix checkin",
                            lambda: peer.worker("_checkin", "--n", str(args.n), "--probe-n", str(args.probe_n)),
                        )
                    )
            if i % 2:  # alternate who goes first
                jobs.reverse()
            for name, job in jobs:
                row = job()
                rows.setdefault(name, []).append(row)
                print(f"round {i + 1}/{args.rounds} {name}: {brief(name, row)}", flush=True)
    report(rows, args)


def brief(name: str, row: dict[str, Any]) -> str:
    if name == "confdesk badges":
        return f"{row['seconds']:.2f} s whole process, peak {row['peak_rss_mib']:.0f} MiB"
    if name == "pretix badges":
        return (
            f"render {row['seconds']:.2f} s (process {row['process_wall_s']:.2f} s), "
            f"peak {row['process_peak_rss_mib']:.0f} MiB, {row['pages']} pages"
        )
    if name.startswith("confdesk checkin"):
        return (
            f"kiosk loop {row['valid_median_ms']:.2f} ms/scan (dup {row['duplicate_median_ms']:.2f}, "
            f"unknown {row['unknown_median_ms']:.2f}); kiosk process marginal {row['process_marginal_ms']:.2f} ms"
        )
    return (
        f"perform_checkin {row['service_valid']['median_ms']:.2f} ms, "
        f"REST redeem {row['rest_valid']['median_ms']:.2f} ms"
        f" (dup {row['rest_duplicate']['median_ms']:.2f}, unknown {row['rest_unknown']['median_ms']:.2f})"
    )


def report(rows: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> None:
    print(f"\nmedians over {args.rounds} rounds; ratio = pretix / confdesk (x > 1: confdesk faster or smaller)")
    ours = rows.get("confdesk badges")
    theirs = rows.get("pretix badges")
    if ours:
        s, m = med(ours, "seconds"), med(ours, "peak_rss_mib")
        print(f"\n(a) {args.n} badges, A6, one PDF")
        print(f"  confdesk whole process      {s:6.2f} s   peak RSS {m:5.0f} MiB")
        if theirs:
            r, pw, pm = med(theirs, "seconds"), med(theirs, "process_wall_s"), med(theirs, "process_peak_rss_mib")
            print(f"  pretix render() only        {r:6.2f} s")
            print(f"  pretix whole worker process {pw:6.2f} s   peak RSS {pm:5.0f} MiB")
            print(
                f"  ratio: time {r / s:.2f}x (vs render only), {pw / s:.2f}x (process vs process); memory {pm / m:.2f}x"
            )
    pretix = rows.get("pretix checkin")
    for kind in ("sqlite", "postgresql"):
        mine = rows.get(f"confdesk checkin {kind}")
        if not mine:
            continue
        loop, proc = med(mine, "valid_median_ms"), med(mine, "process_marginal_ms")
        print(f"\n(b) one check-in, marginal cost, confdesk on {kind} ({args.n} distinct badges)")
        print(f"  kiosk loop (scan_alone per line)   {loop:6.3f} ms/scan  ({med(mine, 'valid_per_s'):.0f}/s)")
        print(f"  kiosk process (`confdesk scan --json`, N lines minus none) {proc:6.3f} ms/scan")
        print(
            f"  duplicate {med(mine, 'duplicate_median_ms'):.3f} ms,"
            f" unknown code {med(mine, 'unknown_median_ms'):.3f} ms"
        )
        if pretix:
            svc, rest = med(pretix, "service_valid", "median_ms"), med(pretix, "rest_valid", "median_ms")
            dup = med(pretix, "service_duplicate", "median_ms")
            print(f"  pretix (SQLite) perform_checkin {svc:.2f} ms, duplicate {dup:.2f} ms, REST redeem {rest:.2f} ms")
            print(
                f"  ratio vs perform_checkin: {svc / loop:.1f}x (kiosk loop), {svc / proc:.1f}x (kiosk process);"
                f" vs REST redeem: {rest / loop:.1f}x, {rest / proc:.1f}x;"
                f" duplicate {dup / med(mine, 'duplicate_median_ms'):.1f}x"
            )


if __name__ == "__main__":
    main()
