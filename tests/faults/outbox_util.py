"""Helpers of the outbox fault tests: a broadcast queued straight through the services, bot
processes (`confdesk run --webhook`, so several run side by side without fighting over
getUpdates) against the in-test emulator, and waits on the emulator's and the database's
state with generous upper bounds."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.emulator import BotAPIEmulator
from core.clock import utc_now
from core.messaging import broadcasts
from core.messaging.broadcasts import Audience, AudienceKind
from core.models import OutboxMessage, OutboxStatus, Participant, Registration
from core.uow import unit_of_work
from tests.factories import make_conference

ADMIN = 9000
FIRST = 7000  # recipients are FIRST, FIRST + 1, ...
TEXT = "Hall B opens at 14:00"
WAIT = 90.0  # upper bound of a wait; a busy 2-core box, never a fixed window


async def queue_broadcast(
    session_factory: async_sessionmaker[AsyncSession], emulator: BotAPIEmulator, recipients: int
) -> int:
    """`recipients` approved participants with chats in the emulator, and a broadcast to all
    of them as /broadcast would queue it (progress message in the organiser's chat)."""
    now = utc_now()
    emulator.user(ADMIN, "Admin")
    for i in range(recipients):
        emulator.user(FIRST + i, f"Person {i}")
    progress = emulator.post(emulator.chats[ADMIN], {"text": f"Queued for {recipients}"}, None)
    async with unit_of_work(session_factory) as s:
        conference = await make_conference(s)
        people = [
            {"full_name": f"Person {i}", "telegram_id": FIRST + i, "created_at": now, "updated_at": now}
            for i in range(recipients)
        ]
        pids = (await s.execute(insert(Participant).returning(Participant.id), people)).scalars().all()
        await s.execute(
            insert(Registration),
            [
                {
                    "conference_id": conference.id,
                    "participant_id": pid,
                    "category": "delegate",
                    "status": "approved",
                    "source": "import",
                    "badge_version": 1,
                    "badge_print_count": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for pid in pids
            ],
        )
        await s.commit()
        started = await broadcasts.start(
            s,
            conference,
            Audience(AudienceKind.APPROVED),
            text=TEXT,
            actor_telegram_id=ADMIN,
            report_chat_id=ADMIN,
            progress_message_id=progress.message_id,
        )
    assert started.recipients == recipients
    return started.broadcast_id


def copies(emulator: BotAPIEmulator, recipients: int) -> Counter[int]:
    """How many copies of the broadcast each recipient has."""
    return Counter(
        sum(1 for m in emulator.chats[FIRST + i].messages.values() if m.from_bot and m.text == TEXT)
        for i in range(recipients)
    )


def delivered(emulator: BotAPIEmulator, recipients: int) -> int:
    """Recipients with at least one copy."""
    return sum(
        1
        for i in range(recipients)
        if any(m.from_bot and m.text == TEXT for m in emulator.chats[FIRST + i].messages.values())
    )


def reports(emulator: BotAPIEmulator) -> list[str]:
    return [m.text or "" for m in emulator.chats[ADMIN].messages.values() if "Delivery report" in (m.text or "")]


async def until(emulator: BotAPIEmulator, ready: Callable[[], bool], what: str, seconds: float = WAIT) -> float:
    """Wait until `ready()`, woken by every change in the emulator; returns when (monotonic)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not ready():
        if loop.time() > deadline:
            raise AssertionError(f"waited {seconds}s for {what}")
        await emulator.changed.wait(deadline - loop.time())
    return time.monotonic()


async def sent_rows(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory() as s:
        n = (
            await s.execute(
                select(func.count()).where(
                    OutboxMessage.kind == broadcasts.KIND,  # type: ignore[arg-type]
                    OutboxMessage.status == OutboxStatus.SENT,  # type: ignore[arg-type]
                )
            )
        ).scalar_one()
        await s.commit()
    return int(n)


async def held_until(session_factory: async_sessionmaker[AsyncSession]) -> datetime | None:
    """The latest moment until which a pending row is claimed (None: no claim left): after a
    kill -9, when the dead process's rows become free for the next one."""
    async with unit_of_work(session_factory) as s:
        found = (
            await s.execute(
                select(func.max(OutboxMessage.claimed_until)).where(  # type: ignore[arg-type]
                    OutboxMessage.status == OutboxStatus.PENDING,  # type: ignore[arg-type]
                )
            )
        ).scalar_one()
    return found


async def in_doubt(session_factory: async_sessionmaker[AsyncSession]) -> set[int]:
    """Chats whose message a sender began to send and recorded no outcome for (status pending,
    a send begun, no error recorded): after a kill -9, the ones Telegram may or may not have."""
    async with session_factory() as s:
        rows = (
            await s.execute(
                select(OutboxMessage.chat_id).where(
                    OutboxMessage.kind == broadcasts.KIND,  # type: ignore[arg-type]
                    OutboxMessage.status == OutboxStatus.PENDING,  # type: ignore[arg-type]
                    OutboxMessage.attempts > 0,  # type: ignore[operator]
                    OutboxMessage.error.is_(None),  # type: ignore[union-attr]
                )
            )
        ).scalars()
        found = {int(c) for c in rows}
        await s.commit()
    return found


@dataclass
class BotProcess:
    """One `confdesk run --webhook` process on the emulator (its sender and broadcast
    watchers run as in production; no update is ever posted to it)."""

    name: str
    env: dict[str, str]
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    logs: list[Path] = field(default_factory=list)

    def start(self) -> None:
        log = self.workdir / f"{self.name}-{len(self.logs)}.log"
        self.logs.append(log)
        confdesk = Path(sys.executable).with_name("confdesk")
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(confdesk), "run", "--webhook", "--host", "127.0.0.1", "--port", "0"],
                env=self.env,
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started_at = time.monotonic()

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 15) -> str:
        text = "\n".join(log.read_text(errors="replace") for log in self.logs if log.exists())
        return "\n".join(text.splitlines()[-lines:])


def bot_env(emulator: BotAPIEmulator, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFDESK_", "REDIS_", "DATABASE_"))}
    env.update(
        BOT_TOKEN=emulator.token,
        DATABASE_URL=database_url,
        TELEGRAM_API_URL=emulator.base_url,
        WEBHOOK_URL="https://bot.example.org/hook",
        WEBHOOK_SECRET="fault-test-secret",
        BADGE_SECRET="b" * 40,
        ADMIN_IDS=str(ADMIN),
        LOG_LEVEL="INFO",
    )
    return env
