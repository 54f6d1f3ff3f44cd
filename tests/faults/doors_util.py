"""Kiosks as real processes: `confdesk scan --json` on a test database (issue 11, item 1).

A `Kiosk` writes lines to the process's stdin and reads the JSON line it prints for each;
every wait is for that line (or the process's end), bounded by a generous timeout that fails
with what the kiosk wrote to stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.badges import badge_link, make_token
from core.db import make_engine, make_session_factory
from core.models import Scan
from tests.factories import make_conference, make_registration

SECRET = "doors-secret-" + "d" * 40
BOT = "confdesk_doors_bot"
TIMEOUT = 60.0  # an upper bound for one answer on a busy machine, never a pause
CONFDESK = Path(sys.executable).with_name("confdesk")


def link(registration_id: int, version: int = 1) -> bytes:
    return badge_link(BOT, make_token(SECRET.encode(), registration_id, version)).encode()


async def seed(database_url: str, badges: int) -> list[int]:
    """A conference with `badges` approved registrations; their ids."""
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as s:
            conf = await make_conference(s)
            ids = [(await make_registration(s, conf)).id for _ in range(badges)]
            await s.commit()
            return [i for i in ids if i is not None]
    finally:
        await engine.dispose()


async def count_scans(database_url: str, **where: Any) -> int:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as s:
            query = select(func.count()).select_from(Scan)
            for key, value in where.items():
                query = query.where(getattr(Scan, key) == value)
            n = (await s.execute(query)).scalar_one()
            await s.commit()
            return int(n)
    finally:
        await engine.dispose()


class Kiosk:
    def __init__(self, proc: asyncio.subprocess.Process, name: str, stderr: Path) -> None:
        self.proc = proc
        self.name = name
        self.stderr = stderr
        self.lines: list[bytes] = []  # everything it printed on stdout

    def write(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + b"\n")

    async def drain(self) -> None:
        assert self.proc.stdin is not None
        await self.proc.stdin.drain()

    async def send(self, line: bytes) -> None:
        self.write(line)
        await self.drain()

    def seen(self) -> str:
        err = self.stderr.read_text(errors="replace") if self.stderr.exists() else ""
        out = b"\n".join(self.lines[-5:]).decode(errors="replace")
        return f"kiosk {self.name}: last stdout lines:\n{out}\nstderr:\n{err[-3000:]}"

    async def answer(self) -> dict[str, Any]:
        """The next line the kiosk prints, parsed; fails loudly if none comes."""
        line = await self.answer_line()
        try:
            data = json.loads(line)
        except ValueError:
            raise AssertionError(f"not one JSON line: {line[:300]!r}; {self.seen()}") from None
        assert isinstance(data, dict), line
        return data

    async def answer_line(self) -> str:
        """The next line the kiosk prints (text mode: what the door staff read)."""
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"no answer within {TIMEOUT} s; {self.seen()}") from None
        if not line:
            await self.proc.wait()
            raise AssertionError(f"kiosk ended (exit {self.proc.returncode}); {self.seen()}")
        self.lines.append(line)
        return line.decode()

    async def ask(self, line: bytes) -> dict[str, Any]:
        await self.send(line)
        return await self.answer()

    async def ask_text(self, line: bytes) -> str:
        await self.send(line)
        return await self.answer_line()

    async def finish(self) -> int:
        """End of input: the kiosk must end by itself, with exit code 0."""
        assert self.proc.stdin is not None
        if not self.proc.stdin.is_closing():
            self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"kiosk did not end at EOF; {self.seen()}") from None
        return self.proc.returncode or 0

    def peak_rss_kib(self) -> int:
        """VmHWM (peak resident memory) of the kiosk process, Linux only."""
        for row in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1])
        raise AssertionError("no VmHWM in /proc/<pid>/status")


def kiosk_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFDESK_", "TELEGRAM_"))}
    for key in ("CONFERENCE", "REDIS_URL", "BOT_TOKEN", "WEBHOOK_URL"):
        env.pop(key, None)
    env.update(DATABASE_URL=database_url, BADGE_SECRET=SECRET, BOT_USERNAME=BOT, PYTHONUNBUFFERED="1")
    return env


@asynccontextmanager
async def kiosk(database_url: str, workdir: Path, gate: str, *args: str, json: bool = True) -> AsyncIterator[Kiosk]:
    """`confdesk scan --json --gate GATE ARGS…` (without --json if `json` is false) running in
    `workdir`; killed if still running when the block ends (a test that wants a clean end
    calls `finish()`)."""
    stderr = workdir / f"kiosk-{gate}.err"
    with stderr.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            str(CONFDESK),
            "scan",
            *(["--json"] if json else []),
            "--gate",
            gate,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            env=kiosk_env(database_url),
            cwd=workdir,
            limit=1 << 20,
        )
    k = Kiosk(proc, gate, stderr)
    try:
        yield k
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@asynccontextmanager
async def kiosks(database_url: str, workdir: Path, *specs: tuple[str, ...]) -> AsyncIterator[list[Kiosk]]:
    """Several kiosks, each (gate, *args); all have answered a first (invalid) line, so all
    are past start-up and waiting for input when the block begins."""
    async with AsyncExitStack() as stack:
        started = [await stack.enter_async_context(kiosk(database_url, workdir, *spec)) for spec in specs]
        for k in started:
            await k.send(b"warm-up")
        for k in started:
            first = await k.answer()
            assert first["result"] == "invalid", (first, k.seen())
        yield started
