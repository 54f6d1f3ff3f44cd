"""An officer's process for the decision race (tests/faults/test_privacy_decisions.py).

    python -m tests.faults.privacy_util DATABASE_URL CONFERENCE_ID approve|reject ID...

Connects, prints "ready", waits for a line on stdin (the start signal, so two processes
begin together), then decides every id in order as the bot does, and prints one JSON line:
{"<id>": "done" | "<error code>"}. No aiogram: only the service under test."""

from __future__ import annotations

import asyncio
import json
import sys

from core.accreditation import registration
from core.db import make_engine, make_session_factory
from core.errors import DomainError
from core.uow import unit_of_work


async def main(url: str, conference_id: int, action: str, ids: list[int]) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    try:
        async with factory() as session:  # connect before the start signal
            await session.commit()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        outcome: dict[str, str] = {}
        for reg_id in ids:
            try:
                async with unit_of_work(factory) as session:
                    await registration.decide(
                        session,
                        reg_id,
                        approve=action == "approve",
                        actor_telegram_id=1 if action == "approve" else 2,
                        conference_id=conference_id,
                        reason=None if action == "approve" else "too late",
                        actor_name=f"officer-{action}",
                    )
                outcome[str(reg_id)] = "done"
            except DomainError as exc:
                outcome[str(reg_id)] = exc.code
        print(json.dumps(outcome), flush=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    url, conference, action, *rest = sys.argv[1:]
    asyncio.run(main(url, int(conference), action, [int(i) for i in rest]))
