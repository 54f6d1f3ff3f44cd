"""Whatever a scanner types, the kiosk answers `invalid` for it, stores it, and goes on
(issue 11, item 1): bad UTF-8, binary junk, a 2 MB line, a line far longer than memory
should hold. Before: bad UTF-8 gave an `error` with a UnicodeEncodeError and stored nothing.
"""

from __future__ import annotations

from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.models import Scan, ScanResult
from tests.faults.doors_util import kiosks, link, seed

LONG = 32 << 20  # 32 MB in one line: read in bounded chunks, never whole


async def stored(database_url: str) -> list[Scan]:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as s:
            rows = list((await s.execute(select(Scan).order_by(Scan.id))).scalars())
            await s.commit()
            return rows
    finally:
        await engine.dispose()


async def test_unreadable_lines_are_invalid_and_stored_and_the_kiosk_goes_on(database_url, tmp_path):
    [reg] = await seed(database_url, 1)
    lines = {
        "bad UTF-8": (b"\xff\xfeb_\xc3(", "\\xff\\xfeb_\\xc3("),
        "binary": (b"\x00\x01\x1b[2J\x7f\xff" * 8, ("\\x00\\x01\\x1b[2J\\x7f\\xff" * 8)[:256]),
        "2 MB": (b"B" * 2_000_000, "B" * 256),
        "a valid code in junk": (link(reg) + b"\x00", link(reg).decode() + "\\x00"),
        "32 MB": (b"\xff" * LONG, "\\xff" * 64),
    }
    async with kiosks(database_url, tmp_path, ("Main",)) as [k]:
        before = k.peak_rss_kib()
        for name, (line, _) in lines.items():
            got = await k.ask(line)
            assert got["result"] == "invalid" and got["detail"] == "unreadable", (name, got, k.seen())
        grew = k.peak_rss_kib() - before
        assert grew < 16 << 10, f"the kiosk's peak memory grew by {grew} KiB reading long lines"
        assert (await k.ask(link(reg)))["result"] == "ok"  # still at the door
        assert await k.finish() == 0, k.seen()
    rows = await stored(database_url)
    assert [r.result for r in rows] == [ScanResult.INVALID] * 6 + [ScanResult.OK]
    assert [r.raw for r in rows[1:6]] == [raw for _, raw in lines.values()]
