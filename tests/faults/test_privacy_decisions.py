"""Two officers in two processes (two bot instances) decide the same cards at the same
instant, one approving, one rejecting: every card is decided exactly once, the other
officer learns it was already decided, and the audit trail has one decision per card.
Runs on SQLite (one file, two processes) and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.accreditation import registration as reg_svc
from core.models import AuditLog, Registration, RegistrationStatus
from tests.factories import make_conference, make_participant, make_registration

ROUNDS = 40  # cards, each decided by both processes at once
WAIT = 60.0  # upper bound for the processes' lines and exit, never a pause
ROOT = Path(__file__).resolve().parents[2]


async def _line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    raw = await asyncio.wait_for(proc.stdout.readline(), WAIT)
    if not raw:
        err = await proc.stderr.read() if proc.stderr else b""
        raise AssertionError(f"officer process ended early: {err.decode(errors='replace')[-2000:]}")
    return raw.decode().strip()


async def test_two_processes_decide_each_card_once(
    database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as s:
        conf = await make_conference(s)
        ids = []
        for i in range(ROUNDS):
            person = await make_participant(s, full_name=f"Person {i}", telegram_id=8_000_000 + i)
            ids.append((await make_registration(s, conf, person, status=RegistrationStatus.PENDING)).id)
        await s.commit()
        conference_id = conf.id

    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.faults.privacy_util",
            database_url,
            str(conference_id),
            action,
            *map(str, ids),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for action in ("approve", "reject")
    ]
    try:
        for proc in procs:
            assert await _line(proc) == "ready"
        for proc in procs:  # the start signal, to both at once
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        approved, rejected = [json.loads(await _line(proc)) for proc in procs]
        for proc in procs:
            assert await asyncio.wait_for(proc.wait(), WAIT) == 0
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    for reg_id in map(str, ids):
        assert sorted((approved[reg_id], rejected[reg_id])) == ["already_decided", "done"], (reg_id, approved, rejected)
    won = Counter(approved.values())["done"]
    print(f"\n{ROUNDS} rounds: approve won {won}, reject won {ROUNDS - won}, never both, never neither")
    async with session_factory() as s:
        statuses = dict((await s.execute(select(Registration.id, Registration.status))).all())
        for reg_id in ids:
            expected = RegistrationStatus.APPROVED if approved[str(reg_id)] == "done" else RegistrationStatus.REJECTED
            assert statuses[reg_id] == expected
        decisions = (
            await s.execute(
                select(AuditLog.entity_id, func.count())
                .where(AuditLog.action.in_(reg_svc.DECISIONS))
                .group_by(AuditLog.entity_id)
            )
        ).all()
        assert sorted(decisions) == [(reg_id, 1) for reg_id in sorted(ids)]
        await s.commit()
