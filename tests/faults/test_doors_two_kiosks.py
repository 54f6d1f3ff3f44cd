"""Two doors, one badge (issue 11, item 1): two `confdesk scan --json` kiosk processes on
one database get the same badge at the same instant, round after round.

Each badge goes through: first entry at both doors at once (one ok, one duplicate), both
doors again while inside (every third badge: both duplicate), an exit at a third kiosk, and
re-entry at both doors at once (one ok, one duplicate). Never an error, never two oks.
Before SQLite transactions began IMMEDIATE, both doors said ok in about a fifth of the
re-entry rounds and a first entry could end in an IntegrityError.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from core.models import ScanDirection, ScanResult
from tests.dbutil import backend
from tests.faults.doors_util import Kiosk, count_scans, kiosks, link, seed

BADGES = 75  # 150 contested rounds (first entry and re-entry) + 25 both-inside rounds


async def both(first: Kiosk, second: Kiosk, line: bytes) -> list[str]:
    """The same line to both kiosks at once (both writes before either is awaited), then
    both answers."""
    first.write(line)
    second.write(line)
    await asyncio.gather(first.drain(), second.drain())
    answers = await asyncio.gather(first.answer(), second.answer())
    return [a["result"] if a["result"] != "error" else f"error({str(a.get('error'))[:40]})" for a in answers]


async def test_two_kiosks_same_badge_same_instant(database_url, tmp_path):
    ids = await seed(database_url, BADGES)
    tally: Counter[tuple[str, str]] = Counter()
    wrong: list[str] = []
    async with kiosks(database_url, tmp_path, ("North",), ("South",), ("Exit", "--exit")) as (north, south, out):
        for i, reg in enumerate(ids):
            doors = (north, south) if i % 2 == 0 else (south, north)  # who is written to first
            rounds = [("first entry", ["duplicate", "ok"])]
            if i % 3 == 0:
                rounds.append(("while inside", ["duplicate", "duplicate"]))
            for kind, expected in rounds:
                got = sorted(await both(*doors, link(reg)))
                tally[kind, "+".join(got)] += 1
                if got != expected:
                    wrong.append(f"badge {reg} {kind}: {got}")
            left = await out.ask(link(reg))
            assert left["result"] == "ok" and left["direction"] == "out", (left, out.seen())
            got = sorted(await both(*doors, link(reg)))
            tally["re-entry", "+".join(got)] += 1
            if got != ["duplicate", "ok"]:
                wrong.append(f"badge {reg} re-entry: {got}")
        for k in (north, south, out):
            assert await k.finish() == 0, k.seen()
    print(f"\n[doors] {backend()}: {dict(sorted(tally.items()))}")
    assert not wrong, f"{len(wrong)} wrong rounds on {backend()}: {wrong[:10]}; tally {dict(tally)}"
    # what the doors said is what was stored: two entries and one exit per badge
    oks_in = await count_scans(database_url, result=ScanResult.OK, direction=ScanDirection.IN)
    assert oks_in == 2 * BADGES
    assert await count_scans(database_url, result=ScanResult.DUPLICATE) == 2 * BADGES + (BADGES + 2) // 3 * 2
